"""Batch transform end to end: boto3 against the shared S3-backed server, input and output in a
real S3 (SeaweedFS), real worker processes running the seed's model.

Each test names its bucket, model and jobs after itself, so the shared server needs no reset.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from modelport import seed
from support.console_http import ConsoleClients, csrf
from support.fixtures import ServerPool, s3_env
from support.modelport_server import ModelportServer, client, run_modelport
from support.s3server import S3Endpoint
from support.waiting import wait_until

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def batch_rows(probabilities: np.ndarray) -> bytes:
    """The XGBoost container's text/csv answer in batch mode: one Python list per row and line."""
    return b"".join((str([float(np.float32(p)) for p in row]) + "\n").encode() for row in probabilities)


def probabilities_of(model: Any, rows: list[str]) -> np.ndarray:
    points = np.array([[float(v) for v in row.split(",")] for row in rows])
    return np.asarray(model.predict_proba(points), dtype=np.float32)


def a_model(sagemaker: Any, s3: Any, bucket: str, name: str, archive: Path) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(archive), bucket, "model/model.tar.gz")
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"},
    )


def job_request(name: str, model: str, source: str, output: str, **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": output, "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(request.get(key), dict):
            request[key] = {**request[key], **value}
        else:
            request[key] = value
    return request


def object_text(s3: Any, bucket: str, key: str) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def keys_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    )


def log_lines(server: ModelportServer, group: str, stream: str) -> list[str]:
    logs = server.client("logs")
    events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    return [event["message"] for event in events]


def test_the_seed_model_transforms_a_folder_of_csv_files(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    client, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, client, "transform-folder", "transform-folder", model_archive)
    rows = seed.test_points()
    client.put_object(Bucket="transform-folder", Key="in/day1/points.csv", Body="\n".join(rows) + "\n")
    client.put_object(Bucket="transform-folder", Key="in/day2/first.csv", Body=rows[0])
    request = job_request(
        "transform-folder", "transform-folder", "s3://transform-folder/in", "s3://transform-folder/out"
    )

    began = time.monotonic()
    arn = sagemaker.create_transform_job(**request)["TransformJobArn"]
    # botocore's waiter with its default delay (60 s): its first poll already sees Completed.
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="transform-folder")
    assert time.monotonic() - began < 30

    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:transform-job/transform-folder"
    assert keys_under(client, "transform-folder", "out/") == [
        "out/day1/points.csv.out",
        "out/day2/first.csv.out",
    ]
    assert object_text(client, "transform-folder", "out/day1/points.csv.out") == batch_rows(
        probabilities_of(iris_model, rows)
    )
    assert object_text(client, "transform-folder", "out/day2/first.csv.out") == batch_rows(
        probabilities_of(iris_model, rows[:1])
    )

    job = sagemaker.describe_transform_job(TransformJobName="transform-folder")
    assert job["TransformJobStatus"] == "Completed"
    assert "FailureReason" not in job
    assert job["TransformJobArn"] == arn
    assert job["ModelName"] == "transform-folder"
    assert job["TransformInput"] == request["TransformInput"]
    assert job["TransformOutput"] == request["TransformOutput"]
    assert job["TransformResources"] == request["TransformResources"]
    assert job["CreationTime"] <= job["TransformStartTime"] <= job["TransformEndTime"]

    summaries = sagemaker.list_transform_jobs(NameContains="transform-folder")["TransformJobSummaries"]
    assert [(s["TransformJobName"], s["TransformJobStatus"]) for s in summaries] == [
        ("transform-folder", "Completed")
    ]
    data_log = log_lines(s3_server, "/aws/sagemaker/TransformJobs", "transform-folder/i-0/data-log")
    # Unset in the job: the container's /execution-parameters answer (its CPUs, 6 MB, MULTI_RECORD).
    assert data_log[0].endswith(
        f"[sagemaker logs]: MaxConcurrentTransforms={os.cpu_count()}, MaxPayloadInMB=6, BatchStrategy=MULTI_RECORD"
    )

    listed = run_modelport(s3_server, "ls", "--endpoint-url", s3_server.url)
    assert listed.returncode == 0, listed.stderr
    assert "Transform jobs" in listed.stdout
    assert re.search(r"transform-folder\s+│\s+Completed", listed.stdout), listed.stdout

    with pytest.raises(ClientError) as taken:
        sagemaker.create_transform_job(**request)
    assert taken.value.response["Error"]["Code"] == "ResourceInUse"
    assert arn in taken.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_transform_job(TransformJobName="transform-folder-never")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
    assert "transform-folder-never" in missing.value.response["Error"]["Message"]


