"""Real runner processes over real code folders; every pool is closed inside its own loop."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from modelport.sandboxes.lambda_.environment import Invocation, InvocationResult, LogSink
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from modelport.sandboxes.lambda_.spec import EnvironmentSpec, RoleCredentials

T = TypeVar("T")
ENDPOINT = "http://127.0.0.1:9"


def make_spec(code_dir: Path, **overrides: Any) -> EnvironmentSpec:
    settings: dict[str, Any] = {
        "function_name": "iris-fn",
        "handler": "lambda_function.lambda_handler",
        "code_dir": code_dir,
        "region": "us-east-1",
        "account_id": "123456789012",
        "endpoint_url": ENDPOINT,
        "credentials": RoleCredentials("ASIAEXAMPLE", "secret", "token"),
        "timeout_seconds": 5.0,
    }
    settings.update(overrides)
    return EnvironmentSpec(**settings)


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.code_dir = tmp_path / "code"
        self.log_dir = tmp_path / "logs"

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.code_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))

    def run(
        self,
        scenario: Callable[[EnvironmentPool], Awaitable[T]],
        *,
        max_concurrency: int = 4,
        log_sink: LogSink | None = None,
        **spec: Any,
    ) -> T:
        async def main() -> T:
            pool = EnvironmentPool(
                make_spec(self.code_dir, **spec),
                self.log_dir,
                max_concurrency=max_concurrency,
                log_sink=log_sink,
            )
            try:
                return await scenario(pool)
            finally:
                await pool.close()

        return asyncio.run(main())

    def invoke_all(self, payloads: list[bytes], **spec: Any) -> list[InvocationResult]:
        async def scenario(pool: EnvironmentPool) -> list[InvocationResult]:
            return [await pool.invoke(Invocation(payload)) for payload in payloads]

        return self.run(scenario, **spec)

    def logs(self) -> str:
        return "".join(path.read_text() for path in sorted(self.log_dir.glob("*.log")))
