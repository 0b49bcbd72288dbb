"""Batch transform throughput: rows per second through a transform job, beside what a user would
otherwise do in the same run.

One server with its embedded S3 (SeaweedFS) and the seed's model. One CSV object of ``--rows``
rows (the seed's first row, repeated) is transformed by jobs with different settings; each job is
timed from ``CreateTransformJob`` to ``Completed`` (the call answers once the job has ended, so
this is one call), worker start, S3 read and write included. Beside them, in the same run:

- ``in process``: ``booster.inplace_predict`` of all the rows at once, in this process: the floor;
- ``invoke_endpoint loop``: a deployed endpoint, the same rows sent by boto3 in 1 MB requests one
  after the other, answers joined: the script a user would write without batch transform.

Every job's output is checked against the endpoint loop's answers (the same predictions, one per
line). ``python -m benchmarks.transform`` starts its own server; nothing of it runs in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks import baseline, deploys
from benchmarks.run import DEFAULT_ROW, say
from modelport import seed
from modelport.launcher import PrivateKeys, start_server

BUCKET = "transform-bench"
CHUNK_BYTES = 1024 * 1024  # a 1 MB request answers ~4 MB, inside InvokeEndpoint's 6 MB
TWO = {"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2}}
# (label, input: "one" object of --rows, "four" objects of a quarter each, or "single" of
# --single-rows; extra CreateTransformJob members): the settings compared.
JOBS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("MultiRecord, 6 MB (defaults)", "one", {}),
    ("MultiRecord, 1 MB × 2 concurrent", "one", {"MaxPayloadInMB": 1, "MaxConcurrentTransforms": 2}),
    ("MultiRecord, 6 MB, 4 objects, 1 instance", "four", {}),
    ("MultiRecord, 6 MB, 4 objects, 2 instances", "four", TWO),
    (
        "SingleRecord × 4 concurrent",
        "single",
        {"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 4},
    ),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.transform", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the input object (default 200000)")
    parser.add_argument(
        "--single-rows", type=int, default=20_000, help="rows for the SingleRecord job (default 20000)"
    )
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-transform-"))
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")
    keys = PrivateKeys.new()
    server = start_server(workdir / "data", env=keys.server_env())
    results: list[dict[str, Any]] = []
    try:
        record = json.loads((workdir / "data" / "server.json").read_text())
        s3 = s3_client(record["s3_endpoint_url"], keys)
        sm = deploys.sagemaker_client(server.url, keys.access_key, keys.secret_key)
        runtime = deploys.runtime_client(server.url, keys.access_key, keys.secret_key)
        deploys.create_model_and_config(sm, "bench", str(archive))
        deploys.deploy(sm, "transform-bench", "bench")
        create_bucket(s3)
        # input name -> (objects, rows in each)
        inputs = {"one": (1, args.rows), "four": (4, args.rows // 4), "single": (1, args.single_rows)}
        for name, (objects, rows) in inputs.items():
            for index in range(objects):
                s3.put_object(
                    Bucket=BUCKET, Key=f"in-{name}/rows-{index}.csv", Body=(DEFAULT_ROW + "\n") * rows
                )

        model_file = workdir / "model" / "xgboost-model"
        text = (DEFAULT_ROW + "\n") * args.rows
        results.append(_in_process(model_file, text, args.rows))
        expected, loop = _endpoint_loop(runtime, text, args.rows)
        results.append(loop)
        for index, (label, source, extra) in enumerate(JOBS):
            objects, rows = inputs[source]
            say(f"  {label} over {objects} × {rows} rows ...")
            job = f"bench-{index}-{int(time.time())}"
            began = time.perf_counter()
            sm.create_transform_job(**_request(job, source, extra))
            sm.get_waiter("transform_job_completed_or_stopped").wait(
                TransformJobName=job, WaiterConfig={"Delay": 1, "MaxAttempts": 600}
            )
            seconds = time.perf_counter() - began
            status = sm.describe_transform_job(TransformJobName=job)["TransformJobStatus"]
            for number in range(objects):
                output = s3.get_object(Bucket=BUCKET, Key=f"out-{job}/rows-{number}.csv.out")["Body"].read()
                if status != "Completed" or output.splitlines() != expected[:rows]:
                    raise SystemExit(f"{label}: status {status}, or its output differs from the endpoint's")
            results.append({"system": f"transform job: {label}", "rows": objects * rows, "seconds": seconds})
    finally:
        server.stop()
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def s3_client(url: str, keys: PrivateKeys) -> Any:
    """A client of the embedded S3 with the server's keys."""
    session = boto3.Session(
        aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
    )
    return session.client("s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}))


def create_bucket(s3: Any, bucket: str = BUCKET) -> None:
    """``bucket``, once the embedded S3, which starts beside the server, answers."""
    deadline = time.monotonic() + 60
    while True:
        try:
            s3.create_bucket(Bucket=bucket)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _request(job: str, source: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "TransformJobName": job,
        "ModelName": "bench",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in-{source}/"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/out-{job}", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **extra,
    }


def _in_process(model_file: Path, text: str, rows: int) -> dict[str, Any]:
    """The best of 3: the floor should not carry this machine's noise."""
    booster = baseline.load_booster(model_file)
    features = baseline.parse_csv(text)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        booster.inplace_predict(features)
        times.append(time.perf_counter() - began)
    return {"system": "in process: one inplace_predict of all rows", "rows": rows, "seconds": min(times)}


def _endpoint_loop(runtime: Any, text: str, rows: int) -> tuple[list[bytes], dict[str, Any]]:
    """The rows in 1 MB requests to the endpoint, one after the other; the answer lines."""
    lines = text.splitlines(keepends=True)
    per_request = max(1, CHUNK_BYTES // len(lines[0]))
    answers: list[bytes] = []
    began = time.perf_counter()
    for start in range(0, len(lines), per_request):
        body = "".join(lines[start : start + per_request])
        answer = runtime.invoke_endpoint(EndpointName="transform-bench", ContentType="text/csv", Body=body)
        answers += answer["Body"].read().splitlines()
    seconds = time.perf_counter() - began
    # The endpoint answers CSV rows; batch mode writes each row as a Python list: compare the numbers.
    as_lists = [("[" + ", ".join(line.decode().split(",")) + "]").encode() for line in answers]
    return as_lists, {"system": "invoke_endpoint loop, 1 MB requests", "rows": rows, "seconds": seconds}


def render(results: list[dict[str, Any]]) -> str:
    floor = results[0]["rows"] / results[0]["seconds"]
    lines = ["| system | rows | seconds | rows/s | vs in process |", "|---|---:|---:|---:|---:|"]
    for result in results:
        rate = result["rows"] / result["seconds"]
        lines.append(
            f"| {result['system']} | {result['rows']:,} | {result['seconds']:.2f} | {rate:,.0f} | {rate / floor:.3f}× |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