def test_single_records_gzip_and_a_manifest(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    client, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, client, "transform-manifest", "transform-manifest", model_archive)
    rows = seed.test_points()
    client.put_object(
        Bucket="transform-manifest", Key="data/a.csv.gz", Body=gzip.compress("\n".join(rows).encode())
    )
    client.put_object(Bucket="transform-manifest", Key="data/b.csv.gz", Body=gzip.compress(rows[1].encode()))
    client.put_object(Bucket="transform-manifest", Key="data/ignored.csv.gz", Body=b"not even gzip")
    manifest = [{"prefix": "s3://transform-manifest/data/"}, "a.csv.gz", "b.csv.gz"]
    client.put_object(Bucket="transform-manifest", Key="manifest.json", Body=json.dumps(manifest))
    request = job_request(
        "transform-manifest",
        "transform-manifest",
        "s3://transform-manifest/manifest.json",
        "s3://transform-manifest/out/",
        TransformInput={
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "ManifestFile",
                    "S3Uri": "s3://transform-manifest/manifest.json",
                }
            },
            "CompressionType": "Gzip",
        },
        BatchStrategy="SingleRecord",
        MaxConcurrentTransforms=4,
    )
    sagemaker.create_transform_job(**request)
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="transform-manifest")

    assert keys_under(client, "transform-manifest", "out/") == ["out/a.csv.gz.out", "out/b.csv.gz.out"]
    # One record per request, each answer ended by a newline: the same bytes as one batch of all.
    assert object_text(client, "transform-manifest", "out/a.csv.gz.out") == batch_rows(
        probabilities_of(iris_model, rows)
    )
    data_log = log_lines(s3_server, "/aws/sagemaker/TransformJobs", "transform-manifest/i-0/data-log")
    assert data_log[0].endswith("MaxConcurrentTransforms=4, MaxPayloadInMB=6, BatchStrategy=SINGLE_RECORD")


def test_a_bad_record_fails_its_object_and_the_job_but_not_the_other_objects(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    client, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, client, "transform-bad", "transform-bad", model_archive)
    rows = seed.test_points()
    client.put_object(Bucket="transform-bad", Key="in/good.csv", Body="\n".join(rows))
    client.put_object(Bucket="transform-bad", Key="in/bad.csv", Body=f"{rows[0]}\nnot,a,number,here\n")
    sagemaker.create_transform_job(
        **job_request("transform-bad", "transform-bad", "s3://transform-bad/in/", "s3://transform-bad/out")
    )
    with pytest.raises(Exception, match="Failed"):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="transform-bad")

    job = sagemaker.describe_transform_job(TransformJobName="transform-bad")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(
        "ClientError: 1 of 2 input objects failed; the first, s3://transform-bad/in/bad.csv"
    )
    assert "/aws/sagemaker/TransformJobs" in job["FailureReason"]
    assert keys_under(client, "transform-bad", "out/") == ["out/good.csv.out"]
    assert object_text(client, "transform-bad", "out/good.csv.out") == batch_rows(
        probabilities_of(iris_model, rows)
    )
    data_log = log_lines(s3_server, "/aws/sagemaker/TransformJobs", "transform-bad/i-0/data-log")
    assert any("s3://transform-bad/in/bad.csv: ClientError: 4" in line for line in data_log), data_log
    # As docs/batch-transform.md says: modelport logs reads the group.
    printed = run_modelport(
        s3_server, "logs", "/aws/sagemaker/TransformJobs", "--endpoint-url", s3_server.url
    )
    assert printed.returncode == 0, printed.stderr
    assert "s3://transform-bad/in/bad.csv: ClientError: 4" in printed.stdout
    streams = s3_server.client("logs").describe_log_streams(
        logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix="transform-bad/"
    )["logStreams"]
    assert "transform-bad/i-0" in {stream["logStreamName"] for stream in streams}


