"""``ExecutionEnvironment``: one runner process, driven from the server's event loop.

With ``spares`` (runners started ahead of need), this is where the Lambda sandbox starts
processes. It sends invocations over the
``frames`` protocol, enforces the function's ``Timeout`` by killing the process, turns a process
that died mid-invocation into Lambda's ``Runtime.ExitError``, writes the log lines the runner
cannot write itself (timeouts, crashes), and returns each invocation's log tail. With a
``log_sink`` it also hands what the environment wrote since the last call (its stream name and
the bytes, at most ``MAX_SHIPPED_BYTES`` a time) to the sink after each invocation: that is how
the function's output reaches CloudWatch Logs. The sink only queues; it never blocks.

An environment serves one invocation at a time; ``EnvironmentPool`` (``pool.py``) owns many.
Once an invocation reports ``usable == False`` (timeout, crash, init failure, out of memory)
the process is gone or going, and the pool starts a fresh one for the next request.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelport.core.arns import request_id as new_request_id
from modelport.core.logfiles import shorten_fd
from modelport.sandboxes.lambda_ import frames, loglines
from modelport.sandboxes.lambda_.spares import Spare, read_frame
from modelport.sandboxes.lambda_.spec import EnvironmentSpec

LOG_TAIL_BYTES = 4096
MAX_SHIPPED_BYTES = 1024 * 1024  # one invocation's output shipped to the log sink, at most
ErrorBody = dict[str, Any]
LogSink = Callable[[str, bytes], None]  # (log stream name, new log bytes)


@dataclass(frozen=True)
class Invocation:
    """One request. ``client_context`` is JSON text (Invoke's header, base64-decoded)."""

    payload: bytes = b""
    request_id: str = field(default_factory=new_request_id)
    client_context: str | None = None
    identity: Mapping[str, Any] | None = None
    invoked_function_arn: str | None = None


@dataclass(frozen=True)
class InvocationResult:
    """What Invoke needs: the body, whether it is an error, and the numbers for the REPORT line."""

    request_id: str
    payload: bytes
    content_type: str
    error: ErrorBody | None
    duration_ms: float
    max_memory_used_mb: int
    init_duration_ms: float | None
    log_tail: bytes

    @property
    def function_error(self) -> str | None:
        """The ``X-Amz-Function-Error`` header: ``Unhandled`` for every function error."""
        return None if self.error is None else "Unhandled"

    @property
    def error_type(self) -> str | None:
        return None if self.error is None else str(self.error.get("errorType"))

    def log_result(self) -> str:
        """The ``X-Amz-Log-Result`` header for ``LogType=Tail``: the last 4 KB, base64."""
        return base64.b64encode(self.log_tail).decode()


def error_payload(error: ErrorBody) -> bytes:
    return json.dumps(error).encode()


def exit_description(returncode: int) -> str:
    """Go's ``ProcessState.String()``, which Lambda's messages quote: ``exit status 1``."""
    if returncode >= 0:
        return f"exit status {returncode}"
    name = signal.strsignal(-returncode) or f"signal {-returncode}"
    return f"signal: {name[:1].lower()}{name[1:]}"


class ExecutionEnvironment:
    def __init__(
        self,
        spec: EnvironmentSpec,
        log_path: Path,
        log_stream_name: str | None = None,
        *,
        log_sink: LogSink | None = None,
    ) -> None:
        self.spec = spec
        self.log_path = log_path
        self.log_stream_name = log_stream_name or spec.new_log_stream_name()
        self.log_sink = log_sink
        self._process: asyncio.subprocess.Process | None = None
        self._log_fd = -1
        self._shipped = 0  # the log's bytes before this offset went to the sink
        self._startup_error: ErrorBody | None = None
        self._usable = False

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def usable(self) -> bool:
        """True while the environment can take another invocation."""
        return self._usable

    async def start(self, spare: Spare | None = None) -> None:
        """Start the runner (or hand ``spare`` this function) and wait for its init phase.

        The init phase is the handler module's import. An init that fails, hangs past
        ``init_timeout_seconds`` or crashes does not raise: like Lambda, it is reported on the
        first invocation.
        """
        spec = self.spec
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        if spare is None:
            self._process = await self._spawn()
        else:
            self._process = spare.process
            assignment = {
                "environ": spec.environ(self.log_stream_name),
                "cwd": str(spec.code_dir),
                "log_path": str(self.log_path),
                "max_address_space_mb": spec.max_address_space_mb,
            }
            assert self._process.stdin is not None
            self._process.stdin.write(frames.encode(assignment))
        try:
            ready = await asyncio.wait_for(self._read_frame(), spec.init_timeout_seconds)
        except TimeoutError:
            await self._kill_and_wait()
            message = f"Init phase timed out after {spec.init_timeout_seconds:.2f} seconds"
            self._startup_error = {"errorMessage": message, "errorType": "Sandbox.Timedout"}
            return
        except (asyncio.IncompleteReadError, frames.ProtocolError, ConnectionError):
            code = await self._kill_and_wait()
            message = f"Error: Runtime exited with error: {exit_description(code)}"
            self._startup_error = {"errorMessage": message, "errorType": "Runtime.ExitError"}
            return
        self._startup_error = ready.get("init_error")
        self._usable = True

    async def _spawn(self) -> asyncio.subprocess.Process:
        spec = self.spec
        return await asyncio.create_subprocess_exec(
            spec.python,
            "-P",  # the runner's own imports must not see the code folder
            "-m",
            "modelport.sandboxes.lambda_.runner",
            "--parent-pid",
            str(os.getpid()),
            "--max-address-space-mb",
            str(spec.max_address_space_mb),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log_fd,
            cwd=spec.code_dir,
            env=spec.environ(self.log_stream_name),
            start_new_session=True,  # its own process group: kill() reaches the function's children
        )

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        if self._process is None:
            raise RuntimeError("start() the environment before invoking it")
        request_id = invocation.request_id
        log_start = os.fstat(self._log_fd).st_size
        if not self._usable:
            # The runner died or hung before it could answer (init errors it reports itself).
            self._write_log(loglines.start_line(request_id, self.spec.version))
            error = dict(self._startup_error or {}, requestId=request_id)
            if "RequestId" not in str(error.get("errorMessage")):
                error["errorMessage"] = f"RequestId: {request_id} {error.get('errorMessage')}"
            return self._server_side_failure(invocation, error, 0.0, log_start, status="error")
        timeout = self.spec.timeout_seconds
        request = {
            "request_id": request_id,
            "payload": base64.b64encode(invocation.payload).decode(),
            "deadline_ms": int(time.time() * 1000 + timeout * 1000),
            "invoked_function_arn": invocation.invoked_function_arn or self.spec.function_arn,
            "client_context": invocation.client_context,
            "identity": dict(invocation.identity) if invocation.identity is not None else None,
        }
        started = time.perf_counter()
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(frames.encode(request))
            # A deadline on this task, not wait_for's second task: one fewer task per invocation.
            async with asyncio.timeout(timeout):
                reply = await self._send_and_read()
        except TimeoutError:
            await self._kill_and_wait()
            message = loglines.timed_out_message(request_id, timeout)
            self._write_log(message + "\n")
            error = {"errorMessage": message, "errorType": "Sandbox.Timedout", "requestId": request_id}
            return self._server_side_failure(invocation, error, timeout * 1000, log_start, status="timeout")
        except (asyncio.IncompleteReadError, frames.ProtocolError, ConnectionError):
            code = await self._kill_and_wait()
            message = f"RequestId: {request_id} Error: Runtime exited with error: {exit_description(code)}"
            self._write_log(message + "\n")
            error = {"errorMessage": message, "errorType": "Runtime.ExitError", "requestId": request_id}
            elapsed = (time.perf_counter() - started) * 1000
            return self._server_side_failure(invocation, error, elapsed, log_start, status="error")
        if reply.get("fatal"):
            await self._kill_and_wait()
        log_end = os.fstat(self._log_fd).st_size  # the runner wrote its REPORT line before its reply
        reply_error: ErrorBody | None = None if reply.get("ok") else dict(reply.get("error") or {})
        if reply_error is None:
            payload = base64.b64decode(reply.get("payload") or "")
            content_type = str(reply.get("content_type") or "application/json")
        else:
            payload, content_type = error_payload(reply_error), "application/json"
        result = InvocationResult(
            request_id=request_id,
            payload=payload,
            content_type=content_type,
            error=reply_error,
            duration_ms=float(reply.get("duration_ms") or 0.0),
            max_memory_used_mb=int(reply.get("max_memory_used_mb") or 0),
            init_duration_ms=reply.get("init_duration_ms"),
            log_tail=self._log_tail(log_start, log_end),
        )
        self._ship(log_end)
        self._bound_log()
        return result

    def kill(self) -> None:
        """Send SIGKILL to the runner's process group now (safe to call from cancellation)."""
        self._usable = False
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    async def close(self) -> None:
        await self._kill_and_wait()
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1

    async def _send_and_read(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdin is not None
        await self._process.stdin.drain()
        return await self._read_frame()

    async def _read_frame(self) -> dict[str, Any]:
        assert self._process is not None
        return await read_frame(self._process)

    async def _kill_and_wait(self) -> int:
        self.kill()
        if self._process is None:
            return 0
        if self._process.stdin is not None:
            self._process.stdin.close()
        return await self._process.wait()

    def _server_side_failure(
        self, invocation: Invocation, error: ErrorBody, duration_ms: float, log_start: int, *, status: str
    ) -> InvocationResult:
        """Lines the runner could not write: it was killed or never answered."""
        request_id = invocation.request_id
        self._write_log(
            loglines.end_line(request_id)
            + loglines.report_line(
                request_id,
                duration_ms=duration_ms,
                memory_mb=self.spec.memory_mb,
                max_memory_used_mb=0,
                status=status,
                error_type=str(error.get("errorType")),
            )
        )
        result = InvocationResult(
            request_id=request_id,
            payload=error_payload(error),
            content_type="application/json",
            error=error,
            duration_ms=duration_ms,
            max_memory_used_mb=0,
            init_duration_ms=None,
            log_tail=self._log_tail(log_start),
        )
        self._ship()
        return result

    def _ship(self, end: int | None = None) -> None:
        """Hand the log's new bytes to the sink (the last ``MAX_SHIPPED_BYTES`` of them); ``end``:
        the log's size, if just read."""
        if self.log_sink is None or self._log_fd < 0:
            return
        if end is None:
            end = os.fstat(self._log_fd).st_size
        begin = self._shipped if end >= self._shipped else 0
        self._shipped = end
        if end == begin:
            return
        note = b""
        if end - begin > MAX_SHIPPED_BYTES:
            note = f"[modelport] {end - begin - MAX_SHIPPED_BYTES} bytes of output not shipped\n".encode()
            begin = end - MAX_SHIPPED_BYTES
        data = os.pread(self._log_fd, end - begin, begin)
        with contextlib.suppress(Exception):  # the logs are never worth failing an invocation for
            self.log_sink(self.log_stream_name, note + data)

    def _write_log(self, text: str) -> None:
        if self._log_fd >= 0:
            os.write(self._log_fd, text.encode())

    def _bound_log(self) -> None:
        """Keep the log under ``spec.max_log_bytes`` (:func:`modelport.core.logfiles.shorten_fd`).

        Runs between invocations, while the runner is idle. (A single invocation may still
        write more until it ends; its timeout bounds it.)
        """
        if shorten_fd(self._log_fd, self.spec.max_log_bytes):
            self._shipped = os.fstat(self._log_fd).st_size

    def _log_tail(self, start: int, end: int | None = None) -> bytes:
        if end is None:
            end = os.fstat(self._log_fd).st_size
        begin = max(start, end - LOG_TAIL_BYTES)
        return os.pread(self._log_fd, end - begin, begin) if end > begin else b""
