"""``modelport demo`` as a user runs it: nothing left behind, or, with ``--keep``, lines that
reach what it kept, each run here in ``bash`` exactly as printed."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.harness import cli_env, indented_block
from modelport.launcher import is_running

pytestmark = pytest.mark.e2e

BIN = str(Path(sys.executable).parent)


def demo(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**cli_env(tmp_path), "TMPDIR": str(temporary), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [sys.executable, "-m", "modelport", "demo", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result, env


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


def test_demo_leaves_no_temporary_folder(tmp_path: Path) -> None:
    result, _ = demo(tmp_path)
    assert "nothing left running" in result.stdout
    assert list((tmp_path / "tmp").iterdir()) == []


def test_demo_keep_prints_lines_that_work_as_pasted(tmp_path: Path) -> None:
    result, env = demo(tmp_path, "--keep")
    match = re.search(r"the server at (http://\S+) \(pid (\d+)\)", result.stdout)
    assert match, result.stdout
    url, pid = match.group(1), int(match.group(2))
    try:
        use = bash(indented_block(result.stdout, "Use them from a shell:"), env, tmp_path)
        assert use.returncode == 0, use.stderr
        assert "iris-demo-endpoint" in use.stdout  # modelport ls
        assert '"Setosa"' in use.stdout  # the REST API, over curl
        assert is_running(url)
        stop = bash(indented_block(result.stdout, "Stop the server and delete its data with:"), env, tmp_path)
        assert stop.returncode == 0, stop.stderr
        assert "Stopped the modelport server" in stop.stdout
        assert not is_running(url)
        assert list((tmp_path / "tmp").iterdir()) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # a no-op once the printed stop line worked
