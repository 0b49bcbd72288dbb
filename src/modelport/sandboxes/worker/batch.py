"""Answering a batch frame: the gathered invocations through the runtime's ``invoke_many``.

Each answer is what the request gets alone (``runtimes/batch_predict.py``). Should
``invoke_many`` itself fail, every invocation is answered on its own, as the plain path answers
it, so one bad request never changes the answers of the others.
"""

from __future__ import annotations

import logging

from modelport.sandboxes.runtimes.base import Invocation, InvocationResult, Runtime
from modelport.sandboxes.worker.batch_wire import FrameError, decode_invocations, encode_answers

logger = logging.getLogger("modelport.worker")

INTERNAL_ERROR = InvocationResult(500, b"Internal Server Error", "text/plain; charset=utf-8")


def safe_invoke(runtime: Runtime, invocation: Invocation) -> InvocationResult:
    """One invocation; a runtime that raises answers 500 (its traceback goes to the log)."""
    i = invocation
    try:
        return runtime.invoke(i.body, i.content_type, i.accept, i.custom_attributes)
    except Exception:
        logger.exception("runtime failed on /invocations")
        return INTERNAL_ERROR


def answer_batch(runtime: Runtime, frame: bytes) -> tuple[int, bytes]:
    """Status and body of the worker's answer to a request frame."""
    try:
        invocations = decode_invocations(frame)
    except FrameError as error:
        return 400, str(error).encode()
    try:
        results = runtime.invoke_many(invocations)
    except Exception:  # one of them raised: answer each alone, as the plain path does
        results = [safe_invoke(runtime, invocation) for invocation in invocations]
    # A 204 goes out without a body on the plain path.
    results = [r if r.status != 204 or not r.body else _without_body(r) for r in results]
    return 200, encode_answers(results)


def _without_body(result: InvocationResult) -> InvocationResult:
    return InvocationResult(result.status, b"", result.content_type, result.custom_attributes)
