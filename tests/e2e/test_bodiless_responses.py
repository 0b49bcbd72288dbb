"""A 204 or 304 carries no body: every served operation that answers one, and the gateway's own.

Before, ``DeleteFunction`` sent the serializer's ``{}`` after a 204 status line: the client got
its answer, and the server log a traceback (``Response content longer than Content-Length``).
Each case here checks the body the client received is empty and that the server logged no
traceback for it. The list of cases is checked against botocore's models, so a newly served
operation that answers 204 or 304 needs a case here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

import botocore.session
import httpx
import pytest

from e2e.services import ECHO, ensure_function_role, function_params
from e2e.wire import REGION, Keys
from modelport.bootstrap import Platform
from modelport.http.bindings import bindings
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e

COVERED = {
    ("lambda", "DeleteFunction"),  # StatusCode member: 204
    ("lambda", "Invoke"),  # 204 with DryRun
    ("lambda", "RemovePermission"),
    ("apigateway", "DeleteMethod"),
}
FUNCTION = "e2e-bodiless-fn"


def bodiless_operations() -> set[tuple[str, str]]:
    """Served operations whose model answers 204/304, or takes its status from an output member."""
    # The front door's table (it does not use the platform it is given), and the runtime's hot path.
    served = {name: set(binding.operations) for name, binding in bindings(cast(Platform, None)).items()}
    served["sagemaker-runtime"] = {"InvokeEndpoint"}
    session = botocore.session.get_session()
    found = set()
    for service, operations in served.items():
        model = session.get_service_model(service)
        for name in operations:
            operation = model.operation_model(name)
            output = operation.output_shape
            status_member = output is not None and any(
                shape.serialization.get("location") == "statusCode" for shape in output.members.values()
            )
            if operation.http.get("responseCode") in (204, 304) or status_member:
                found.add((service, name))
    return found


def test_every_served_204_or_304_operation_has_a_case() -> None:
    assert bodiless_operations() == COVERED


class Bodies:
    """The raw body of every response a client reads (botocore parses it away otherwise)."""

    def __init__(self, *clients: Any) -> None:
        self.last: bytes | None = None
        for one in clients:
            one.meta.events.register("after-call.*.*", self._keep)

    def _keep(self, http_response: Any, **_: Any) -> None:
        self.last = http_response.content


@pytest.fixture(scope="module")
def lam(server: ModelportServer) -> Any:
    ensure_function_role(client(server, "iam", validate=False))
    return client(server, "lambda", validate=False)


@pytest.fixture
def no_new_traceback(server: ModelportServer, lam: Any) -> Iterator[Callable[[], None]]:
    offset = len(server.log())

    def check() -> None:
        nonlocal offset
        # One more request: the failed write of the previous answer is logged before this one's.
        lam.list_functions(MaxItems=1)
        log = server.log()
        assert "Traceback" not in log[offset:], log[offset:]
        offset = len(log)

    yield check


def test_lambda_and_apigateway_204s_carry_no_body(
    server: ModelportServer, keys: Keys, lam: Any, no_new_traceback: Callable[[], None]
) -> None:
    apigw = client(server, "apigateway", validate=False)
    bodies = Bodies(lam, apigw)
    arn = lam.create_function(**function_params(FUNCTION, {"lambda_function.py": ECHO}))["FunctionArn"]

    answer = lam.invoke(FunctionName=FUNCTION, InvocationType="DryRun")
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], bodies.last) == (204, b"")
    no_new_traceback()

    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId="s1",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    answer = lam.remove_permission(FunctionName=FUNCTION, StatementId="s1")
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], bodies.last) == (204, b"")
    no_new_traceback()

    api_id = apigw.create_rest_api(name="e2e-bodiless")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    answer = apigw.delete_method(restApiId=api_id, resourceId=root, httpMethod="GET")
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], bodies.last) == (204, b"")
    no_new_traceback()
    apigw.delete_rest_api(restApiId=api_id)

    answer = lam.delete_function(FunctionName=arn)
    assert (answer["ResponseMetadata"]["HTTPStatusCode"], bodies.last) == (204, b"")
    no_new_traceback()


@pytest.mark.parametrize("status", [204, 304])
def test_a_stage_answering_204_or_304_sends_no_body(
    server: ModelportServer, lam: Any, no_new_traceback: Callable[[], None], status: int
) -> None:
    """An integration response mapped to 204 or 304: the function's output is not sent."""
    apigw = client(server, "apigateway", validate=False)
    name = f"{FUNCTION}-{status}"
    arn = lam.create_function(**function_params(name, {"lambda_function.py": ECHO}))["FunctionArn"]
    api_id = apigw.create_rest_api(name=name)["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    method = {"restApiId": api_id, "resourceId": root, "httpMethod": "POST"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(
        **method,
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations",
    )
    apigw.put_method_response(**method, statusCode=str(status))
    apigw.put_integration_response(**method, statusCode=str(status))
    lam.add_permission(
        FunctionName=name,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    apigw.create_deployment(restApiId=api_id, stageName="test")
    try:
        answer = httpx.post(
            f"{server.url}/restapis/{api_id}/test/_user_request_/", content=json.dumps({"a": 1}), timeout=60
        )
        assert (answer.status_code, answer.content) == (status, b"")
        assert "content-length" not in answer.headers
        no_new_traceback()
    finally:
        apigw.delete_rest_api(restApiId=api_id)
        lam.delete_function(FunctionName=name)
