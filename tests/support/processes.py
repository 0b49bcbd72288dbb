"""Looking at processes through /proc, to prove that no worker outlives its server."""

from __future__ import annotations

import time
from pathlib import Path


def worker_pids() -> set[int]:
    """Every running ``python -m modelport.sandboxes.worker`` process on this machine."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"modelport.sandboxes.worker" in cmdline and state != "Z":
            pids.add(int(entry.name))
    return pids


def children_of(parent: int) -> set[int]:
    return {pid for pid in worker_pids() if parent_of(pid) == parent}


def parent_of(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


def wait_gone(pids: set[int], timeout_s: float = 15.0) -> set[int]:
    """Wait until none of ``pids`` runs; return those still running at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        alive = pids & worker_pids()
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
