"""Process plumbing for the runner: private protocol fds, memory cap, death with the parent.

Standard library only, and ``sandboxes/lifeline.py`` (also standard library only), whose
``die_with_parent`` the model worker uses too.
"""

from __future__ import annotations

import os
import resource
import signal
import sys

from modelport.sandboxes.lifeline import die_with_parent as die_with_server


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


def die_with_parent(parent: int) -> None:
    """SIGKILL ourselves when the server goes (``sandboxes/lifeline.py``).

    SIGKILL rather than SIGTERM: user code may install a SIGTERM handler, and an environment
    has nothing to clean up. ``parent`` is the pid the server passed on the command line, so a
    server that died before this call is noticed too.
    """
    die_with_server(parent, signal.SIGKILL)


def max_memory_used_mb() -> int:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return max(1, round(peak / divisor))
