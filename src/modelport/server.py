"""Running the server process: keys and profile on first start, uvicorn, clean shutdown.

uvicorn handles SIGTERM and SIGINT: it stops accepting, finishes in-flight requests and runs
the app's shutdown, which stops every worker process. Workers also die on their own if the
server is killed with SIGKILL (they watch their parent), so no process outlives its server.
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import uvicorn

from modelport.aws.auth.keys import ensure_root_key
from modelport.aws.auth.profile import write_profile
from modelport.bootstrap import Platform, build_platform
from modelport.core.config import Settings
from modelport.http.app import create_app

log = logging.getLogger("modelport")


def prepare_credentials(platform: Platform) -> str:
    """Make sure the root key exists, write the AWS profile, and return what to tell the user."""
    settings = platform.settings
    access_key_id, secret, _ = ensure_root_key(platform.keys, settings, clock=platform.clock)
    if not settings.write_profile:
        return f"Root access key id: {access_key_id} (profile writing is off: MODELPORT_WRITE_PROFILE=0)."
    return write_profile(settings.profile_name, access_key_id, secret, settings.region, settings.url)


def run_server(settings: Settings) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    platform = build_platform(settings)
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
    )
    server = uvicorn.Server(config)
    # uvicorn stops gracefully on SIGTERM/SIGINT, then re-raises the signal with the handlers it
    # found in place; these make that last step a normal exit with status 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    log.info("modelport listening on %s (data in %s)", settings.url, settings.data_dir)
    try:
        server.run()
    finally:
        platform.store.close()


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
