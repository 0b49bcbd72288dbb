"""scikit-learn script mode end to end, and the limits around an invocation.

A model folder with ``code/inference.py`` (the SageMaker Python SDK's layout) is served by the
scikit-learn runtime. The same user code can sleep or crash on request, which lets the tests
check the invocation timeout, the in-flight bound (throttling instead of queueing), a worker
that dies while it holds a request, and the size cap of the instance's log when the code prints.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from pathlib import Path

import joblib
import pytest
from botocore.exceptions import ClientError
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, deploy, invoke, wait_in_service
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

INFERENCE_PY = """
import json
import os
import time

import joblib


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    return json.loads(body)


def predict_fn(data, model):
    if "print" in data:
        print(data["print"] * 1000, flush=True)
    if "sleep" in data:
        time.sleep(data["sleep"])
    if data.get("die"):
        os._exit(3)
    return model.predict(data["rows"])


def output_fn(prediction, accept):
    return json.dumps({"classes": prediction.tolist()}), "application/json"
"""


@pytest.fixture(scope="module")
def script_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("script-model")
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), folder / "model.joblib")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder / "model.joblib", arcname="model.joblib")
        code = INFERENCE_PY.encode()
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    archive = folder / "model.tar.gz"
    archive.write_bytes(buffer.getvalue())
    return archive


LOG_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def limited_server(module_servers: ServerPool) -> ModelportServer:
    env = {
        "MODELPORT_INVOCATION_TIMEOUT_S": "2",
        "MODELPORT_MAX_IN_FLIGHT_PER_INSTANCE": "1",
        "MODELPORT_MAX_ENDPOINT_LOG_BYTES": str(LOG_LIMIT),
    }
    return module_servers.start(env=env)


@pytest.fixture(scope="module")
def endpoint(limited_server: ModelportServer, script_model: Path) -> str:
    sagemaker = limited_server.client("sagemaker")
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    deploy(
        sagemaker, "script", str(script_model), image=image, environment={"SAGEMAKER_PROGRAM": "inference.py"}
    )
    wait_in_service(sagemaker, "script")
    return "script"


def test_script_mode_serves_the_user_handlers(limited_server: ModelportServer, endpoint: str) -> None:
    response = invoke(limited_server, endpoint, {"rows": [[5.1, 3.3, 1.7, 0.5], [6.3, 2.8, 5.1, 1.5]]})
    assert response.content_type == "application/json"
    assert response.json() == {"classes": [0, 2]}


def test_the_invocation_timeout_answers_model_error(limited_server: ModelportServer, endpoint: str) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(limited_server, endpoint, {"sleep": 4, "rows": [[5.1, 3.3, 1.7, 0.5]]})
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == 0
    assert (
        "Your invocation timed out while waiting for a response from container primary"
        in error["Error"]["Message"]
    )


def test_a_full_instance_throttles_instead_of_queueing(
    limited_server: ModelportServer, endpoint: str
) -> None:
    wait_in_service(limited_server.client("sagemaker"), endpoint)
    _wait_until_answering(limited_server, endpoint)
    slow_client = limited_server.client("sagemaker-runtime")
    fast_client = limited_server.client("sagemaker-runtime")
    started = threading.Event()

    def hold_the_slot() -> None:
        started.set()
        slow_client.invoke_endpoint(
            EndpointName=endpoint,
            ContentType="application/json",
            Body=json.dumps({"print": "holding-the-slot|", "sleep": 1.9, "rows": [[5, 3, 1, 0]]}),
        )

    log_path = limited_server.data_dir / "logs" / endpoint / "AllTraffic-0.log"
    slow = threading.Thread(target=hold_the_slot)
    slow.start()
    try:
        started.wait()
        # The user code prints before it sleeps: from then on the slow request holds the
        # instance's only slot, for 1.9 s (the timeout is 2 s).
        wait_until(lambda: "holding-the-slot|" in log_path.read_text(), "the slow request never started")
        with pytest.raises(ClientError) as caught:
            fast_client.invoke_endpoint(
                EndpointName=endpoint,
                ContentType="application/json",
                Body=json.dumps({"rows": [[5.1, 3.3, 1.7, 0.5]]}),
            )
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        slow.join()
    assert invoke(limited_server, endpoint, {"rows": [[5.1, 3.3, 1.7, 0.5]]}).json() == {"classes": [0]}


def test_a_worker_dying_with_the_request_answers_an_error(
    limited_server: ModelportServer, endpoint: str
) -> None:
    _wait_until_answering(limited_server, endpoint)
    with pytest.raises(ClientError) as caught:
        invoke(limited_server, endpoint, {"die": True, "rows": [[5.1, 3.3, 1.7, 0.5]]})
    error = caught.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert "could not load the entire response body" in error["Error"]["Message"]
    # The endpoint stays InService and a replacement instance takes over.
    sagemaker = limited_server.client("sagemaker")
    assert sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"
    _wait_until_answering(limited_server, endpoint)


def test_an_instance_log_stays_under_its_cap(limited_server: ModelportServer, endpoint: str) -> None:
    _wait_until_answering(limited_server, endpoint)
    log_path = limited_server.data_dir / "logs" / endpoint / "AllTraffic-0.log"
    for line in range(40):  # 40 lines of 10 kB: six times the cap
        invoke(limited_server, endpoint, {"print": f"{line:09d}\n"[:10], "rows": [[5.1, 3.3, 1.7, 0.5]]})
    invoke(limited_server, endpoint, {"print": "last-line|", "rows": [[5.1, 3.3, 1.7, 0.5]]})
    deadline = time.monotonic() + 10.0
    while log_path.stat().st_size > LOG_LIMIT:
        assert time.monotonic() < deadline, f"log still {log_path.stat().st_size} bytes"
        time.sleep(0.2)
    text = log_path.read_text()
    assert "[modelport] log shortened: the oldest " in text
    assert "last-line|" * 1000 in text  # the newest output is kept
    assert "000000000\n" not in text  # the oldest is gone
    assert invoke(limited_server, endpoint, {"rows": [[5.1, 3.3, 1.7, 0.5]]}).json() == {"classes": [0]}


def _wait_until_answering(server: ModelportServer, endpoint: str, timeout_s: float = 30.0) -> None:
    """After a timeout or crash the instance may still be busy or restarting; wait for a good answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            invoke(server, endpoint, {"rows": [[5.1, 3.3, 1.7, 0.5]]})
            return
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
