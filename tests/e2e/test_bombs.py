"""Decompression bombs and a full disk, through a real server with its default limits.

A model archive of 320 MiB of zeros packs to about 300 KiB: under the 8 GiB cap, it would be
written out in full. The ratio guard (100:1 past 64 MiB, ``MODELPORT_MAX_UNPACK_RATIO`` and
``MODELPORT_UNPACK_RATIO_FLOOR_BYTES``) stops it at the floor, the endpoint is ``Failed`` with a
``FailureReason`` that says why, and the data folder never held much more than the floor. A
Lambda deployment package gets the same guard. A server told to keep more disk free than there
is (``MODELPORT_MIN_FREE_DISK_BYTES``) refuses to unpack anything, with a reason that says so.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.services import (
    Expected,
    check_refused,
    ensure_function_role,
    function_absent,
    function_params,
)
from modelport.core.config import Limits
from support.bombs import write_zero_bomb
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, client, deploy, wait_status

pytestmark = pytest.mark.e2e

MIB = 1024**2
FLOOR = Limits().unpack_ratio_floor_bytes
BOMB_SIZE = 320 * MIB


def folder_bytes(root: Path) -> int:
    total = 0
    for folder, _subfolders, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # removed while we looked
                total += os.lstat(os.path.join(folder, name)).st_size
    return total


class PeakSize:
    """The largest size seen of a folder's files while the block runs (sampled continuously)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, folder_bytes(self.root))

    def __enter__(self) -> PeakSize:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zero_bomb(tmp_path_factory.mktemp("bomb") / "model.tar.gz", BOMB_SIZE)


def test_a_model_bomb_fails_the_endpoint_at_the_floor(server: ModelportServer, sm: Any, bomb: Path) -> None:
    assert bomb.stat().st_size < 1 * MIB  # 320 MiB of zeros, packed
    with PeakSize(server.data_dir / "artifacts") as watched:
        deploy(sm, "bomb-model", str(bomb))
        described = wait_status(sm, "bomb-model", {"Failed", "InService"})
    assert described["EndpointStatus"] == "Failed", described
    reason = described["FailureReason"]
    assert reason.startswith('Model archive "model.tar.gz" is refused: it unpacks to more than 100 times')
    assert "decompression bomb" in reason and "MODELPORT_MAX_UNPACK_RATIO" in reason
    stopped_at = int(re.search(r"\((\d+) bytes from", reason).group(1))  # type: ignore[union-attr]
    assert FLOOR < stopped_at <= FLOOR + 2 * MIB
    assert watched.peak <= FLOOR + 2 * MIB, f"the data folder held {watched.peak} bytes"


def test_a_function_zip_bomb_is_refused(server: ModelportServer) -> None:
    lam = client(server, "lambda", validate=False)
    ensure_function_role(client(server, "iam", validate=False))
    params = function_params(
        "e2e-zip-bomb", {"lambda_function.py": "def lambda_handler(e, c):\n    return 1\n"}
    )
    params["Code"]["ZipFile"] = zip_of_zeros(200 * MIB)
    assert len(params["Code"]["ZipFile"]) < 1 * MIB
    with pytest.raises(ClientError) as caught:
        lam.create_function(**params)
    check_refused(
        caught,
        Expected("InvalidParameterValueException", 400, ("more than 100 times", "decompression bomb")),
    )
    function_absent(lam, server.data_dir, "e2e-zip-bomb")


def zip_of_zeros(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lambda_function.py", "def lambda_handler(e, c):\n    return 1\n")
        with archive.open("weights.bin", "w", force_zip64=True) as member:
            chunk = bytes(MIB)
            for _ in range(size // MIB):
                member.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def full_disk_server(module_servers: ServerPool, tmp_path_factory: pytest.TempPathFactory) -> ModelportServer:
    """A server that must keep a terabyte more free than the disk has."""
    impossible = shutil.disk_usage(tmp_path_factory.getbasetemp()).free + 1024**4
    return module_servers.start(env={"MODELPORT_MIN_FREE_DISK_BYTES": str(impossible)})


def test_too_little_free_disk_fails_the_endpoint(
    full_disk_server: ModelportServer, model_archive: Path
) -> None:
    sm = full_disk_server.client("sagemaker")
    deploy(sm, "no-room", str(model_archive))
    described = wait_status(sm, "no-room", {"Failed", "InService"})
    assert described["EndpointStatus"] == "Failed", described
    reason = described["FailureReason"]
    assert reason.startswith(
        f'Cannot unpack model archive "{model_archive.name}": not enough free disk space: '
    )
    assert (
        "must stay free (MODELPORT_MIN_FREE_DISK_BYTES). Free some disk space or lower the setting." in reason
    )


def test_too_little_free_disk_refuses_a_function(full_disk_server: ModelportServer) -> None:
    server = full_disk_server
    lam = client(server, "lambda", validate=False)
    ensure_function_role(client(server, "iam", validate=False))
    with pytest.raises(ClientError) as caught:
        lam.create_function(**function_params("e2e-no-room", {"lambda_function.py": "x = 1\n"}))
    check_refused(
        caught,
        Expected(
            "InvalidParameterValueException",
            400,
            ("not enough free disk space", "MODELPORT_MIN_FREE_DISK_BYTES"),
        ),
    )
    function_absent(lam, server.data_dir, "e2e-no-room")
