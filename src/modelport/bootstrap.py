"""The composition root: the one place that picks concrete classes and wires them together.

``build_platform`` builds every long-lived part once — the store and keys, the supervisor and its
warm pool, the router, the controller, Lambda's function host and its spare runners — and hands
the services one ``ServiceContext`` with all of them as typed fields. ``Platform.close`` stops
what runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelport.aws.auth.keys import KeyStoreLookup
from modelport.aws.auth.principal import caller_principal
from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.core.clock import Clock, SystemClock
from modelport.core.config import Settings
from modelport.core.errors import AccessDenied
from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.async_inference.dispatcher import AsyncDispatcher
from modelport.hosting.batching import BatchPolicy
from modelport.hosting.capture import CaptureWriter
from modelport.hosting.controller import Controller
from modelport.hosting.metrics.flusher import Metrics
from modelport.hosting.metrics.store import MetricStore
from modelport.hosting.router import Router
from modelport.hosting.shadow import ShadowSender
from modelport.hosting.transform import job as transform_job
from modelport.hosting.transform.runner import TransformRunner
from modelport.sandboxes.lambda_.spares import FunctionSpares
from modelport.sandboxes.model_environments import ModelEnvironments
from modelport.sandboxes.notebooks import NotebookHost
from modelport.sandboxes.supervisor import Supervisor, WorkerProcess
from modelport.services.application_autoscaling.scaler import Autoscaler
from modelport.services.cloudwatch.alarms import alarm_states, evaluate_all
from modelport.services.context import ServiceContext
from modelport.services.iam.authorization import authorize
from modelport.services.lambda_.host import FunctionHost
from modelport.services.logs.store import LogStore
from modelport.services.logs.writer import FileSource, LogWriter
from modelport.services.sts.role_tokens import RoleTokens
from modelport.store.sqlite import SqliteStore

NOTEBOOK_LOG_GROUP = "/aws/sagemaker/NotebookInstances"


@dataclass
class Platform:
    settings: Settings
    clock: Clock
    store: SqliteStore
    keys: SqliteKeyStore
    key_lookup: KeyStoreLookup
    supervisor: Supervisor
    router: Router
    controller: Controller
    functions: FunctionHost
    notebooks: NotebookHost
    logs: LogWriter
    metrics: Metrics
    context: ServiceContext
    # authorize(context, service, operation, params): raises AccessDenied unless the caller may.
    authorize: Callable[[ServiceContext, str, str, dict[str, Any]], None]
    capture: CaptureWriter
    shadow: ShadowSender
    autoscaler: Autoscaler
    transforms: TransformRunner
    async_inference: AsyncDispatcher
    _log_task: asyncio.Task[None] | None = None
    _capture_task: asyncio.Task[None] | None = None
    _metrics_task: asyncio.Task[None] | None = None
    _autoscaling_task: asyncio.Task[None] | None = None
    _async_task: asyncio.Task[None] | None = None

    def start_logs(self) -> None:
        """Start the background loops (in the running event loop): the log writer, data capture,
        metrics, autoscaling and the asynchronous inference queues."""
        if self._log_task is None:
            self._log_task = asyncio.get_running_loop().create_task(self.logs.run(), name="log-writer")
        if self._capture_task is None:
            self._capture_task = asyncio.get_running_loop().create_task(
                self.capture.run(), name="data-capture"
            )
        if self._metrics_task is None:
            self._metrics_task = asyncio.get_running_loop().create_task(self.metrics.run(), name="metrics")
        if self._autoscaling_task is None:
            self._autoscaling_task = asyncio.get_running_loop().create_task(
                self.autoscaler.run(), name="autoscaling"
            )
        if self._async_task is None:
            self._async_task = asyncio.get_running_loop().create_task(
                self.async_inference.run(), name="async-inference"
            )

    async def close(self) -> None:
        """Stop everything that runs: endpoint instances, function environments, notebook servers;
        then store the last log lines."""
        if self._autoscaling_task is not None:  # first: no scaling starts while the fleets stop
            self._autoscaling_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autoscaling_task
        await self.autoscaler.close()
        await self.shadow.close()
        await self.transforms.close()  # before the controller stops every worker
        if self._async_task is not None:
            self._async_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._async_task
        await self.async_inference.close()
        await self.controller.stop()
        await self.functions.close()
        await self.notebooks.close()
        for task in (
            self._capture_task,
            self._log_task,
            self._metrics_task,
        ):  # capture's last flush writes its buffer
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await asyncio.to_thread(self.logs.close)
        await asyncio.to_thread(self.metrics.close)


def endpoint_log_sources(supervisor: Supervisor) -> Callable[[], Iterator[FileSource]]:
    """Every endpoint instance's log file, as ``/aws/sagemaker/Endpoints/<name>`` stream
    ``<variant>/i-<n>-<generation>`` (the instance id is ``<name>/<variant>/<n>-<generation>``).

    An instance's file is its slot's, ``<variant>-<n>.log``: during an update the new instance
    appends to the file the old one still writes. So a file is followed once (keyed by its
    path) and its lines go to the stream of the newest instance writing it."""

    def sources() -> Iterator[FileSource]:
        newest: dict[Path, WorkerProcess] = {}
        for worker in list(supervisor.workers.values()):
            seen = newest.get(worker.spec.log_path)
            if seen is None or worker.log_file_size_at_start >= seen.log_file_size_at_start:
                newest[worker.spec.log_path] = worker
        for worker in newest.values():
            yield instance_log_source(worker)

    return sources


def instance_log_source(worker: WorkerProcess) -> FileSource:
    """An endpoint instance's log, or a transform job instance's (``/aws/sagemaker/TransformJobs``,
    stream ``<job>/i-<n>``)."""
    if transform_job.is_transform_instance(worker.spec.instance_id):
        return FileSource(
            key=str(worker.spec.log_path),
            path=worker.spec.log_path,
            group=transform_job.LOG_GROUP,
            stream=transform_job.log_stream(worker.spec.instance_id),
            start=worker.log_file_size_at_start,
        )
    return endpoint_log_source(worker)


def endpoint_log_source(worker: WorkerProcess) -> FileSource:
    endpoint, variant, instance = worker.spec.instance_id.rsplit("/", 2)
    return FileSource(
        key=str(worker.spec.log_path),
        path=worker.spec.log_path,
        group=f"/aws/sagemaker/Endpoints/{endpoint}",
        stream=f"{variant}/i-{instance}",
        start=worker.log_file_size_at_start,
    )


def notebook_log_sources(notebooks: NotebookHost) -> Callable[[], Iterator[FileSource]]:
    """Every notebook instance's log (lifecycle scripts, then JupyterLab) as stream
    ``<name>/jupyter.log`` of ``/aws/sagemaker/NotebookInstances``, as SageMaker names it."""

    def sources() -> Iterator[FileSource]:
        for run, name, path, start in notebooks.log_files():
            yield FileSource(f"notebook/{run}", path, NOTEBOOK_LOG_GROUP, f"{name}/jupyter.log", start)

    return sources


def log_sources(supervisor: Supervisor, notebooks: NotebookHost) -> Callable[[], Iterator[FileSource]]:
    """The log files CloudWatch Logs follows: endpoint instances' and notebook instances'."""
    endpoints, notebook_logs = endpoint_log_sources(supervisor), notebook_log_sources(notebooks)

    def sources() -> Iterator[FileSource]:
        yield from endpoints()
        yield from notebook_logs()

    return sources


def s3_denial(
    context: ServiceContext, caller: dict[str, str] | None, operation: str, params: dict[str, str]
) -> str | None:
    """Why ``caller`` (a transform job's creator or an asynchronous request's sender, as stored) may
    not make this S3 call, or None: what the S3 front would have answered them."""
    if caller is None:
        return None
    try:
        authorize(context.acting_as(caller_principal(caller)), "s3", operation, params)
    except AccessDenied as exc:
        return exc.message
    return None


def record_setup(metrics: Metrics, worker: WorkerProcess, seconds: float) -> None:
    """ModelSetupTime: an instance's start, to its first healthy ping (instance id
    ``<endpoint>/<variant>/<n>-<generation>``); a transform job's instances record none."""
    if transform_job.is_transform_instance(worker.spec.instance_id):
        return
    endpoint, variant, _ = worker.spec.instance_id.rsplit("/", 2)
    metrics.recorder.setup(endpoint, variant, seconds * 1_000_000)


