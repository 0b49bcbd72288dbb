"""What a function may produce: answers up to Lambda's 6 MB, and logs up to the configured cap."""

from __future__ import annotations

import json
import sys

import pytest

from modelport.sandboxes.lambda_.environment import Invocation, InvocationResult
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from modelport.sandboxes.lambda_.runner import RESPONSE_LIMIT, runtime_version

from .harness import Harness

SIZED = """
    def lambda_handler(event, context):
        print("x" * event.get("print", 0))
        return "a" * event.get("answer", 1)
"""


def test_an_answer_over_lambdas_limit_is_a_function_error_and_the_environment_lives(
    harness: Harness,
) -> None:
    harness.write({"lambda_function.py": SIZED})

    async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
        too_big = await pool.invoke(Invocation(json.dumps({"answer": RESPONSE_LIMIT}).encode()))
        just_fits = await pool.invoke(Invocation(json.dumps({"answer": RESPONSE_LIMIT - 2}).encode()))
        return [too_big, just_fits]

    too_big, just_fits = harness.run(scenario)
    assert too_big.function_error == "Unhandled"
    assert json.loads(too_big.payload) == {
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({RESPONSE_LIMIT} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    assert just_fits.error is None
    assert len(just_fits.payload) == RESPONSE_LIMIT  # the JSON string's two quotes included


def test_a_log_past_its_cap_keeps_its_newest_half(harness: Harness) -> None:
    harness.write({"lambda_function.py": SIZED})
    cap = 64 * 1024

    async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
        event = json.dumps({"print": 40 * 1024}).encode()
        return [await pool.invoke(Invocation(event)) for _ in range(5)]

    results = harness.run(scenario, max_log_bytes=cap)
    assert all(result.error is None for result in results)
    (log,) = harness.log_dir.glob("*.log")
    text = log.read_text()
    assert log.stat().st_size <= cap
    assert text.startswith("[modelport] log shortened: the oldest ")
    assert f"REPORT RequestId: {results[-1].request_id}" in text
    assert f"START RequestId: {results[0].request_id}" not in text


def test_a_cap_of_zero_keeps_everything(harness: Harness) -> None:
    harness.write({"lambda_function.py": SIZED})

    async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
        event = json.dumps({"print": 40 * 1024}).encode()
        return [await pool.invoke(Invocation(event)) for _ in range(3)]

    harness.run(scenario, max_log_bytes=0)
    (log,) = harness.log_dir.glob("*.log")
    assert log.stat().st_size > 3 * 40 * 1024
    assert "log shortened" not in log.read_text()


NON_ASCII = """
    import os

    def lambda_handler(event, context):
        return {"answer": "Setosa ✓ café", "env": os.environ["AWS_EXECUTION_ENV"]}
"""


@pytest.mark.parametrize(
    ("runtime", "body"),
    [
        ("python3.11", b'{"answer": "Setosa \\u2713 caf\\u00e9", "env": "AWS_Lambda_python3.11"}'),
        ("python3.12", '{"answer": "Setosa ✓ café", "env": "AWS_Lambda_python3.12"}'.encode()),
        ("python3.13", '{"answer": "Setosa ✓ café", "env": "AWS_Lambda_python3.13"}'.encode()),
    ],
)
def test_the_declared_runtime_decides_how_answers_are_encoded(
    harness: Harness, runtime: str, body: bytes
) -> None:
    harness.write({"lambda_function.py": NON_ASCII})
    (result,) = harness.invoke_all([b"{}"], runtime=runtime)
    assert result.payload == body


@pytest.mark.parametrize(
    ("value", "version"),
    [
        ("AWS_Lambda_python3.12", (3, 12)),
        ("AWS_Lambda_python3.9", (3, 9)),
        ("AWS_Lambda_nodejs20.x", sys.version_info[:2]),
        (None, sys.version_info[:2]),
        ("AWS_Lambda_python3", sys.version_info[:2]),
    ],
)
def test_runtime_version_reads_the_execution_env(value: str | None, version: tuple[int, int]) -> None:
    assert runtime_version(value) == version
