"""``modelport console``: the console's address and how to sign in, without printing a secret."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from support.modelport_server import ModelportServer, root_shell, run_modelport

pytestmark = pytest.mark.e2e


def test_console_hint(server: ModelportServer) -> None:
    done = run_modelport(server, "console", "--endpoint-url", server.url)
    assert done.returncode == 0, done.stderr
    assert f"Console: {server.url}/console/\n" in done.stdout
    assert server.access_key in done.stdout
    assert server.secret_key not in done.stdout


def test_console_hints_work_when_pasted(server: ModelportServer) -> None:
    """Each command ``modelport console`` prints runs as printed (NAME and the password
    replaced, as the hint says), in a shell holding nothing but the server's keys."""
    done = run_modelport(server, "console", "--endpoint-url", server.url)
    assert done.returncode == 0, done.stderr
    commands = [line.strip() for line in done.stdout.splitlines() if line.startswith("  ")]
    assert commands[0] == f"modelport credentials --endpoint-url {server.url}", done.stdout
    shell = {
        **root_shell(server),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
    }
    shown = subprocess.run(["bash", "-c", commands[0]], env=shell, capture_output=True, text=True, timeout=60)
    assert f"AWS_SECRET_ACCESS_KEY={server.secret_key}" in shown.stdout.replace("'", ""), shown.stderr
    script = "set -e\n" + "\n".join(commands[1:]).replace("NAME", "console-hint-user")
    made = subprocess.run(["bash", "-c", script], env=shell, capture_output=True, text=True, timeout=120)
    iam = server.client("iam")
    try:
        assert made.returncode == 0, made.stderr
        assert iam.get_login_profile(UserName="console-hint-user")["LoginProfile"]
    finally:
        with contextlib.suppress(ClientError):
            iam.delete_login_profile(UserName="console-hint-user")
        with contextlib.suppress(ClientError):
            iam.delete_user(UserName="console-hint-user")
