"""The main job's second half: the tutorial's role → Lambda function → REST API → client chain.

Everything goes through boto3 (``iam``, ``lambda``, ``apigateway``) exactly as the tutorial's
console steps would, then a plain HTTP client POSTs the tutorial's body to the invoke URL. That
includes what the console does silently: the 200 method and integration responses, and the
function's resource policy letting API Gateway invoke it (``AddPermission``).
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from typing import Any

import httpx

ROLE = "iris-demo-lambda-role"
FUNCTION = "iris-demo-function"
API = "iris-demo-api"

# The tutorial's policy document, as pasted into the IAM console.
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}
    ],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}

# A handler with the tutorial's behaviour, written for this project: it reads the endpoint name
# from the environment, calls the endpoint with boto3, and names the most likely class. (The
# XGBoost 1.7-1 container answers text/csv, so the scores are split on commas.)
HANDLER = """\
import os

import boto3

ENDPOINT_NAME = os.environ["ENDPOINT_NAME"]
runtime = boto3.client("runtime.sagemaker")


def lambda_handler(event, context):
    payload = event["data"]
    response = runtime.invoke_endpoint(EndpointName=ENDPOINT_NAME, ContentType="text/csv", Body=payload)
    result = response["Body"].read().decode()
    scores = [float(value) for value in result.strip().split(",")]
    classes = ["Setosa", "Versicolor", "Virginica"]
    return classes[scores.index(max(scores))]
"""


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    return buffer.getvalue()


def build_chain(session: Any, server_url: str, endpoint_name: str) -> str:
    """Create the role, function and REST API; return the stage's invoke URL for /irisprediction."""
    iam = session.client("iam", endpoint_url=server_url)
    functions = session.client("lambda", endpoint_url=server_url)
    apis = session.client("apigateway", endpoint_url=server_url)

    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="invoke-endpoints", PolicyDocument=json.dumps(POLICY))
    function_arn = functions.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role_arn,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": handler_zip()},
        Environment={"Variables": {"ENDPOINT_NAME": endpoint_name}},
        Timeout=30,
    )["FunctionArn"]

    api_id = apis.create_rest_api(name=API)["id"]
    root_id = next(r["id"] for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource_id = apis.create_resource(restApiId=api_id, parentId=root_id, pathPart="irisprediction")["id"]
    apis.put_method(restApiId=api_id, resourceId=resource_id, httpMethod="POST", authorizationType="NONE")
    region = session.region_name
    apis.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="POST",
        type="AWS",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    apis.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="POST", statusCode="200")
    apis.put_integration_response(
        restApiId=api_id, resourceId=resource_id, httpMethod="POST", statusCode="200"
    )
    # What the console adds when it saves a Lambda integration: API Gateway, calling from any
    # stage of this API's POST /irisprediction, may invoke the function.
    account = function_arn.split(":")[4]
    functions.add_permission(
        FunctionName=FUNCTION,
        StatementId=f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/POST/irisprediction",
    )
    apis.create_deployment(restApiId=api_id, stageName="test")
    return f"{server_url}/restapis/{api_id}/test/_user_request_/irisprediction"


def ask(invoke_url: str, features: str) -> httpx.Response:
    """What Postman does in the tutorial: POST {"data": "..."} to the invoke URL, unsigned."""
    return httpx.post(invoke_url, json={"data": features}, timeout=60)


def tear_down(session: Any, server_url: str) -> None:
    iam = session.client("iam", endpoint_url=server_url)
    functions = session.client("lambda", endpoint_url=server_url)
    apis = session.client("apigateway", endpoint_url=server_url)
    for api in apis.get_rest_apis()["items"]:
        if api["name"] == API:
            apis.delete_rest_api(restApiId=api["id"])
    functions.delete_function(FunctionName=FUNCTION)
    delete_log_group(session, server_url, f"/aws/lambda/{FUNCTION}")
    iam.delete_role_policy(RoleName=ROLE, PolicyName="invoke-endpoints")
    iam.delete_role(RoleName=ROLE)


def delete_log_group(session: Any, server_url: str, name: str) -> None:
    """The tutorial's clean-up step 3: CloudWatch → Log groups → delete (none written: nothing to do)."""
    logs = session.client("logs", endpoint_url=server_url)
    with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_group(logGroupName=name)
