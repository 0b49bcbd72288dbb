"""CloudWatch Logs as a boto3 user meets it: a function's logs after an Invoke, the seed's
clean-up (``delete_log_group``), an endpoint's log group after a deploy, and IAM on ``logs:*``."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer, client, deploy, wait_in_service

pytestmark = pytest.mark.e2e

FUNCTION = "logs-printer"
HANDLER = "def handler(event, context):\n    print('handling', event['n'])\n    return event['n']\n"
STREAM = re.compile(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}")


def trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("printer.py", HANDLER)
    return buffer.getvalue()


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_a_function_writes_its_log_group_and_the_cleanup_deletes_it(server: ModelportServer) -> None:
    iam, functions, logs = server.client("iam"), server.client("lambda"), server.client("logs")
    role = iam.create_role(
        RoleName="logs-printer-role", AssumeRolePolicyDocument=trust("lambda.amazonaws.com")
    )
    functions.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="printer.handler",
        Code={"ZipFile": code()},
    )
    answer = functions.invoke(FunctionName=FUNCTION, Payload=json.dumps({"n": 7}).encode())
    assert answer["Payload"].read() == b"7"

    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
    group = f"/aws/lambda/{FUNCTION}"
    assert group in [g["logGroupName"] for g in groups]
    reports = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert len(reports) == 1 and reports[0]["message"].startswith("REPORT RequestId: ")
    assert STREAM.fullmatch(reports[0]["logStreamName"])
    printed = logs.filter_log_events(logGroupName=group, filterPattern='"handling 7"')["events"]
    assert len(printed) == 1
    events = logs.get_log_events(logGroupName=group, logStreamName=reports[0]["logStreamName"])["events"]
    assert [e["message"].split(" ")[0] for e in events][-3:] == ["handling", "END", "REPORT"]

    logs.delete_log_group(logGroupName=group)
    assert error_code(lambda: logs.describe_log_streams(logGroupName=group)) == "ResourceNotFoundException"
    assert error_code(lambda: logs.create_log_group(logGroupName="/bad name")) == "InvalidParameterException"
    functions.delete_function(FunctionName=FUNCTION)
    iam.delete_role(RoleName="logs-printer-role")


def test_an_endpoint_has_a_log_group_once_deployed(server: ModelportServer, model_archive: Path) -> None:
    sagemaker, logs = server.client("sagemaker"), server.client("logs")
    deploy(sagemaker, "logs-endpoint", str(model_archive))
    wait_in_service(sagemaker, "logs-endpoint")
    group = "/aws/sagemaker/Endpoints/logs-endpoint"
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [
        group
    ]
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"].split("/")[0] for s in streams] == ["AllTraffic"]
    sagemaker.delete_endpoint(EndpointName="logs-endpoint")


def test_iam_policies_govern_logs_calls(server: ModelportServer) -> None:
    iam, logs = server.client("iam"), server.client("logs")
    logs.create_log_group(logGroupName="/app/audited")
    iam.create_user(UserName="log-reader")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:Describe*", "logs:FilterLogEvents"], "Resource": "*"}
        ],
    }
    iam.put_user_policy(UserName="log-reader", PolicyName="read-logs", PolicyDocument=json.dumps(policy))
    keys = iam.create_access_key(UserName="log-reader")["AccessKey"]
    reader = client(server, "logs", credentials=keys)
    assert "/app/audited" in [g["logGroupName"] for g in reader.describe_log_groups()["logGroups"]]
    assert reader.filter_log_events(logGroupName="/app/audited")["events"] == []
    assert error_code(lambda: reader.delete_log_group(logGroupName="/app/audited")) == "AccessDeniedException"
    iam.create_user(UserName="log-stranger")
    stranger = client(server, "logs", credentials=iam.create_access_key(UserName="log-stranger")["AccessKey"])
    assert error_code(lambda: stranger.describe_log_groups()) == "AccessDeniedException"
    logs.delete_log_group(logGroupName="/app/audited")
