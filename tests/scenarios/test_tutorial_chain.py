"""The tutorial's whole chain on one server: client → REST API → Lambda → endpoint → "Setosa".

The console steps are scripted with boto3 (``iam``, ``lambda``, ``apigateway``) through
``modelport.demo_chain`` — the same code the main job runs — and the client is a plain HTTP
POST with the tutorial's body, unsigned, as Postman sends it. The tutorial's own handler, as
printed (it parses the 0.90-1 container's answer with ``json.loads``), runs the same chain in
front of an endpoint on the 0.90-1 image.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import httpx
import joblib
import pytest
from botocore.exceptions import ClientError

from modelport import demo_chain, seed
from support.modelport_server import ModelportServer, deploy, wait_in_service
from support.seed_handler import SEED_HANDLER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chain(server: ModelportServer, model_archive: Path) -> str:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "iris-chain", str(model_archive))
    wait_in_service(sagemaker, "iris-chain")
    return demo_chain.build_chain(server.session(), server.url, "iris-chain")


def test_postman_gets_setosa(chain: str) -> None:
    response = demo_chain.ask(chain, "5.1,3.3,1.7,0.5")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'"Setosa"'


def test_other_rows_get_their_classes(chain: str) -> None:
    answers = [demo_chain.ask(chain, row).json() for row in ("6.3,2.8,5.1,1.5", "5.6,3.0,4.1,1.3")]
    assert answers == ["Virginica", "Versicolor"]


def test_unknown_route_is_missing_authentication_token(chain: str) -> None:
    response = httpx.post(chain.replace("irisprediction", "nothing-here"), json={"data": "1,2,3,4"})
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-requestid"] and response.headers["x-amz-apigw-id"]  # on errors too


def test_a_body_that_is_not_json_gets_api_gateways_500_and_the_cause_is_logged(
    server: ModelportServer, chain: str
) -> None:
    """Lambda refuses a non-JSON payload, so API Gateway answers 500; the server log says why."""
    mark = server.log_mark()
    response = httpx.post(chain, content=b"5.1,3.3,1.7,0.5", headers={"Content-Type": "text/plain"})
    assert (response.status_code, response.json()) == (500, {"message": "Internal server error"})
    log = server.log(since=mark)
    assert "POST /irisprediction: Lambda refused the request body with InvalidRequestContentException" in log
    assert "Could not parse request body into json" in log


def test_the_function_is_a_plain_lambda_handler(server: ModelportServer, chain: str) -> None:
    functions = server.client("lambda")
    result = functions.invoke(
        FunctionName=demo_chain.FUNCTION, Payload=json.dumps({"data": "5.1,3.3,1.7,0.5"}), LogType="Tail"
    )
    assert result["StatusCode"] == 200
    assert json.loads(result["Payload"].read()) == "Setosa"
    log = base64.b64decode(result["LogResult"]).decode()
    assert "START RequestId:" in log and "REPORT RequestId:" in log


def test_a_handler_error_comes_back_in_lambdas_shape(server: ModelportServer, chain: str) -> None:
    result = server.client("lambda").invoke(
        FunctionName=demo_chain.FUNCTION, Payload=json.dumps({"nodata": 1})
    )
    assert result["FunctionError"] == "Unhandled"
    error = json.loads(result["Payload"].read())
    assert error["errorType"] == "KeyError" and "stackTrace" in error


PROXY_HANDLER = """\
import json


def handler(event, context):
    body = json.loads(event["body"])
    return {
        "statusCode": 201,
        "headers": {
            "X-Route": event["resource"],
            "X-Ids": event["requestContext"]["requestId"] + " " + event["requestContext"]["extendedRequestId"],
        },
        "body": json.dumps({"echo": body["data"], "method": event["httpMethod"], "id": event["pathParameters"]["id"]}),
    }
