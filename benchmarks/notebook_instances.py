"""Notebook instances: CreateNotebookInstance → InService, Stop, Start → InService, Delete, timed.

Each run creates an instance with boto3 and waits with the ``notebook_instance_in_service``
waiter, as a user would; the time is from the Create call to the waiter's success (JupyterLab
answering). Then Stop, Start (→ InService again), Stop and Delete, each timed the same way.
Starts its own server: ``.venv/bin/python -m benchmarks.notebook_instances --runs 3``.
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

from modelport.launcher import PrivateKeys, start_server

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
WAIT = {"Delay": 0.05, "MaxAttempts": 4000}


def run_once(sm: Any, role_arn: str, name: str) -> dict[str, float]:
    laps: dict[str, float] = {}

    def timed(label: str, call: Any, waiter: str, **params: Any) -> None:
        began = time.perf_counter()
        call(NotebookInstanceName=name, **params)
        sm.get_waiter(waiter).wait(NotebookInstanceName=name, WaiterConfig=WAIT)
        laps[label] = time.perf_counter() - began

    timed(
        "create → InService",
        sm.create_notebook_instance,
        "notebook_instance_in_service",
        InstanceType="ml.t3.medium",
        RoleArn=role_arn,
    )
    timed("stop → Stopped", sm.stop_notebook_instance, "notebook_instance_stopped")
    timed("start → InService", sm.start_notebook_instance, "notebook_instance_in_service")
    timed("stop → Stopped (2)", sm.stop_notebook_instance, "notebook_instance_stopped")
    timed("delete → gone", sm.delete_notebook_instance, "notebook_instance_deleted")
    return laps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.notebook_instances", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="instances created one after another (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="modelport-notebook-instances-"))
    keys = PrivateKeys.new()
    server = start_server(workdir / "data", env={**keys.server_env(), "MODELPORT_EMBEDDED_S3": "0"})
    try:
        session = boto3.Session(
            aws_access_key_id=keys.access_key, aws_secret_access_key=keys.secret_key, region_name="us-east-1"
        )
        config = Config(read_timeout=90, retries={"max_attempts": 1})
        iam = session.client("iam", endpoint_url=server.url, config=config)
        sm = session.client("sagemaker", endpoint_url=server.url, config=config)
        role_arn = iam.create_role(RoleName="bench-notebook", AssumeRolePolicyDocument=json.dumps(TRUST))[
            "Role"
        ]["Arn"]
        runs = [run_once(sm, role_arn, f"bench-{index}") for index in range(args.runs)]
    finally:
        server.stop()
    labels = list(runs[0])
    print("| phase | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | median |")
    print("|---|" + "---|" * (len(runs) + 1))
    for label in labels:
        values = [run[label] for run in runs]
        median = sorted(values)[(len(values) - 1) // 2]
        print(f"| {label} | " + " | ".join(f"{v:.2f} s" for v in values) + f" | {median:.2f} s |")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
