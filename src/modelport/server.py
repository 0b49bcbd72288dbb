"""Running the server process: keys and profile on first start, uvicorn, clean shutdown.

uvicorn handles SIGTERM and SIGINT: it stops accepting, finishes in-flight requests and runs
the app's shutdown, which stops every worker process. Workers also die on their own if the
server is killed with SIGKILL (they watch their parent), so no process outlives its server.

Before anything is printed the data folder is checked to be writable and the port is bound, so
a bad folder or a taken port is one clear line (``ServerCannotStart``), never a traceback or a
``listening on`` line followed by an error. While it runs, the server records itself in
``<data_dir>/server.json`` (pid, URL) and ``<data_dir>/server.pid``: ``modelport status`` and
``modelport stop`` read them; a clean exit removes them.

With ``MODELPORT_PROXY`` on (the default) the server also listens on ``127.0.0.1:<proxy port>`` as an
HTTPS proxy for AWS host names (``http/proxy.py``), in the same event loop as uvicorn and feeding
the same app; its URL and the CA certificate's path are in ``server.json``.

With no S3 endpoint configured, the server also starts the embedded S3 (``EmbeddedS3``, SeaweedFS)
in the background before uvicorn, points its own S3 settings at it, records its URL in
``server.json`` and stops it on the way out (it dies with the server on a SIGKILL too).
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import signal
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn

from modelport.aws.auth.keys import ensure_root_key
from modelport.aws.auth.profile import write_profile
from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.bootstrap import Platform, build_platform
from modelport.core.config import Settings
from modelport.core.errors import ModelportError
from modelport.core.transparent import ca_bundle_path, proxy_url, s3_front_url
from modelport.http.app import create_app
from modelport.http.one_write import OneWriteHttpTools
from modelport.http.proxy import HttpsProxy, S3Backend
from modelport.http.proxy_routes import s3_domain_names
from modelport.http.s3.front import S3Front
from modelport.sandboxes.embedded_s3 import EmbeddedS3
from modelport.server_record import remove_record, write_record
from modelport.store.sqlite import SqliteStore

log = logging.getLogger("modelport")


class ServerCannotStart(ModelportError):
    """The data folder or the port is unusable; the message says which setting to change."""


def prepare_credentials(platform: Platform) -> str:
    """Make sure the root key exists, write the AWS profile, and return what to tell the user."""
    settings = platform.settings
    access_key_id, secret, _ = ensure_root_key(platform.keys, settings, clock=platform.clock)
    if not settings.write_profile:
        return (
            f"Root access key id: {access_key_id} (profile writing is off: MODELPORT_WRITE_PROFILE=0).\n"
            f"Print the key pair as export lines with: modelport credentials --data-dir {settings.data_dir}"
        )
    return write_profile(settings.profile_name, access_key_id, secret, settings.region, settings.url)


def check_data_dir(data_dir: Path) -> None:
    """Create the folder if needed and prove a file can be written in it."""
    hint = "choose another folder with --data-dir or MODELPORT_DATA_DIR"
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryFile(dir=data_dir, prefix=".modelport-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ServerCannotStart(f"cannot write to the data folder {data_dir} ({reason}); {hint}") from None


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed; a taken port is a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerCannotStart(
                f"cannot listen on {host}:{port}: address already in use (another modelport server? "
                f"see: modelport status); choose another port with --port or MODELPORT_PORT"
            ) from None
        raise ServerCannotStart(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another address with --host/--port or MODELPORT_HOST/MODELPORT_PORT"
        ) from None
    sock.set_inheritable(True)
    return sock


def bind_proxy_socket(
    port: int, what: str = "the HTTPS proxy", setting: str = "MODELPORT_PROXY_PORT"
) -> socket.socket:
    """A loopback socket for ``what``: ``port`` if free, else (with a warning) any free port."""
    try:
        return bind_socket("127.0.0.1", port)
    except ServerCannotStart:
        if port == 0:
            raise
        sock = bind_socket("127.0.0.1", 0)
        log.warning(
            "port %d (%s) is taken; %s uses port %d instead",
            port,
            setting,
            what,
            sock.getsockname()[1],
        )
        return sock


def run_server(settings: Settings) -> None:
    check_data_dir(settings.data_dir)
    sock = bind_socket(settings.host, settings.port)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    proxy_sock = bind_proxy_socket(settings.proxy_port) if settings.proxy else None
    if proxy_sock is not None:
        settings = dataclasses.replace(settings, proxy_port=proxy_sock.getsockname()[1])
    embedded = start_embedded_s3(settings)
    if embedded is not None:
        settings = dataclasses.replace(
            settings,
            s3_endpoint_url=embedded.endpoint_url,
            s3_access_key_id=embedded.access_key,
            s3_secret_access_key=embedded.secret_key,
            s3_region=settings.region,
        )
    s3_sock = None
    if settings.s3_front and (embedded is not None or settings.s3_endpoint_url is not None):
        s3_sock = bind_proxy_socket(settings.s3_front_port, "the S3 front", "MODELPORT_S3_FRONT_PORT")
        settings = dataclasses.replace(settings, s3_front_port=s3_sock.getsockname()[1])
    try:
        _serve(settings, sock, embedded, _Listeners(proxy_sock, s3_sock))
    finally:
        if embedded is not None:
            embedded.stop()


def start_embedded_s3(settings: Settings) -> EmbeddedS3 | None:
    """Start SeaweedFS in the background unless an external S3 is configured or it is turned off."""
    if settings.s3_endpoint_url is not None or not settings.embedded_s3:
        return None
    store = SqliteStore(settings.store_path)
    try:
        access_key, secret_key, _ = ensure_root_key(SqliteKeyStore(store.connection), settings)
    finally:
        store.close()
    embedded = EmbeddedS3(
        settings.data_dir / "s3",
        settings.log_dir / "s3.log",
        access_key=access_key,
        secret_key=secret_key,
        region=settings.region,
        ready_timeout_s=settings.limits.embedded_s3_ready_timeout_s,
        stop_timeout_s=settings.limits.embedded_s3_stop_timeout_s,
        s3_port=settings.embedded_s3_port,
        domain_names=s3_domain_names(settings.region) if settings.proxy else (),
    )
    try:
        embedded.start()
    except (OSError, RuntimeError) as exc:
        raise ServerCannotStart(f"cannot start the embedded S3: {exc}") from None
    return embedded


@dataclass
class _Listeners:
    """The sockets beside the front door's: the HTTPS proxy's and the S3 front's (None: off)."""

    proxy: socket.socket | None
    s3_front: socket.socket | None


