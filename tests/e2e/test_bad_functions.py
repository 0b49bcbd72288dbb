"""Functions that misbehave, created and invoked through the Lambda API over HTTP.

Lambda answers a function's failure as a successful Invoke: status 200, ``X-Amz-Function-Error:
Unhandled`` and the error JSON (``errorType``, ``errorMessage``, ``requestId``) as payload. Each
case checks that answer, that the server still serves the good function and the SageMaker
endpoint afterwards, and that a second invocation of the bad function answers the same way
(its broken environment was replaced, nothing hangs). The handler sources are the ones the
process-level tests in ``tests/functions`` run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from e2e.services import (
    check_good_function,
    ensure_function_role,
    ensure_good_function,
    function_params,
)
from sandboxes.lambda_.handlers import (
    CHATTY,
    MISSING_DEPENDENCY,
    NO_SUCH_HANDLER,
    RAISES_AT_IMPORT,
    SIZED_ANSWER,
    SLEEPER,
    SYNTAX_ERROR,
    UNSERIALISABLE,
)
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class BadFunction:
    id: str
    module: str  # the source of lambda_function.py
    error_type: str
    message: str  # a part of errorMessage
    handler: str = "lambda_function.lambda_handler"
    event: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)  # Timeout, MemorySize


BAD_FUNCTIONS = [
    BadFunction(
        "handler-not-found",
        NO_SUCH_HANDLER,
        "Runtime.HandlerNotFound",
        "Handler 'lambda_handler' missing on module 'lambda_function'",
    ),
    BadFunction("syntax-error", SYNTAX_ERROR, "Runtime.UserCodeSyntaxError", "lambda_function"),
    BadFunction(
        "import-error",
        MISSING_DEPENDENCY,
        "Runtime.ImportModuleError",
        "Unable to import module 'lambda_function': No module named 'not_installed_anywhere'",
    ),
    BadFunction(
        "module-missing",
        NO_SUCH_HANDLER,
        "Runtime.ImportModuleError",
        "Unable to import module 'nowhere'",
        handler="nowhere.lambda_handler",
    ),
    BadFunction("raises-at-import", RAISES_AT_IMPORT, "RuntimeError", "init failed"),
    BadFunction(
        "times-out",
        SLEEPER,
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
        event={"sleep": 5},
        config={"Timeout": 1},
    ),
    BadFunction(
        "exhausts-memory",
        SLEEPER,
        "Runtime.OutOfMemory",
        "Runtime exited with error: signal: killed",
        event={"allocate_mb": 4096},
        config={"MemorySize": 128},
    ),
    BadFunction(
        "exits", SLEEPER, "Runtime.ExitError", "Runtime exited with error: exit status 1", event={"exit": 1}
    ),
    BadFunction(
        "unserialisable-result",
        UNSERIALISABLE,
        "Runtime.MarshalError",
        "Unable to marshal response: Object of type object is not JSON serializable",
    ),
]


@pytest.fixture(scope="module")
def lam(server: ModelportServer) -> Any:
    ensure_function_role(client(server, "iam", validate=False))
    lam = client(server, "lambda", validate=False)
    ensure_good_function(lam)
    return lam


@pytest.fixture
def deployed(lam: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """Creates functions for one test and deletes them (and their environments) afterwards."""
    names: list[str] = []

    def deploy(name: str, module: str, **changes: Any) -> str:
        lam.create_function(**function_params(name, {"lambda_function.py": module}, **changes))
        names.append(name)
        return name

    yield deploy
    for name in names:
        lam.delete_function(FunctionName=name)


@pytest.mark.parametrize("bad", BAD_FUNCTIONS, ids=[b.id for b in BAD_FUNCTIONS])
def test_a_bad_function_is_answered_with_lambdas_function_error(
    bad: BadFunction, lam: Any, deployed: Callable[..., str], healthy: Callable[[], None]
) -> None:
    name = deployed(f"e2e-fn-{bad.id}", bad.module, Handler=bad.handler, **bad.config)
    for _ in range(2):  # the second call gets a fresh environment, and the same answer
        answer = lam.invoke(FunctionName=name, Payload=json.dumps(bad.event).encode(), LogType="Tail")
        headers = answer["ResponseMetadata"]["HTTPHeaders"]
        assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
        assert headers["x-amz-function-error"] == "Unhandled"
        error = json.loads(answer["Payload"].read())
        assert error["errorType"] == bad.error_type, error
        assert bad.message in error["errorMessage"], error
        log = base64.b64decode(answer["LogResult"]).decode()
        assert f"REPORT RequestId: {error['requestId']}" in log, log  # the log names the failure
    check_good_function(lam)
    healthy()


def test_a_function_that_prints_megabytes_succeeds_with_a_4_kb_tail(
    lam: Any, deployed: Callable[..., str], healthy: Callable[[], None]
) -> None:
    name = deployed("e2e-fn-chatty", CHATTY, Timeout=20)
    answer = lam.invoke(FunctionName=name, Payload=b'{"a": 1}', LogType="Tail")
    assert (answer["StatusCode"], answer.get("FunctionError")) == (200, None)
    assert answer["Payload"].read() == b"1"
    tail = base64.b64decode(answer["LogResult"])
    assert len(tail) == 4096
    lines = tail.decode().rstrip().splitlines()
    assert lines[-1].startswith("REPORT RequestId: ")
    assert any(line.startswith("x" * 100) for line in lines)  # the function's own output
    check_good_function(lam)
    healthy()


def test_an_answer_over_6_mb_is_lambdas_response_size_error(
    lam: Any, deployed: Callable[..., str], healthy: Callable[[], None]
) -> None:
    name = deployed("e2e-fn-huge-answer", SIZED_ANSWER, MemorySize=512, Timeout=20)
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"size": 7 * 1024 * 1024}).encode())
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    assert json.loads(answer["Payload"].read()) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    small = lam.invoke(FunctionName=name, Payload=b'{"size": 3}')
    assert (small.get("FunctionError"), small["Payload"].read()) == (None, b'"aaa"')
    check_good_function(lam)
    healthy()
