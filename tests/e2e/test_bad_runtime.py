"""Bad InvokeEndpoint requests against the deployed seed iris model (XGBoost 1.7-1, 4 features).

Each case sends one raw signed request (so headers are exactly as written: no Content-Type unless
the case sets one, as boto3 does) and asserts the status, the AWS error code and a message that
says what to fix; for ``ModelError`` also the container's own status. Some cases are *not*
errors on SageMaker (empty body, no Content-Type, fewer CSV columns than features): those assert
the success the real container gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from e2e.conftest import GOOD_ROW, Deployed
from e2e.wire import ACCOUNT, Keys, error_of, invocation
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

ENDPOINT = "iris-ep"
SIX_MB = 6 * 1024 * 1024
LIBSVM_ROW = "1:5.1 2:3.5 3:1.4 4:0.2"


@dataclass(frozen=True)
class Case:
    id: str
    body: bytes | str
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 400
    code: str | None = "ValidationError"  # None: a success
    message: str = ""  # substring of the error message, or of the body on success
    original_status: int | None = None  # the container's status inside a ModelError
    endpoint: str = ENDPOINT


def csv(**headers: str) -> dict[str, str]:
    return {"Content-Type": "text/csv", **headers}


def model_error(id: str, body: str, headers: dict[str, str], original: int, message: str) -> Case:
    return Case(id, body, headers, 424, "ModelError", message, original)


UNSUPPORTED_TYPE = "is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv"

CASES = [
    Case(
        "payload-over-6mb", b"1" * (SIX_MB + 1), csv(), 413, message=f"larger than the {SIX_MB} bytes allowed"
    ),
    Case(
        "payload-6mb-of-rows",
        (GOOD_ROW + "\n") * (SIX_MB // len(GOOD_ROW)),
        csv(),
        413,
        # The hint names what exists here (the limit's setting), not batch transform (not served).
        message=f"larger than the {SIX_MB} bytes allowed. Send fewer rows per request: InvokeEndpoint takes "
        "at most 6 MB on AWS; the server's MODELPORT_MAX_PAYLOAD_BYTES setting sets the limit here.",
    ),
    Case("empty-body", b"", csv(), 200, None, ""),
    model_error(
        "json-content-type",
        '{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
        {"Content-Type": "application/json"},
        415,
        f"application/json {UNSUPPORTED_TYPE}",
    ),
    model_error(
        "text-plain-content-type",
        GOOD_ROW,
        {"Content-Type": "text/plain"},
        415,
        f"text/plain {UNSUPPORTED_TYPE}",
    ),
    model_error(
        "csv-letters",
        "a,b,c",
        csv(),
        415,
        "Loading csv data failed with Exception, please ensure data is in csv format",
    ),
    model_error(
        "csv-header-row",
        "sepal_length,sepal_width,petal_length,petal_width\n" + GOOD_ROW,
        csv(),
        415,
        "Loading csv data failed",
    ),
    Case("csv-two-features", "1,2", csv(), 200, None, "\n"),
    model_error(
        "csv-six-features",
        "1,2,3,4,5,6",
        csv(),
        400,
        "Number of columns does not match number of features in booster",
    ),
    model_error("csv-only-nul-bytes", "\x00" * 16, csv(), 415, "Loading csv data failed"),
    model_error("csv-ragged-rows", GOOD_ROW + "\n1,2,3,4,5,6", csv(), 415, "Loading csv data failed"),
    model_error("csv-label-size-2", GOOD_ROW, {"Content-Type": "text/csv;label_size=2"}, 415, "label_size"),
    model_error(
        "libsvm-garbage",
        "garbage",
        {"Content-Type": "text/libsvm"},
        415,
        "Loading libsvm data failed with Exception, please ensure data is in libsvm format",
    ),
    model_error(
        "libsvm-non-numeric", "1:x 2:3", {"Content-Type": "text/libsvm"}, 415, "Loading libsvm data failed"
    ),
    Case("no-content-type-is-libsvm", LIBSVM_ROW, {}, 200, None, ","),
    model_error("no-content-type-csv-body", "a,b,c,d", {}, 415, "Loading libsvm data failed"),
    model_error(
        "accept-png",
        GOOD_ROW,
        csv(Accept="image/png"),
        406,
        "Accept type image/png is not supported. Please use supported accept types: ",
    ),
    model_error(
        "accept-comma-list",
        GOOD_ROW,
        csv(Accept="text/csv, application/json"),
        406,
        "Accept type text/csv, application/json is not supported",
    ),
    Case(
        "unknown-endpoint",
        GOOD_ROW,
        csv(),
        message=f"Endpoint nope of account {ACCOUNT} not found.",
        endpoint="nope",
    ),
    Case(
        "unknown-endpoint-mixed-case",
        GOOD_ROW,
        csv(),
        message=f"Endpoint Nope-EP of account {ACCOUNT} not found.",
        endpoint="Nope-EP",
    ),
    Case(
        "target-variant-unknown",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Target-Variant": "nope"}),
        message="The variant nope does not exist for endpoint iris-ep. Its variants are: AllTraffic.",
    ),
    Case(
        "target-model-not-mme",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Target-Model": "model.tar.gz"}),
        message="Endpoint iris-ep is not a multi-model endpoint and does not support target model header.",
    ),
    Case(
        "target-container-not-direct",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Target-Container-Hostname": "c1"}),
        message="does not support the target container hostname header",
    ),
    Case(
        "endpoint-name-underscore",
        GOOD_ROW,
        csv(),
        message="failed to satisfy constraint: Member must satisfy regular expression pattern",
        endpoint="iris_ep",
    ),
    Case(
        "endpoint-name-64",
        GOOD_ROW,
        csv(),
        message="Member must have length less than or equal to 63",
        endpoint="a" * 64,
    ),
    Case(
        "custom-attributes-too-long",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Custom-Attributes": "a" * 1025}),
        message="Member must have length less than or equal to 1024",
    ),
    Case(
        "inference-id-too-long",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Inference-Id": "i" * 65}),
        message="Member must have length less than or equal to 64",
    ),
    Case(
        "target-variant-too-long",
        GOOD_ROW,
        csv(**{"X-Amzn-SageMaker-Target-Variant": "v" * 64}),
        message="Member must have length less than or equal to 63",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_invocation(
    case: Case, server: ModelportServer, keys: Keys, iris: Deployed, healthy: Callable[[], None]
) -> None:
    response = invocation(server.url, keys, case.endpoint, case.body, case.headers)
    if case.code is None:
        assert response.status_code == case.status, response.text
        assert case.message in response.text
        assert response.headers["x-Amzn-Invoked-Production-Variant"] == "AllTraffic"
    else:
        code, message = error_of(response)
        assert (code, response.status_code) == (case.code, case.status), message
        assert case.message in message
        assert response.headers["x-amzn-RequestId"]
        if case.original_status is not None:
            data = response.json()
            assert data["OriginalStatusCode"] == case.original_status
            assert data["ErrorCode"] == "CLIENT_ERROR_FROM_MODEL"
            assert case.message in data["OriginalMessage"]
            assert message.startswith(
                f"Received client error ({case.original_status}) from primary with message"
            )
            assert data["LogStreamArn"].endswith(f"log-group:/aws/sagemaker/Endpoints/{case.endpoint}")
    healthy()


def test_csv_two_features_predicts_like_the_container(runtime: object, iris: Deployed) -> None:
    """XGBoost 1.7 checks only ``num_feature >= columns``: two columns predict with the rest missing."""
    answer = runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="text/csv", Body="1,2")  # type: ignore[attr-defined]
    rows = answer["Body"].read().decode().splitlines()
    assert len(rows) == 1 and len(rows[0].split(",")) == 3


def test_a_model_error_points_at_the_logs_command_and_the_consoles_log_page(
    server: ModelportServer, keys: Keys, iris: Deployed
) -> None:
    """AWS's sentence, with the CloudWatch console (a dead end here) replaced by the console's
    log page of the endpoint's group, and ``modelport logs``."""
    code, message = error_of(invocation(server.url, keys, ENDPOINT, "a,b,c", csv()))
    assert code == "ModelError"
    page = f"{server.url}/console/cloudwatch/log-groups/view?group=/aws/sagemaker/Endpoints/{ENDPOINT}"
    assert message.endswith(
        f'. See {page} or "modelport logs {ENDPOINT}" in account {ACCOUNT} for more information.'
    )
    # The link is a console page: without a session it asks for a sign-in that comes back to it.
    answer = httpx.get(page, headers={"Accept": "text/html"})
    assert answer.status_code == 303
    assert "/console/signin?next=" in answer.headers["location"]
    assert "log-groups%2Fview" in answer.headers["location"]
