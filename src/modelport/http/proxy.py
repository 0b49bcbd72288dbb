"""The HTTPS proxy: ``CONNECT`` to an AWS host name, TLS ended here, the request served locally.

Code that hard-codes AWS host names (the SageMaker Python SDK calls
``https://sts.<region>.amazonaws.com``; ``boto3.Session().resource("s3")`` has no endpoint URL)
reaches modelport through ``HTTPS_PROXY`` and ``AWS_CA_BUNDLE``. For each ``CONNECT host:port``:

1. :func:`modelport.http.proxy_routes.route` decides. A host modelport does not serve gets
   ``403`` with the host's name in the status line (botocore shows it: ``Tunnel connection
   failed: 403 modelport does not serve ec2.us-east-1.amazonaws.com``) and a text body; nothing
   is ever connected to. So does a plain (non-``CONNECT``) proxy request.
2. Otherwise ``200``, then TLS with a leaf certificate for that host from the local CA
   (:mod:`modelport.http.certificates`).
3. modelport's own APIs: the decrypted connection is handed to uvicorn's HTTP protocol for the
   same ASGI app as the plain port, in this process. The ``Host`` header is left as the client
   sent it, so SigV4 made for the AWS host name verifies, and an unsigned or forged request is
   refused exactly as on the plain port.
4. S3: the decrypted bytes are piped unchanged to the embedded S3 (SeaweedFS), which verifies the
   signature for the AWS host name itself (it knows the root key) and reads virtual-hosted
   bucket names from the ``Host`` header (it is started with those host suffixes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from modelport.core.transparent import ca_bundle_path, ca_key_path
from modelport.http.proxy_routes import Backend, Route, route

if TYPE_CHECKING:
    from modelport.http.certificates import CertificateAuthority

log = logging.getLogger("modelport.proxy")

MAX_HEADER_BYTES = 16 * 1024  # a CONNECT request is one line and a few headers
HANDSHAKE_TIMEOUT_S = 10.0
# How long closing a TLS connection waits for the client's close_notify. An SDK's idle pooled
# connection never answers until it is used again, and uvicorn's graceful stop waits for every
# connection to be gone: without a short limit each one would hold a stop for its full timeout.
SHUTDOWN_TIMEOUT_S = 0.5
_HOST_CHARACTERS = re.compile(r"[^A-Za-z0-9._:\[\]-]")
CA_WAIT_S = 30.0  # a CONNECT in the first moments after start waits this long for the CA


@dataclass(frozen=True)
class S3Backend:
    """Where S3 host names go: a loopback address, and how to wait until it answers."""

    host: str
    port: int
    wait_ready: Callable[[], str | None]  # blocking; None when ready, else why not


class HttpsProxy:
    """The proxy's listener. ``start`` is called inside the server's event loop.

    ``cryptography`` costs a few hundred milliseconds to import and ~13 MB of memory, so the CA
    is loaded in a thread, never on the start-up path: on the first start (no CA yet) ``load_ca``
    makes it at once, in the background, so that ``AWS_CA_BUNDLE`` names a file; on later starts
    the first ``CONNECT`` loads it, and a server nobody uses the proxy of never imports it.
    """

    def __init__(self, data_dir: Path, *, region: str, s3: S3Backend | None) -> None:
        self.data_dir = data_dir
        self.region = region
        self.s3 = s3
        self._ca: concurrent.futures.Future[CertificateAuthority] = concurrent.futures.Future()
        self._loading = threading.Lock()  # held from the first load on
        self._server: asyncio.AbstractServer | None = None
        self._app_protocol: Callable[[], asyncio.Protocol] | None = None

    def load_ca(self) -> None:
        """Create the CA in a background thread if there is none yet; else leave it for later."""
        if not (ca_bundle_path(self.data_dir).is_file() and ca_key_path(self.data_dir).is_file()):
            self._start_loading()

    def _start_loading(self) -> None:
        if self._loading.acquire(blocking=False):
            threading.Thread(target=self._load_ca, name="proxy-ca", daemon=True).start()

    def _load_ca(self) -> None:
        try:
            from modelport.http.certificates import CertificateAuthority

            self._ca.set_result(CertificateAuthority(self.data_dir))
        except (OSError, ValueError) as exc:
            log.error("the HTTPS proxy's CA in %s is unusable: %s", self.data_dir / "ca", exc)
            self._ca.set_exception(exc)

    def server_context(self, host: str) -> ssl.SSLContext:
        """A TLS context for ``host`` (blocking: waits for the CA, may issue a certificate)."""
        self._start_loading()
        return self._ca.result(timeout=CA_WAIT_S).server_context(host)

    async def start(self, sock: socket.socket, app_protocol: Callable[[], asyncio.Protocol]) -> None:
        """Serve on ``sock`` (bound already); ``app_protocol`` makes the front door's protocol."""
        self._app_protocol = app_protocol
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ConnectProtocol(self), sock=sock)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def decide(self, host: str) -> Route:
        return route(host, region=self.region, s3_available=self.s3 is not None)

    def app_protocol(self) -> asyncio.Protocol:
        assert self._app_protocol is not None
        return self._app_protocol()


