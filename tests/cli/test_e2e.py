"""The CLI as a user runs it: ``python -m modelport ...`` subprocesses against one real server.

The tests run in order and share the server and the deployed ``iris`` endpoint; each CLI call
is a fresh process, so what is checked is exactly what a terminal would show.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.harness import SERVER_ENV, cli_env, ok, one_error_line, run
from modelport import seed
from modelport.launcher import free_port, is_running
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def model_file(workdir: Path) -> Path:
    import joblib

    path = workdir / "iris-model.joblib"
    joblib.dump(seed.train_iris_model(), path)
    return path


def test_deploy_prints_how_to_invoke(server: ModelportServer, workdir: Path, model_file: Path) -> None:
    out = ok(run(workdir, "deploy", str(model_file), "--name", "iris", url=server.url))
    assert "xgboost, from iris-model.joblib (pickle of xgboost.sklearn)" in out
    assert "Endpoint iris is InService" in out
    assert f"{server.url}/endpoints/iris/invocations" in out
    assert '--aws-sigv4 "aws:amz:us-east-1:sagemaker"' in out
    assert '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"' in out
    assert 'invoke_endpoint(EndpointName="iris"' in out
    packages = list((workdir / "cli-data" / "packages").glob("iris-*.tar.gz"))
    assert len(packages) == 1


def test_invoke_with_the_seed_rows(server: ModelportServer, workdir: Path) -> None:
    rows = workdir / "test_point.csv"
    rows.write_text(seed.test_points_csv())
    out = ok(run(workdir, "invoke", "iris", "--csv", str(rows), url=server.url))
    predictions = [[float(p) for p in line.split(",")] for line in out.splitlines()]
    assert len(predictions) == len(seed.test_points())
    assert all(len(p) == 3 and abs(sum(p) - 1) < 1e-3 for p in predictions)
    assert predictions[-1].index(max(predictions[-1])) == 0  # the last row is a Setosa


def test_invoke_body_and_accept(server: ModelportServer, workdir: Path) -> None:
    out = ok(
        run(
            workdir,
            "invoke",
            "iris",
            "--body",
            "5.1,3.5,1.4,0.2",
            "--accept",
            "application/json",
            url=server.url,
        )
    )
    assert out.startswith('{"predictions"')


def test_ls_shows_it_in_service(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "ls", url=server.url))
    line = next(line for line in out.splitlines() if " iris " in line)
    assert "InService" in line
    assert "Models" in out and "Endpoint configs" in out
    assert out.count("iris-2") == 2  # the model and the config, named <name>-<stamp>


def test_describe(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "describe", "iris", url=server.url))
    assert '"EndpointStatus": "InService"' in out
    assert '"EndpointName": "iris"' in out
    assert "Variants of endpoint config iris-" in out
    assert "ml.m5.large" in out
    assert "Instances of endpoint iris" in out and "the server's machine" in out  # where each runs
    assert _scaling_of_all_traffic(out) == "no"

    # Scaled by Application Auto Scaling: its bounds and policy beside the variant (test_rm
    # checks that rm deregisters it).
    scaling = server.client("application-autoscaling")
    scaling.register_scalable_target(**_target("iris"), MinCapacity=1, MaxCapacity=2)
    scaling.put_scaling_policy(
        PolicyName="cli-tracking",
        PolicyType="TargetTrackingScaling",
        **_target("iris"),
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 1000.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    out = ok(run(workdir, "describe", "iris", url=server.url))
    assert _scaling_of_all_traffic(out) == "1–2: cli-tracking"


def _target(endpoint: str) -> dict[str, str]:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{endpoint}/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }


def _scaling_of_all_traffic(described: str) -> str:
    """The "Automatic scaling" cell (the last) of the variants table's AllTraffic row."""
    row = next(line for line in described.splitlines() if line.startswith("│ AllTraffic "))
    return row.split("│")[-2].strip()


def test_the_instances_route_is_signed_and_authorized_as_describe_endpoint(server: ModelportServer) -> None:
    import botocore.session

    from modelport.cli.client import Connection
    from modelport.cli.sagemaker.endpoints import INSTANCES_PATH, instance_locations

    keys = botocore.session.Session()
    keys.set_credentials(server.access_key, server.secret_key)
    connection = Connection(endpoint_url=server.url, region="us-east-1", session=keys)
    [instance] = instance_locations(connection, "iris")
    assert instance["VariantName"] == "AllTraffic" and instance["Node"] is None
    assert instance["Status"] == "InService" and instance["InstanceId"].startswith("iris/AllTraffic/")
    unsigned = httpx.get(server.url + INSTANCES_PATH.format(name="iris"))
    assert unsigned.status_code in (400, 403) and "Instances" not in unsigned.text
    assert instance_locations(connection, "no-such-endpoint") == []


def test_metrics_show_the_invocations(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "metrics", "iris", url=server.url))
    header, *lines = out.splitlines()
    assert header.split()[:4] == ["minute", "(UTC)", "variant", "invocations"]
    assert sum(float(line.split()[3]) for line in lines if line.split()[2] == "AllTraffic") >= 1
    missing = run(workdir, "metrics", "no-such-endpoint", url=server.url)
    assert missing.returncode != 0
    assert "no metrics for endpoint no-such-endpoint" in one_error_line(missing)


