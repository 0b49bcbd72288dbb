"""Process lifetime: exit 0 on SIGTERM, and never outlive the parent (the supervisor)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from types import FrameType

from modelport.sandboxes import lifeline

logger = logging.getLogger("modelport.worker")


def exit_on_sigterm() -> None:
    """Exit 0 on SIGTERM until the server installs its own handlers (model loading can take a while).

    The handler ends the process with ``os._exit`` after flushing stdio rather than raising
    ``SystemExit``: the signal can land in the middle of importing numpy or xgboost, where a
    Python exception raised from a C extension's initialisation comes out as an unrelated error
    and exit status 1. Before serving there is nothing else to clean up. uvicorn restores this
    handler and re-raises the signal after its graceful shutdown, which ends here too.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
                stream.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, handler)


def die_with_parent() -> None:
    """SIGTERM when the server goes (``sandboxes/lifeline.py``): the worker then exits 0."""
    lifeline.die_with_parent(os.getppid(), signal.SIGTERM, warn=logger.warning)
