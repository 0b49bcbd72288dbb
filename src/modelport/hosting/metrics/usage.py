"""CPUUtilization and MemoryUtilization of instances, read from ``/proc`` (Linux).

As on SageMaker, CPUUtilization is the sum over cores (100 % per busy core) and
MemoryUtilization the share of the machine's memory the instance's process holds resident.
Each sampling compares a process's CPU time with the last one's; a process seen for the first
time gives no CPU figure yet. Where ``/proc`` is missing (macOS), nothing is sampled.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):
        return 100


def memory_total_bytes(proc: Path = PROC) -> int | None:
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_times(pid: int, proc: Path = PROC) -> tuple[float, int] | None:
    """(CPU seconds used, resident bytes) of one process, or None when it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
        statm = (proc / str(pid) / "statm").read_text().split()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        cpu = (int(fields[11]) + int(fields[12])) / clock_ticks()
        return cpu, int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, IndexError, OSError):
        return None


class UsageSampler:
    """Turns successive readings of each process into utilisation percentages."""

    def __init__(self, proc: Path = PROC) -> None:
        self.proc = proc
        self._last: dict[int, tuple[float, float]] = {}  # pid -> (cpu seconds, monotonic time)
        self._total = memory_total_bytes(proc)

    def sample(self, pids: list[int], now: float) -> dict[int, tuple[float, float]]:
        """pid -> (CPUUtilization, MemoryUtilization) of the processes readable now."""
        seen: dict[int, tuple[float, float]] = {}
        last, self._last = self._last, {}
        for pid in pids:
            reading = process_times(pid, self.proc)
            if reading is None:
                continue
            cpu_s, resident = reading
            self._last[pid] = (cpu_s, now)
            before = last.get(pid)
            if before is None or now <= before[1]:
                continue
            cpu = max(0.0, (cpu_s - before[0]) / (now - before[1]) * 100.0)
            memory = resident / self._total * 100.0 if self._total else 0.0
            seen[pid] = (cpu, memory)
        return seen
