"""``python -m modelport.sandboxes.lambda_.runner``: one Lambda execution environment.

Imports only the standard library and its island siblings (``frames``, ``context``,
``handler``, ``loglines``, ``sandbox``); the user's code brings its own boto3. The server
(``environment.py``) starts it with the function's environment, cwd = the code folder, the
protocol on stdin/stdout and the log file as stderr (see ``frames`` for the messages).

Life: take the protocol fds, cap memory, import the handler module once (the init phase, timed
as Init Duration), send ``ready``, then serve invocations one at a time until stdin closes.

A *spare* (``--spare``, started ahead by ``spares``) first imports the ``--preload``
modules (boto3) with a neutral environment, reports ``{"spare": true, "preloaded": [...]}`` and
waits; the server's assignment frame ``{"environ", "cwd", "log_path", "max_address_space_mb"}``
then makes it the function's environment, and life goes on as above. A function's cold start
skips the interpreter's start and boto3's import this way.

Memory: ``RLIMIT_AS`` is set to ``--max-address-space-mb`` (the server passes MemorySize plus a
headroom, because an interpreter reserves far more address space than it touches: each thread
reserves a stack and a malloc arena). A ``MemoryError`` that escapes the handler is reported as
Lambda reports a function killed for memory, ``Runtime.OutOfMemory`` with "Runtime exited with
error: signal: killed", and the environment exits so the next invocation gets a fresh one.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from types import TracebackType
from typing import Any

from modelport.sandboxes.lambda_ import frames, loglines, sandbox
from modelport.sandboxes.lambda_.context import LambdaContext
from modelport.sandboxes.lambda_.handler import MalformedHandler, parse_handler

Handler = Callable[[Any, LambdaContext], Any]
# Lambda's own figure for a RequestResponse answer; past it the caller gets a function error.
RESPONSE_LIMIT = 6_291_556
ErrorBody = dict[str, Any]

_current_request_id = ""


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


def _install_logging() -> None:
    """The root logger as the Python runtime sets it: ``[LEVEL]\\t<time>Z\\t<request id>\\t<msg>``."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _log(text: str) -> None:
    """Write the runner's own lines after whatever the function has buffered."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the user may have replaced or closed it
            stream.flush()
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(1, data) :]


def _error(message: str, error_type: str, request_id: str, stack: list[str] | None = None) -> ErrorBody:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack or [],
    }


def _user_stack(tb: TracebackType | None) -> list[str]:
    return traceback.format_list(traceback.extract_tb(tb))


def _log_error(error: ErrorBody) -> None:
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(error["stackTrace"])
    _log("".join(lines))


def load_handler(handler: str) -> tuple[Handler | None, ErrorBody | None]:
    """Import the handler's module (running its top-level code) and find the function.

    The error types and messages are ``awslambdaric``'s; ``requestId`` is filled in when the
    error is reported on an invocation.
    """
    try:
        module_name, function_name = parse_handler(handler)
    except MalformedHandler as exc:
        return None, _error(str(exc), "Runtime.MalformedHandlerName", "")
    if module_name.split(".")[0] in sys.builtin_module_names:
        message = f"Cannot use built-in module {module_name} as a handler module"
        return None, _error(message, "Runtime.BuiltInModuleConflict", "")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        return None, _error(message, "Runtime.ImportModuleError", "")
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        message = f"Syntax error in module '{module_name}': {exc}"
        return None, _error(message, "Runtime.UserCodeSyntaxError", "", trace)
    except MemoryError:
        return None, _out_of_memory("")
    except Exception as exc:
        return None, _error(str(exc), type(exc).__name__, "", _user_stack(exc.__traceback__))
    function = getattr(module, function_name, None)
    if function is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, _error(message, "Runtime.HandlerNotFound", "")
    if not callable(function):
        message = f"Handler '{function_name}' on module '{module_name}' is not callable"
        return None, _error(message, "Runtime.HandlerNotFound", "")
    return function, None


def _out_of_memory(request_id: str) -> ErrorBody:
    message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
    return _error(message, "Runtime.OutOfMemory", request_id)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # awslambdaric's simplejson writes Decimal as a number too
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def runtime_version(execution_env: str | None) -> tuple[int, int]:
    """The declared runtime's Python version, from ``AWS_EXECUTION_ENV`` (``AWS_Lambda_python3.12``);
    this interpreter's when it names none."""
    _, found, version = (execution_env or "").partition("AWS_Lambda_python")
    major, _, minor = version.partition(".")
    if found and major.isdigit() and minor.isdigit():
        return int(major), int(minor)
    return sys.version_info.major, sys.version_info.minor


def _marshal(result: Any) -> tuple[bytes, str]:
    """The response body and its content type; ``bytes`` pass through raw, as Lambda does."""
    if isinstance(result, bytes | bytearray):
        return bytes(result), "application/unknown"
    # json.dumps' default separators, as simplejson's. The python3.12+ runtimes write non-ASCII
    # characters as they are; older ones escape them (spec §5), so the declared Runtime decides.
    ascii_only = runtime_version(os.environ.get("AWS_EXECUTION_ENV")) < (3, 12)
    text = json.dumps(result, default=_json_default, ensure_ascii=ascii_only)
    return text.encode(), "application/json"


