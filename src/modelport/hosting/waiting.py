"""What callers wait on while the engine works: a change signal, and fleets on their way.

``Changes`` wakes everyone waiting for *some* endpoint to change (the controller fires it after
each reconcile pass); a waiter re-checks its own condition and waits again. CreateEndpoint,
UpdateEndpoint and DeleteEndpoint use it to answer once the change has settled (or a bound has
passed), so unchanged polling code sees the settled state at its first poll.

``Arrivals`` holds invocations for an endpoint whose fleet is being started again (after a
restart it is InService in the store before its instances run): they wait until the fleet is
installed or the start has failed, instead of being turned away. At most ``capacity`` requests
wait per endpoint (the in-flight limit of the fleet that is coming); one more is throttled.

Neither polls: both are events set by the controller, on the loop the server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from modelport.core.errors import Throttled


class Changes:
    """A broadcast: ``fire`` wakes every current waiter once."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, done: Callable[[], bool], timeout_s: float) -> bool:
        """Wait until ``done()`` is true, checked after each change; False if ``timeout_s`` passed first."""
        if timeout_s <= 0:
            return done()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while not done():
                    await self._event.wait()  # taken after the check: no change can slip between
                return True
        return done()


@dataclass
class _Expected:
    capacity: int
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0


class Arrivals:
    """Fleets being started for endpoints that already serve (by name, case-insensitive)."""

    def __init__(self) -> None:
        self._expected: dict[str, _Expected] = {}

    def expect(self, endpoint_name: str, capacity: int) -> None:
        """A fleet for this endpoint is on its way; invocations may wait for it."""
        self._expected.setdefault(endpoint_name.lower(), _Expected(capacity=max(1, capacity)))

    def settle(self, endpoint_name: str) -> None:
        """The fleet is installed, or will not come: release every waiting invocation."""
        expected = self._expected.pop(endpoint_name.lower(), None)
        if expected is not None:
            expected.arrived.set()

    def expecting(self, endpoint_name: str) -> bool:
        return endpoint_name.lower() in self._expected

    async def wait(self, endpoint_name: str, timeout_s: float) -> bool:
        """Wait for the endpoint's fleet; False if none is expected or ``timeout_s`` passed first.

        Raises ``Throttled`` when ``capacity`` invocations already wait for the same fleet.
        """
        expected = self._expected.get(endpoint_name.lower())
        if expected is None:
            return False
        if expected.held >= expected.capacity:
            raise Throttled(
                f"{expected.held} requests already wait for endpoint {endpoint_name}, whose instances are "
                "starting (MODELPORT_MAX_IN_FLIGHT_PER_INSTANCE per instance). Retry shortly."
            )
        expected.held += 1
        try:
            async with asyncio.timeout(timeout_s):
                await expected.arrived.wait()
            return True
        except TimeoutError:
            return False
        finally:
            expected.held -= 1
