"""The SageMaker and CloudWatch pages over plain HTTP against the shared server: what they list
and show, values holding ``<script>`` shown as text, the API's errors in the red box, a read-only
user refused every delete, log events paged newest last, the create forms.

The browser walks (deploy, test invoke, clean-up; a notebook instance) are in
``test_browser_sagemaker.py``.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from support.console_http import ConsoleClients, csrf
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sagemaker:Describe*", "sagemaker:List*", "logs:Describe*", "logs:Get*"],
                "Resource": "*",
            }
        ],
    }
)


@pytest.fixture(scope="module")
def made(server: ModelportServer) -> Iterator[dict[str, Any]]:
    """A model with a ``<script>`` environment value, its endpoint configuration, and a log group
    whose stream holds a ``<script>`` line and 150 numbered lines."""
    sagemaker, logs = server.client("sagemaker"), server.client("logs")
    sagemaker.create_model(
        ModelName="console-sm-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/test",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "ModelDataUrl": "s3://console-sm/model.tar.gz",
            "Environment": {"GREETING": SCRIPT},
        },
        Tags=[{"Key": "team", "Value": "console tests"}],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="console-sm-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "console-sm-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    group = "/console-sm/app"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/12/07/[$LATEST]abc")
    start = int(time.time() * 1000) - 200_000
    events = [{"timestamp": start, "message": SCRIPT}]
    events += [{"timestamp": start + 1000 * i, "message": f"line {i:03d}"} for i in range(1, 151)]
    logs.put_log_events(logGroupName=group, logStreamName="2026/12/07/[$LATEST]abc", logEvents=events)
    yield {"group": group, "stream": "2026/12/07/[$LATEST]abc"}
    for call in (
        lambda: sagemaker.delete_endpoint_config(EndpointConfigName="console-sm-config"),
        lambda: sagemaker.delete_model(ModelName="console-sm-model"),
        lambda: logs.delete_log_group(logGroupName=group),
    ):
        with contextlib.suppress(ClientError):  # deleted by the test itself
            call()


@pytest.fixture(scope="module")
def reader(server: ModelportServer) -> Iterator[dict[str, str]]:
    """An IAM user allowed only to describe, list and read SageMaker and CloudWatch Logs."""
    iam = server.client("iam")
    iam.create_user(UserName="console-sm-reader")
    iam.put_user_policy(UserName="console-sm-reader", PolicyName="read-only", PolicyDocument=READ_ONLY)
    key = iam.create_access_key(UserName="console-sm-reader")["AccessKey"]
    yield {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
    iam.delete_access_key(UserName="console-sm-reader", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="console-sm-reader", PolicyName="read-only")
    iam.delete_user(UserName="console-sm-reader")


def test_lists_and_pages_show_values_as_text(
    console_http: ConsoleClients, server: ModelportServer, made: dict[str, Any]
) -> None:
    with pytest.raises(ClientError, match="ValidationException"):  # SageMaker keeps < out of tags
        server.client("sagemaker").add_tags(
            ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:model/console-sm-model",
            Tags=[{"Key": "x", "Value": SCRIPT}],
        )
    client = console_http.root(server)
    assert "console-sm-model" in client.get("/sagemaker/models").text
    assert "console-sm-model" in client.get("/sagemaker/models", params={"name": "sm-mod"}).text
    assert "console-sm-model" not in client.get("/sagemaker/models", params={"name": "no-such"}).text
    model = client.get("/sagemaker/models/console-sm-model").text
    assert SCRIPT not in model and ESCAPED in model
    assert "s3://console-sm/model.tar.gz" in model and "console tests" in model
    config = client.get("/sagemaker/endpoint-configs/console-sm-config").text
    assert "ml.m5.large" in config and 'href="/console/sagemaker/models/console-sm-model"' in config
    assert "console-sm-config" in client.get("/sagemaker/endpoint-configs").text

    groups = client.get("/cloudwatch/log-groups", params={"prefix": "/console-sm/"}).text
    assert made["group"] in groups
    streams = client.get("/cloudwatch/log-groups/view", params={"group": made["group"]}).text
    assert quote(made["stream"], safe="") in streams
    for path in ("/sagemaker/endpoints", "/sagemaker/notebook-instances", "/cloudwatch/log-groups"):
        assert client.get(path).status_code == 200

    # A name typed into the address bar comes back as text, in the API's error.
    tag = "<img src=x onerror=alert(1)>"
    missing = client.get(f"/sagemaker/endpoints/{quote(tag, safe='')}")
    assert missing.status_code == 404 and "ValidationException" in missing.text
    assert tag not in missing.text and "&lt;img src=x onerror=alert(1)&gt;" in missing.text


def test_log_events_newest_last_with_older_pages(
    console_http: ConsoleClients, server: ModelportServer, made: dict[str, Any]
) -> None:
    client = console_http.root(server)
    page = client.get(
        "/cloudwatch/log-groups/events", params={"group": made["group"], "stream": made["stream"]}
    )
    lines = re.findall(r"line (\d{3})", page.text)
    assert lines == [f"{i:03d}" for i in range(51, 151)]  # the newest 100, newest last
    older = re.search(r'id="older" href="/console([^"]+)"', page.text)
    assert older is not None and 'id="newer"' not in page.text  # the newest page
    earlier = client.get(older.group(1).replace("&amp;", "&")).text
    assert re.findall(r"line (\d{3})", earlier) == [f"{i:03d}" for i in range(1, 51)]
    assert SCRIPT not in earlier and ESCAPED in earlier  # a log line is text
    assert 'id="newer"' in earlier
    found = client.get(
        "/cloudwatch/log-groups/search", params={"group": made["group"], "pattern": '?"line 007" ?"line 149"'}
    )
    assert re.findall(r'"message">line (\d{3})', found.text) == ["007", "149"]
    every = client.get("/cloudwatch/log-groups/search", params={"group": made["group"]}).text
    assert len(re.findall(r'"message">line (\d{3})', every)) == 99 and 'id="next-page"' in every  # 100 a page
    gone = client.get("/cloudwatch/log-groups/view", params={"group": "/console-sm/none"})
    assert gone.status_code == 404 and "ResourceNotFoundException" in gone.text


def test_read_only_user_cannot_delete(
    console_http: ConsoleClients, server: ModelportServer, made: dict[str, Any], reader: dict[str, str]
) -> None:
    client = console_http.sign_in(server, **reader)
    assert "console-sm-model" in client.get("/sagemaker/models").text
    assert "console-sm-model" in client.get("/sagemaker/models", params={"name": "sm-mod"}).text
    assert "console-sm-model" not in client.get("/sagemaker/models", params={"name": "no-such"}).text
    token = csrf(client, "/sagemaker/models")
    for path, data, operation in (
        ("/sagemaker/models/console-sm-model/delete", {}, "sagemaker:DeleteModel"),
        ("/sagemaker/endpoint-configs/console-sm-config/delete", {}, "sagemaker:DeleteEndpointConfig"),
        ("/sagemaker/endpoints/console-sm-none/delete", {}, "sagemaker:DeleteEndpoint"),
        ("/cloudwatch/log-groups/delete", {"group": made["group"]}, "logs:DeleteLogGroup"),
        ("/sagemaker/notebook-instances/console-sm-none/stop", {}, "sagemaker:StopNotebookInstance"),
    ):
        answer = client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)
        assert "AccessDenied" in answer.text, path
        assert f"user/console-sm-reader is not authorized to perform: {operation}" in answer.text
    assert server.client("sagemaker").describe_model(ModelName="console-sm-model")
    assert server.client("logs").describe_log_groups(logGroupNamePrefix=made["group"])["logGroups"]


def test_errors_are_the_apis_and_forms_keep_what_was_typed(
    console_http: ConsoleClients, server: ModelportServer
) -> None:
    client = console_http.root(server)
    token = csrf(client, "/sagemaker/endpoints")
    answer = client.post(
        "/sagemaker/endpoints/console-sm-none/invoke",
        data={"csrf_token": token, "content_type": "text/csv", "body": "1,2"},
    )
    assert answer.status_code == 404 and "console-sm-none" in answer.text
    bad = client.post(
        "/sagemaker/notebook-instances/create",
        data={"csrf_token": token, "name": "not valid!", "instance_type": "ml.t3.medium", "role_arn": "x"},
    )
    assert bad.status_code == 400 and "ValidationException" in bad.text
    assert 'value="not valid!"' in bad.text
    odd = client.post(
        "/sagemaker/notebook-instances/console-sm-none/nonsense",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Unknown notebook instance action" in odd.text


def test_create_model_and_configuration_from_forms(
    console_http: ConsoleClients, server: ModelportServer
) -> None:
    client = console_http.root(server)
    token = csrf(client, "/sagemaker/models")
    assert "sagemaker-xgboost:1.7-1" in client.get("/sagemaker/models/create").text
    model = {
        "csrf_token": token,
        "name": "console-sm-form",
        "image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "model_data_url": "s3://console-sm/form.tar.gz",
        "role_arn": "arn:aws:iam::123456789012:role/test",
        "environment": "MODE=fast\nbroken line",
    }
    bad = client.post("/sagemaker/models/create", data=model)
    assert bad.status_code == 400 and "Environment line 2: write KEY=VALUE." in bad.text
    made = client.post("/sagemaker/models/create", data={**model, "environment": "MODE=fast"})
    assert made.headers["location"] == "/console/sagemaker/models/console-sm-form"
    sagemaker = server.client("sagemaker")
    try:
        assert sagemaker.describe_model(ModelName="console-sm-form")["PrimaryContainer"]["Environment"] == {
            "MODE": "fast"
        }
        form = client.get("/sagemaker/endpoint-configs/create", params={"model": "console-sm-form"}).text
        assert '<option value="console-sm-form" selected>' in form
        config = {"csrf_token": token, "name": "console-sm-form", "model": "console-sm-form"}
        bad = client.post(
            "/sagemaker/endpoint-configs/create",
            data={**config, "instance_type": "ml.m5.large", "count": "x"},
        )
        assert bad.status_code == 400 and "write a whole number" in bad.text
        made = client.post(
            "/sagemaker/endpoint-configs/create",
            data={**config, "instance_type": "ml.m5.large", "count": "2"},
        )
        assert made.status_code == 303
        variant = sagemaker.describe_endpoint_config(EndpointConfigName="console-sm-form")[
            "ProductionVariants"
        ][0]
        assert (variant["ModelName"], variant["InitialInstanceCount"]) == ("console-sm-form", 2)
        asynchronous = {**config, "name": "console-sm-async", "instance_type": "ml.m5.large", "count": "1"}
        half = client.post(
            "/sagemaker/endpoint-configs/create", data={**asynchronous, "async_failure": "s3://b/f"}
        )
        assert half.status_code == 400 and "give the S3 output path too" in half.text
        assert 'value="s3://b/f"' in half.text  # what was typed is kept
        paths = {"async_output": "s3://b/out", "async_failure": "s3://b/failed", "async_concurrency": "2"}
        made = client.post("/sagemaker/endpoint-configs/create", data={**asynchronous, **paths})
        assert made.status_code == 303
        described = sagemaker.describe_endpoint_config(EndpointConfigName="console-sm-async")
        assert described["AsyncInferenceConfig"] == {
            "OutputConfig": {"S3OutputPath": "s3://b/out", "S3FailurePath": "s3://b/failed"},
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
        }
        page = client.get("/sagemaker/endpoint-configs/console-sm-async").text
        assert (
            "answers to <code>s3://b/out</code>, failures to <code>s3://b/failed</code>, 2 at a time" in page
        )
        no_config = client.post(
            "/sagemaker/endpoints/create",
            data={"csrf_token": token, "name": "console-sm-form", "config": "none"},
        )
        assert no_config.status_code == 400 and "Could not find endpoint configuration" in no_config.text
        assert 'value="console-sm-form"' in no_config.text
    finally:
        for name in ("console-sm-form", "console-sm-async"):
            with contextlib.suppress(ClientError):
                sagemaker.delete_endpoint_config(EndpointConfigName=name)
        sagemaker.delete_model(ModelName="console-sm-form")
