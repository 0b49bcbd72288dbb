"""What a running server leaves in its data folder: ``server.json``, ``server.pid``, its root key.

The server writes and removes the record (``server.py``); the CLI reads it (``modelport status``,
``stop``, ``env``, ``credentials``). Kept apart from ``server.py`` so that reading it imports
nothing of the server (uvicorn, the app, the platform): CLI commands start fast.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from modelport.core.config import Settings
from modelport.core.transparent import ca_bundle_path, proxy_url, s3_front_url

STATE_FILE = "server.json"
PID_FILE = "server.pid"
STORE_FILE = "modelport.sqlite3"


@dataclass(frozen=True)
class ServerRecord:
    """What a running server wrote into its data folder."""

    pid: int
    url: str
    data_dir: Path
    s3_endpoint_url: str | None = None  # the embedded S3's URL; None when S3 is external or off
    proxy_url: str | None = None  # the HTTPS proxy (transparent endpoints); None when off
    ca_bundle: str | None = None  # the proxy CA's certificate (PEM, public); None when off
    s3_front_url: str | None = None  # the S3 front (modelport's keys and IAM); None when off


def read_record(data_dir: Path) -> ServerRecord | None:
    """The server recorded in ``data_dir``, if its process still runs; None otherwise."""
    try:
        document = json.loads((data_dir / STATE_FILE).read_text())
        s3_url, proxy, ca, front = (
            document.get(name) for name in ("s3_endpoint_url", "proxy_url", "ca_bundle", "s3_front_url")
        )
        record = ServerRecord(
            pid=int(document["pid"]),
            url=str(document["url"]),
            data_dir=data_dir,
            s3_endpoint_url=None if s3_url is None else str(s3_url),
            proxy_url=None if proxy is None else str(proxy),
            ca_bundle=None if ca is None else str(ca),
            s3_front_url=None if front is None else str(front),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if is_modelport_process(record.pid) else None


def is_modelport_process(pid: int) -> bool:
    """True when ``pid`` runs; on Linux also that it is a modelport command (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid
    return b"modelport" in command


def read_root_key(data_dir: Path) -> tuple[str, str] | None:
    """The root key pair stored in ``data_dir`` (read-only), or None when there is no store."""
    path = data_dir / STORE_FILE
    if not path.is_file():
        return None
    # Imported here: the modelport.aws.auth package brings SigV4 verification, which a reader
    # of server.json does not need.
    from modelport.aws.auth.principal import PrincipalKind
    from modelport.aws.auth.sqlite_keys import SqliteKeyStore

    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            keys = SqliteKeyStore(connection).list(kind=PrincipalKind.ROOT)
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return (keys[-1].access_key_id, keys[-1].secret_access_key) if keys else None


def write_record(settings: Settings, s3_endpoint_url: str | None, s3_front: bool) -> None:
    """Record this process as the server of ``settings.data_dir`` (each file replaced atomically)."""
    document = {
        "pid": os.getpid(),
        "url": settings.url,
        "data_dir": str(settings.data_dir),
        "s3_endpoint_url": s3_endpoint_url,
        "proxy_url": proxy_url(settings.proxy_port) if settings.proxy else None,
        "ca_bundle": str(ca_bundle_path(settings.data_dir)) if settings.proxy else None,
        "s3_front_url": s3_front_url(settings.s3_front_port) if s3_front else None,
    }
    for name, text in ((STATE_FILE, json.dumps(document) + "\n"), (PID_FILE, f"{os.getpid()}\n")):
        temporary = settings.data_dir / f".{name}.tmp"
        temporary.write_text(text)
        os.replace(temporary, settings.data_dir / name)


def remove_record(data_dir: Path) -> None:
    """Remove the files if they still name this process (a newer server may have replaced them)."""
    record_pid: int | None
    try:
        record_pid = int(json.loads((data_dir / STATE_FILE).read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        record_pid = None
    if record_pid == os.getpid():
        for name in (STATE_FILE, PID_FILE):
            (data_dir / name).unlink(missing_ok=True)
