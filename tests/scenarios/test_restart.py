"""Restarts lose nothing: kill -9 the server mid-create, mid-update and mid-serve, start it again.

Every acknowledged create, update and delete must survive; InService endpoints come back by
themselves, and invocations sent while their instances start again wait for them instead of
being turned away; an endpoint caught Creating is finished, one caught Updating resumes its
update (the old fleet first, then the schedule from the step it had reached); no worker outlives
its server. IAM users and keys, Lambda functions and REST APIs go through the same: several of each,
kill -9 right after the last acknowledged call, and after the restart all exist as they were and
work.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from modelport import seed
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, client, deploy, invoke, wait_in_service, wait_status
from support.processes import children_of, wait_gone

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(private_server: ModelportServer) -> ModelportServer:
    """Every test here kills its server: each has one of its own."""
    return private_server


def kill_and_restart(server: ModelportServer) -> None:
    workers = children_of(server.pid)
    assert workers, "the server should have worker processes (spares at least)"
    server.kill()
    assert wait_gone(workers) == set(), "workers outlived their killed server"
    server.start()


def rows(server: ModelportServer, name: str) -> bytes:
    """The test points' answer; no retries: while instances start, invocations wait."""
    return invoke(server, name, seed.test_points_csv()).body


def wait_instances(sagemaker: Any, name: str, count: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        variants = sagemaker.describe_endpoint(EndpointName=name).get("ProductionVariants", [])
        if variants and variants[0]["CurrentInstanceCount"] == count:
            return
        assert time.monotonic() < deadline, f"{name} did not get {count} live instances back"
        time.sleep(0.1)


def test_kill_mid_serve_brings_the_endpoint_back(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "served", str(model_archive), instances=2)
    wait_in_service(sagemaker, "served")
    before = rows(server, "served")

    kill_and_restart(server)

    sagemaker = server.client("sagemaker")
    assert sagemaker.describe_endpoint(EndpointName="served")["EndpointStatus"] == "InService"
    # The store says InService at once; the instances are back when the live count says so.
    wait_instances(sagemaker, "served", 2)
    assert rows(server, "served") == before
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["served"]
    assert [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]] == [
        "served"
    ]
    variant = wait_in_service(sagemaker, "served")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 2


def test_invocations_right_after_a_restart_wait_for_the_fleets(
    server: ModelportServer, model_archive: Path
) -> None:
    names = [f"window-{n}" for n in range(9)]
    sagemaker = server.client("sagemaker")
    for name in names:
        deploy(sagemaker, name, str(model_archive))
    for name in names:
        wait_in_service(sagemaker, name)
    expected = rows(server, names[0])

    kill_and_restart(server)

    # No retries: the first answer of each endpoint must be its prediction.
    runtime = server.client("sagemaker-runtime", read_timeout=300)
    started = time.monotonic()

    def first_answer(name: str) -> tuple[bytes, float]:
        body = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=seed.test_points_csv())
        return body["Body"].read(), time.monotonic() - started

    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(first_answer, names))
    assert [body for body, _ in answers] == [expected] * len(names)
    seconds = sorted(elapsed for _, elapsed in answers)
    print(
        f"restart window: {len(answers)} of {len(names)} answered; first after {seconds[0]:.2f} s, last after {seconds[-1]:.2f} s"
    )


def test_kill_mid_create_finishes_the_create(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "creating", str(model_archive))
    kill_and_restart(server)  # the create was acknowledged; whatever the status, it must complete
    sagemaker = server.client("sagemaker")
    wait_in_service(sagemaker, "creating")
    assert rows(server, "creating").count(b"\n") == 5