def test_data_processing_drops_the_id_column_and_joins_it_back(
    s3_server: ModelportServer, s3: S3Endpoint, tmp_path: Path
) -> None:
    """AWS's documented pattern: InputFilter ``$[1:]`` sends the features without the ID,
    JoinSource ``Input`` appends the answer to the record, OutputFilter ``$[0,-1]`` keeps ID and answer."""
    import xgboost
    from sklearn.datasets import load_iris

    features, labels = load_iris(return_X_y=True)
    setosa = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(
        features, labels == 0
    )  # binary: one score
    archive = seed.package_model(setosa, tmp_path / "setosa")
    client, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, client, "transform-join", "transform-join", archive)
    rows = seed.test_points()
    client.put_object(
        Bucket="transform-join",
        Key="in/ids.csv",
        Body="".join(f"id-{n},{row}\n" for n, row in enumerate(rows)),
    )
    sagemaker.create_transform_job(
        **job_request(
            "transform-join",
            "transform-join",
            "s3://transform-join/in/ids.csv",
            "s3://transform-join/out",
            TransformOutput={"Accept": "text/csv"},
            MaxPayloadInMB=20,  # past 8 MiB the runner sends HTTP to the worker, not frames
            DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
        )
    )
    sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName="transform-join")

    scores = setosa.predict_proba(np.array([[float(v) for v in row.split(",")] for row in rows]))[:, 1]
    expected = "".join(f"id-{n},{float(np.float32(score))}\n" for n, score in enumerate(scores))
    assert object_text(client, "transform-join", "out/ids.csv.out").decode() == expected
    job = sagemaker.describe_transform_job(TransformJobName="transform-join")
    assert job["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}

    refused = job_request(
        "transform-join-2",
        "transform-join",
        "s3://transform-join/in/",
        "s3://transform-join/out",
        TransformInput={"SplitType": "None"},
        DataProcessing={"JoinSource": "Input"},
    )
    with pytest.raises(ClientError, match="SplitType"):
        sagemaker.create_transform_job(**refused)


def test_the_console_lists_a_job_shows_its_settings_and_logs_and_refuses_to_stop_it_once_ended(
    s3_server: ModelportServer, s3: S3Endpoint, model_archive: Path, console_http: ConsoleClients
) -> None:
    client, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, client, "transform-console", "transform-console", model_archive)
    client.put_object(Bucket="transform-console", Key="in/points.csv", Body=seed.test_points_csv())
    sagemaker.create_transform_job(
        **job_request(
            "transform-console",
            "transform-console",
            "s3://transform-console/in",
            "s3://transform-console/out",
        )
    )
    # A job whose input URL holds markup: it fails (no such objects), and the page shows it as text.
    sagemaker.create_transform_job(
        **job_request(
            "transform-console-markup",
            "transform-console",
            "s3://transform-console/<b>in</b>",
            "s3://transform-console/out",
        )
    )
    console = console_http.root(s3_server)

    listed = console.get("/sagemaker/transform-jobs", params={"name": "transform-console"})
    assert listed.status_code == 200
    assert 'href="/console/sagemaker/transform-jobs/transform-console"' in listed.text
    assert "Completed" in listed.text and "Failed" in listed.text

    page = console.get("/sagemaker/transform-jobs/transform-console")
    assert page.status_code == 200
    for shown in (
        "s3://transform-console/in",
        "s3://transform-console/out",
        'href="/console/sagemaker/models/transform-console"',
        "transform-console/i-0/data-log",
        "Line",
    ):
        assert shown in page.text, shown
    assert ">Stop<" not in page.text  # only an InProgress job has the button

    failed = console.get("/sagemaker/transform-jobs/transform-console-markup").text
    assert "s3://transform-console/&lt;b&gt;in&lt;/b&gt;" in failed
    assert "<b>in</b>" not in failed
    assert "No S3 objects found under S3 URL" in failed

    stop = console.post(
        "/sagemaker/transform-jobs/transform-console/stop",
        data={"csrf_token": csrf(console, "/sagemaker/transform-jobs/transform-console")},
    )
    assert stop.status_code == 303
    after = console.get(stop.headers["location"])
    assert "because its status is Completed" in after.text

    missing = console.get("/sagemaker/transform-jobs/transform-console-never")
    assert missing.status_code == 404
    assert "Could not find requested job with name transform-console-never" in missing.text


