"""Asynchronous inference end to end: boto3 against the shared S3-backed server, inputs and answers
in a real S3 (SeaweedFS), real worker processes running the seed's model.

Each test names its bucket and endpoint after itself, so the shared server needs no reset.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from modelport import seed
from support.console_http import ConsoleClients
from support.fixtures import ServerPool, s3_env
from support.modelport_server import ModelportServer, client
from support.s3server import S3Endpoint
from support.waiting import wait_until

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def async_endpoint(
    sagemaker: Any,
    storage: Any,
    name: str,
    archive: Path,
    *,
    failures: bool = True,
    client_config: dict[str, Any] | None = None,
    realtime_too: bool = False,
) -> None:
    """A bucket named ``name`` holding the seed's model, and an asynchronous endpoint ``name`` that
    answers under ``s3://<name>/out`` (failures under ``s3://<name>/failed``); with
    ``realtime_too``, a real-time endpoint ``<name>-rt`` on the same model."""
    storage.create_bucket(Bucket=name)
    storage.upload_file(str(archive), name, "model/model.tar.gz")
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{name}/model/model.tar.gz"},
    )
    output: dict[str, Any] = {"S3OutputPath": f"s3://{name}/out"}
    if failures:
        output["S3FailurePath"] = f"s3://{name}/failed/"
    config: dict[str, Any] = {"OutputConfig": output}
    if client_config:
        config["ClientConfig"] = client_config
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    sagemaker.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[variant], AsyncInferenceConfig=config
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    if realtime_too:
        sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-rt", ProductionVariants=[variant])
        sagemaker.create_endpoint(EndpointName=f"{name}-rt", EndpointConfigName=f"{name}-rt")
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=f"{name}-rt")
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name)


def bucket_and_key(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def read_object(storage: Any, url: str) -> dict[str, Any]:
    bucket, key = bucket_and_key(url)
    response = storage.get_object(Bucket=bucket, Key=key)
    return {"Body": response["Body"].read(), "ContentType": response.get("ContentType")}


def exists(storage: Any, url: str) -> bool:
    bucket, key = bucket_and_key(url)
    try:
        storage.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def log_lines(server: ModelportServer, endpoint: str) -> list[str]:
    logs = server.client("logs")
    group = f"/aws/sagemaker/Endpoints/{endpoint}"
    try:
        events = logs.get_log_events(
            logGroupName=group, logStreamName="async-inference/data-log", startFromHead=True
        )["events"]
    except ClientError:
        return []
    return [event["message"] for event in events]


def test_the_seed_model_answers_asynchronously_in_s3(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-seed", model_archive, realtime_too=True)
    rows = "\n".join(seed.test_points())
    storage.put_object(Bucket="async-seed", Key="in/points.csv", Body=rows)

    response = runtime.invoke_endpoint_async(
        EndpointName="async-seed", InputLocation="s3://async-seed/in/points.csv", ContentType="text/csv"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    inference_id = response["InferenceId"]
    assert response["OutputLocation"] == f"s3://async-seed/out/{inference_id}.out"
    assert response["FailureLocation"] == f"s3://async-seed/failed/{inference_id}-error.out"
    # boto3's S3 waiter with its default delay (5 s): its first poll already finds the answer.
    began = time.monotonic()
    storage.get_waiter("object_exists").wait(Bucket="async-seed", Key=f"out/{inference_id}.out")
    assert time.monotonic() - began < 5  # no sleep between polls: the first one found it

    # The answer is byte for byte what InvokeEndpoint answers a real-time endpoint on the same model.
    realtime = runtime.invoke_endpoint(EndpointName="async-seed-rt", ContentType="text/csv", Body=rows)
    answer = read_object(storage, response["OutputLocation"])
    assert answer["Body"] == realtime["Body"].read()
    assert answer["ContentType"] == realtime["ContentType"]
    assert not exists(storage, response["FailureLocation"])
    lines = log_lines(s3_server, "async-seed")
    assert any(f"InferenceId {inference_id}" in line and "succeeded" in line for line in lines), lines

    described = sagemaker.describe_endpoint(EndpointName="async-seed")
    assert described["AsyncInferenceConfig"] == {
        "OutputConfig": {"S3OutputPath": "s3://async-seed/out", "S3FailurePath": "s3://async-seed/failed/"}
    }
    config = sagemaker.describe_endpoint_config(EndpointConfigName="async-seed")
    assert config["AsyncInferenceConfig"] == described["AsyncInferenceConfig"]


def test_names_ids_and_headers_shape_the_output_location(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-names", model_archive)
    storage.put_object(Bucket="async-names", Key="in/one.csv", Body=seed.test_points()[0])

    named = runtime.invoke_endpoint_async(
        EndpointName="async-names",
        InputLocation="s3://async-names/in/one.csv",
        ContentType="text/csv",
        InferenceId="my-request-1",
        S3OutputPathExtension="team/a",
    )
    assert named["InferenceId"] == "my-request-1"
    assert named["OutputLocation"] == "s3://async-names/out/team/a/my-request-1.out"
    assert named["FailureLocation"] == "s3://async-names/failed/team/a/my-request-1-error.out"
    wait_until(lambda: exists(storage, named["OutputLocation"]), "the named answer was not written")

    filed = runtime.invoke_endpoint_async(
        EndpointName="async-names",
        InputLocation="s3://async-names/in/one.csv",
        ContentType="text/csv",
        Filename="answer.csv",
    )
    assert filed["OutputLocation"] == "s3://async-names/out/answer.csv"
    assert filed["FailureLocation"] == "s3://async-names/failed/answer.csv-error.out"
    wait_until(lambda: exists(storage, filed["OutputLocation"]), "the filed answer was not written")


def test_a_failed_inference_writes_its_error_to_the_failure_location(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-failure", model_archive)
    storage.put_object(Bucket="async-failure", Key="in/bad.csv", Body=b"not,a,number,here")

    bad = runtime.invoke_endpoint_async(
        EndpointName="async-failure", InputLocation="s3://async-failure/in/bad.csv", ContentType="text/csv"
    )
    wait_until(lambda: exists(storage, bad["FailureLocation"]), "no failure object was written")
    failure = read_object(storage, bad["FailureLocation"])
    assert failure["Body"].startswith(b"Received error (4"), failure
    assert failure["ContentType"] == "text/plain"
    assert not exists(storage, bad["OutputLocation"])

    missing = runtime.invoke_endpoint_async(
        EndpointName="async-failure", InputLocation="s3://async-failure/in/none.csv", ContentType="text/csv"
    )
    wait_until(lambda: exists(storage, missing["FailureLocation"]), "no failure object was written")
    text = read_object(storage, missing["FailureLocation"])["Body"].decode()
    assert "Reading s3://async-failure/in/none.csv" in text and "NoSuchKey" in text, text
    lines = log_lines(s3_server, "async-failure")
    assert any(f"InferenceId {missing['InferenceId']}" in line and "failed" in line for line in lines), lines


def test_many_requests_all_get_their_answer(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    async_endpoint(
        sagemaker,
        storage,
        "async-many",
        model_archive,
        client_config={"MaxConcurrentInvocationsPerInstance": 2},
    )
    rows = seed.test_points()
    for index, row in enumerate(rows):
        storage.put_object(Bucket="async-many", Key=f"in/{index}.csv", Body=row)
    answers = [
        runtime.invoke_endpoint_async(
            EndpointName="async-many",
            InputLocation=f"s3://async-many/in/{index % len(rows)}.csv",
            ContentType="text/csv",
        )["OutputLocation"]
        for index in range(40)
    ]
    wait_until(lambda: all(exists(storage, url) for url in answers), "not every request was answered")
    first = read_object(storage, answers[0])["Body"]
    assert all(read_object(storage, url)["Body"] == first for url in answers[:: len(rows)])


def test_each_api_refuses_the_other_kind_of_endpoint(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-kinds", model_archive, realtime_too=True)

    with pytest.raises(ClientError) as realtime:
        runtime.invoke_endpoint(EndpointName="async-kinds", ContentType="text/csv", Body=b"1,2,3,4")
    assert realtime.value.response["Error"]["Code"] == "ValidationError"
    assert "call InvokeEndpointAsync" in realtime.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as not_async:
        runtime.invoke_endpoint_async(
            EndpointName="async-kinds-rt", InputLocation="s3://async-kinds/in/x.csv"
        )
    assert not_async.value.response["Error"]["Code"] == "ValidationError"
    assert "is not an asynchronous inference endpoint" in not_async.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as missing:
        runtime.invoke_endpoint_async(EndpointName="async-nowhere", InputLocation="s3://async-kinds/in/x.csv")
    assert (
        missing.value.response["Error"]["Message"]
        == "Endpoint async-nowhere of account 123456789012 not found."
    )

    with pytest.raises(ClientError) as https:
        runtime.invoke_endpoint_async(EndpointName="async-kinds", InputLocation="https://example.com/in.csv")
    assert "reads inputs from S3 only" in https.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("output", "extra", "message"),
    [
        ({"S3OutputPath": "https://example.com/out"}, {}, "S3OutputPath must be an s3://bucket/prefix URI"),
        (
            {
                "S3OutputPath": "s3://b/out",
                "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:t"},
            },
            {},
            "Amazon SNS notifications",
        ),
        ({"S3OutputPath": "s3://b/out", "KmsKeyId": "key"}, {}, "KmsKeyId"),
        (
            {"S3OutputPath": "s3://b/out"},
            {"ClientConfig": {"MaxConcurrentInvocationsPerInstance": 1001}},
            "less than or equal to 1000",
        ),
    ],
)
def test_an_async_config_that_cannot_run_is_refused(
    s3_server: ModelportServer, output: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    sagemaker = s3_server.client("sagemaker")
    sagemaker.create_model(
        ModelName="async-refused", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE}
    )
    try:
        with pytest.raises(ClientError) as refused:
            sagemaker.create_endpoint_config(
                EndpointConfigName="async-refused",
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": "async-refused",
                        "InitialInstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                    }
                ],
                AsyncInferenceConfig={"OutputConfig": output, **extra},
            )
    finally:
        sagemaker.delete_model(ModelName="async-refused")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert message in refused.value.response["Error"]["Message"]
    assert sagemaker.list_endpoint_configs(NameContains="async-refused")["EndpointConfigs"] == []


@pytest.fixture(scope="module")
def restartable(module_servers: ServerPool, s3: S3Endpoint) -> ModelportServer:
    """A server of its own (its tests stop it, or need it to answer at once, as SageMaker does),
    whose autoscaler decides every 0.5 s and whose metrics loop samples every second."""
    fast = {
        "MODELPORT_ASYNC_SETTLE_TIMEOUT_S": "0",
        "MODELPORT_AUTOSCALING_PERIOD_S": "0.5",
        "MODELPORT_AUTOSCALING_SCALE_OUT_PERIODS": "2",
        "MODELPORT_AUTOSCALING_SCALE_IN_PERIODS": "3",
        "MODELPORT_METRICS_FLUSH_INTERVAL_S": "1",
    }
    return module_servers.start(env={**s3_env(s3), **fast})


def answered(storage: Any, bucket: str) -> int:
    pages = storage.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="out/")
    return sum(len(page.get("Contents", [])) for page in pages)


def scale(sagemaker: Any, name: str, count: int) -> None:
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": count}],
    )


def a_held_queue(server: ModelportServer, s3: S3Endpoint, name: str, archive: Path, count: int) -> list[Any]:
    """An asynchronous endpoint ``name`` scaled to zero instances, sent ``count`` requests, which
    wait in its queue; their InvokeEndpointAsync answers."""
    storage, sagemaker = s3.client(), server.client("sagemaker")
    async_endpoint(sagemaker, storage, name, archive)
    storage.put_object(Bucket=name, Key="in/one.csv", Body=seed.test_points()[0])
    scale(sagemaker, name, 0)
    runtime = server.client("sagemaker-runtime")
    where = {"EndpointName": name, "InputLocation": f"s3://{name}/in/one.csv", "ContentType": "text/csv"}
    return [runtime.invoke_endpoint_async(**where) for _ in range(count)]


def test_queued_requests_survive_a_server_stop(
    restartable: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, total = s3.client(), 20
    a_held_queue(restartable, s3, "async-restart", model_archive, total)
    restartable.stop()
    assert answered(storage, "async-restart") == 0
    mark = restartable.log_mark()
    restartable.start()
    assert f"resumed {total} asynchronous inference requests" in restartable.log(since=mark)
    scale(restartable.client("sagemaker"), "async-restart", 1)
    wait_until(lambda: answered(storage, "async-restart") == total, "the queued requests did not all run")


def test_deleting_the_endpoint_fails_its_queued_requests(
    restartable: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), restartable.client("sagemaker")
    sent = a_held_queue(restartable, s3, "async-delete", model_archive, 20)
    sagemaker.delete_endpoint(EndpointName="async-delete")

    def every_request_failed() -> bool:
        return all(exists(storage, r["FailureLocation"]) for r in sent)

    wait_until(every_request_failed, "a request got no failure object")
    assert not any(exists(storage, r["OutputLocation"]) for r in sent)
    text = read_object(storage, sent[-1]["FailureLocation"])["Body"].decode()
    assert "has no instance able to serve" in text, text


def test_a_request_reads_and_writes_only_what_its_sender_may_in_s3(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    """The server reads and writes S3 with its own key: a request may touch only the objects its
    sender could reach through the S3 front."""
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    async_endpoint(sagemaker, storage, "async-iam", model_archive)
    storage.put_object(Bucket="async-iam", Key="in/one.csv", Body=seed.test_points()[0])
    storage.put_object(Bucket="async-iam", Key="secret/one.csv", Body=seed.test_points()[0])
    iam = s3_server.client("iam")
    iam.create_user(UserName="async-sender")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sagemaker:InvokeEndpointAsync", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::async-iam/in/*"},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::async-iam/failed/*"},
        ],
    }
    iam.put_user_policy(UserName="async-sender", PolicyName="async", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="async-sender")["AccessKey"]
    as_sender = client(s3_server, "sagemaker-runtime", credentials=key)

    secret = as_sender.invoke_endpoint_async(
        EndpointName="async-iam", InputLocation="s3://async-iam/secret/one.csv", ContentType="text/csv"
    )
    wait_until(lambda: exists(storage, secret["FailureLocation"]), "no failure object was written")
    text = read_object(storage, secret["FailureLocation"])["Body"].decode()
    assert "s3:GetObject on resource: arn:aws:s3:::async-iam/secret/one.csv" in text, text

    unwritable = as_sender.invoke_endpoint_async(
        EndpointName="async-iam", InputLocation="s3://async-iam/in/one.csv", ContentType="text/csv"
    )
    wait_until(lambda: exists(storage, unwritable["FailureLocation"]), "no failure object was written")
    text = read_object(storage, unwritable["FailureLocation"])["Body"].decode()
    assert "s3:PutObject on resource: arn:aws:s3:::async-iam/out/" in text, text
    assert not exists(storage, unwritable["OutputLocation"])

    with pytest.raises(ClientError) as denied:
        as_sender.invoke_endpoint(EndpointName="async-iam", ContentType="text/csv", Body=b"1,2,3,4")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_the_console_shows_the_async_config_and_how_to_invoke(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path, console_http: ConsoleClients
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    async_endpoint(sagemaker, storage, "async-console", model_archive, failures=False)
    page = console_http.root(s3_server).get("/sagemaker/endpoints/async-console")
    assert page.status_code == 200
    settings = page.text.split('id="async-config"', 1)[1].split("</dl>", 1)[0]
    assert "<code>s3://async-console/out</code>" in settings
    assert "4 (the default)" in settings
    assert "failures are only in the log" in settings
    assert 'id="async-hint"' in page.text and "InvokeEndpointAsync" in page.text
    assert 'id="test-invoke"' not in page.text  # InvokeEndpoint would be refused
    assert "<figcaption>ApproximateBacklogSize, average</figcaption>" in page.text


def test_an_async_endpoint_scales_to_zero_and_back_for_its_backlog(
    restartable: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    """AWS's recipe: target tracking on ApproximateBacklogSizePerInstance with MinCapacity 0, and a
    step policy run by an alarm on HasBacklogWithoutCapacity to scale out from zero."""
    storage, sagemaker = s3.client(), restartable.client("sagemaker")
    scaling, cloudwatch = restartable.client("application-autoscaling"), restartable.client("cloudwatch")
    runtime = restartable.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-zero", model_archive)
    storage.put_object(Bucket="async-zero", Key="in/one.csv", Body=seed.test_points()[0])
    resource = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/async-zero/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    by_endpoint = [{"Name": "EndpointName", "Value": "async-zero"}]
    scaling.register_scalable_target(**resource, MinCapacity=0, MaxCapacity=1)
    scaling.put_scaling_policy(
        PolicyName="async-zero-backlog",
        PolicyType="TargetTrackingScaling",
        **resource,
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance",
                "Namespace": "AWS/SageMaker",
                "Dimensions": by_endpoint,
                "Statistic": "Average",
            },
            "ScaleInCooldown": 60,
            "ScaleOutCooldown": 60,
        },
    )

    def instances() -> int:
        variant = sagemaker.describe_endpoint(EndpointName="async-zero")["ProductionVariants"][0]
        return int(variant["CurrentInstanceCount"])

    wait_until(lambda: instances() == 0, "an idle asynchronous endpoint did not scale in to zero")

    step = scaling.put_scaling_policy(
        PolicyName="async-zero-wake",
        PolicyType="StepScaling",
        **resource,
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}],
            "Cooldown": 60,
        },
    )["PolicyARN"]
    cloudwatch.put_metric_alarm(
        AlarmName="async-zero-wake",
        Namespace="AWS/SageMaker",
        MetricName="HasBacklogWithoutCapacity",
        Dimensions=by_endpoint,
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[step],
    )
    sent = runtime.invoke_endpoint_async(
        EndpointName="async-zero", InputLocation="s3://async-zero/in/one.csv", ContentType="text/csv"
    )
    time.sleep(0.5)
    assert not exists(storage, sent["FailureLocation"])  # it waits for an instance, it does not fail
    wait_until(lambda: exists(storage, sent["OutputLocation"]), "the endpoint did not scale out from zero")
    assert not exists(storage, sent["FailureLocation"])

    end = time.time() + 60
    waiting = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="HasBacklogWithoutCapacity",
        Dimensions=by_endpoint,
        StartTime=end - 600,
        EndTime=end,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert max(point["Maximum"] for point in waiting) == 1.0
    listed = cloudwatch.list_metrics(Namespace="AWS/SageMaker", MetricName="ApproximateBacklogSize")[
        "Metrics"
    ]
    assert {
        "Namespace": "AWS/SageMaker",
        "MetricName": "ApproximateBacklogSize",
        "Dimensions": by_endpoint,
    } in listed
    cloudwatch.delete_alarms(AlarmNames=["async-zero-wake"])
    scaling.deregister_scalable_target(**resource)


def test_a_full_queue_refuses_more_and_an_endpoint_at_zero_keeps_its_queue(
    servers: ServerPool, s3: S3Endpoint, model_archive: Path
) -> None:
    server = servers.start(env={**s3_env(s3), "MODELPORT_MAX_ASYNC_QUEUE": "2"})
    storage, sagemaker = s3.client(), server.client("sagemaker")
    runtime = server.client("sagemaker-runtime")
    async_endpoint(sagemaker, storage, "async-full", model_archive, realtime_too=True)
    storage.put_object(Bucket="async-full", Key="in/one.csv", Body=seed.test_points()[0])
    with pytest.raises(ClientError) as realtime_only:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="async-full-rt",
            DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 0}],
        )
    assert "0 only on an asynchronous inference endpoint" in realtime_only.value.response["Error"]["Message"]
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="async-full",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 0}],
    )
    variant = sagemaker.describe_endpoint(EndpointName="async-full")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 0

    where = {
        "EndpointName": "async-full",
        "InputLocation": "s3://async-full/in/one.csv",
        "ContentType": "text/csv",
    }
    queued = [runtime.invoke_endpoint_async(**where) for _ in range(2)]
    with pytest.raises(ClientError) as full:
        runtime.invoke_endpoint_async(**where)
    assert full.value.response["Error"]["Code"] == "ThrottlingException"
    assert "MODELPORT_MAX_ASYNC_QUEUE" in full.value.response["Error"]["Message"]
    time.sleep(1.5)  # a tick of the queue: nothing runs, nothing fails
    assert not any(
        exists(storage, r["OutputLocation"]) or exists(storage, r["FailureLocation"]) for r in queued
    )

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="async-full",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 1}],
    )
    wait_until(lambda: all(exists(storage, r["OutputLocation"]) for r in queued), "the queue did not run")
    runtime.invoke_endpoint_async(**where)  # room again