def test_kill_mid_update_finishes_on_the_new_config(
    server: ModelportServer, model_archive: Path, iris_model: Any
) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "updating", str(model_archive))
    wait_in_service(sagemaker, "updating")
    sagemaker.create_endpoint_config(
        EndpointConfigName="updating-v2",
        ProductionVariants=[
            {
                "VariantName": "Blue",
                "ModelName": "updating",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sagemaker.update_endpoint(EndpointName="updating", EndpointConfigName="updating-v2")
    kill_and_restart(server)
    sagemaker = server.client("sagemaker")
    description = wait_status(sagemaker, "updating", {"InService", "Failed"})
    assert description["EndpointStatus"] == "InService"
    assert description["EndpointConfigName"] == "updating-v2"
    assert [v["VariantName"] for v in description["ProductionVariants"]] == ["Blue"]
    response = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="updating", ContentType="text/csv", Body="5.1,3.3,1.7,0.5"
    )
    assert response["InvokedProductionVariant"] == "Blue"


def test_kill_mid_canary_resumes_the_canary_then_finishes(servers: ServerPool, model_archive: Path) -> None:
    server = servers.start(env={"MODELPORT_SETTLE_TIMEOUT_S": "0"})  # UpdateEndpoint answers at once
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "resuming", str(model_archive))
    wait_in_service(sagemaker, "resuming")
    add_variant_config(sagemaker, "resuming-v2", "resuming", "Green", 2)
    canary = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1},
                "WaitIntervalInSeconds": 5,
            }
        }
    }
    sagemaker.update_endpoint(
        EndpointName="resuming", EndpointConfigName="resuming-v2", DeploymentConfig=canary
    )
    assert "Green" in variants_answering(server, "resuming", until={"Green"})  # the canary serves
    pending = sagemaker.describe_endpoint(EndpointName="resuming")["PendingDeploymentSummary"]
    assert pending["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "ActivatingTraffic"

    kill_and_restart(server)

    # The old fleet comes back first and serves, then the canary takes its share again and bakes
    # again: both fleets answer while the endpoint is still Updating.
    seen = variants_answering(server, "resuming", until={"AllTraffic", "Green"}, while_status="Updating")
    assert seen == {"AllTraffic", "Green"}
    described = wait_status(server.client("sagemaker"), "resuming", {"InService", "Failed"})
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", "resuming-v2")
    assert "FailureReason" not in described
    assert variants_answering(server, "resuming", until={"Green"}) == {"Green"}


def add_variant_config(sagemaker: Any, name: str, model: str, variant: str, count: int) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialInstanceCount": count,
                "InstanceType": "ml.m5.large",
            }
        ],
    )


def variants_answering(
    server: ModelportServer,
    name: str,
    *,
    until: set[str],
    while_status: str | None = None,
    timeout_s: float = 60,
) -> set[str]:
    """The variants that answer invocations (no retries) until all of ``until`` have; with
    ``while_status``, only answers given while the endpoint is in that status count."""
    runtime = server.client("sagemaker-runtime", read_timeout=300)
    sagemaker = server.client("sagemaker")
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while not until <= seen:
        assert time.monotonic() < deadline, f"only {sorted(seen)} answered"
        answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="5.1,3.3,1.7,0.5")
        status = sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if while_status is not None and status != while_status:
            break
        seen.add(answer["InvokedProductionVariant"])
    return seen


def test_acknowledged_deletes_stay_deleted(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "doomed", str(model_archive))
    wait_in_service(sagemaker, "doomed")
    sagemaker.delete_endpoint(EndpointName="doomed")
    sagemaker.delete_endpoint_config(EndpointConfigName="doomed")
    sagemaker.delete_model(ModelName="doomed")
    kill_and_restart(server)
    sagemaker = server.client("sagemaker")
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


def test_clean_shutdown_leaves_no_process(server: ModelportServer, model_archive: Path) -> None:
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "stopping", str(model_archive))
    wait_in_service(sagemaker, "stopping")
    workers = children_of(server.pid)
    assert server.process.stop() == 0
    assert wait_gone(workers, timeout_s=1.0) == set()
    server.start()  # the fixture's teardown stops it again


# -- IAM, Lambda and API Gateway: the same kill -9 right after the last acknowledged call ---------

ECHO_HANDLER = """\
import json
import os


def handler(event, context):
    echo = event.get("body") if "httpMethod" in event else event
    return {"statusCode": 200, "body": json.dumps({"label": os.environ["LABEL"], "echo": echo})}
"""
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
}
NAMES = ("one", "two", "three")
# What changes as a function is used rather than configured: compared separately, not as state.
_FUNCTION_VOLATILE = {
    "ResponseMetadata",
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
}


