"""A real S3 server for tests: the embedded S3 (SeaweedFS) the modelport server itself starts.

    with SeaweedS3Server() as s3:          # or in a fixture: server.start() ... server.stop()
        client = s3.client()
        client.create_bucket(Bucket="models")
        settings = Settings(**s3.settings_overrides())

``sandboxes.embedded_s3.EmbeddedS3`` does the work (free loopback ports, no listener beyond S3,
master, volume and filer, the process group stopped as one); this wrapper gives it a temporary
folder and its own credentials, waits until a signed S3 call succeeds, and removes the folder on
``stop``. Nothing is downloaded: it works offline.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelport.sandboxes.embedded_s3 import EmbeddedS3

STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 1.0


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
        self._s3: EmbeddedS3 | None = None
        self._tmp: Path | None = None
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
        if self._s3 is not None:
            raise RuntimeError("SeaweedS3Server is already running")
        began = time.monotonic()
        # A free port can be taken by someone else between probing and binding; try fresh ones.
        for attempt in range(3):
            self._tmp = Path(tempfile.mkdtemp(prefix="modelport-seaweed-"))
            self._s3 = EmbeddedS3(
                self._tmp / "s3",
                self._tmp / "weed.log",
                access_key=self.access_key,
                secret_key=self.secret_key,
                region=self.region,
                ready_timeout_s=self.startup_timeout_s,
                stop_timeout_s=STOP_GRACE_S,
            )
            try:
                self._s3.start()
                failure = self._s3.wait_ready()
                endpoint = S3Endpoint(self._s3.endpoint_url, self.access_key, self.secret_key, self.region)
                if failure is None:
                    self._wait_signed_call(endpoint)
            except BaseException:
                self.stop()
                raise
            if failure is not None:
                tail = self._log_tail()
                self.stop()
                if attempt == 2:
                    raise RuntimeError(f"{failure}:\n{tail}")
                continue
            self.endpoint = endpoint
            self.startup_seconds = time.monotonic() - began
            return endpoint
        raise AssertionError("unreachable")

    def stop(self) -> None:
        s3, self._s3 = self._s3, None
        if s3 is not None:
            s3.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _wait_signed_call(self, endpoint: S3Endpoint) -> None:
        """Wait until a signed S3 write succeeds: the filer and volume accept data, not only HTTP."""
        deadline = time.monotonic() + self.startup_timeout_s
        client = endpoint.client()
        probe = "modelport-readiness-probe"
        while True:
            try:
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                return
            except (BotoCoreError, ClientError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"SeaweedFS S3 did not accept a write within {self.startup_timeout_s} s:\n"
                        + self._log_tail()
                    ) from None
                time.sleep(0.1)

    def _log_tail(self) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-30:])