def test_a_job_reads_and_writes_only_what_its_creator_may_in_s3(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    """The server reads and writes S3 with its own key: a job may touch only the objects the
    user who created it could reach through the S3 front, checked object by object."""
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    a_model(sagemaker, storage, "transform-iam", "transform-iam", model_archive)
    rows = seed.test_points()
    storage.put_object(Bucket="transform-iam", Key="in/points.csv", Body="\n".join(rows))
    iam = s3_server.client("iam")
    iam.create_user(UserName="transform-reader")
    reads_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::transform-iam"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::transform-iam/in/*"},
        ],
    }
    iam.put_user_policy(
        UserName="transform-reader", PolicyName="reads", PolicyDocument=json.dumps(reads_only)
    )
    key = iam.create_access_key(UserName="transform-reader")["AccessKey"]
    as_reader = client(s3_server, "sagemaker", credentials=key)
    request = job_request(
        "transform-iam-1", "transform-iam", "s3://transform-iam/in", "s3://transform-iam/out"
    )

    as_reader.create_transform_job(**request)
    job = as_reader.describe_transform_job(TransformJobName="transform-iam-1")
    assert job["TransformJobStatus"] == "Failed"
    assert "s3:PutObject" in job["FailureReason"]
    assert "arn:aws:s3:::transform-iam/out/points.csv.out" in job["FailureReason"]
    assert keys_under(storage, "transform-iam", "out/") == []

    elsewhere = job_request(
        "transform-iam-2", "transform-iam", "s3://transform-other/in", "s3://transform-iam/out"
    )
    as_reader.create_transform_job(**elsewhere)
    job = as_reader.describe_transform_job(TransformJobName="transform-iam-2")
    assert job["TransformJobStatus"] == "Failed"
    assert (
        "not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::transform-other"
        in job["FailureReason"]
    )

    writes_too = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::transform-iam/out/*"}
        ],
    }
    iam.put_user_policy(
        UserName="transform-reader", PolicyName="writes", PolicyDocument=json.dumps(writes_too)
    )
    as_reader.create_transform_job(**{**request, "TransformJobName": "transform-iam-3"})
    assert (
        as_reader.describe_transform_job(TransformJobName="transform-iam-3")["TransformJobStatus"]
        == "Completed"
    )
    assert object_text(storage, "transform-iam", "out/points.csv.out") == batch_rows(
        probabilities_of(iris_model, rows)
    )


def test_a_model_whose_data_cannot_be_fetched_fails_the_job_with_awss_reason(
    s3_server: ModelportServer, s3: S3Endpoint
) -> None:
    storage, sagemaker = s3.client(), s3_server.client("sagemaker")
    storage.create_bucket(Bucket="transform-nodata")
    storage.put_object(Bucket="transform-nodata", Key="in/points.csv", Body=seed.test_points_csv())
    sagemaker.create_model(
        ModelName="transform-nodata",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://transform-nodata/model/missing.tar.gz"},
    )
    sagemaker.create_transform_job(
        **job_request(
            "transform-nodata", "transform-nodata", "s3://transform-nodata/in", "s3://transform-nodata/out"
        )
    )
    job = sagemaker.describe_transform_job(TransformJobName="transform-nodata")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(
        'ClientError: Failed to download model data for container "container_1" from URL: '
        '"s3://transform-nodata/model/missing.tar.gz".'
    )
    assert keys_under(storage, "transform-nodata", "out/") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TransformInput": {"SplitType": "RecordIO"}}, "SplitType RecordIO is not supported"),
        ({"MaxPayloadInMB": 60, "MaxConcurrentTransforms": 2}, "must not exceed 100 MB"),
        ({"MaxPayloadInMB": 0}, "MaxPayloadInMB 0"),
        ({"TransformOutput": {"S3OutputPath": "file:///tmp/out"}}, "failed to satisfy constraint"),
        (
            {"TransformOutput": {"S3OutputPath": "https://b.example/out"}},
            'S3OutputPath "https://b.example/out" is not',
        ),
        ({"ModelName": "transform-no-such-model"}, 'Could not find model "arn:aws:sagemaker'),
        (
            {"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 17}},
            "MODELPORT_MAX_TRANSFORM_INSTANCES",
        ),
    ],
)
def test_a_request_that_cannot_run_is_refused_and_stores_nothing(
    s3_server: ModelportServer, change: dict[str, Any], message: str
) -> None:
    sagemaker = s3_server.client("sagemaker")
    request = job_request(
        "transform-refused",
        "transform-folder",
        "s3://transform-refused/in",
        "s3://transform-refused/out",
        **change,
    )
    with pytest.raises(ClientError) as refused:
        sagemaker.create_transform_job(**request)
    assert refused.value.response["Error"]["Code"] in {"ValidationException", "ResourceLimitExceeded"}
    assert message in refused.value.response["Error"]["Message"]
    assert sagemaker.list_transform_jobs(NameContains="transform-refused")["TransformJobSummaries"] == []


@pytest.fixture(scope="module")
def answering_at_once(module_servers: ServerPool, s3: S3Endpoint) -> ModelportServer:
    """A server whose CreateTransformJob answers at once, as SageMaker's: jobs still run after it."""
    return module_servers.start(env={**s3_env(s3), "MODELPORT_TRANSFORM_SETTLE_TIMEOUT_S": "0"})


def slow_job(sagemaker: Any, storage: Any, name: str, archive: Path, objects: int) -> dict[str, Any]:
    """A model, ``objects`` input objects of 250 rows, and a request that sends them one row per
    request: a job that runs for seconds."""
    a_model(sagemaker, storage, name, name, archive)
    for index in range(objects):
        storage.put_object(Bucket=name, Key=f"in/{index:03d}.csv", Body="\n".join(seed.test_points() * 50))
    return job_request(
        name,
        name,
        f"s3://{name}/in/",
        f"s3://{name}/out/",
        BatchStrategy="SingleRecord",
        MaxConcurrentTransforms=1,
    )


def status_of(sagemaker: Any, name: str) -> str:
    return str(sagemaker.describe_transform_job(TransformJobName=name)["TransformJobStatus"])


def test_stop_transform_job_stops_a_running_job(
    answering_at_once: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), answering_at_once.client("sagemaker")
    sagemaker.create_transform_job(**slow_job(sagemaker, storage, "transform-stop", model_archive, 200))
    assert status_of(sagemaker, "transform-stop") == "InProgress"
    sagemaker.stop_transform_job(TransformJobName="transform-stop")
    assert status_of(sagemaker, "transform-stop") in {"Stopping", "Stopped"}
    wait_until(lambda: status_of(sagemaker, "transform-stop") == "Stopped", "the job did not stop")
    assert "TransformEndTime" in sagemaker.describe_transform_job(TransformJobName="transform-stop")
    assert len(keys_under(storage, "transform-stop", "out/")) < 200
    with pytest.raises(ClientError) as ended:
        sagemaker.stop_transform_job(TransformJobName="transform-stop")
    assert "because its status is Stopped" in ended.value.response["Error"]["Message"]


def test_cleanup_stops_the_running_transform_jobs(
    answering_at_once: ModelportServer, s3: S3Endpoint, model_archive: Path
) -> None:
    storage, sagemaker = s3.client(), answering_at_once.client("sagemaker")
    sagemaker.create_transform_job(**slow_job(sagemaker, storage, "transform-cleanup", model_archive, 100))
    cleaned = run_modelport(
        answering_at_once, "cleanup", "--all", "--yes", "--endpoint-url", answering_at_once.url
    )
    assert cleaned.returncode == 0, cleaned.stderr
    assert "stopped 1 running transform job(s)." in cleaned.stdout
    wait_until(lambda: status_of(sagemaker, "transform-cleanup") == "Stopped", "cleanup did not stop the job")
    assert sagemaker.list_models()["Models"] == []


def test_a_job_that_a_server_stop_interrupts_runs_again_at_the_next_start(
    answering_at_once: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    server, storage = answering_at_once, s3.client()
    sagemaker = server.client("sagemaker")
    sagemaker.create_transform_job(**slow_job(sagemaker, storage, "transform-restart", model_archive, 20))
    server.stop()
    mark = server.log_mark()
    server.start()
    sagemaker = server.client("sagemaker")
    assert status_of(sagemaker, "transform-restart") in {"InProgress", "Completed"}
    wait_until(
        lambda: status_of(sagemaker, "transform-restart") != "InProgress",
        "the job did not end",
        timeout_s=120,
    )
    assert status_of(sagemaker, "transform-restart") == "Completed"
    assert (
        "transform job transform-restart was running when the server stopped: running it again"
        in server.log(mark)
    )
    assert keys_under(storage, "transform-restart", "out/") == [
        f"out/{index:03d}.csv.out" for index in range(20)
    ]
    assert object_text(storage, "transform-restart", "out/007.csv.out") == batch_rows(
        probabilities_of(iris_model, seed.test_points() * 50)
    )
