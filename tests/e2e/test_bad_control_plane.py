"""Bad control-plane requests, one per case, against the real server over HTTP.

Each case is sent as a raw SigV4-signed request (boto3 would refuse most of them before they
leave) and must get the exact AWS error code, HTTP status, and a message that says what to fix.
After every case the server must still be healthy and must have lost nothing.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.conftest import Deployed
from e2e.control_plane_cases import Case, variant
from e2e.control_plane_resource_cases import CASES
from e2e.wire import Keys, arn, control, error_of
from support.modelport_server import ModelportServer, wait_in_service

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_control_plane_request(
    case: Case, server: ModelportServer, keys: Keys, iris: Deployed, healthy: Callable[[], None]
) -> None:
    response = control(server.url, keys, case.target, case.body)
    code, message = error_of(response)
    assert (code, response.status_code) == (case.code, case.status), message
    assert case.message in message
    assert response.headers["x-amzn-RequestId"]
    assert "Traceback" not in message
    healthy()


SLOW_INFERENCE_PY = b"""
import os
import time


def model_fn(model_dir):
    # Holds the endpoint in Creating until the test releases it.
    while not os.path.exists(os.environ["RELEASE_FILE"]):
        time.sleep(0.01)
    return "slow"


def predict_fn(data, model):
    return data
"""


def test_update_and_delete_while_creating_are_refused(
    sm: Any, iris: Deployed, healthy: Callable[[], None], tmp_path: Path
) -> None:
    """Calls while an endpoint is Creating are refused; a model that loads only once released holds
    it there. CreateEndpoint answers once the endpoint has settled (or after the bound), so it runs
    in a thread while the refused calls are made."""
    archive = tmp_path / "slow.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(SLOW_INFERENCE_PY)
        tar.addfile(info, io.BytesIO(SLOW_INFERENCE_PY))
    release = tmp_path / "release"
    sm.create_model(
        ModelName="slow-model",
        PrimaryContainer={
            "Image": "sklearn:1.2-1",
            "ModelDataUrl": str(archive),
            "Environment": {"RELEASE_FILE": str(release)},
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName="slow-config", ProductionVariants=[variant(ModelName="slow-model")]
    )
    with ThreadPoolExecutor(1) as pool:
        created = pool.submit(
            sm.create_endpoint, EndpointName="creating-ep", EndpointConfigName="slow-config"
        )
        wait_listed(sm, "creating-ep")
        refuse_while_creating(sm, iris)
        release.touch()
        assert created.result()["EndpointArn"] == arn("endpoint", "creating-ep")
    wait_in_service(sm, "creating-ep")
    sm.delete_endpoint(EndpointName="creating-ep")
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName="creating-ep", WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    sm.delete_endpoint_config(EndpointConfigName="slow-config")
    sm.delete_model(ModelName="slow-model")
    healthy()


def wait_listed(sm: Any, name: str, timeout_s: float = 60.0) -> None:
    """Until the endpoint exists (CreateEndpoint has stored it and waits for it to settle)."""
    deadline = time.monotonic() + timeout_s
    while not sm.list_endpoints(NameContains=name)["Endpoints"]:
        assert time.monotonic() < deadline, f"endpoint {name} was never stored"
        time.sleep(0.01)


def refuse_while_creating(sm: Any, iris: Deployed) -> None:
    in_progress = f'Cannot update in-progress endpoint "{arn("endpoint", "creating-ep")}".'
    for call, message in (
        (lambda: sm.update_endpoint(EndpointName="creating-ep", EndpointConfigName=iris.config), in_progress),
        (lambda: sm.delete_endpoint(EndpointName="creating-ep"), in_progress.replace("update", "delete")),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert sm.describe_endpoint(EndpointName="creating-ep")["EndpointStatus"] == "Creating"
        assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}


def test_modeled_error_is_raised_as_its_class(sm: Any, iris: Deployed) -> None:
    """boto3 maps ResourceLimitExceeded to its modeled exception class (body member ``Message``)."""
    with pytest.raises(sm.exceptions.ResourceLimitExceeded) as caught:
        sm.create_endpoint_config(
            EndpointConfigName="never-created", ProductionVariants=[variant(InitialInstanceCount=17)]
        )
    assert "Instances" in caught.value.response["Error"]["Message"]
