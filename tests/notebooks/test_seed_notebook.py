"""The seed's deployment notebook, unchanged, cell by cell, as its user runs it.

``seed_deployment.ipynb`` (the team's notebook with the tutorial's calls in their order: the
SageMaker Python SDK 2.x for the role and the default bucket, plain boto3 clients with no
endpoint URL for the rest, ``time.sleep(60)`` polling) runs twice against one server that uses
the embedded S3 and its HTTPS proxy, as after the README's first command:

(a) inside a notebook instance the test creates through boto3, with the files uploaded through
    JupyterLab as a user drags them in, in its ``conda_python3`` kernel;
(b) in a plain local kernel (nbclient) whose environment is what
    ``eval "$(modelport env --transparent --role ROLE)"`` exports.

No cell is edited. The endpoint is InService at the first DescribeEndpoint, so the notebook's
``sleep(60)`` loop never runs (its output would say ``Status: Creating``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from modelport.launcher import free_port
from modelport.seed import test_points_csv as seed_test_points
from modelport.seed import train_iris_model
from support.jupyter import Kernel, open_lab, upload
from support.modelport_server import ModelportServer, modelport_env, running_server

pytestmark = pytest.mark.e2e

NOTEBOOK = Path(__file__).with_name("seed_deployment.ipynb")
MODEL_FILE = "DEMO-local-xgboost-model"
ROLE = "AmazonSageMaker-ExecutionRole-20240703T092754"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
# What the console attaches to a new SageMaker execution role.
POLICY = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
# The SDK's telemetry GETs an amazonaws.com URL after its calls: opted out as its docs say.
SDK_CONFIG = "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    env = {
        "MODELPORT_EMBEDDED_S3": "1",
        "MODELPORT_EMBEDDED_S3_PORT": str(free_port()),
        "MODELPORT_PROXY": "1",
        "MODELPORT_PROXY_PORT": "0",
        "MODELPORT_S3_FRONT": "1",
        "MODELPORT_S3_FRONT_PORT": "0",
    }
    with running_server(tmp_path_factory.mktemp("seed-notebook"), env=env) as running:
        iam = running.client("iam")
        # As the console creates it: under /service-role/.
        iam.create_role(RoleName=ROLE, Path="/service-role/", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=POLICY)
        yield running


@pytest.fixture(scope="module")
def laptop_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What the user brings from the laptop: the joblib dump of the trained model and test_point.csv."""
    folder = tmp_path_factory.mktemp("laptop")
    joblib.dump(train_iris_model(), folder / MODEL_FILE)
    return {
        MODEL_FILE: (folder / MODEL_FILE).read_bytes(),
        "test_point.csv": seed_test_points().encode(),
        NOTEBOOK.name: NOTEBOOK.read_bytes(),
    }


def code_cells() -> list[str]:
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def expected_classes(files: dict[str, bytes], folder: Path) -> list[int]:
    (folder / MODEL_FILE).write_bytes(files[MODEL_FILE])
    rows = np.loadtxt(files["test_point.csv"].decode().splitlines(), delimiter=",")
    return [int(label) for label in joblib.load(folder / MODEL_FILE).predict(rows)]


def check_transcript(printed: str, expected: list[int]) -> None:
    """What the notebook printed says: the role, the default bucket, InService at once, and the predictions."""
    assert f"arn:aws:iam::123456789012:role/service-role/{ROLE}" in printed, printed
    assert "Status: InService" in printed, printed
    assert "sagemaker-us-east-1-123456789012" in printed
    assert "Status: Creating" not in printed and "Status: InService" in printed
    found = re.search(r"Predicted Class Probabilities: (.*?)\n\.\n", printed, re.S)
    assert found is not None, printed[-2000:]
    rows = [line for line in found.group(1).strip().splitlines() if line.strip()]
    probabilities = [[float(value) for value in row.strip("[]").split(",")] for row in rows]
    assert [int(np.argmax(row)) for row in probabilities] == expected


def test_the_seed_notebook_runs_unchanged_in_a_notebook_instance(
    server: ModelportServer, laptop_files: dict[str, bytes], tmp_path: Path
) -> None:
    sagemaker = server.client("sagemaker")
    role_arn = server.client("iam").get_role(RoleName=ROLE)["Role"]["Arn"]
    sagemaker.create_notebook_instance(
        NotebookInstanceName="seed", InstanceType="ml.t2.medium", RoleArn=role_arn
    )
    sagemaker.get_waiter("notebook_instance_in_service").wait(
        NotebookInstanceName="seed", WaiterConfig={"Delay": 1, "MaxAttempts": 1}
    )
    lab = open_lab(sagemaker, "seed")
    for name, content in laptop_files.items():
        upload(lab, name, content)
    printed = ""
    with Kernel(lab) as kernel:
        for number, code in enumerate(code_cells(), 1):
            cell = kernel.run(code)
            assert cell.error is None, f"cell {number} raised {cell.error}:\n{code}\n{cell.stderr[-3000:]}"
            printed += cell.stdout + "".join(cell.results)
    check_transcript(printed, expected_classes(laptop_files, tmp_path))
    assert sagemaker.list_endpoints()["Endpoints"] == []  # the notebook's own clean-up cell
    assert sagemaker.list_models()["Models"] == []
    sagemaker.stop_notebook_instance(NotebookInstanceName="seed")
    sagemaker.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName="seed")
    sagemaker.delete_notebook_instance(NotebookInstanceName="seed")


def test_the_seed_notebook_runs_unchanged_in_a_plain_kernel_after_modelport_env(
    server: ModelportServer, laptop_files: dict[str, bytes], tmp_path: Path
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    for name, content in laptop_files.items():
        (workdir / name).write_bytes(content)
    home = tmp_path / "home"
    home.mkdir()
    environment = user_environment(server, home)
    notebook = nbformat.read(workdir / NOTEBOOK.name, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(workdir)}}
    )
    try:
        client.execute(env=environment)
    except CellExecutionError as failed:  # its message has the cell, the error and the traceback
        raise AssertionError(strip_ansi(str(failed))) from None
    printed = "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    check_transcript(printed, expected_classes(laptop_files, tmp_path))
    assert server.client("sagemaker").list_endpoints()["Endpoints"] == []


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def user_environment(server: ModelportServer, home: Path) -> dict[str, str]:
    """A user's shell after ``eval "$(modelport env --transparent --role ROLE)"``, nothing else of AWS."""
    clean: dict[str, Any] = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_", "SAGEMAKER_"))
    }
    exported = modelport_env(server, "--transparent", "--role", ROLE, env=clean)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert name not in exported  # the role's credentials come from the credentials endpoint
    return clean | {"HOME": str(home)} | exported
