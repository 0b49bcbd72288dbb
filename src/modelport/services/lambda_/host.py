"""``FunctionHost``: the warm execution environments of every function, and where code lives.

One ``EnvironmentPool`` per function, created lazily on the first Invoke (so nothing but the
stored record and the code folder has to survive a restart), replaced when the function's code
or configuration changes, and retired on delete. A retired pool finishes the invocations it is
running (up to the function's timeout) before its processes are stopped; Lambda also lets
in-flight requests finish on the old version.

On disk, under ``settings.data_dir``:

    functions/<name>/<code sha256 hex>.zip   the uploaded package (GetFunction's Code, re-unpacking)
    functions/<name>/<code sha256 hex>/      the unpacked code, the function's LAMBDA_TASK_ROOT
    logs/functions/<name>/<env id>.log       one log per execution environment (from the pool),
                                             also shipped to CloudWatch Logs, /aws/lambda/<name>

Credentials come from the function's role through IAM's ``issue_role_credentials`` (a test
may pass its own ``credentials`` callable). Role sessions last an hour, so a pool older than ``CREDENTIALS_REFRESH_S`` is replaced
at its next Invoke, which gives its new environments fresh keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelport.core.config import Limits
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.sandboxes.lambda_.code import ZipLimits, extract_zip
from modelport.sandboxes.lambda_.environment import LogSink
from modelport.sandboxes.lambda_.pool import EnvironmentPool
from modelport.sandboxes.lambda_.spares import FunctionSpares
from modelport.sandboxes.lambda_.spec import EnvironmentSpec, RoleCredentials
from modelport.services.context import ServiceContext
from modelport.services.iam.operations import issue_role_credentials
from modelport.services.iam.roles import role_by_arn
from modelport.store.base import Resource

logger = logging.getLogger(__name__)

KIND = "lambda_function"
CREDENTIALS_DURATION_S = 3600
CREDENTIALS_REFRESH_S = 3000.0
DEFAULT_MAX_CONCURRENCY = 10
REAP_INTERVAL_S = 30.0  # how often idle environments are looked at, at most

CredentialsProvider = Callable[[ServiceContext, str, str], RoleCredentials]
ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."


def role_credentials(ctx: ServiceContext, role_arn: str, session_name: str) -> RoleCredentials:
    """A fresh STS session of the function's role (``InvalidRequest`` if the role is gone)."""
    try:
        issued = issue_role_credentials(ctx, role_arn, session_name, duration_s=CREDENTIALS_DURATION_S)
    except ResourceNotFound:
        raise InvalidRequest(ROLE_NOT_ASSUMABLE) from None
    return RoleCredentials(
        access_key_id=str(issued["AccessKeyId"]),
        secret_access_key=str(issued["SecretAccessKey"]),
        session_token=issued.get("SessionToken"),
    )


def check_role(ctx: ServiceContext, role_arn: str) -> None:
    """The execution role must exist in IAM when the function is created or given a new role."""
    if role_by_arn(ctx, role_arn) is None:
        raise InvalidRequest(ROLE_NOT_ASSUMABLE)


def function_dir(ctx: ServiceContext, name: str) -> Path:
    return ctx.settings.data_dir / "functions" / name


def code_archive(ctx: ServiceContext, name: str, sha_hex: str) -> Path:
    """The stored zip of one version of a function's code."""
    return function_dir(ctx, name) / f"{sha_hex}.zip"


def zip_limits(limits: Limits) -> ZipLimits:
    """The server's unpacking guards for deployment packages (the size and member caps stay Lambda's)."""
    return ZipLimits(
        max_ratio=limits.max_unpack_ratio,
        ratio_floor_bytes=limits.unpack_ratio_floor_bytes,
        min_free_bytes=limits.min_free_disk_bytes,
    )


def store_code(ctx: ServiceContext, name: str, sha_hex: str, zip_bytes: bytes) -> Path:
    """Keep the zip and unpack it (once per content hash); return the code folder.

    ``extract_zip`` raises ``InvalidZip`` for a package it refuses; nothing is left behind then.
    """
    folder = function_dir(ctx, name)
    code_dir = folder / sha_hex
    if not code_dir.is_dir():
        try:
            extract_zip(zip_bytes, code_dir, zip_limits(ctx.settings.limits))
        except BaseException:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: a refused zip leaves nothing behind
            raise
    archive = code_archive(ctx, name, sha_hex)
    if not archive.exists():
        partial = archive.with_suffix(".zip.partial")
        partial.write_bytes(zip_bytes)
        partial.replace(archive)
    return code_dir


def code_dir_for(ctx: ServiceContext, record: Resource) -> Path:
    """The unpacked code of ``record``, unpacked again from the stored zip if it went missing."""
    sha_hex = str(record.body["CodeShaHex"])
    code_dir = function_dir(ctx, record.name) / sha_hex
    if not code_dir.is_dir():
        extract_zip(
            code_archive(ctx, record.name, sha_hex).read_bytes(), code_dir, zip_limits(ctx.settings.limits)
        )
    return code_dir


@dataclass
class _Hosted:
    pool: EnvironmentPool
    revision: str
    started: float


