"""The transform runner: runs each transform job as one task, from its workers' start to its end.

A job's task:

1. unpacks the model (the artifact cache, as endpoints do) and starts ``InstanceCount`` workers
   with the model's environment, the job's ``Environment`` and ``SAGEMAKER_BATCH=true``;
2. resolves MaxConcurrentTransforms, MaxPayloadInMB and BatchStrategy (``job.Execution``) and
   writes them as the first line of each instance's data log;
3. lists the input objects; each instance takes objects from one queue, up to
   MaxConcurrentTransforms of them at a time and as many requests in flight;
4. per object: reads it, splits it into records and mini-batches (``records.py``), applies
   DataProcessing (``data_processing.py``), invokes the worker (retrying a failed invocation up
   to InvocationsMaxRetries times; a 4xx answer is the record's fault and is not retried), and
   writes the ``.out`` object only when every request of the object succeeded;
5. ends ``Completed``, or ``Failed`` when any object failed (the others are still written), or
   ``Stopped`` after StopTransformJob; the workers are stopped in every case.

A server that stops mid-job leaves it ``InProgress``; ``resume`` runs it again from the start at
the next start-up (its outputs are overwritten, so nothing is written twice), and finishes any
``Stopping`` job as ``Stopped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from modelport.core.clock import Clock
from modelport.core.config import Settings
from modelport.core.errors import ArtifactError
from modelport.core.logfiles import shorten
from modelport.hosting.artifacts.cache import ArtifactPreparer
from modelport.hosting.artifacts.code import worker_environment
from modelport.hosting.artifacts.fetch import s3_client
from modelport.hosting.deployments import model_source
from modelport.hosting.transform import objects, records
from modelport.hosting.transform.data_processing import RecordError, RecordFilter
from modelport.hosting.transform.job import (
    LOG_GROUP,
    RUNNING,
    TRANSFORM_JOB_KIND,
    Execution,
    JobPlan,
    TransformJobStatus,
    instance_id,
    log_stream,
)
from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerTimeout, WorkerUnreachable
from modelport.sandboxes.supervisor import InstanceSpec, StartupFailed, Supervisor, WorkerProcess
from modelport.sandboxes.worker import framing
from modelport.store.base import Store

log = logging.getLogger(__name__)

MAX_REASON = 1024
_LOG_CHECK_INTERVAL_S = 1.0
_WORKER_ERRORS = (WorkerUnreachable, WorkerTimeout, WorkerBroken)


class NewClient(Protocol):
    """The router's worker-client factory (``Router.new_client``)."""

    def __call__(
        self,
        port: int,
        host: str = ...,
        *,
        timeout_s: float | None = ...,
        max_idle: int | None = ...,
        frames: bool = ...,
    ) -> WorkerClient: ...


class ObjectFailed(Exception):
    """One input object that got no ``.out``; the message is its data-log entry."""


