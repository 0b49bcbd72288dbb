"""What the server runs, read from /proc: its worker children, their pids and their memory.

An instance's worker names its pid in every line of its per-instance log
(``<data_dir>/logs/<endpoint>/<variant>-<n>.log``: ``... modelport.worker[1234]: ...``); the
benchmark takes the last pid there that is still a live child of the server.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

_WORKER_PID = re.compile(r"modelport\.worker\[(\d+)\]")
_PORT_LINE = re.compile(r"started instance (\S+) .*\(pid (\d+), port (\d+)\)")


@dataclass(frozen=True)
class Memory:
    pid: int
    rss_mb: float
    pss_mb: float | None  # None where smaps_rollup is unreadable


def children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent:
            found.append(int(entry))
    return found


def is_worker(pid: int) -> bool:
    try:
        return b"modelport.sandboxes.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cpu_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def instance_pid(
    data_dir: Path, endpoint: str, server_pid: int, instance_log: str = "AllTraffic-0.log"
) -> int:
    """The pid of the live worker serving ``endpoint`` (named in its per-instance log)."""
    text = (data_dir / "logs" / endpoint / instance_log).read_text(errors="replace")
    live = set(children(server_pid))
    for match in reversed(_WORKER_PID.findall(text)):
        if int(match) in live:
            return int(match)
    raise RuntimeError(f"no live worker of {endpoint} named in its log")


def worker_port(server_log: str, pid: int) -> int:
    """The loopback port of worker ``pid``, from the server's 'started instance' log line."""
    for _, found_pid, port in _PORT_LINE.findall(server_log):
        if int(found_pid) == pid:
            return int(port)
    raise RuntimeError(f"the server log does not name the port of worker {pid}")


def memory(pid: int) -> Memory:
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    pss: float | None = None
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return Memory(pid=pid, rss_mb=rss_kb / 1024.0, pss_mb=pss)


def wait_idle_workers(
    server_pid: int, expected: int, *, timeout_s: float = 120.0, quiet_s: float = 0.3
) -> float:
    """Wait until the server has ``expected`` worker children, none using CPU for ``quiet_s``.

    This is how the benchmark knows the warm pool is full again: a spare that has finished
    importing its libraries blocks on stdin and stops using CPU. Returns the seconds waited.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        workers = [pid for pid in children(server_pid) if is_worker(pid)]
        if len(workers) == expected:
            before = {pid: cpu_ticks(pid) for pid in workers}
            time.sleep(quiet_s)
            if all(cpu_ticks(pid) == ticks and ticks is not None for pid, ticks in before.items()):
                return time.monotonic() - started
        else:
            time.sleep(0.05)
    raise RuntimeError(f"the server did not settle on {expected} idle workers within {timeout_s:.0f} s")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
