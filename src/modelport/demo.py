"""The main job: the seed tutorial's SageMaker half, end to end, on embedded defaults.

It starts a private server (temporary data folder, free port, keys of its own so your AWS
profile is untouched), trains the tutorial's XGBoost iris classifier, packages it the way the
deployment notebook does, and then uses nothing but boto3 — create_model,
create_endpoint_config, create_endpoint, the endpoint_in_service waiter, invoke_endpoint with
each row of test_point.csv. Then the tutorial's serverless half: an IAM role with the tutorial's
policy, a Lambda function calling the endpoint, a REST API ``POST /irisprediction`` on stage
``test``, and a plain HTTP POST of ``{"data": "5.1,3.3,1.7,0.5"}`` that answers ``"Setosa"`` —
before deleting everything and stopping the server.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from pathlib import Path

import boto3
from rich.console import Console
from rich.table import Table

from modelport import demo_chain, seed
from modelport.launcher import PrivateKeys, ServerProcess, start_server

console = Console()

ENDPOINT = "iris-demo-endpoint"
CONFIG = "iris-demo-config"
MODEL = "iris-demo-model"


def run_demo(*, keep: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="modelport-demo-"))
    keys = PrivateKeys.new()
    access_key, secret_key = keys.access_key, keys.secret_key
    env = keys.server_env()
    server: ServerProcess | None = None
    kept = False
    try:
        console.print("[bold]1.[/] starting a modelport server ...")
        server = start_server(workdir / "data", env=env)
        invoke_url = _tutorial(server, access_key, secret_key, workdir, keep=keep)
        kept = keep
    finally:
        if kept and server is not None:
            print(how_to_reach(server, access_key, secret_key, workdir, invoke_url), flush=True)
        else:
            if server is not None:
                server.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            console.print("[bold]7.[/] server stopped, its temporary folder deleted; nothing left running.")


def how_to_reach(
    server: ServerProcess, access_key: str, secret_key: str, workdir: Path, invoke_url: str
) -> str:
    """Shell lines that reach what ``--keep`` left running, each runnable as printed."""
    data_dir = shlex.quote(str(server.data_dir))
    return (
        f"\nKept running: the server at {server.url} (pid {server.process.pid}), endpoint {ENDPOINT}, "
        f"function {demo_chain.FUNCTION} and its REST API. Data in {workdir}.\n"
        "Use them from a shell:\n"
        f"  export AWS_ACCESS_KEY_ID={access_key}\n"
        f"  export AWS_SECRET_ACCESS_KEY={shlex.quote(secret_key)}\n"
        "  export AWS_DEFAULT_REGION=us-east-1\n"
        f"  export AWS_ENDPOINT_URL={server.url}\n"
        "  modelport ls\n"
        f"  modelport invoke {ENDPOINT} --body 5.1,3.5,1.4,0.2\n"
        "  curl -X POST -H 'Content-Type: application/json' "
        f"""-d '{{"data": "5.1,3.3,1.7,0.5"}}' {invoke_url}\n"""
        "Stop the server and delete its data with:\n"
        f"  modelport stop --data-dir {data_dir} && rm -rf {shlex.quote(str(workdir))}\n"
    )


def _tutorial(server: ServerProcess, access_key: str, secret_key: str, workdir: Path, *, keep: bool) -> str:
    """Run the tutorial; return the REST API's invoke URL."""
    session = boto3.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1"
    )
    sm = session.client("sagemaker", endpoint_url=server.url)
    runtime = session.client("sagemaker-runtime", endpoint_url=server.url)

    console.print(
        "[bold]2.[/] training XGBoost on iris and packaging model.tar.gz (joblib → Booster.save_model) ..."
    )
    archive = seed.package_model(seed.train_iris_model(), workdir / "model")

    console.print("[bold]3.[/] create_model, create_endpoint_config, create_endpoint ...")
    started = time.perf_counter()
    sm.create_model(
        ModelName=MODEL,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/modelport-demo",
        PrimaryContainer={"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": str(archive)},
    )
    sm.create_endpoint_config(
        EndpointConfigName=CONFIG,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": MODEL,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m4.xlarge",
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=CONFIG)
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName=ENDPOINT, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600}
    )
    status = sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointStatus"]
    console.print(f"   endpoint {ENDPOINT} is {status} after {time.perf_counter() - started:.2f} s")

    console.print("[bold]4.[/] invoke_endpoint with each row of test_point.csv:")
    table = Table("features", "probabilities (text/csv response)", "prediction")
    for row in seed.test_points():
        response = runtime.invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body=row)
        body = response["Body"].read().decode()
        probabilities = [float(p) for p in body.strip().split(",")]
        features = ", ".join(f"{float(value):g}" for value in row.split(","))
        shown = ", ".join(f"{p:.4f}" for p in probabilities)
        table.add_row(features, shown, seed.CLASSES[probabilities.index(max(probabilities))])
    console.print(table)

    console.print(
        "[bold]5.[/] the tutorial's chain: IAM role with its policy, Lambda function, REST API "
        "POST /irisprediction on stage test ..."
    )
    invoke_url = demo_chain.build_chain(session, server.url, ENDPOINT)
    answer = demo_chain.ask(invoke_url, "5.1,3.3,1.7,0.5")
    console.print(f"   POST {invoke_url}")
    console.print('   body {"data": "5.1,3.3,1.7,0.5"}')
    console.print(f"   → HTTP {answer.status_code} {answer.headers.get('content-type')}: {answer.text}")
    if answer.status_code != 200:
        raise SystemExit(f"the REST API answered {answer.status_code}: {answer.text}")

    if keep:
        return invoke_url
    console.print(
        "[bold]6.[/] cleaning up: API, function, log groups, role, endpoint, endpoint config, model ..."
    )
    demo_chain.tear_down(session, server.url)
    sm.delete_endpoint(EndpointName=ENDPOINT)
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName=ENDPOINT, WaiterConfig={"Delay": 0.1, "MaxAttempts": 600}
    )
    sm.delete_endpoint_config(EndpointConfigName=CONFIG)
    sm.delete_model(ModelName=MODEL)
    demo_chain.delete_log_group(session, server.url, f"/aws/sagemaker/Endpoints/{ENDPOINT}")
    left = len(sm.list_endpoints()["Endpoints"]) + len(sm.list_models()["Models"])
    console.print(f"   {left} SageMaker resources left.")
    return invoke_url