def _log_sink(ctx: ServiceContext, name: str) -> LogSink | None:
    """Where the function's output goes in CloudWatch Logs: ``/aws/lambda/<name>``."""
    writer = ctx.logs
    if writer is None:
        return None
    group = f"/aws/lambda/{name}"

    def sink(stream: str, data: bytes) -> None:
        writer.append(group, stream, data)

    return sink


class FunctionHost:
    """Pools by function name; ``bootstrap`` builds one, ``ServiceContext.functions``. ``close()``
    stops them all."""

    def __init__(
        self,
        credentials: CredentialsProvider = role_credentials,
        *,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        spares: FunctionSpares | None = None,
        idle_timeout_s: float = 0.0,
    ) -> None:
        self.credentials = credentials
        self.max_concurrency = max_concurrency
        self.spares = spares if spares is not None else FunctionSpares(0)
        self.idle_timeout_s = idle_timeout_s
        self._pools: dict[str, _Hosted] = {}
        self._retiring: set[EnvironmentPool] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None

    def pool(self, ctx: ServiceContext, record: Resource) -> EnvironmentPool:
        """The function's pool, started on first use (no awaits: concurrent first calls share it)."""
        self.spares.warm_up()
        self._start_reaper()
        hosted = self._pools.get(record.name)
        revision = str(record.body["RevisionId"])
        now = ctx.clock.monotonic()
        if hosted is not None and (
            hosted.revision != revision or now - hosted.started > CREDENTIALS_REFRESH_S
        ):
            self.retire(ctx, record.name)
            hosted = None
        if hosted is None:
            spec = self._spec(ctx, record)
            log_dir = ctx.settings.log_dir / "functions" / record.name
            pool = EnvironmentPool(
                spec,
                log_dir,
                max_concurrency=self.max_concurrency,
                spares=self.spares,
                log_sink=_log_sink(ctx, record.name),
            )
            hosted = self._pools[record.name] = _Hosted(pool, revision, now)
        return hosted.pool

    def retire(self, ctx: ServiceContext, name: str, *, remove_code: bool = False) -> None:
        """Drop the function's pool; it stops once its in-flight invocations end.

        With ``remove_code`` (DeleteFunction) the function's folder goes too, once the pool is
        stopped, unless a function of the same name was created again meanwhile.
        """
        hosted = self._pools.pop(name, None)
        if hosted is None and not remove_code:
            return
        self.spawn(self._retire(ctx, name, hosted.pool if hosted else None, remove_code))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background (Event invokes, retiring pools); ``close()`` ends it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    async def close(self) -> None:
        """Stop every pool, then let background work finish (its invocations fail fast now)."""
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
        pools = [hosted.pool for hosted in self._pools.values()] + list(self._retiring)
        self._pools.clear()
        await asyncio.gather(self.spares.close(), *(pool.close() for pool in pools), return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start_reaper(self) -> None:
        if self.idle_timeout_s > 0 and self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap_idle())

    async def _reap_idle(self) -> None:
        """Stop environments idle past ``idle_timeout_s``, checking a few times per timeout."""
        interval = min(REAP_INTERVAL_S, self.idle_timeout_s / 4)
        while True:
            await asyncio.sleep(interval)
            for hosted in list(self._pools.values()):
                hosted.pool.retire_idle(self.idle_timeout_s)

    async def _retire(
        self, ctx: ServiceContext, name: str, pool: EnvironmentPool | None, remove_code: bool
    ) -> None:
        if pool is not None:
            self._retiring.add(pool)
        try:
            if pool is not None:
                deadline = pool.spec.timeout_seconds + 1.0
                waited = 0.0
                while pool.busy and waited < deadline:
                    await asyncio.sleep(0.05)
                    waited += 0.05
        finally:
            if pool is not None:
                await pool.close()
                self._retiring.discard(pool)
        current = ctx.store.get(KIND, name)
        if remove_code and current is None:
            shutil.rmtree(function_dir(ctx, name), ignore_errors=True)
        elif current is not None:
            self._prune(ctx, name, keep=str(current.body["CodeShaHex"]))

    def _prune(self, ctx: ServiceContext, name: str, *, keep: str) -> None:
        """Remove code versions other than ``keep`` (an update's old code, once unused)."""
        if name in self._pools and self._pools[name].pool.spec.code_dir.name != keep:
            return  # a pool still runs older code; its own retirement prunes later
        folder = function_dir(ctx, name)
        for path in folder.glob("*") if folder.is_dir() else ():
            if path.name.split(".")[0] != keep:
                with contextlib.suppress(OSError):
                    shutil.rmtree(path) if path.is_dir() else path.unlink()

    def _spec(self, ctx: ServiceContext, record: Resource) -> EnvironmentSpec:
        body = record.body
        return EnvironmentSpec(
            function_name=record.name,
            handler=str(body["Handler"]),
            code_dir=code_dir_for(ctx, record),
            region=ctx.settings.region,
            account_id=ctx.settings.account_id,
            endpoint_url=ctx.settings.url,
            credentials=self.credentials(ctx, str(body["Role"]), record.name),
            memory_mb=int(body["MemorySize"]),
            timeout_seconds=float(body["Timeout"]),
            variables=dict((body.get("Environment") or {}).get("Variables") or {}),
            max_log_bytes=ctx.settings.limits.max_function_log_bytes,
            runtime=str(body["Runtime"]),
        )

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Background Lambda work failed", exc_info=task.exception())