def _code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("echo.py", ECHO_HANDLER)
    return buffer.getvalue()


def _function_state(configuration: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in configuration.items() if k not in _FUNCTION_VOLATILE}


def _state(server: ModelportServer) -> dict[str, Any]:
    """What the IAM, Lambda and API Gateway APIs say about the users, functions and APIs, as one value."""
    iam, functions, apis = server.client("iam"), server.client("lambda"), server.client("apigateway")
    # IAM has no ListUsers here: the users are known by name; what each may do is asked as it.
    users = {
        f"user-{name}": sorted(
            (key["AccessKeyId"], key["Status"], key["CreateDate"])
            for key in iam.list_access_keys(UserName=f"user-{name}")["AccessKeyMetadata"]
        )
        for name in NAMES
    }
    lambdas = {}
    for listed in functions.list_functions()["Functions"]:
        name = listed["FunctionName"]
        lambdas[name] = {
            "configuration": _function_state(functions.get_function_configuration(FunctionName=name)),
            "policy": json.loads(functions.get_policy(FunctionName=name)["Policy"]),
        }
    rest_apis = {}
    for api in apis.get_rest_apis()["items"]:
        api_id = api["id"]
        resources = sorted(apis.get_resources(restApiId=api_id)["items"], key=lambda r: r["path"])
        integrations = {
            (resource["path"], method): {
                k: v
                for k, v in apis.get_integration(
                    restApiId=api_id, resourceId=resource["id"], httpMethod=method
                ).items()
                if k != "ResponseMetadata"
            }
            for resource in resources
            for method in resource.get("resourceMethods", {})
        }
        rest_apis[api["name"]] = {
            "api": api,
            "resources": resources,
            "integrations": integrations,
            "deployments": sorted(apis.get_deployments(restApiId=api_id)["items"], key=lambda d: d["id"]),
            "stages": sorted(apis.get_stages(restApiId=api_id)["item"], key=lambda s: s["stageName"]),
        }
    return {"users": users, "functions": lambdas, "apis": rest_apis}