"""


def _api_with(server: ModelportServer, name: str, path_part: str, integration: dict[str, str]) -> str:
    """The console's steps for POST /items/<path_part> (without the permission or role it adds)."""
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name=name)["id"]
    root = next(r["id"] for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    parent = apis.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    resource = apis.create_resource(restApiId=api_id, parentId=parent, pathPart=path_part)["id"]
    apis.put_method(restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
    apis.put_integration(
        restApiId=api_id, resourceId=resource, httpMethod="POST", integrationHttpMethod="POST", **integration
    )
    apis.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200")
    apis.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200")
    apis.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def test_a_proxy_integration_passes_the_whole_request(server: ModelportServer, chain: str) -> None:
    role_arn = server.client("iam").get_role(RoleName=demo_chain.ROLE)["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("proxy.py", PROXY_HANDLER)
    function_arn = server.client("lambda").create_function(
        FunctionName="proxy-echo",
        Runtime="python3.11",
        Role=role_arn,
        Handler="proxy.handler",
        Code={"ZipFile": buffer.getvalue()},
    )["FunctionArn"]
    # CreateFunction answers State Pending, as Lambda does; careful boto3 code waits for Active.
    server.client("lambda").get_waiter("function_active_v2").wait(
        FunctionName="proxy-echo", WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    api_id = _api_with(server, "proxy-api", "{id}", {"type": "AWS_PROXY", "uri": uri})
    # What the console adds for a Lambda integration: API Gateway may invoke the function.
    server.client("lambda").add_permission(
        FunctionName="proxy-echo",
        StatementId="apigateway-proxy-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/items/*",
    )
    port = server.url.rsplit(":", 1)[1]
    # The host-based invoke URL form.
    response = httpx.post(
        f"http://127.0.0.1:{port}/prod/items/42",
        json={"data": "hello"},
        headers={"Host": f"{api_id}.execute-api.localhost:{port}"},
    )
    assert response.status_code == 201
    assert response.headers["x-route"] == "/items/{id}"
    # API Gateway's ids on the answer are the ones the function's event carried.
    ids = f"{response.headers['x-amzn-requestid']} {response.headers['x-amz-apigw-id']}"
    assert response.headers["x-ids"] == ids
    assert re.fullmatch(r"[0-9a-f-]{36} [A-Za-z0-9+/]{15}=", ids), ids
    assert response.json() == {"echo": "hello", "method": "POST", "id": "42"}


def test_a_direct_endpoint_integration_returns_the_containers_answer(
    server: ModelportServer, chain: str
) -> None:
    # An AWS service integration acts as a role (the console asks for one): it must trust API
    # Gateway and may invoke the endpoint.
    iam = server.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName="apigw-sagemaker", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName="apigw-sagemaker", PolicyName="invoke", PolicyDocument=json.dumps(demo_chain.POLICY)
    )
    uri = "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/iris-chain/invocations"
    api_id = _api_with(server, "direct-api", "predict", {"type": "AWS", "uri": uri, "credentials": role_arn})
    response = httpx.post(
        f"{server.url}/restapis/{api_id}/prod/_user_request_/items/predict",
        content=b"5.1,3.3,1.7,0.5",
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 200
    scores = [float(v) for v in response.text.strip().split(",")]
    assert scores.index(max(scores)) == 0  # Setosa


def _pickled_archive(model: Any, folder: Path) -> Path:
    """The 2021 notebook's artifact: the pickled model tarred on its own."""
    joblib.dump(model, folder / "xgboost-model")
    archive = folder / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder / "xgboost-model", arcname="xgboost-model")
    return archive


def test_the_tutorials_own_handler_answers_setosa_through_the_api(
    server: ModelportServer, chain: str, iris_model: Any, tmp_path: Path
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "iris-0-90", str(_pickled_archive(iris_model, tmp_path)), image=seed.XGBOOST_IMAGE_2021)
    wait_in_service(sagemaker, "iris-0-90")

    # Step 6: the function, Python 3.8, the tutorial's role, ENDPOINT_NAME set in Configuration.
    functions = server.client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", SEED_HANDLER)
    function_arn = functions.create_function(
        FunctionName="tutorial-handler",
        Runtime="python3.8",
        Role=server.client("iam").get_role(RoleName=demo_chain.ROLE)["Role"]["Arn"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"ENDPOINT_NAME": "iris-0-90"}},
        Timeout=30,
    )["FunctionArn"]
    functions.get_waiter("function_active_v2").wait(
        FunctionName="tutorial-handler", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )

    # Step 7: a REST API, POST /irisprediction with a Lambda (non-proxy) integration, deployed.
    apis = server.client("apigateway")
    api_id = apis.create_rest_api(name="tutorial-api")["id"]
    root = next(r["id"] for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apis.create_resource(restApiId=api_id, parentId=root, pathPart="irisprediction")["id"]
    apis.put_method(restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
    apis.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apis.put_method_response(restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200")
    apis.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod="POST", statusCode="200")
    functions.add_permission(
        FunctionName="tutorial-handler",
        StatementId="apigateway-tutorial-api",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/irisprediction",
    )
    apis.create_deployment(restApiId=api_id, stageName="test")

    # Step 8: Postman.
    response = httpx.post(
        f"{server.url}/restapis/{api_id}/test/_user_request_/irisprediction",
        json={"data": "5.1,3.3,1.7,0.5"},
        timeout=60,
    )
    assert (response.status_code, response.content) == (200, b'"Setosa"')
    invoked = functions.invoke(
        FunctionName="tutorial-handler", Payload=json.dumps({"data": "6.3,2.8,5.1,1.5"}), LogType="Tail"
    )
    assert json.loads(invoked["Payload"].read()) == "Virginica"
    assert (
        'Received event: {\n  "data": "6.3,2.8,5.1,1.5"\n}' in base64.b64decode(invoked["LogResult"]).decode()
    )


def test_the_consoles_test_tab_call_answers_setosa(server: ModelportServer, chain: str) -> None:
    """TestInvokeMethod, what API Gateway's console sends for its Test tab: the method as edited,
    on the stage ``test-invoke-stage``, which the tutorial's Lambda permission (``*`` for the
    stage) lets through."""
    apis = server.client("apigateway")
    api_id = next(api["id"] for api in apis.get_rest_apis()["items"] if api["name"] == demo_chain.API)
    resource = next(
        r for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/irisprediction"
    )
    tried = apis.test_invoke_method(
        restApiId=api_id,
        resourceId=resource["id"],
        httpMethod="POST",
        pathWithQueryString="/irisprediction",
        body=json.dumps({"data": "5.1,3.3,1.7,0.5"}),
    )
    assert (tried["status"], tried["body"]) == (200, '"Setosa"')
    assert tried["headers"]["Content-Type"] == "application/json"
    assert "Method completed with status: 200" in tried["log"]
    assert tried["latency"] >= 0
    with pytest.raises(ClientError) as elsewhere:
        apis.test_invoke_method(
            restApiId=api_id, resourceId=resource["id"], httpMethod="POST", pathWithQueryString="/other"
        )
    assert elsewhere.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as no_method:
        apis.test_invoke_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET")
    assert no_method.value.response["Error"]["Code"] == "NotFoundException"
