"""Waiting for a condition instead of sleeping a fixed time: poll it until a deadline.

A fixed ``sleep`` that stands in for "the other thing has happened" is either too short on a
busy machine (a flake) or too long everywhere else; these return as soon as the condition holds
and fail with ``message`` when it still does not hold at the deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.02


def wait_until(condition: Callable[[], T], message: str, *, timeout_s: float = 30.0) -> T:
    """Call ``condition`` every ``POLL_S`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout_s:g} s)")
        time.sleep(POLL_S)


async def async_wait_until(condition: Callable[[], T], message: str, *, timeout_s: float = 30.0) -> T:
    """``wait_until`` inside an event loop: the loop keeps running while the condition is false."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (waited {timeout_s:g} s)")
        await asyncio.sleep(POLL_S)
