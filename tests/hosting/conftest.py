"""Fixtures shared by the hosting tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture(params=["asyncio", "uvloop"])
def event_loop_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every case on both loops: the server runs uvloop (uvicorn's "auto"), whose transports
    differ from asyncio's in small ways (they do not subclass ``asyncio.Transport``)."""
    if request.param == "asyncio":
        yield request.param
        return
    import uvloop

    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        yield request.param
    finally:
        asyncio.set_event_loop_policy(previous)
