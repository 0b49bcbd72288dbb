"""``modelport role|function|api`` as a user runs them, against one real server.

The tests run in order and build the tutorial's chain step by step: a role with the tutorial's
policy, a function, a REST API in front of it and one straight in front of an endpoint; then
``ls`` and ``cleanup --all``. Each CLI call is a fresh ``python -m modelport`` process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cli.harness import cli_env, ok, one_error_line, run
from modelport import demo_chain, seed
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

HANDLER = """\
import os


def lambda_handler(event, context):
    print("upper-casing for", os.environ.get("GREETING", "nobody"))
    return event["data"].upper()
"""


def url_in(out: str) -> str:
    match = re.search(r"Invoke URL: (\S+)", out)
    assert match, out
    return match.group(1)


def test_role_create_with_the_tutorial_policy(server: ModelportServer, workdir: Path) -> None:
    policy = workdir / "policy.json"
    policy.write_text(json.dumps(demo_chain.POLICY))
    out = ok(run(workdir, "role", "create", "iris-role", "--policy", str(policy), url=server.url))
    assert re.search(r"Created role iris-role: arn:aws:iam::\d{12}:role/iris-role", out), out
    again = ok(run(workdir, "role", "create", "iris-role", "--policy", str(policy), url=server.url))
    assert "Updated the policy of role iris-role" in again


def test_function_deploy_creates_then_updates(server: ModelportServer, workdir: Path) -> None:
    handler = workdir / "upper.py"
    handler.write_text(HANDLER)
    args = ["function", "deploy", str(handler), "--handler", "upper.lambda_handler", "--role", "iris-role"]
    out = ok(run(workdir, *args, "--env", "GREETING=tests", "--timeout", "10", url=server.url))
    assert re.search(r"Created function upper: arn:aws:lambda:us-east-1:\d{12}:function:upper", out), out
    assert "modelport function invoke upper --payload" in out
    out = ok(run(workdir, *args, "--memory", "256", url=server.url))
    assert "Updated function upper" in out


def test_function_invoke_prints_the_result(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "function", "invoke", "upper", "--payload", '{"data": "setosa"}', url=server.url))
    assert out == '"SETOSA"\n'
    event = workdir / "event.json"
    event.write_text('{"data": "from a file"}')
    assert ok(run(workdir, "function", "invoke", "upper", "--file", str(event), url=server.url)) == (
        '"FROM A FILE"\n'
    )


def test_function_deploy_hint_runs_as_printed(server: ModelportServer, workdir: Path) -> None:
    handler = workdir / "upper.py"
    out = ok(
        run(workdir, "function", "deploy", str(handler), "--handler", "upper.lambda_handler", url=server.url)
    )
    hint = out.split("Invoke it with:\n", 1)[1].splitlines()[0].strip()
    assert hint.startswith("modelport function invoke upper --payload")
    env = {**cli_env(workdir), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    pasted = subprocess.run(
        ["bash", "-c", hint], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert pasted.returncode == 0, (hint, pasted.stderr)
    assert pasted.stdout == '"5.1,3.3,1.7,0.5"\n'


def test_function_error_is_one_line_of_error_json(server: ModelportServer, workdir: Path) -> None:
    line = one_error_line(run(workdir, "function", "invoke", "upper", "--payload", "{}", url=server.url))
    assert line.startswith("error: function upper failed (Unhandled): {")
    assert '"errorType": "KeyError"' in line


def test_function_logs_show_start_and_report(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "function", "logs", "upper", url=server.url))
    assert "START RequestId:" in out and "REPORT RequestId:" in out
    assert "upper-casing for tests" in out
    assert all(" | " in line for line in out.splitlines())


def test_api_in_front_of_the_function(server: ModelportServer, workdir: Path) -> None:
    out = ok(
        run(
            workdir, "api", "create", "upper-api", "--path", "/irisprediction",
            "--method", "POST", "--function", "upper", url=server.url,
        )
    )  # fmt: skip
    url = url_in(out)
    assert url.startswith(f"{server.url}/restapis/") and url.endswith("/test/_user_request_/irisprediction")
    assert f"curl -X POST {url} -H 'Content-Type: application/json' -d '{{\"data\": " in out
    response = httpx.post(url, json={"data": "virginica"}, timeout=30)
    assert response.status_code == 200
    assert response.json() == "VIRGINICA"


def test_api_straight_to_an_endpoint(server: ModelportServer, workdir: Path) -> None:
    import joblib

    model = workdir / "iris-model.joblib"
    joblib.dump(seed.train_iris_model(), model)
    ok(run(workdir, "deploy", str(model), "--name", "iris", url=server.url))
    out = ok(
        run(
            workdir, "api", "create", "iris-api", "--path", "/iris/predict", "--endpoint", "iris",
            "--stage", "prod", url=server.url,
        )
    )  # fmt: skip
    url = url_in(out)
    assert url.endswith("/prod/_user_request_/iris/predict")
    assert "-H 'Content-Type: text/csv' -d '5.1,3.3,1.7,0.5'" in out
    response = httpx.post(url, content="5.1,3.3,1.7,0.5", headers={"Content-Type": "text/csv"}, timeout=30)
    assert response.status_code == 200
    scores = [float(value) for value in response.text.strip().split(",")]
    assert len(scores) == 3 and scores.index(max(scores)) == 0  # Setosa
    # API Gateway calls the endpoint as a role the command made (AWS service integrations need one).
    assert "modelport-apigateway-sagemaker" in ok(run(workdir, "role", "ls", url=server.url))


def test_proxy_api_passes_the_request_through(server: ModelportServer, workdir: Path) -> None:
    folder = workdir / "echo"
    folder.mkdir()
    (folder / "lambda_function.py").write_text(
        "import json\n\n\ndef lambda_handler(event, context):\n"
        '    return {"statusCode": 201, "body": json.dumps({"got": event["body"], "path": event["path"]})}\n'
    )
    ok(run(workdir, "function", "deploy", str(folder), "--role", "iris-role", url=server.url))
    out = ok(
        run(
            workdir, "api", "create", "echo-api", "--path", "/echo", "--function", "echo", "--proxy",
            url=server.url,
        )
    )  # fmt: skip
    response = httpx.post(url_in(out), content="5.1,3.3,1.7,0.5", timeout=30)
    assert response.status_code == 201
    assert response.json() == {"got": "5.1,3.3,1.7,0.5", "path": "/echo"}


def test_errors_are_one_line(server: ModelportServer, workdir: Path) -> None:
    line = one_error_line(run(workdir, "function", "invoke", "ghost", url=server.url))
    assert line.startswith("error: ResourceNotFoundException:")
    line = one_error_line(
        run(workdir, "api", "create", "x", "--path", "/x", "--function", "ghost", url=server.url)
    )
    assert line.startswith("error: ResourceNotFoundException:")
    line = one_error_line(
        run(workdir, "api", "create", "upper-api", "--path", "/x", "--function", "upper", url=server.url)
    )
    assert "a REST API named upper-api exists" in line
    bad = workdir / "bad.json"
    bad.write_text("{not json")
    line = one_error_line(run(workdir, "role", "create", "r", "--policy", str(bad), url=server.url))
    assert "is not JSON" in line
    line = one_error_line(run(workdir, "function", "logs", "ghost", url=server.url))
    assert "no logs for function ghost" in line
    line = one_error_line(run(workdir, "function", "invoke", "upper", "--payload", "{x", url=server.url))
    assert "the payload is not JSON" in line


def test_ls_lists_functions_apis_and_roles(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "ls", url=server.url))
    for title in ("Functions", "REST APIs", "Roles"):
        assert title in out
    for name in ("upper", "upper-api", "iris-api", "iris-role", "python3.11"):
        assert name in out
    assert "upper" in ok(run(workdir, "function", "ls", url=server.url))
    assert "iris-api" in ok(run(workdir, "api", "ls", url=server.url))
    assert "iris-role" in ok(run(workdir, "role", "ls", url=server.url))


def test_cleanup_all_removes_everything(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "cleanup", "--all", "--yes", url=server.url))
    # The roles: iris-role, and the one `api create --endpoint` made for API Gateway.
    assert "3 REST API(s), 2 function(s) and 2 role(s)" in out
    listing = ok(run(workdir, "ls", url=server.url))
    assert listing.splitlines() == ["No endpoints.", "No models.", "No endpoint configs."]
    assert ok(run(workdir, "role", "ls", url=server.url)).strip() == "No roles."
    assert ok(run(workdir, "function", "ls", url=server.url)).strip() == "No functions."
    assert ok(run(workdir, "api", "ls", url=server.url)).strip() == "No REST APIs."
