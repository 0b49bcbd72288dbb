"""``modelport console``: the console's address and how to sign in, without printing a secret."""

from __future__ import annotations

import pytest

from support.modelport_server import ModelportServer, run_modelport

pytestmark = pytest.mark.e2e


def test_console_hint(server: ModelportServer) -> None:
    done = run_modelport(server, "console", "--endpoint-url", server.url)
    assert done.returncode == 0, done.stderr
    assert f"Console: {server.url}/console/\n" in done.stdout
    assert server.access_key in done.stdout
    assert server.secret_key not in done.stdout
