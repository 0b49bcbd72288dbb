"""Running ``python -m modelport ...`` as a user would, against a real server the tests share.

The CLI tests sign with root keys fixed per session (``ACCESS_KEY``, ``SECRET_KEY``): the server
they start (``tests/cli/conftest.py``: ``server``) and every CLI process (``cli_env``) use them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.modelport_server import new_key_pair, root_env

ACCESS_KEY, SECRET_KEY = new_key_pair()
SERVER_ENV = root_env(ACCESS_KEY, SECRET_KEY)


def cli_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_"))}
    return {
        **env,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        # Keep the user's own AWS files out of it.
        "AWS_CONFIG_FILE": str(workdir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
        "MODELPORT_DATA_DIR": str(workdir / "cli-data"),
        "MODELPORT_EMBEDDED_S3": "0",  # servers the CLI starts read no s3:// data here
        "COLUMNS": "200",
    }


def run(
    workdir: Path,
    *args: str,
    url: str | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "modelport", *args]
    if url is not None:
        command += ["--endpoint-url", url]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        input=input if input is not None else "",
        env={**cli_env(workdir), **(env or {})},
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result.stdout


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def indented_block(out: str, heading: str) -> str:
    """The two-space indented lines right after the line that starts with ``heading``: a printed hint."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    block: list[str] = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line[2:])
    assert block, out
    return "\n".join(block) + "\n"