def invoke(
    handler: Handler | None, init_error: ErrorBody | None, request: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """Run one invocation; return the reply (without the report fields) and its error type."""
    global _current_request_id
    request_id = str(request["request_id"])
    _current_request_id = request_id
    if init_error is not None or handler is None:
        assert init_error is not None
        error = dict(init_error, requestId=request_id)
        if error["errorType"] == "Runtime.OutOfMemory":
            error = _out_of_memory(request_id)
        return {"ok": False, "error": error, "fatal": True}, str(error["errorType"])
    try:
        raw = base64.b64decode(request.get("payload") or "")
        event = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        error = _error(f"Unable to unmarshal input: {exc}", "Runtime.UnmarshalError", request_id)
        _log_error(error)
        return {"ok": False, "error": error, "fatal": False}, "Runtime.UnmarshalError"
    try:
        context = LambdaContext(
            request_id=request_id,
            deadline_ms=int(request["deadline_ms"]),
            invoked_function_arn=str(request.get("invoked_function_arn") or ""),
            client_context=request.get("client_context"),
            identity=request.get("identity"),
        )
        result = handler(event, context)
    except MemoryError:
        error = _out_of_memory(request_id)
        return {"ok": False, "error": error, "fatal": True}, "Runtime.OutOfMemory"
    except Exception as exc:
        # Drop this frame: the trace starts in the user's code, as awslambdaric's does.
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None
        error = _error(str(exc), type(exc).__name__, request_id, _user_stack(tb))
        _log_error(error)
        return {"ok": False, "error": error, "fatal": False}, str(error["errorType"])
    try:
        body, content_type = _marshal(result)
    except MemoryError:
        return {"ok": False, "error": _out_of_memory(request_id), "fatal": True}, "Runtime.OutOfMemory"
    except (TypeError, ValueError, OverflowError) as exc:
        error = _error(f"Unable to marshal response: {exc}", "Runtime.MarshalError", request_id)
        _log_error(error)
        return {"ok": False, "error": error, "fatal": False}, "Runtime.MarshalError"
    if len(body) > RESPONSE_LIMIT:
        message = f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes)."
        error = {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
        return {"ok": False, "error": error, "fatal": False}, "Function.ResponseSizeTooLarge"
    reply = {"ok": True, "payload": base64.b64encode(body).decode(), "content_type": content_type}
    return reply, None


def serve(frames_in: int, frames_out: int, handler_name: str, memory_mb: int, version: str) -> int:
    started = time.perf_counter()
    handler, init_error = load_handler(handler_name)
    init_ms: float | None = (time.perf_counter() - started) * 1000
    if init_error is not None:
        _log_error(init_error)
    frames.write_frame(frames_out, {"ready": True, "init_duration_ms": init_ms, "init_error": init_error})
    while True:
        request = frames.read_frame(frames_in)
        if request is None:
            return 0
        request_id = str(request["request_id"])
        _log(loglines.start_line(request_id, version))
        began = time.perf_counter()
        reply, error_type = invoke(handler, init_error, request)
        duration_ms = (time.perf_counter() - began) * 1000
        used = sandbox.max_memory_used_mb()
        fatal = bool(reply.get("fatal"))
        # END and REPORT in one write: the same bytes, one system call (and flush) fewer.
        _log(
            loglines.end_line(request_id)
            + loglines.report_line(
                request_id,
                duration_ms=duration_ms,
                memory_mb=memory_mb,
                max_memory_used_mb=used,
                init_duration_ms=init_ms,
                status="error" if fatal else None,
                error_type=error_type if fatal else None,
            )
        )
        reply.update(duration_ms=duration_ms, max_memory_used_mb=used, init_duration_ms=init_ms)
        frames.write_frame(frames_out, reply)
        init_ms = None  # Init Duration is reported on an environment's first invocation only
        if fatal:
            return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelport.sandboxes.lambda_.runner")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--max-address-space-mb", type=int, default=0)
    parser.add_argument(
        "--spare",
        action="store_true",
        help="start as a spare: import --preload modules, then wait for a function's assignment",
    )
    parser.add_argument("--preload", action="append", default=[], help="a module a spare imports ahead")
    args = parser.parse_args(argv)
    frames_in, frames_out = sandbox.take_protocol_fds()
    sandbox.die_with_parent(args.parent_pid)
    max_address_space_mb = args.max_address_space_mb
    if args.spare:
        assignment = _wait_as_spare(frames_in, frames_out, args.preload)
        if assignment is None:
            return 0  # the server retired the spare before giving it a function
        max_address_space_mb = _take_assignment(assignment)
    sys.dont_write_bytecode = True  # the code folder is the deployment package; leave it as shipped
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    if task_root in sys.path:
        sys.path.remove(task_root)
    sys.path.insert(0, task_root)
    _install_logging()
    memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
    sandbox.limit_address_space(max_address_space_mb)
    return serve(
        frames_in,
        frames_out,
        os.environ.get("_HANDLER", ""),
        memory_mb,
        os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
    )


def _wait_as_spare(frames_in: int, frames_out: int, modules: list[str]) -> dict[str, Any] | None:
    """Import ``modules``, say which top-level modules that added, and wait for an assignment.

    The server gives a spare only to a function whose code ships none of those modules (its own
    copy must win, as it would in a fresh process), and whose variables change nothing that
    Python or the preloaded modules read while importing.
    """
    before = {name.partition(".")[0] for name in sys.modules}
    failed = {}
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # a broken install: the spare still works, only slower
            failed[module] = f"{type(exc).__name__}: {exc}"
    added = sorted({name.partition(".")[0] for name in sys.modules} - before)
    frames.write_frame(frames_out, {"spare": True, "preloaded": added, "failed": failed})
    return frames.read_frame(frames_in)


def _take_assignment(assignment: dict[str, Any]) -> int:
    """Become the assigned function's environment: its variables, folder and log; return its cap."""
    os.environ.clear()
    os.environ.update({str(name): str(value) for name, value in assignment["environ"].items()})
    time.tzset()
    os.chdir(str(assignment["cwd"]))
    log = os.open(str(assignment["log_path"]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return int(assignment.get("max_address_space_mb") or 0)


if __name__ == "__main__":
    sys.exit(main())
