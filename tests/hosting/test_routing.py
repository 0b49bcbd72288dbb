"""The router in process: which variant and instance get a request, back-pressure, and which
failures are tried on another instance. Workers are fakes that answer on cue (no processes)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from modelport.core.errors import InvalidRequest, ServiceUnavailable, Throttled
from modelport.hosting.fleet import Fleet, Instance, VariantFleet
from modelport.hosting.router import Router
from modelport.hosting.worker_client import WorkerBroken, WorkerResponse, WorkerTimeout, WorkerUnreachable


@dataclass
class FakeWorker:
    """What the router reads of a worker process: whether it is alive, and names for its log."""

    name: str
    dead: bool = False
    stopping: bool = False
    spec: Any = None
    process: Any = None
    port: int = 0

    def __post_init__(self) -> None:
        self.spec = SimpleNamespace(instance_id=self.name)
        self.process = SimpleNamespace(pid=4242)

    def alive(self) -> bool:
        return not self.dead


@dataclass
class FakeClient:
    """Answers with ``reply`` (or raises it); records every request it was sent."""

    name: str
    reply: WorkerResponse | Exception
    sent: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    gate: asyncio.Event | None = None  # when set, the answer waits for it

    async def invoke(self, body: bytes, headers: dict[str, str]) -> WorkerResponse:
        self.sent.append((body, dict(headers)))
        if self.gate is not None:
            await self.gate.wait()
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def ok(name: str) -> WorkerResponse:
    return WorkerResponse(
        200, {"content-type": "text/csv", "x-amzn-sagemaker-custom-attributes": name}, name.encode()
    )


def instance(name: str, reply: WorkerResponse | Exception | None = None, **worker: Any) -> Instance:
    client = FakeClient(name, reply if reply is not None else ok(name))
    return Instance(worker=FakeWorker(name, **worker), client=client)  # type: ignore[arg-type]


def fleet(*variants: tuple[str, float, list[Instance]]) -> Fleet:
    return Fleet(
        "iris-ep",
        {},
        [VariantFleet(name, weight, len(instances), {}, instances) for name, weight, instances in variants],
    )


def invoke(router: Router, target: Fleet, *, variant: str | None = None, **headers: str | None) -> Any:
    options = {"content_type": None, "accept": None, "custom_attributes": None, **headers}
    return asyncio.run(router.invoke(target, b"5.1,3.5", target_variant=variant, **options))


def router(max_in_flight: int = 4, seed: int = 7) -> Router:
    return Router(max_in_flight=max_in_flight, timeout_s=1.0, rng=random.Random(seed))


def test_the_answer_and_the_headers_pass_through() -> None:
    only = instance("a")
    answer = invoke(
        router(),
        fleet(("AllTraffic", 1.0, [only])),
        content_type="text/csv",
        accept="application/json",
        custom_attributes="c=1",
    )
    assert (answer.status, answer.body, answer.content_type, answer.variant) == (
        200,
        b"a",
        "text/csv",
        "AllTraffic",
    )
    assert answer.custom_attributes == "a"
    assert only.client.sent == [  # type: ignore[attr-defined]
        (
            b"5.1,3.5",
            {
                "Content-Type": "text/csv",
                "Accept": "application/json",
                "X-Amzn-SageMaker-Custom-Attributes": "c=1",
            },
        )
    ]


def test_target_variant_picks_the_variant_and_an_unknown_one_names_the_choices() -> None:
    two = fleet(("blue", 1.0, [instance("b")]), ("green", 0.0, [instance("g")]))
    assert invoke(router(), two, variant="GREEN").body == b"g"  # names match case-insensitively
    with pytest.raises(
        InvalidRequest, match=r"The variant red does not exist .* Its variants are: blue, green"
    ):
        invoke(router(), two, variant="red")


def test_traffic_follows_the_weights() -> None:
    r = router(seed=1)
    two = fleet(("blue", 3.0, [instance("b")]), ("green", 1.0, [instance("g")]))
    bodies = [invoke(r, two).body for _ in range(400)]
    assert 250 < bodies.count(b"b") < 350  # 3:1 by weight


def test_the_least_loaded_instance_gets_the_request() -> None:
    busy, idle = instance("busy"), instance("idle")
    busy.outstanding = 2
    assert invoke(router(), fleet(("AllTraffic", 1.0, [busy, idle]))).body == b"idle"
    assert busy.outstanding == 2 and idle.outstanding == 0  # counted back down after the answer


def test_every_instance_full_is_throttled() -> None:
    full = [instance("a"), instance("b")]
    for each in full:
        each.outstanding = 4
    with pytest.raises(
        Throttled, match="All 2 instances of variant AllTraffic already have 4 requests in flight"
    ):
        invoke(router(max_in_flight=4), fleet(("AllTraffic", 1.0, full)))


def test_requests_in_flight_count_against_the_bound() -> None:
    async def scenario() -> None:
        r = router(max_in_flight=1)
        slow = instance("slow")
        slow.client.gate = asyncio.Event()  # type: ignore[attr-defined]
        target = fleet(("AllTraffic", 1.0, [slow]))
        first = asyncio.create_task(
            r.invoke(
                target, b"x", content_type=None, accept=None, custom_attributes=None, target_variant=None
            )
        )
        while slow.outstanding == 0:
            await asyncio.sleep(0)
        with pytest.raises(Throttled):
            await r.invoke(
                target, b"y", content_type=None, accept=None, custom_attributes=None, target_variant=None
            )
        slow.client.gate.set()  # type: ignore[attr-defined]
        assert (await first).body == b"slow"

    asyncio.run(scenario())


def test_a_dead_or_stopping_instance_is_skipped_and_none_left_is_unavailable() -> None:
    dead, stopping, alive = (
        instance("dead", dead=True),
        instance("stopping", stopping=True),
        instance("alive"),
    )
    assert invoke(router(), fleet(("AllTraffic", 1.0, [dead, stopping, alive]))).body == b"alive"
    with pytest.raises(ServiceUnavailable, match="No instance of variant AllTraffic is able to serve"):
        invoke(router(), fleet(("AllTraffic", 1.0, [dead, stopping])))


def test_a_request_that_never_reached_its_worker_goes_to_another_instance() -> None:
    unreachable, ok_instance = instance("gone", WorkerUnreachable("refused")), instance("ok")
    ok_instance.outstanding = 1  # the unreachable one is chosen first
    answer = invoke(router(), fleet(("AllTraffic", 1.0, [unreachable, ok_instance])))
    assert answer.body == b"ok"
    assert len(unreachable.client.sent) == 1  # type: ignore[attr-defined]  # tried once, not again


def test_unreachable_everywhere_is_unavailable() -> None:
    target = fleet(
        ("AllTraffic", 1.0, [instance("a", WorkerUnreachable("x")), instance("b", WorkerUnreachable("y"))])
    )
    with pytest.raises(ServiceUnavailable):
        invoke(router(), target)


@pytest.mark.parametrize(
    ("failure", "status", "flag"),
    [(WorkerTimeout("no answer within 1 s"), 0, "timed_out"), (WorkerBroken("reset"), 500, "broken")],
)
def test_a_request_the_worker_had_received_is_not_retried(failure: Exception, status: int, flag: str) -> None:
    failing, other = instance("failing", failure), instance("other")
    failing.outstanding, other.outstanding = 0, 1  # the failing one is chosen first
    answer = invoke(router(), fleet(("AllTraffic", 1.0, [failing, other])))
    assert (answer.status, getattr(answer, flag)) == (status, True)
    assert other.client.sent == []  # type: ignore[attr-defined]
    assert failing.outstanding == 0


def test_fleets_are_found_by_endpoint_name_in_any_case() -> None:
    r = router()
    first = fleet(("AllTraffic", 1.0, [instance("a")]))
    assert r.install(first) is None and r.fleet("IRIS-EP") is first
    second = fleet(("AllTraffic", 1.0, [instance("b")]))
    assert r.install(second) is first  # the replaced fleet comes back, for the caller to stop
    assert r.remove("Iris-Ep") is second and r.fleet("iris-ep") is None