def _echo_api(server: ModelportServer, name: str, function_arn: str) -> str:
    """A REST API with POST /echo proxied to the function, deployed to the stage "prod"."""
    apis = server.client("apigateway")
    api_id: str = apis.create_rest_api(name=f"api-{name}", description=f"the {name} API")["id"]
    root = next(r["id"] for r in apis.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    resource = apis.create_resource(restApiId=api_id, parentId=root, pathPart="echo")["id"]
    apis.put_method(restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
    apis.put_integration(
        restApiId=api_id,
        resourceId=resource,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
    )
    server.client("lambda").add_permission(
        FunctionName=f"fn-{name}",
        StatementId=f"apigateway-{api_id}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/echo",
    )
    apis.create_deployment(restApiId=api_id, stageName="prod", variables={"owner": name})
    return api_id


def _as(server: ModelportServer, service: str, key_id: str, secret: str) -> Any:
    return client(server, service, credentials={"AccessKeyId": key_id, "SecretAccessKey": secret})


def _can_read_not_write(server: ModelportServer, key_id: str, secret: str) -> bool:
    """The user's inline policy allows iam:List* and nothing that writes."""
    iam = _as(server, "iam", key_id, secret)
    iam.list_roles()
    with pytest.raises(ClientError) as caught:
        iam.create_role(RoleName="not-allowed", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    return bool(caught.value.response["Error"]["Code"] == "AccessDenied")


def test_kill_after_iam_lambda_and_api_changes_loses_none(server: ModelportServer) -> None:
    iam, functions, apis = server.client("iam"), server.client("lambda"), server.client("apigateway")
    role_arn = iam.create_role(RoleName="echo-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))[
        "Role"
    ]["Arn"]
    secrets: dict[str, str] = {}
    arns: dict[str, str] = {}
    for name in NAMES:
        iam.create_user(UserName=f"user-{name}", Path="/team/")
        iam.put_user_policy(UserName=f"user-{name}", PolicyName="read", PolicyDocument=json.dumps(READ_ONLY))
        key = iam.create_access_key(UserName=f"user-{name}")["AccessKey"]
        secrets[key["AccessKeyId"]] = key["SecretAccessKey"]
        arns[name] = functions.create_function(
            FunctionName=f"fn-{name}",
            Runtime="python3.12",
            Role=role_arn,
            Handler="echo.handler",
            Code={"ZipFile": _code_zip()},
            Environment={"Variables": {"LABEL": name}},
            Description=f"the {name} function",
            Timeout=7,
            MemorySize=256,
        )["FunctionArn"]
    for name in NAMES:
        functions.get_waiter("function_active_v2").wait(
            FunctionName=f"fn-{name}", WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
    api_ids = {name: _echo_api(server, name, arns[name]) for name in NAMES}
    # A change that is not a creation: a key deleted stays deleted.
    deleted = iam.create_access_key(UserName="user-two")["AccessKey"]
    iam.delete_access_key(UserName="user-two", AccessKeyId=deleted["AccessKeyId"])
    expected = _state(server)
    identities = {
        key_id: _as(server, "sts", key_id, secret).get_caller_identity()["Arn"]
        for key_id, secret in secrets.items()
    }
    assert sorted(identities.values()) == [
        f"arn:aws:iam::123456789012:user/team/user-{n}" for n in sorted(NAMES)
    ]
    assert all(_can_read_not_write(server, key_id, secret) for key_id, secret in secrets.items())

    # The last acknowledged calls, one per service, then kill -9 at once (no read in between).
    stage = apis.create_deployment(restApiId=api_ids["three"], stageName="beta", variables={"owner": "late"})
    changed = functions.update_function_configuration(
        FunctionName="fn-three", Environment={"Variables": {"LABEL": "three-v2"}}, Timeout=9
    )
    last_key = iam.create_access_key(UserName="user-three")["AccessKey"]
    kill_and_restart(server)

    expected["apis"]["api-three"]["deployments"] = sorted(
        [
            *expected["apis"]["api-three"]["deployments"],
            {k: v for k, v in stage.items() if k != "ResponseMetadata"},
        ],
        key=lambda d: d["id"],
    )
    expected["functions"]["fn-three"]["configuration"] = _function_state(changed)
    expected["users"]["user-three"] = sorted(
        [*expected["users"]["user-three"], (last_key["AccessKeyId"], "Active", last_key["CreateDate"])]
    )
    found = _state(server)
    beta = next(s for s in found["apis"]["api-three"]["stages"] if s["stageName"] == "beta")
    assert (beta["deploymentId"], beta["variables"]) == (stage["id"], {"owner": "late"})
    found["apis"]["api-three"]["stages"] = [s for s in found["apis"]["api-three"]["stages"] if s is not beta]
    assert found == expected

    # And everything still works: the keys authenticate (the deleted one does not), the
    # functions invoke with their configuration, the routes answer.
    secrets[last_key["AccessKeyId"]] = last_key["SecretAccessKey"]
    last_identity = "arn:aws:iam::123456789012:user/team/user-three"
    for key_id, secret in secrets.items():
        user = identities.get(key_id, last_identity)
        assert _as(server, "sts", key_id, secret).get_caller_identity()["Arn"] == user
        assert _can_read_not_write(server, key_id, secret)  # the user's policy is still there
    with pytest.raises(ClientError) as caught:
        _as(server, "sts", deleted["AccessKeyId"], deleted["SecretAccessKey"]).get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    functions = server.client("lambda")
    for name, label in (("one", "one"), ("two", "two"), ("three", "three-v2")):
        result = functions.invoke(FunctionName=f"fn-{name}", Payload=json.dumps({"n": name}))
        assert json.loads(json.loads(result["Payload"].read())["body"]) == {
            "label": label,
            "echo": {"n": name},
        }
        response = httpx.post(f"{server.url}/restapis/{api_ids[name]}/prod/_user_request_/echo", content=name)
        assert (response.status_code, response.json()) == (200, {"label": label, "echo": name})
    late = httpx.post(f"{server.url}/restapis/{api_ids['three']}/beta/_user_request_/echo", content="late")
    assert late.json() == {"label": "three-v2", "echo": "late"}