class TransformRunner:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        clock: Clock,
        supervisor: Supervisor,
        artifacts: ArtifactPreparer,
        append_log: Callable[[str, str, str], None],
        new_client: NewClient,
        s3_access: objects.S3Access,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.supervisor = supervisor
        self.artifacts = artifacts
        self.append_log = append_log  # (group, stream, text): CloudWatch Logs' writer
        self.new_client = new_client
        self.s3_access = s3_access
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping: set[str] = set()

    # -- what the service layer calls -------------------------------------------------------------

    def start(self, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(name), name=f"transform {name}")
        self._tasks[name] = task
        task.add_done_callback(lambda _: self._ended(name))

    async def finished(self, name: str, timeout_s: float) -> bool:
        """Wait until the job's task ends, at most ``timeout_s``; False when the time ran out first."""
        task = self._tasks.get(name)
        if task is None:
            return True
        done, _ = await asyncio.wait([task], timeout=timeout_s)
        return bool(done)

    def stop(self, name: str) -> None:
        """StopTransformJob: the job's task ends as soon as it can, ``Stopped``."""
        task = self._tasks.get(name)
        if task is None:  # not running here (a restart between Stopping and Stopped)
            self._set(name, TransformJobStatus.STOPPED)
            return
        self._stopping.add(name)
        task.cancel()

    def live_model_keys(self) -> set[str]:
        """The model keys of the jobs that run: their folders must outlive their Model."""
        return {
            job.body["Model"]["ModelKey"]
            for job in self.store.list(TRANSFORM_JOB_KIND)
            if job.status in RUNNING
        }

    # -- the server's life ------------------------------------------------------------------------

    async def resume(self) -> None:
        """At start-up: run again what a stop interrupted; finish what was being stopped."""
        for job in self.store.list(TRANSFORM_JOB_KIND):
            if job.status == TransformJobStatus.IN_PROGRESS:
                log.info("transform job %s was running when the server stopped: running it again", job.name)
                self.start(job.name)
            elif job.status == TransformJobStatus.STOPPING:
                self._set(job.name, TransformJobStatus.STOPPED)

    async def close(self) -> None:
        """Stop every job's task; the jobs stay InProgress, for ``resume``."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task

    # -- one job ----------------------------------------------------------------------------------

    async def _run(self, name: str) -> None:
        workers: list[WorkerProcess] = []
        clients: list[WorkerClient] = []
        bounding: asyncio.Task[None] | None = None
        try:
            record = self.store.get(TRANSFORM_JOB_KIND, name)
            if record is None:
                return
            plan = JobPlan.from_request(
                name, record.body["Request"], record.body["Model"], record.body.get("Caller")
            )
            self._set(name, TransformJobStatus.IN_PROGRESS)
            try:
                workers = await self._start_workers(plan)
                bounding = asyncio.get_running_loop().create_task(self._bound_logs(workers))
                execution = Execution.resolve(plan, await _execution_parameters(workers[0]))
                clients = [self._client(worker, plan, execution) for worker in workers]
                for worker in workers:
                    self._data_log(worker, execution.log_line())
                s3 = s3_client(self.settings)
                self._check_listing(plan)
                inputs = await asyncio.to_thread(objects.list_inputs, s3, plan.s3_data_type, plan.s3_uri)
            except (StartupFailed, ArtifactError, objects.ObjectError) as exc:
                self._set(name, TransformJobStatus.FAILED, reason=_client_error(str(exc)))
                return
            failures = await self._transform_all(plan, execution, inputs, workers, clients, s3)
            if failures:
                first_url, first_reason = failures[0]
                reason = (
                    f"ClientError: {len(failures)} of {len(inputs)} input objects failed; the first, "
                    f"{first_url}: {first_reason} See job logs for more information (log group "
                    f"{LOG_GROUP}, streams {name}/i-<n>/data-log)."
                )
                self._set(name, TransformJobStatus.FAILED, reason=reason)
            else:
                self._set(name, TransformJobStatus.COMPLETED)
        except asyncio.CancelledError:
            if name not in self._stopping:
                raise  # the server stops: the job stays InProgress, for resume
            self._set(name, TransformJobStatus.STOPPED)
        except Exception as exc:  # a bug: the job fails with what happened, the server goes on
            log.exception("transform job %s failed", name)
            self._set(name, TransformJobStatus.FAILED, reason=f"InternalServerError: {exc}")
        finally:
            if bounding is not None:
                bounding.cancel()
            # Shielded: a stop or shutdown that lands during the clean-up must not leave workers running.
            await asyncio.shield(self._release(clients, workers))

    async def _release(self, clients: list[WorkerClient], workers: list[WorkerProcess]) -> None:
        for client in clients:
            await client.aclose()
        for worker in workers:
            await self.supervisor.stop(worker)

    async def _start_workers(self, plan: JobPlan) -> list[WorkerProcess]:
        model = plan.model
        model_dir = await asyncio.to_thread(self.artifacts.prepare, *model_source(model))
        environment = worker_environment({**model["Environment"], **plan.container_environment()}, model_dir)
        specs = [
            InstanceSpec(
                instance_id=instance_id(plan.name, index),
                runtime=model["Runtime"],
                framework_version=model["FrameworkVersion"],
                model_dir=model_dir,
                environment=environment,
                log_path=self.settings.log_dir / "transform-jobs" / plan.name.lower() / f"{index}.log",
                instance_type=str(plan.instance_type),
                model_source=model_source(model),
                together=plan.instance_count,
            )
            for index in range(plan.instance_count)
        ]
        results = await asyncio.gather(
            *(self.supervisor.start(spec) for spec in specs), return_exceptions=True
        )
        started = [result for result in results if isinstance(result, WorkerProcess)]
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            for worker in started:
                await self.supervisor.stop(worker)
            first = failures[0]
            if isinstance(first, StartupFailed):
                raise StartupFailed(f"The model's container did not pass its ping health check: {first}")
            raise StartupFailed(f"An instance could not be started: {first}") from first
        return started

    def _client(self, worker: WorkerProcess, plan: JobPlan, execution: Execution) -> WorkerClient:
        # A frame holds 64 MiB, and an answer can be several times its request (a CSV row of 4
        # features answers 3 probabilities): HTTP past 8 MiB.
        return self.new_client(
            worker.port,
            worker.host,
            timeout_s=plan.invocation_timeout_s,
            max_idle=execution.max_concurrent,
            frames=execution.max_payload_bytes <= framing.MAX_FRAME // 8,
        )

    async def _transform_all(
        self,
        plan: JobPlan,
        execution: Execution,
        inputs: list[objects.InputObject],
        workers: list[WorkerProcess],
        clients: list[WorkerClient],
        s3: Any,
    ) -> list[tuple[str, str]]:
        """Every object through the instances; the (url, reason) of each object that failed."""
        queue: asyncio.Queue[objects.InputObject] = asyncio.Queue()
        for source in inputs:
            queue.put_nowait(source)
        failures: list[tuple[str, str]] = []
        output = objects.S3Location.parse(plan.output_path, "S3OutputPath")
        record_filter = RecordFilter(plan.data_processing, content_type=plan.content_type, accept=plan.accept)

        async def take_objects(
            worker: WorkerProcess, client: WorkerClient, in_flight: asyncio.Semaphore
        ) -> None:
            while not queue.empty():
                source = queue.get_nowait()
                try:
                    target = objects.output_location(output, source.relative)
                    self._check(plan, "PutObject", target.bucket, target.key)  # before any work
                    data = await self._transform(
                        plan, execution, record_filter, source, client, in_flight, s3
                    )
                    await asyncio.to_thread(objects.write, s3, target, data)
                except (ObjectFailed, objects.ObjectError, records.RecordsError, RecordError) as exc:
                    failures.append(
                        (source.url, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                    )
                    self._data_log(worker, f"{source.url}: {exc}")

        loops = []
        for worker, client in zip(workers, clients, strict=True):
            in_flight = asyncio.Semaphore(execution.max_concurrent)
            loops += [take_objects(worker, client, in_flight) for _ in range(execution.max_concurrent)]
        await asyncio.gather(*loops)
        return failures

    async def _transform(
        self,
        plan: JobPlan,
        execution: Execution,
        record_filter: RecordFilter,
        source: objects.InputObject,
        client: WorkerClient,
        in_flight: asyncio.Semaphore,
        s3: Any,
    ) -> bytes:
        """One object's ``.out`` bytes."""
        limit = self.settings.limits.max_transform_object_bytes
        self._check(plan, "GetObject", source.bucket, source.key)
        data = await asyncio.to_thread(objects.read, s3, source, limit)
        read = records.split(records.decompress(data, plan.compression, limit), plan.split_type)
        sent = [record_filter.input(record) for record in read] if record_filter.active else read
        batches = list(records.mini_batches(sent, execution.strategy, execution.max_payload_bytes))
        headers = {
            name: value
            for name, value in (("Content-Type", plan.content_type), ("Accept", plan.accept))
            if value
        }

        async def invoke(batch: list[bytes]) -> bytes:
            async with in_flight:
                return await _invoke(client, records.request_body(batch), headers, plan.max_retries)

        answers = await asyncio.gather(*(invoke(batch) for batch in batches))
        if record_filter.needs_outputs_per_record:
            answers = _joined(record_filter, read, batches, answers, whole=plan.split_type == "None")
        return records.assemble(list(answers), plan.assemble_with)

    # -- bookkeeping ------------------------------------------------------------------------------

    def _check_listing(self, plan: JobPlan) -> None:
        location = objects.S3Location.parse(plan.s3_uri, "S3Uri")
        if plan.s3_data_type == "ManifestFile":
            self._check(plan, "GetObject", location.bucket, location.key)
        else:
            self._check(plan, "ListObjectsV2", location.bucket, None)

    def _check(self, plan: JobPlan, operation: str, bucket: str, key: str | None) -> None:
        """ObjectError with IAM's denial unless the job's caller may make this S3 call."""
        params = {"Bucket": bucket} if key is None else {"Bucket": bucket, "Key": key}
        denial = self.s3_access(plan.caller, operation, params)
        if denial is not None:
            raise objects.ObjectError(f"AccessDenied: {denial}")

    def _ended(self, name: str) -> None:
        """The job's task is done, however it ended: a stop that came before the task ever ran
        (it then never reached its own ``except``) still ends the job Stopped."""
        self._tasks.pop(name, None)
        if name in self._stopping:
            self._stopping.discard(name)
            record = self.store.get(TRANSFORM_JOB_KIND, name)
            if record is not None and record.status == TransformJobStatus.STOPPING:
                self._set(name, TransformJobStatus.STOPPED)

    async def _bound_logs(self, workers: list[WorkerProcess]) -> None:
        """Keep each instance's log under ``max_endpoint_log_bytes`` (model code may print per record)."""
        while True:
            await asyncio.sleep(_LOG_CHECK_INTERVAL_S)
            for worker in workers:
                try:
                    shorten(worker.spec.log_path, self.settings.limits.max_endpoint_log_bytes)
                except OSError:
                    log.exception("cannot shorten the log of %s", worker.spec.log_path)

    def _data_log(self, worker: WorkerProcess, text: str) -> None:
        stamp = self.clock.now()
        self.append_log(
            LOG_GROUP,
            f"{log_stream(worker.spec.instance_id)}/data-log",
            f"{_iso(stamp)}:[sagemaker logs]: {text}",
        )

    def _set(
        self,
        name: str,
        status: TransformJobStatus,
        *,
        reason: str | None = None,
    ) -> None:
        """The job's new status: InProgress (re)starts its clock, any other status ends it."""
        record = self.store.get(TRANSFORM_JOB_KIND, name)
        if record is None:
            return
        now = self.clock.now()
        body = dict(record.body)
        if status == TransformJobStatus.IN_PROGRESS:
            body["TransformStartTime"] = now
            body.pop("TransformEndTime", None)
            body.pop("FailureReason", None)
        else:
            body["TransformEndTime"] = now
        if reason is not None:
            body["FailureReason"] = reason[:MAX_REASON]
        self.store.update(record.evolve(status=status, body=body, last_modified_time=now))
        log.info("transform job %s is %s%s", name, status, f": {reason}" if reason else "")