def test_logs_show_the_worker(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "logs", "iris", url=server.url))
    assert out.splitlines()
    assert all(line.startswith("AllTraffic/i-0-") for line in out.splitlines())
    assert "XGBoost" in out


def test_logs_follow_until_interrupted(server: ModelportServer, workdir: Path) -> None:
    command = [sys.executable, "-m", "modelport", "logs", "iris", "-f", "--endpoint-url", server.url]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(workdir),
        text=True,
        # Ctrl-C as in a terminal, even when this test runs under a shell that ignores SIGINT
        # (a background job inherits the ignored signal, and Python then never raises it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()  # the existing lines are printed: it is following now
        assert first.startswith("AllTraffic/i-0-"), first
        log_file = server.data_dir / "logs" / "iris" / "AllTraffic-0.log"
        with open(log_file, "a") as handle:
            handle.write("a line written while following\n")
        seen = [first]
        while "a line written while following" not in seen[-1]:
            line = process.stdout.readline()
            assert line, "modelport logs -f stopped before the new line arrived"
            seen.append(line)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert " | a line written while following\n" in "".join(seen) + out


def test_redeploy_updates_the_endpoint(server: ModelportServer, workdir: Path, model_file: Path) -> None:
    out = ok(
        run(workdir, "deploy", str(model_file), "--name", "iris", "--framework", "xgboost", url=server.url)
    )
    assert "Updating endpoint iris" in out
    assert "Endpoint iris is InService" in out


def test_rm_removes_endpoint_config_and_model(server: ModelportServer, workdir: Path) -> None:
    described = ok(run(workdir, "describe", "iris", url=server.url))
    config = described.split('"EndpointConfigName": "', 1)[1].split('"', 1)[0]
    out = ok(run(workdir, "rm", "iris", url=server.url))
    assert out.startswith("Deregistered the automatic scaling of variant AllTraffic.\n")
    assert "Deleted endpoint iris." in out
    targets = server.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"] == []
    assert f"Deleted endpoint config {config}." in out
    assert f"Deleted model {config}." in out
    listing = ok(run(workdir, "ls", url=server.url))
    assert "No endpoints." in listing
    assert config not in listing


def test_cleanup_all(server: ModelportServer, workdir: Path, model_file: Path) -> None:
    ok(run(workdir, "deploy", str(model_file), "--name", "second", url=server.url))
    scaling = server.client("application-autoscaling")
    scaling.register_scalable_target(**_target("second"), MinCapacity=1, MaxCapacity=3)
    refused = run(workdir, "cleanup", "--all", url=server.url, input="n\n")
    assert refused.returncode != 0
    assert "second" in ok(run(workdir, "ls", url=server.url))
    out = ok(run(workdir, "cleanup", "--all", "--yes", url=server.url))
    # the redeploy of iris deleted its superseded config and model, rm the rest
    assert out.startswith(
        "Deleted 1 endpoint(s), 1 endpoint config(s) and 1 model(s); the automatic scaling of 1 variant(s)"
    )
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    listing = ok(run(workdir, "ls", url=server.url))
    assert listing.splitlines() == ["No endpoints.", "No models.", "No endpoint configs."]


def test_invoke_unknown_endpoint_is_one_line(server: ModelportServer, workdir: Path) -> None:
    line = one_error_line(run(workdir, "invoke", "nope", "--body", "1,2,3,4", url=server.url))
    assert line.startswith("error: ValidationError: Endpoint nope")
    assert line.endswith("not found.")


def test_deploy_unknown_file_type(server: ModelportServer, workdir: Path) -> None:
    path = workdir / "weights.onnx"
    path.write_bytes(b"\x08\x07onnx")
    line = one_error_line(run(workdir, "deploy", str(path), url=server.url))
    assert "--framework xgboost or --framework sklearn" in line


def test_no_server_at_url(workdir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for args in (
        ["ls"],
        ["describe", "x"],
        ["rm", "x"],
        ["invoke", "x", "--body", "1"],
        ["cleanup", "--all", "-y"],
    ):
        line = one_error_line(run(workdir, *args, url=url))
        assert line == f"error: no modelport server at {url}; start one with: modelport server"


def test_logs_of_an_unknown_endpoint(server: ModelportServer, workdir: Path) -> None:
    line = one_error_line(run(workdir, "logs", "ghost", url=server.url))
    assert "no logs for endpoint ghost" in line and "does not exist" in line


def test_deploy_starts_a_server_when_none_runs(workdir: Path, model_file: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    data_dir = workdir / "autostart"
    result = run(
        workdir,
        "deploy",
        str(model_file),
        "--name",
        "auto",
        "--data-dir",
        str(data_dir),
        url=url,
        env=SERVER_ENV,
    )
    pid_path = data_dir / "server.pid"
    try:
        out = ok(result)
        assert f"Started a modelport server at {url}" in out
        assert "Endpoint auto is InService" in out
        assert (data_dir / "server.log").exists()
        assert is_running(url)
        # the printed stop hint works as pasted
        stop = out.split("stop it with: ", 1)[1].split(").", 1)[0]
        env = {**cli_env(workdir), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        pasted = subprocess.run(
            ["bash", "-c", stop], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        assert pasted.returncode == 0, (stop, pasted.stderr)
        assert not is_running(url)
    finally:
        if pid_path.exists():
            _stop(int(pid_path.read_text()))


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
