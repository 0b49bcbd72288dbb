"""Each ``modelport`` command imports only what it uses (docs/benchmarks.md, "CLI start-up").

Every command is a new Python process, so what ``modelport.cli.main`` imports is paid on every
call. These tests run commands in a fresh interpreter (click's ``CliRunner``, no timing) and
read ``sys.modules`` afterwards: help imports no AWS SDK, HTTP client, rich or server code; commands
that talk to a server import its client side only (botocore; not boto3, s3transfer or httpx),
never the server's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli.harness import cli_env
from modelport.launcher import free_port
from support.modelport_server import ModelportServer

# Run in a fresh interpreter: ``help`` walks every command and group; otherwise each argument
# list of the JSON in argv[1] is one command. Prints the exit codes and every imported module.
PROBE = """
import json, sys
import click
from click.testing import CliRunner
from modelport.cli.main import cli

def helps(command, path):
    yield [*path, "--help"]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from helps(sub, [*path, name])

runs = list(helps(cli, [])) if sys.argv[1] == "help" else json.loads(sys.argv[1])
runner = CliRunner()
codes = []
for args in runs:
    result = runner.invoke(cli, args)
    codes.append([args, result.exit_code, result.output[-500:] + repr(result.exception)])
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""

# Never needed to show help: the AWS SDK, HTTP clients, rich, the server and the models' libraries.
NOT_FOR_HELP = ("boto3", "botocore", "s3transfer", "urllib3", "httpx", "httpcore", "rich")
SERVER_SIDE = (
    "uvicorn",
    "starlette",
    "xgboost",
    "numpy",
    "modelport.server",
    "modelport.bootstrap",
    "modelport.http",
    "modelport.console",
    "modelport.sandboxes",
    "modelport.services",
    "modelport.hosting",
    "modelport.store",
)

# What no client command needs: botocore makes the clients boto3 would (without s3transfer),
# and the health check is the standard library's.
NOT_FOR_CLIENTS = ("boto3", "s3transfer", "httpx", "httpcore")

# Commands that call the server, each through its own client (errors such as a missing
# endpoint are fine: the command still connected and called the server).
CLIENT_COMMANDS = [
    ["ls"],
    ["describe", "nothing-here"],
    ["logs", "nothing-here"],
    ["metrics", "nothing-here"],
    ["status"],
    ["credentials"],
    ["env"],
    ["console"],
    ["function", "ls"],
    ["role", "ls"],
    ["api", "ls"],
    ["notebook", "ls"],
]


def probe(runs: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, runs],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return answer


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules that are one of ``prefixes`` or inside one of them."""
    return [m for m in modules if m in prefixes or m.startswith(tuple(p + "." for p in prefixes))]


def with_endpoint(url: str) -> list[list[str]]:
    return [[*args, "--endpoint-url", url] for args in CLIENT_COMMANDS]


def test_help_imports_no_sdk_http_client_or_server(tmp_path: Path) -> None:
    answer = probe("help", cli_env(tmp_path))
    helped = [args for args, code, _ in answer["codes"]]
    assert ["--help"] in helped and ["function", "deploy", "--help"] in helped
    assert all(code == 0 for _, code, _ in answer["codes"]), answer["codes"]
    assert loaded(answer["modules"], NOT_FOR_HELP + SERVER_SIDE) == []


def test_commands_without_a_server_import_only_the_client_side(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: each command stops at its first call
    answer = probe(json.dumps(with_endpoint(url)), cli_env(tmp_path))
    assert loaded(answer["modules"], SERVER_SIDE) == []
    assert loaded(answer["modules"], ("botocore",)) != []  # the probe did reach the clients
    assert loaded(answer["modules"], NOT_FOR_CLIENTS) == []


@pytest.mark.e2e
def test_commands_against_a_server_import_only_the_client_side(
    server: ModelportServer, workdir: Path
) -> None:
    policy = workdir / "policy.json"
    allow = {"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [allow]}))
    # A role first, so that ``role ls`` draws a table (rich) rather than "No roles".
    runs = [["role", "create", "startup-probe", "--policy", str(policy), "--endpoint-url", server.url]]
    answer = probe(json.dumps(runs + with_endpoint(server.url)), cli_env(workdir))
    codes = {" ".join(args[:2]): code for args, code, _ in answer["codes"]}
    assert codes["role create"] == 0 and codes["role ls"] == 0 and codes["ls --endpoint-url"] == 0, answer[
        "codes"
    ]
    assert "startup-probe" in next(out for args, _, out in answer["codes"] if args[:2] == ["role", "ls"])
    assert loaded(answer["modules"], SERVER_SIDE) == []
    assert loaded(answer["modules"], NOT_FOR_CLIENTS) == []
