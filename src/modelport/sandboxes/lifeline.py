"""Never outlive the server: the one ``die_with_parent`` of every process modelport starts.

Standard library only, so both islands — the model worker and the Lambda runner — may import it
without dragging modelport into their processes. Two mechanisms, both cheap: ``PR_SET_PDEATHSIG``
(Linux; the kernel signals us when the thread that forked us exits) and a daemon thread polling
``os.getppid()`` for platforms without it, or if the signal is lost.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(
    parent: int,
    signum: signal.Signals,
    *,
    poll_seconds: float = 1.0,
    warn: Callable[[str], None] | None = None,
) -> None:
    """Send ourselves ``signum`` when ``parent`` goes (also when it already went before this call).

    ``warn`` hears about a missing ``prctl`` and about a parent seen gone by the watch thread.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        except OSError:
            if warn is not None:
                warn("prctl(PR_SET_PDEATHSIG) unavailable; relying on polling")
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signum)

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(poll_seconds):
            if os.getppid() != parent:
                if warn is not None:
                    warn(f"parent process {parent} exited; stopping")
                os.kill(os.getpid(), signum)
                return

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
