"""``python -m modelport.sandboxes.worker``: load the model, then serve until SIGTERM or parent death."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys

from modelport.sandboxes.worker.lifecycle import die_with_parent, exit_on_sigterm
from modelport.sandboxes.worker.settings import WorkerSettings
from modelport.sandboxes.worker.warm import preload, receive_spec

logger = logging.getLogger("modelport.worker")


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s",
    )
    exit_on_sigterm()
    die_with_parent()
    # The real XGBoost image sets this; it must precede the first xgboost import.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    preload(os.environ.get("MODELPORT_RUNTIME", "xgboost"))
    if os.environ.get("MODELPORT_WAIT_FOR_SPEC") == "1":
        receive_spec()
    settings = WorkerSettings.from_environ(os.environ)

    from modelport.sandboxes.runtimes import ModelLoadError, load_runtime

    runtime = None
    load_error: str | None = None
    try:
        runtime = load_runtime(
            settings.runtime, settings.framework_version, settings.environ, settings.model_dir
        )
        runtime.load(settings.model_dir)
    except ModelLoadError as error:
        load_error = str(error)
    except Exception as error:  # anything else still becomes a readable FailureReason
        load_error = f"Model in {settings.model_dir} cannot be loaded: {type(error).__name__}: {error}"
    if load_error is not None:
        logger.error("model load failed: %s", load_error)
    return serve(settings, runtime, load_error)


def serve(settings: WorkerSettings, runtime: object, load_error: str | None) -> int:
    import uvicorn

    from modelport.sandboxes.runtimes.base import Runtime
    from modelport.sandboxes.worker import framing
    from modelport.sandboxes.worker.app import WorkerApp

    app = WorkerApp(runtime if isinstance(runtime, Runtime) else None, load_error)
    if settings.listen_fd is not None:
        # socket(fileno=) detects the real family (uvicorn's fd= assumes AF_UNIX, which would
        # also skip TCP_NODELAY on accepted connections).
        sock = socket.socket(fileno=settings.listen_fd)
    else:
        # proto must be IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections
        # only then, and without it Nagle + delayed ACK add ~40 ms to every response.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", settings.port))
        sock.listen(128)
    config = uvicorn.Config(
        app,
        http=_http_implementation(),
        loop="auto",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=75,
    )
    server = uvicorn.Server(config)
    if not framing.supported() or sock.family != socket.AF_INET:
        server.run(sockets=[sock])
        return 0
    port = sock.getsockname()[1]

    async def serve_both() -> None:
        # The router's invocations arrive in frames on the Unix socket; HTTP stays on the port.
        frames = await framing.listen(app.answer, port)
        try:
            await server.serve(sockets=[sock])
        finally:
            await frames.close()

    # The event loop uvicorn's own Server.run would use (uvloop when installed).
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(serve_both())
    return 0


def _http_implementation() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


if __name__ == "__main__":
    sys.exit(main())
