"""Housekeeping: idle environments are stopped after a while, old log files removed."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from modelport.sandboxes.lambda_.environment import Invocation
from modelport.sandboxes.lambda_.pool import EnvironmentPool, prune_logs

from .handlers import SLEEPER
from .harness import Harness


def test_retire_idle_stops_only_environments_idle_long_enough(harness: Harness) -> None:
    harness.write({"lambda_function.py": SLEEPER})

    async def scenario(pool: EnvironmentPool) -> tuple[int, int, int, bool]:
        await pool.invoke(Invocation(b"{}"))
        assert pool.idle == 1
        (environment,) = pool._idle
        pid = environment.pid
        assert pid is not None
        kept = pool.retire_idle(60.0)  # used just now
        retired = pool.retire_idle(60.0, now=time.monotonic() + 61.0)
        gone = False
        for _ in range(100):  # killed at once, reaped by the pool in the background
            if not _alive(pid):
                gone = True
                break
            await asyncio.sleep(0.02)
        return kept, retired, pool.idle, gone

    assert harness.run(scenario) == (0, 1, 0, True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_prune_logs_keeps_the_newest_files(tmp_path: Path) -> None:
    for index in range(5):
        path = tmp_path / f"{index}.log"
        path.write_text(str(index))
        os.utime(path, (1000 + index, 1000 + index))
    (tmp_path / "notes.txt").write_text("not a log")
    prune_logs(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.log", "4.log", "notes.txt"]
    prune_logs(tmp_path / "missing", keep=2)  # no folder yet: nothing to do
