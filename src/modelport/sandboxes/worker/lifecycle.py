"""Process lifetime: exit 0 on SIGTERM, and never outlive the parent (the supervisor)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

from modelport.sandboxes import lifeline

logger = logging.getLogger("modelport.worker")


def exit_on_sigterm() -> None:
    """Until the server installs its own handlers (model loading can take a while)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, handler)


def die_with_parent() -> None:
    """SIGTERM when the server goes (``sandboxes/lifeline.py``): the worker then exits 0."""
    lifeline.die_with_parent(os.getppid(), signal.SIGTERM, warn=logger.warning)