def build_supervisor(settings: Settings) -> Supervisor:
    """Where instances run: local processes, or Ray actors (imported only when chosen, docs/ray.md)."""
    limits = settings.limits
    if settings.backend == "ray":
        from modelport.sandboxes.ray.actor import NODE_ROOT
        from modelport.sandboxes.ray.backend import RaySupervisor
        from modelport.sandboxes.ray.cluster import owner_tag

        owner = owner_tag(settings.data_dir)
        return RaySupervisor(
            address=settings.ray_address,
            owner=owner,
            resource_scale=settings.ray_resource_scale,
            # Each actor unpacks its model on its own node, with the same cache code and limits;
            # the settings it is sent carry the S3 credentials, never the server's root key.
            models=ArtifactCache(
                NODE_ROOT / owner / "artifacts",
                dataclasses.replace(settings, root_access_key_id=None, root_secret_access_key=None),
            ),
            env_dir=NODE_ROOT / owner / "envs",
            startup_timeout_s=limits.startup_timeout_s,
            ping_timeout_s=limits.ping_timeout_s,
            install_timeout_s=limits.requirements_install_timeout_s,
            pool_log_dir=settings.log_dir / "_warm",
        )
    return Supervisor(
        startup_timeout_s=limits.startup_timeout_s,
        ping_timeout_s=limits.ping_timeout_s,
        warm_per_runtime=limits.warm_workers_per_runtime,
        pool_log_dir=settings.log_dir / "_warm",
        environments=ModelEnvironments(
            settings.model_env_dir, install_timeout_s=limits.requirements_install_timeout_s
        ),
    )