def start_proxy(settings: Settings, embedded: EmbeddedS3 | None, s3_front: bool) -> HttpsProxy:
    """The proxy, its CA loading (or, on the first start, being made) in the background.

    S3 host names go to the S3 front when it runs (S3 with modelport's keys and IAM), else
    straight to the embedded S3."""
    s3 = None if embedded is None else S3Backend("127.0.0.1", embedded.ports["s3"], embedded.wait_ready)
    if s3_front:
        s3 = S3Backend("127.0.0.1", settings.s3_front_port, embedded.wait_ready if embedded else lambda: None)
    proxy = HttpsProxy(settings.data_dir, region=settings.region, s3=s3)
    proxy.load_ca()
    return proxy


class _Server(uvicorn.Server):
    """uvicorn's server, plus the HTTPS proxy and the S3 front in the same event loop."""

    def __init__(
        self,
        config: uvicorn.Config,
        proxy: HttpsProxy | None,
        listeners: _Listeners,
        s3_front: S3Front | None,
    ):
        super().__init__(config)
        self.proxy = proxy
        self.listeners = listeners
        self.s3_front = s3_front
        self.s3_server: asyncio.AbstractServer | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit:
            return
        loop = asyncio.get_running_loop()
        if self.s3_front is not None and self.listeners.s3_front is not None:
            self.s3_server = await self.s3_front.listen(self.listeners.s3_front, self.server_state)
        if self.proxy is None or self.listeners.proxy is None:
            return
        config = self.config

        def app_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop
            )

        await self.proxy.start(self.listeners.proxy, app_protocol)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.proxy is not None:
            self.proxy.close()
        if self.s3_server is not None:
            self.s3_server.close()
        await super().shutdown(sockets=sockets)
        if self.s3_front is not None:
            await self.s3_front.close()


def _serve(
    settings: Settings, sock: socket.socket, embedded: EmbeddedS3 | None, listeners: _Listeners
) -> None:
    s3_on = listeners.s3_front is not None
    proxy = None if listeners.proxy is None else start_proxy(settings, embedded, s3_on)
    platform = build_platform(settings, s3_ready=None if embedded is None else embedded.wait_ready)
    s3_front = S3Front.for_settings(platform, embedded.wait_ready if embedded else None) if s3_on else None
    print(prepare_credentials(platform), file=sys.stderr, flush=True)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s: every request still needs a valid signature", settings.host)
    config = uvicorn.Config(
        create_app(platform),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        http=OneWriteHttpTools,  # a response's head and body in one send (http/one_write.py)
    )
    server = _Server(config, proxy, listeners, s3_front)
    # uvicorn stops gracefully on SIGTERM/SIGINT, then re-raises the signal with the handlers it
    # found in place; these make that last step a normal exit with status 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    write_record(settings, None if embedded is None else embedded.endpoint_url, s3_front is not None)
    log.info("modelport listening on %s (data in %s)", settings.url, settings.data_dir)
    if embedded is not None:
        log.info("embedded S3 on %s (data in %s)", embedded.endpoint_url, embedded.data_dir)
    if s3_front is not None:
        log.info("S3 front (modelport's keys and IAM) on %s", s3_front_url(settings.s3_front_port))
    if proxy is not None:
        log.info(
            "HTTPS proxy for AWS host names on %s (CA: %s)",
            proxy_url(settings.proxy_port),
            ca_bundle_path(settings.data_dir),
        )
    try:
        server.run(sockets=[sock])
    finally:
        remove_record(settings.data_dir)
        platform.store.close()


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
