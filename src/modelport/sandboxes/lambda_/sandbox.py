"""Process plumbing for the runner: private protocol fds, memory cap, death with the parent.

Standard library only; the pattern of ``die_with_parent`` is the model worker's (copied, not
imported: both are islands).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1


def take_protocol_fds() -> tuple[int, int]:
    """Move the protocol pipes (stdin, stdout) to private close-on-exec fds; return them.

    Afterwards fd 0 reads /dev/null and fds 1 and 2 both write to the log (the server passes the
    log file as stderr), so ``print``, ``logging`` and any child process write to the log.
    """
    frames_in = os.dup(0)
    frames_out = os.dup(1)
    os.set_inheritable(frames_in, False)
    os.set_inheritable(frames_out, False)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    # The interpreter's stdout was a pipe at start, so it is block-buffered; make prints reach
    # the log line by line, in order with the runner's own lines.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    return frames_in, frames_out


def limit_address_space(megabytes: int) -> None:
    """Cap the process's virtual memory; allocations past it raise ``MemoryError``."""
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def die_with_parent(parent: int, poll_seconds: float = 1.0) -> None:
    """SIGKILL ourselves when the server goes: kernel PDEATHSIG plus a ppid watch as fallback.

    SIGKILL rather than SIGTERM: user code may install a SIGTERM handler, and an environment
    has nothing to clean up. ``parent`` is the pid the server passed on the command line, so a
    server that died before this call is noticed too.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except OSError:
            pass  # the watch thread below still works
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(poll_seconds):
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def max_memory_used_mb() -> int:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return max(1, round(peak / divisor))
