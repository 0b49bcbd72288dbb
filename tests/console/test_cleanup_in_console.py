"""The seed's clean-up list done through the console pages only (plain HTTP, root session), then
checked with boto3: nothing is left.

The seed's resources are made with boto3 first — a notebook instance, the iris endpoint with its
configuration and model, a Lambda function (invoked once, so it has its log group), the
endpoint's log group, the function's role with the seed's inline policy, a customer managed
policy attached to it, and a REST API with the ``irisprediction`` resource — then each is
deleted with the form the console's pages post, in the seed's order.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from support.console_http import ConsoleClients, csrf
from support.modelport_server import ModelportServer, deploy
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

NAME = "cleanup-iris"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "%s.amazonaws.com"}}]}  # fmt: skip
INVOKE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}  # fmt: skip
LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}  # fmt: skip


def _trust(service: str) -> str:
    return json.dumps(TRUST) % service


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


def _post(client: httpx.Client, path: str, done: str, **data: str) -> None:
    """POST a console form as its page does and check the page it lands on says ``done``."""
    answer = client.post(path, data={"csrf_token": csrf(client), **data}, follow_redirects=True)
    assert 'class="flash error"' not in answer.text, answer.text
    assert done in answer.text, path


def test_the_seeds_clean_up_list_in_the_console_leaves_nothing(
    console_http: ConsoleClients, server: ModelportServer, model_archive: Path
) -> None:
    iam, sagemaker = server.client("iam"), server.client("sagemaker")
    functions, apis, logs = server.client("lambda"), server.client("apigateway"), server.client("logs")

    notebook_role = iam.create_role(RoleName=f"{NAME}-notebook", AssumeRolePolicyDocument=_trust("sagemaker"))
    role = iam.create_role(RoleName=f"{NAME}-lambda", AssumeRolePolicyDocument=_trust("lambda"))
    iam.put_role_policy(
        RoleName=f"{NAME}-lambda", PolicyName="invoke-endpoint", PolicyDocument=json.dumps(INVOKE)
    )
    policy_arn = iam.create_policy(PolicyName=f"{NAME}-logs", PolicyDocument=json.dumps(LOGS))["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=f"{NAME}-lambda", PolicyArn=policy_arn)
    sagemaker.create_notebook_instance(
        NotebookInstanceName=NAME, InstanceType="ml.t3.medium", RoleArn=notebook_role["Role"]["Arn"]
    )
    deploy(sagemaker, NAME, str(model_archive))
    server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=NAME, ContentType="text/csv", Body=b"5.1,3.3,1.7,0.5"
    )
    functions.create_function(
        FunctionName=NAME,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": _zip("def lambda_handler(event, context):\n    print(event)\n    return event\n")},
        Environment={"Variables": {"ENDPOINT_NAME": NAME}},
    )
    functions.invoke(FunctionName=NAME, Payload=b'{"data": "5.1,3.3,1.7,0.5"}')
    api_id = apis.create_rest_api(name=NAME)["id"]
    root = apis.get_resources(restApiId=api_id)["items"][0]["id"]
    apis.create_resource(restApiId=api_id, parentId=root, pathPart="irisprediction")
    groups = [f"/aws/lambda/{NAME}", f"/aws/sagemaker/Endpoints/{NAME}", "/aws/sagemaker/NotebookInstances"]
    wait_until(
        lambda: all(logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"] for g in groups),
        "the seed's log groups never appeared",
        timeout_s=60,
    )
    wait_until(
        lambda: (
            sagemaker.describe_notebook_instance(NotebookInstanceName=NAME)["NotebookInstanceStatus"]
            == "InService"
        ),
        "the notebook instance never came up",
        timeout_s=60,
    )

    client = console_http.root(server)
    # 1. SageMaker: notebook instance (stopped first, as the console requires), endpoint,
    #    endpoint configuration, model.
    _post(client, f"/sagemaker/notebook-instances/{NAME}/stop", f"Notebook instance {NAME} stopping.")
    wait_until(
        lambda: (
            f"{NAME}" in client.get("/sagemaker/notebook-instances").text
            and sagemaker.describe_notebook_instance(NotebookInstanceName=NAME)["NotebookInstanceStatus"]
            == "Stopped"
        ),
        "the notebook instance never stopped",
        timeout_s=60,
    )
    _post(client, f"/sagemaker/notebook-instances/{NAME}/delete", f"Notebook instance {NAME} deleted.")
    _post(client, f"/sagemaker/endpoints/{NAME}/delete", f"Endpoint {NAME} deleted.")
    wait_until(
        lambda: NAME not in client.get("/sagemaker/endpoints").text, "the endpoint never went", timeout_s=60
    )
    _post(client, f"/sagemaker/endpoint-configs/{NAME}/delete", "deleted")
    _post(client, f"/sagemaker/models/{NAME}/delete", "deleted")
    # 2. Lambda: the function.
    _post(client, f"/lambda/functions/{NAME}/delete", "deleted")
    # 3. CloudWatch → Log groups: every group found there.
    for group in groups:
        _post(client, "/cloudwatch/log-groups/delete", "deleted", group=group)
    # 4. IAM: the roles (their inline policy and attachment go with them) and the policy.
    _post(client, f"/iam/roles/{NAME}-lambda/delete", "deleted")
    _post(client, f"/iam/roles/{NAME}-notebook/delete", "deleted")
    _post(client, "/iam/policies/delete", "deleted", arn=policy_arn)
    # 5. API Gateway: the REST API.
    _post(client, f"/apigateway/apis/{api_id}/delete", "deleted")

    assert not [
        n
        for n in sagemaker.list_notebook_instances()["NotebookInstances"]
        if n["NotebookInstanceName"] == NAME
    ]
    assert not sagemaker.list_endpoints(NameContains=NAME)["Endpoints"]
    assert not sagemaker.list_endpoint_configs(NameContains=NAME)["EndpointConfigs"]
    assert not sagemaker.list_models(NameContains=NAME)["Models"]
    assert NAME not in [f["FunctionName"] for f in functions.list_functions()["Functions"]]
    for group in groups:
        assert not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"], group
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(NAME)]
    assert not [p for p in iam.list_policies(Scope="Local")["Policies"] if p["Arn"] == policy_arn]
    assert api_id not in [a["id"] for a in apis.get_rest_apis()["items"]]
