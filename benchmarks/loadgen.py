"""An async load generator: ``concurrency`` workers, each with its own keep-alive connection.

Each worker owns one ``httpx.AsyncClient`` limited to one connection (HTTP/1.1 keep-alive), so
concurrency N means N connections, each with at most one request in flight. Workers take the
next request index from a shared counter until ``count`` requests have been sent. Each worker
first sends a few untimed requests to open its connection and warm both ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

WARMUP_PER_WORKER = 3


@dataclass
class LoadResult:
    label: str
    concurrency: int
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    wall_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_s) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_s) / self.wall_s if self.wall_s else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(q / 100.0 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


async def run_load(
    *,
    label: str,
    url: str,
    body: bytes,
    headers: Sequence[dict[str, str]],
    concurrency: int,
    count: int,
) -> LoadResult:
    """Send ``count`` timed POSTs of ``body`` to ``url``; request i carries ``headers[i % len]``.

    ``headers`` holds one pre-signed set per request for the signed target (signatures are not
    reused), or a single unsigned set for the baselines.
    """
    result = LoadResult(label=label, concurrency=concurrency)
    next_index = 0
    warmed = 0
    all_warm = asyncio.Event()
    go = asyncio.Event()

    async def worker() -> None:
        nonlocal next_index, warmed
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(limits=limits, timeout=120.0) as client:
            del client.headers["accept"]  # boto3 sends no Accept: the container's default applies
            try:
                for i in range(WARMUP_PER_WORKER):
                    await client.post(url, content=body, headers=headers[-1 - i % len(headers)])
            finally:
                warmed += 1
                if warmed == concurrency:
                    all_warm.set()
            await go.wait()
            while next_index < count:
                index = next_index
                next_index += 1
                sent = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers[index % len(headers)])
                    ok = response.status_code == 200
                    problem = "" if ok else f"{response.status_code}: {response.text[:200]}"
                except httpx.HTTPError as error:
                    ok, problem = False, f"{type(error).__name__}: {error}"
                if ok:
                    result.latencies_s.append(time.perf_counter() - sent)
                else:
                    result.errors += 1
                    result.first_error = result.first_error or problem

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    # Every connection is open and warm before the clock starts.
    await all_warm.wait()
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    result.wall_s = time.perf_counter() - t0
    return result
