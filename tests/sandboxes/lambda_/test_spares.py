"""Spare runners: started ahead with boto3 imported, handed to a function only where that is exact."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from modelport.sandboxes.lambda_.environment import Invocation, InvocationResult
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from modelport.sandboxes.lambda_.spares import FunctionSpares, code_modules
from modelport.sandboxes.lambda_.spec import EnvironmentSpec, RoleCredentials

from .harness import Harness, make_spec

T = TypeVar("T")

REPORTER = """
    import os, resource, sys

    def lambda_handler(event, context):
        print("hello from the handler")
        return {
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
            "colour": os.environ.get("COLOUR"),
            "server_secret": os.environ.get("SPARE_TEST_SECRET"),
            "address_space": resource.getrlimit(resource.RLIMIT_AS)[0],
            "boto3_loaded_before_handler": "boto3" in sys.modules,
        }
"""

OWN_BOTO3 = """
    import boto3

    def lambda_handler(event, context):
        return {"boto3": boto3.__file__, "marker": getattr(boto3, "MARKER", None)}
"""


async def _ready(spares: FunctionSpares, count: int) -> None:
    for _ in range(600):
        if spares.ready >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} spares were not ready within 30 s")


def _with_spares(
    harness: Harness, scenario: Callable[[EnvironmentPool, FunctionSpares], Awaitable[T]], **spec: Any
) -> T:
    async def main() -> T:
        spares = FunctionSpares(1)
        spares.warm_up()
        await _ready(spares, 1)
        pool = EnvironmentPool(make_spec(harness.code_dir, **spec), harness.log_dir, spares=spares)
        try:
            return await scenario(pool, spares)
        finally:
            await pool.close()
            await spares.close()

    return asyncio.run(main())


def _body(result: InvocationResult) -> dict[str, Any]:
    assert result.error is None, result.error
    parsed: dict[str, Any] = json.loads(result.payload)
    return parsed


def test_a_spare_becomes_the_function_environment_with_its_variables_folder_log_and_cap(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARE_TEST_SECRET", "server-only")  # the server's own variables stay out
    harness.write({"lambda_function.py": REPORTER})

    async def scenario(pool: EnvironmentPool, spares: FunctionSpares) -> tuple[dict[str, Any], set[int], int]:
        spare_pids = {spare.process.pid for spare in spares.pool.spares(spares.python)}
        result = await pool.invoke(Invocation(b"{}"))
        await _ready(spares, 1)  # the one taken is replaced
        return _body(result), spare_pids, spares.ready

    answer, spare_pids, ready_after = _with_spares(
        harness, scenario, variables={"COLOUR": "blue"}, memory_mb=256
    )
    assert answer["pid"] in spare_pids
    assert answer["boto3_loaded_before_handler"] is True
    assert answer["cwd"] == str(harness.code_dir)
    assert answer["name"] == "iris-fn"
    assert answer["colour"] == "blue"
    assert answer["server_secret"] is None
    assert answer["address_space"] == (256 + 512) * 1024 * 1024
    assert ready_after == 1
    logs = harness.logs()
    assert "hello from the handler" in logs
    assert "START RequestId:" in logs and "REPORT RequestId:" in logs and "Init Duration" in logs


def test_code_that_ships_its_own_boto3_gets_a_fresh_process(harness: Harness) -> None:
    harness.write({"lambda_function.py": OWN_BOTO3, "boto3/__init__.py": "MARKER = 'bundled'\n"})

    async def scenario(pool: EnvironmentPool, spares: FunctionSpares) -> tuple[dict[str, Any], int]:
        result = await pool.invoke(Invocation(b"{}"))
        return _body(result), spares.ready

    answer, ready_after = _with_spares(harness, scenario)
    assert answer["marker"] == "bundled"
    assert answer["boto3"] == str(harness.code_dir / "boto3" / "__init__.py")
    assert ready_after == 1  # the spare was not used


# The one list of sandboxes/spares.py: the interpreter's, boto3's, and glibc's allocator's (read
# when the process starts, so a spare would never see it).
@pytest.mark.parametrize(
    "variable", ["PYTHONHASHSEED", "PYTHONWARNINGS", "BOTO_DISABLE_CRT", "MALLOC_ARENA_MAX"]
)
def test_variables_read_at_process_start_get_a_fresh_process(harness: Harness, variable: str) -> None:
    harness.write({"lambda_function.py": REPORTER})

    async def scenario(pool: EnvironmentPool, spares: FunctionSpares) -> tuple[dict[str, Any], set[int]]:
        spare_pids = {spare.process.pid for spare in spares.pool.spares(spares.python)}
        return _body(await pool.invoke(Invocation(b"{}"))), spare_pids

    answer, spare_pids = _with_spares(harness, scenario, variables={variable: "1"})
    assert answer["pid"] not in spare_pids
    assert answer["boto3_loaded_before_handler"] is False


def test_an_init_error_in_a_spare_is_reported_as_in_a_fresh_process(harness: Harness) -> None:
    harness.write({"lambda_function.py": "def lambda_handler(event, context:\n    return 1\n"})

    async def scenario(pool: EnvironmentPool, spares: FunctionSpares) -> InvocationResult:
        return await pool.invoke(Invocation(b"{}"))

    result = _with_spares(harness, scenario)
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.UserCodeSyntaxError"


def test_close_stops_ready_spares(tmp_path: Path) -> None:
    async def main() -> list[int]:
        spares = FunctionSpares(2)
        spares.warm_up()
        await _ready(spares, 2)
        pids = [spare.process.pid for spare in spares.pool.spares(spares.python)]
        await spares.close()
        return pids

    for pid in asyncio.run(main()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_pool_of_size_zero_never_starts_a_process(tmp_path: Path) -> None:
    async def main() -> int:
        spares = FunctionSpares(0)
        spares.warm_up()
        spec = EnvironmentSpec(
            "f", "m.h", tmp_path, "us-east-1", "123456789012", "http://127.0.0.1:9", RoleCredentials("a", "b")
        )
        taken = spares.take(spec)
        await spares.close()
        return 0 if taken is None else 1

    assert asyncio.run(main()) == 0


def test_code_modules_names_packages_modules_and_extensions(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "mod.py").write_text("")
    (tmp_path / "ext.cpython-311-x86_64-linux-gnu.so").write_text("")
    assert code_modules(tmp_path) == {"pkg", "mod", "ext"}
    assert code_modules(tmp_path / "missing") == set()
