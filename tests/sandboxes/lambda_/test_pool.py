"""Environments as processes: timeouts, crashes, memory, concurrency, parent death."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from modelport.core.errors import Throttled
from modelport.sandboxes.lambda_.environment import Invocation, InvocationResult
from modelport.sandboxes.lambda_.errors import TooManyRequests
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from support.waiting import async_wait_until

from .handlers import SLEEPER
from .harness import Harness


def body(result: InvocationResult) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(result.payload)
    return parsed


def test_timeout_kills_the_environment_and_the_next_call_gets_a_fresh_one(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})

    async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
        first = await pool.invoke(Invocation(b"{}"))
        # Cut short at the 1 s timeout, not after the handler's 30 s: the error and the REPORT
        # line below say so (Sandbox.Timedout, Duration 1000.00 ms), no clock needed.
        timed_out = await pool.invoke(Invocation(b'{"sleep": 30}'))
        assert pool.idle == 0
        return [first, timed_out, await pool.invoke(Invocation(b"{}"))]

    first, timed_out, after = harness.run(scenario, timeout_seconds=1.0)
    error = timed_out.error
    assert error is not None and error["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {timed_out.request_id} Task timed out after 1\.00 seconds",
        str(error["errorMessage"]),
    )
    assert timed_out.function_error == "Unhandled"
    assert body(after)["pid"] != body(first)["pid"] and body(after)["inits"] == 1
    with pytest.raises(ProcessLookupError):
        os.kill(int(str(body(first)["pid"])), 0)
    tail = timed_out.log_tail.decode()
    assert "Task timed out after 1.00 seconds" in tail
    assert re.search(r"REPORT RequestId: \S+\tDuration: 1000\.00 ms.*\tStatus: timeout", tail)


def test_each_invocations_output_goes_to_the_log_sink_under_its_stream(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})
    shipped: list[tuple[str, bytes]] = []

    async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
        return [await pool.invoke(Invocation(b"{}")), await pool.invoke(Invocation(b'{"sleep": 30}'))]

    ok, timed_out = harness.run(
        scenario, timeout_seconds=1.0, log_sink=lambda stream, data: shipped.append((stream, data))
    )
    assert len(shipped) == 2 and shipped[0][0] == shipped[1][0]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", shipped[0][0])
    first, second = (data.decode() for _, data in shipped)
    assert f"START RequestId: {ok.request_id}" in first and f"REPORT RequestId: {ok.request_id}" in first
    assert timed_out.request_id not in first
    assert "Task timed out after 1.00 seconds" in second and "Status: timeout" in second
    assert ok.request_id not in second  # each invocation's lines are shipped once


@pytest.mark.parametrize(
    ("event", "description"),
    [({"exit": 1}, "exit status 1"), ({"signal": signal.SIGSEGV}, "signal: segmentation fault")],
)
def test_a_crash_is_runtime_exit_error_and_the_pool_recovers(
    harness: Harness, event: dict[str, int], description: str
) -> None:
    harness.write({"lambda_function.py": SLEEPER})
    crashed, after = harness.invoke_all([json.dumps(event).encode(), b"{}"])
    assert crashed.error == {
        "errorMessage": f"RequestId: {crashed.request_id} Error: Runtime exited with error: {description}",
        "errorType": "Runtime.ExitError",
        "requestId": crashed.request_id,
    }
    assert after.error is None


def test_allocating_far_beyond_memory_size_is_out_of_memory_and_the_pool_recovers(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})
    before, oom, after = harness.invoke_all([b"{}", b'{"allocate_mb": 4096}', b"{}"], memory_mb=128)
    assert oom.error == {
        "errorMessage": f"RequestId: {oom.request_id} Error: Runtime exited with error: signal: killed",
        "errorType": "Runtime.OutOfMemory",
        "requestId": oom.request_id,
        "stackTrace": [],
    }
    assert "Status: error\tError Type: Runtime.OutOfMemory" in oom.log_tail.decode()
    assert after.error is None and body(after)["pid"] != body(before)["pid"]


def test_concurrency_beyond_the_limit_is_throttled(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})

    async def scenario(pool: EnvironmentPool) -> tuple[list[object], list[InvocationResult]]:
        calls = [pool.invoke(Invocation(b'{"sleep": 0.5}')) for _ in range(3)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert (pool.busy, pool.idle) == (0, 2)
        again = [await pool.invoke(Invocation(b"{}")) for _ in range(2)]
        return list(outcomes), again

    outcomes, again = harness.run(scenario, max_concurrency=2)
    throttled = [o for o in outcomes if isinstance(o, BaseException)]
    served = [o for o in outcomes if isinstance(o, InvocationResult)]
    assert len(throttled) == 1 and len(served) == 2
    (error,) = throttled
    assert isinstance(error, TooManyRequests) and isinstance(error, Throttled)
    assert error.message == "Rate Exceeded."
    assert error.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # Warm reuse: the two environments started for the burst serve what follows.
    assert {body(r)["pid"] for r in again} <= {body(r)["pid"] for r in served}


def test_close_kills_busy_and_idle_environments(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})

    async def scenario(pool: EnvironmentPool) -> list[int]:
        await asyncio.gather(*(pool.invoke(Invocation(b'{"sleep": 0.2}')) for _ in range(2)))
        busy = asyncio.ensure_future(pool.invoke(Invocation(b'{"sleep": 30}')))
        await async_wait_until(lambda: pool.busy == 1, "the long call never took an environment")
        assert (pool.busy, pool.idle) == (1, 1)
        pids = _runner_pids()
        await pool.close()
        busy.cancel()
        await asyncio.gather(busy, return_exceptions=True)
        return pids

    pids = harness.run(scenario, timeout_seconds=60.0)
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _runner_pids() -> list[int]:
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if f"PPid:\t{me}\n" in status and b"modelport.sandboxes.lambda_.runner" in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_the_runner_dies_with_its_parent(harness: Harness, tmp_path: Path) -> None:
    harness.write({"lambda_function.py": SLEEPER})
    parent = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parents[2])!r})
        from sandboxes.lambda_.harness import make_spec
        from modelport.sandboxes.lambda_.environment import ExecutionEnvironment

        async def main():
            env = ExecutionEnvironment(make_spec(Path({str(harness.code_dir)!r})), Path({str(tmp_path)!r}) / "p.log")
            await env.start()
            print(env.pid, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    with subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            runner = int(process.stdout.readline())
            os.kill(runner, 0)
        finally:
            process.kill()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(runner, 0)
        except ProcessLookupError:
            return
        # It is our grandchild: once dead it is reaped by init, not left as our zombie.
        if "State:\tZ" in Path(f"/proc/{runner}/status").read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"runner {runner} outlived its parent")
