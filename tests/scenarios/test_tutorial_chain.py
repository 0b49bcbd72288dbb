"""The tutorial's whole chain on one server: client → REST API → Lambda → endpoint → "Setosa".

The console steps are scripted with boto3 (``iam``, ``lambda``, ``apigateway``) through
``modelport.demo_chain`` — the same code the main job runs — and the client is a plain HTTP
POST with the tutorial's body, unsigned, as Postman sends it.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import httpx
import pytest

from modelport import demo_chain
from support.modelport_server import ModelportServer, deploy, wait_in_service

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chain(server: ModelportServer, model_archive: Path) -> str:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "iris-chain", str(model_archive))
    wait_in_service(sagemaker, "iris-chain")
    session = boto3.Session(
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key, region_name="us-east-1"
    )
    return demo_chain.build_chain(session, server.url, "iris-chain")


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


def test_the_function_is_a_plain_lambda_handler(server: ModelportServer, chain: str) -> None:
    functions = server.client("lambda")
    result = functions.invoke(
        FunctionName=demo_chain.FUNCTION, Payload=json.dumps({"data": "5.1,3.3,1.7,0.5"}), LogType="Tail"
    )
    assert result["StatusCode"] == 200
    assert json.loads(result["Payload"].read()) == "Setosa"
    import base64

    log = base64.b64decode(result["LogResult"]).decode()
    assert "START RequestId:" in log and "REPORT RequestId:" in log


def test_a_handler_error_comes_back_in_lambdas_shape(server: ModelportServer, chain: str) -> None:
    result = server.client("lambda").invoke(
        FunctionName=demo_chain.FUNCTION, Payload=json.dumps({"nodata": 1})
    )
    assert result["FunctionError"] == "Unhandled"
    error = json.loads(result["Payload"].read())
    assert error["errorType"] == "KeyError" and "stackTrace" in error
