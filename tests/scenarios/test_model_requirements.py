"""What the SageMaker scikit-learn container gives script-mode code beyond scikit-learn itself.

pandas is there, and ``code/requirements.txt`` is installed with pip before the model loads: once
per distinct file, into an environment under ``<data_dir>/envs/<sha256>/`` that every endpoint with
the same file reuses. pip's output is in the instance log; a failed install fails the endpoint
with a FailureReason that names the requirement.

The requirement installed here is ``multipledispatch`` (a 13 kB pure-Python wheel with no
dependencies), which modelport does not depend on; the tests check that first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import tarfile
from pathlib import Path

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, deploy, wait_in_service, wait_status

pytestmark = pytest.mark.e2e

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
EXTRA_PACKAGE = "multipledispatch"
REQUIREMENTS = f"{EXTRA_PACKAGE}==1.0.0\n"

PANDAS_INFERENCE = """
import io
import os

import joblib
import pandas as pd


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(body, content_type):
    return pd.read_csv(io.StringIO(body), header=None)


def predict_fn(frame, model):
    return model.predict(frame.to_numpy())
"""

REQUIREMENTS_INFERENCE = """
import json
import os

import joblib
import multipledispatch


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def output_fn(prediction, accept):
    body = {"classes": prediction.tolist(), "extra": multipledispatch.__file__, "tag": TAG}
    return json.dumps(body), "application/json"
"""


def model_archive(folder: Path, code: dict[str, str]) -> Path:
    """An iris classifier in ``model.joblib`` plus ``code/<name>`` files, as model.tar.gz."""
    features, labels = load_iris(return_X_y=True)
    model = folder / "model.joblib"
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), model)
    archive = folder / "model.tar.gz"
    with tarfile.open(archive, mode="w:gz") as tar:
        tar.add(model, arcname="model.joblib")
        for name, text in code.items():
            data = text.encode()
            info = tarfile.TarInfo(f"code/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


@pytest.fixture(scope="module")
def server(module_servers: ServerPool) -> ModelportServer:
    # No warm pool: these models start cold anyway, and spares would compete for the CPU.
    return module_servers.start(env={"MODELPORT_WARM_WORKERS_PER_RUNTIME": "0"})


def instance_log(server: ModelportServer, endpoint: str) -> str:
    return (server.data_dir / "logs" / endpoint.lower() / "AllTraffic-0.log").read_text()


def predict_csv(server: ModelportServer, endpoint: str) -> object:
    response = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint,
        ContentType="text/csv",
        Accept="application/json",
        Body="5.1,3.3,1.7,0.5\n6.3,2.8,5.1,1.5\n",
    )
    return json.loads(response["Body"].read())


def test_script_mode_code_can_import_pandas(server: ModelportServer, tmp_path: Path) -> None:
    archive = model_archive(tmp_path, {"inference.py": PANDAS_INFERENCE})
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "uses-pandas", str(archive), image=SKLEARN_IMAGE)
    wait_in_service(sagemaker, "uses-pandas")
    assert predict_csv(server, "uses-pandas") == [0, 2]


def test_requirements_are_installed_once_and_shared(
    server: ModelportServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert importlib.util.find_spec(EXTRA_PACKAGE) is None, "the test needs a package modelport lacks"
    sagemaker = server.client("sagemaker")
    names = ("needs-extra-a", "needs-extra-b")
    for name in names:  # two models with the same requirements.txt, launched at the same time
        code = {"inference.py": f"TAG = {name!r}\n{REQUIREMENTS_INFERENCE}", "requirements.txt": REQUIREMENTS}
        deploy(sagemaker, name, str(model_archive(tmp_path_factory.mktemp(name), code)), image=SKLEARN_IMAGE)
    for name in names:
        wait_in_service(sagemaker, name)

    env_dir = server.data_dir / "envs" / hashlib.sha256(REQUIREMENTS.encode()).hexdigest()
    for name in names:
        answer = predict_csv(server, name)
        assert isinstance(answer, dict)
        assert answer["classes"] == [0, 2] and answer["tag"] == name
        assert Path(answer["extra"]).is_relative_to(env_dir)
    logs = [instance_log(server, name) for name in names]
    installed = [log for log in logs if "installing into" in log]
    reused = [log for log in logs if "installed earlier" in log]
    assert len(installed) == 1 and len(reused) == 1, logs
    assert f"Successfully installed {EXTRA_PACKAGE}-1.0.0" in installed[0]  # pip's own output
    assert [p.name for p in (server.data_dir / "envs").iterdir() if p.is_dir()] == [env_dir.name]


def test_a_requirement_pip_cannot_find_fails_the_endpoint(server: ModelportServer, tmp_path: Path) -> None:
    missing = "modelport-no-such-package-4f1c"
    code = {"inference.py": PANDAS_INFERENCE, "requirements.txt": f"{missing}==1.0\n"}
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "bad-requirements", str(model_archive(tmp_path, code)), image=SKLEARN_IMAGE)
    description = wait_status(sagemaker, "bad-requirements", {"InService", "Failed"})
    assert description["EndpointStatus"] == "Failed"
    reason = description["FailureReason"]
    assert "Installing code/requirements.txt failed" in reason
    assert f"{missing}==1.0" in reason
    assert "modelport logs bad-requirements" in reason
    assert f"No matching distribution found for {missing}" in instance_log(server, "bad-requirements")