class _ConnectProtocol(asyncio.Protocol):
    """One client connection: reads the ``CONNECT`` request, then upgrades or refuses."""

    def __init__(self, proxy: HttpsProxy) -> None:
        self.proxy = proxy
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgrading = False
        self.early = bytearray()  # bytes that arrive over TLS before the next protocol takes over
        self.upgrade: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        if self.upgrading:
            self.early += data
            return
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEADER_BYTES:
                self._refuse(
                    431, "Request Header Fields Too Large", "the proxy request's headers are too long"
                )
            return
        head = bytes(self.buffer[:end]).decode("latin-1")
        rest = bytes(self.buffer[end + 4 :])
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._refuse(400, "Bad Request", "not an HTTP/1.x proxy request")
            return
        method, target, _ = parts
        if method.upper() != "CONNECT":
            host = _printable(_plain_request_host(target, lines[1:]))
            self._refuse(
                403,
                f"modelport does not proxy plain HTTP to {host}",
                f"modelport's proxy serves HTTPS (CONNECT) to AWS host names only; refused {method} to {host}",
            )
            return
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            self._refuse(400, "Bad Request", f"CONNECT needs host:port, not {target!r}")
            return
        decision = self.proxy.decide(_printable(host.strip("[]")))
        if decision.backend is None:
            log.info("proxy refused CONNECT to %s", decision.host)
            self._refuse(403, f"modelport does not serve {decision.host}", decision.refusal)
            return
        if rest:
            self._refuse(400, "Bad Request", "data sent before the CONNECT was answered")
            return
        self.upgrading = True
        assert self.transport is not None
        self.transport.pause_reading()  # the ClientHello must reach the TLS layer, not this protocol
        self.upgrade = asyncio.get_running_loop().create_task(self._upgrade(decision))  # held: not collected

    def _refuse(self, status: int, reason: str, body: str) -> None:
        assert self.transport is not None
        data = (body + "\n").encode()
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode("latin-1", "replace")
            + data
        )
        self.transport.close()

    async def _upgrade(self, decision: Route) -> None:
        transport = self.transport
        assert transport is not None
        loop = asyncio.get_running_loop()
        try:
            context = await loop.run_in_executor(None, self.proxy.server_context, decision.host)
        except (OSError, ValueError, concurrent.futures.TimeoutError) as exc:
            transport.resume_reading()
            self.upgrading = False
            self._refuse(
                502,
                "Bad Gateway",
                f"modelport's proxy has no certificate for {decision.host}: its CA in "
                f"{self.proxy.data_dir / 'ca'} is unusable ({exc}); see the server log",
            )
            return
        try:
            transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            tls = await loop.start_tls(
                transport,
                self,
                context,
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S,
                ssl_shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            log.info("proxy: TLS with the client for %s failed: %s", decision.host, exc)
            transport.abort()
            return
        if tls is None:
            transport.abort()
            return
        if decision.backend is Backend.MODELPORT:
            app = self.proxy.app_protocol()
            tls.set_protocol(app)
            app.connection_made(tls)
            if self.early:
                app.data_received(bytes(self.early))
            return
        await self._pipe_to_s3(tls, decision.host)

    async def _pipe_to_s3(self, tls: asyncio.Transport, host: str) -> None:
        s3 = self.proxy.s3
        assert s3 is not None
        loop = asyncio.get_running_loop()
        tls.pause_reading()
        failure = await loop.run_in_executor(None, s3.wait_ready)
        try:
            if failure is not None:
                raise ConnectionError(failure)
            backend, _ = await loop.create_connection(lambda: _Pipe(tls), s3.host, s3.port)
        except OSError as exc:
            log.warning("proxy: S3 for %s is not reachable: %s", host, exc)
            body = f"modelport's S3 is not reachable for {host}: {exc}\n".encode()
            tls.write(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            tls.close()
            return
        tls.set_protocol(_Pipe(backend))
        if self.early:
            backend.write(bytes(self.early))
        tls.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.buffer.clear()


class _Pipe(asyncio.Protocol):
    """Copies what its transport reads into ``peer``, with flow control both ways."""

    def __init__(self, peer: asyncio.Transport) -> None:
        self.peer = peer

    def data_received(self, data: bytes) -> None:
        self.peer.write(data)

    def eof_received(self) -> bool | None:
        if self.peer.can_write_eof():
            self.peer.write_eof()
            return True  # keep reading the other way
        self.peer.close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.peer.close()

    def pause_writing(self) -> None:
        self.peer.pause_reading()

    def resume_writing(self) -> None:
        self.peer.resume_reading()


def _printable(host: str) -> str:
    """A client's host name as it may appear in a status line: host-name characters only."""
    return _HOST_CHARACTERS.sub("?", host[:255])


def _plain_request_host(target: str, header_lines: list[str]) -> str:
    if "://" in target:
        return target.split("://", 1)[1].split("/", 1)[0] or "(no host)"
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "host":
            return value.strip()
    return "(no host)"