async def _invoke(client: WorkerClient, body: bytes, headers: dict[str, str], retries: int) -> bytes:
    """One request's answer. A 4xx is the data's fault and fails at once; a 5xx or a worker that
    does not answer is tried again, ``retries`` more times."""
    reason = ""
    for _ in range(retries + 1):
        try:
            response = await client.invoke(body, headers)
        except _WORKER_ERRORS as exc:
            reason = f"ServerError: the model's container did not answer: {exc or type(exc).__name__}"
            continue
        if response.status < 300:
            return response.body
        message = response.body.decode("utf-8", "replace").strip()
        kind = "ClientError" if response.status < 500 else "ServerError"
        reason = f"{kind}: {response.status}. Message: {message}"
        if response.status < 500:
            break
    raise ObjectFailed(reason)


def _joined(
    record_filter: RecordFilter,
    read: list[bytes],
    batches: list[list[bytes]],
    answers: list[bytes],
    *,
    whole: bool,
) -> list[bytes]:
    """Each record's answer joined with the record as read and filtered (DataProcessing)."""
    per_record: list[bytes] = []
    for batch, answer in zip(batches, answers, strict=True):
        per_record += [answer.rstrip(b"\r\n")] if whole else records.answer_records(answer, len(batch))
    return [record_filter.output(record, answer) for record, answer in zip(read, per_record, strict=True)]


async def _execution_parameters(worker: WorkerProcess) -> dict[str, Any] | None:
    """The container's ``GET /execution-parameters`` answer, or None (it need not serve one)."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            answer = await http.get(f"{worker.url}/execution-parameters")
        found = answer.json() if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _client_error(message: str) -> str:
    return message if message.startswith(("ClientError", "AlgorithmError")) else f"ClientError: {message}"


def _iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