def build_router(settings: Settings, rng: random.Random | None = None) -> Router:
    limits = settings.limits
    batching = BatchPolicy(limits.max_batch_size, limits.max_batch_wait_s, limits.max_payload_bytes)
    return Router(
        max_in_flight=limits.max_in_flight_per_instance,
        timeout_s=limits.invocation_timeout_s,
        rng=rng,
        batching=batching if limits.max_batch_size > 1 else None,
    )


def build_function_host(settings: Settings) -> FunctionHost:
    """Lambda's execution environments: pools start on a function's first Invoke, spare runners
    when the first function is created or invoked."""
    limits = settings.limits
    return FunctionHost(
        max_concurrency=limits.max_function_concurrency,
        spares=FunctionSpares(limits.warm_function_environments),
        idle_timeout_s=limits.function_idle_timeout_s,
    )


def build_platform(
    settings: Settings,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    s3_ready: Callable[[], str | None] | None = None,
) -> Platform:
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = SqliteStore(settings.store_path)
    keys = SqliteKeyStore(store.connection)
    limits = settings.limits
    supervisor = build_supervisor(settings)
    router = build_router(settings, rng)
    controller = Controller(
        store=store,
        settings=settings,
        clock=clock,
        supervisor=supervisor,
        router=router,
        artifacts=(cache := ArtifactCache(settings.artifact_dir, settings, s3_ready=s3_ready)),
    )
    # A collector round also clears the model folders the Ray backend's nodes keep (docs/ray.md).
    controller.collector.collect = lambda live: [*cache.collect(live), *supervisor.collect_nodes(live)]
    functions = build_function_host(settings)
    notebooks = NotebookHost(
        startup_timeout_s=limits.notebook_startup_timeout_s,
        script_timeout_s=limits.notebook_script_timeout_s,
        stop_timeout_s=limits.notebook_stop_timeout_s,
    )
    logs = LogWriter(LogStore(settings.log_store_path), clock, max_group_bytes=limits.max_log_group_bytes)
    logs.sources = log_sources(supervisor, notebooks)
    supervisor.on_stopped = lambda worker: logs.stopped(instance_log_source(worker))

    def s3_access(caller: dict[str, str] | None, operation: str, params: dict[str, str]) -> str | None:
        """Transform jobs' and asynchronous requests' S3 check, for the caller stored with them."""
        return s3_denial(context, caller, operation, params)

    transforms = TransformRunner(
        store=store,
        settings=settings,
        clock=clock,
        supervisor=supervisor,
        artifacts=cache,
        append_log=logs.append,
        new_client=router.new_client,
        s3_access=s3_access,
    )
    controller.collector.also_live = transforms.live_model_keys
    metrics = Metrics(
        MetricStore(settings.metrics_store_path),
        clock,
        router,
        retention_s=limits.metrics_retention_s,
        interval_s=limits.metrics_flush_interval_s,
    )
    async_inference = AsyncDispatcher(
        store=store,
        settings=settings,
        clock=clock,
        router=router,
        append_log=logs.append,
        s3_access=s3_access,
        metrics=metrics.recorder,
    )
    context = ServiceContext(
        store=store,
        settings=settings,
        clock=clock,
        engine=controller,
        keys=keys,
        router=router,
        functions=functions,
        notebooks=notebooks,
        role_tokens=RoleTokens(),
        logs=logs,
        metrics=metrics,
        transforms=transforms,
        async_inference=async_inference,
    )
    capture = CaptureWriter(settings)
    metrics.after_flush = lambda: evaluate_all(context)
    metrics.backlog = async_inference.gauges
    controller.alarm_states = lambda names: alarm_states(context, names)  # AutoRollbackConfiguration
    supervisor.on_started = lambda worker, seconds: record_setup(metrics, worker, seconds)
    return Platform(
        settings=settings,
        clock=clock,
        store=store,
        keys=keys,
        key_lookup=KeyStoreLookup(keys, clock),
        supervisor=supervisor,
        router=router,
        controller=controller,
        functions=functions,
        notebooks=notebooks,
        logs=logs,
        metrics=metrics,
        context=context,
        authorize=authorize,
        capture=capture,
        shadow=ShadowSender(
            capture=capture, metrics=metrics.recorder, timeout_s=settings.limits.invocation_timeout_s
        ),
        autoscaler=Autoscaler(context),
        transforms=transforms,
        async_inference=async_inference,
    )
