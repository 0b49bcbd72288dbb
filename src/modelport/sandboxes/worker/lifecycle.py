"""Process lifetime: exit 0 on SIGTERM, and never outlive the parent (the supervisor).

Two mechanisms, both cheap: ``PR_SET_PDEATHSIG`` (Linux; the kernel sends SIGTERM when the thread
that forked us exits) and a daemon thread polling ``os.getppid()`` once a second for platforms
without it or if the signal is lost.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
from types import FrameType

logger = logging.getLogger("modelport.worker")

_PR_SET_PDEATHSIG = 1


def exit_on_sigterm() -> None:
    """Until the server installs its own handlers (model loading can take a while)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, handler)


def die_with_parent(poll_seconds: float = 1.0) -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except OSError:
            logger.warning("prctl(PR_SET_PDEATHSIG) unavailable; relying on polling")
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(poll_seconds):
            if os.getppid() != parent:
                logger.warning("parent process %d exited; stopping", parent)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
