"""The same loads driven by wrk, a load generator written in C, when it is installed.

On a 2-core machine the Python load generator spends 2–2.5 ms of CPU per request — more than
the server or the worker — and so takes CPU from whatever it measures. wrk costs a few
microseconds per request, which lets the servers have the cores. wrk replays one request: for
modelport it carries one SigV4 signature (valid for 15 minutes, which the server accepts on
every request, as AWS does). Install it with ``apt-get install wrk``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)(us|ms|s|m)\s*$")
_SCALE_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: int,
    pause_ms: int = 0,
    cpu: int | None = None,
    threads: int | None = None,
    timeout_s: int | None = None,
) -> dict[str, Any]:
    """req/s, p50/p99 latency and error count of one wrk run.

    ``pause_ms`` makes each connection wait that long between an answer and its next request
    (wrk's ``delay`` hook; the pause is not part of the measured latency). ``cpu`` pins wrk to
    that CPU (``taskset``); ``threads`` overrides wrk's thread count (1 at c=1, else 2);
    ``timeout_s`` replaces wrk's 2 s request timeout (a request past it counts as an error).
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(body, headers, pause_ms=pause_ms))
    try:
        if threads is None:
            threads = 1 if concurrency == 1 else 2
        pin = [] if cpu is None else ["taskset", "-c", str(cpu)]
        command = [
            *pin,
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{seconds}s",
            "--latency",
            *([] if timeout_s is None else ["--timeout", f"{timeout_s}s"]),
            "-s",
            script.name,
            url,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
    finally:
        Path(script.name).unlink()
    return parse(output)


def lua_script(body: bytes, headers: dict[str, str], *, pause_ms: int = 0) -> str:
    """The wrk script: one POST with this body and these headers, and the pause if any."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if pause_ms:
        lines.append(f"function delay() return {int(pause_ms)} end")
    return "\n".join(lines) + "\n"


def parse(output: str) -> dict[str, Any]:
    result: dict[str, Any] = {"errors": 0}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            result[f"p{words[0][:-1]}_ms"] = _ms(words[1])
        elif "requests in" in line:
            result["requests"] = int(words[0])
        elif line.strip().startswith("Non-2xx"):
            result["errors"] += int(words[-1])
            result["non_2xx"] = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            result["errors"] += sum(int(n.strip(",")) for n in words[3::2])
            result["socket_errors"] = " ".join(words[2:])  # e.g. "connect 0, read 0, write 0, timeout 3"
    return result


def _ms(text: str) -> float:
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"cannot read wrk duration {text!r}")
    return float(match.group(1)) * _SCALE_MS[match.group(2)]


def _lua_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped + '"'
