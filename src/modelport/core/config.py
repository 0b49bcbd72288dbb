"""One frozen Settings object, built once at start-up from flags and the environment.

Nothing reads the environment at import time; ``Settings.from_env`` is called by the CLI and the
tests. Every limit modelport enforces is named here, so that the docs can list them in one place.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8790
DEFAULT_DATA_DIR = "~/.modelport"


@dataclass(frozen=True)
class Limits:
    """Every limit the platform enforces, with AWS's value where AWS has one."""

    max_payload_bytes: int = 6 * 1024 * 1024  # InvokeEndpoint request and response (6 MB)
    invocation_timeout_s: float = 60.0  # real-time container response time
    max_in_flight_per_instance: int = 64  # beyond it: ThrottlingException, never a queue
    # Adaptive batching (docs/hosting.md#batching): requests arriving while an instance is busy
    # share one worker call and one predict, at most this many per batch; 1 turns it off.
    max_batch_size: int = 32
    max_batch_wait_s: float = 0.01  # longest a request waits for a busy instance before its batch goes
    startup_timeout_s: float = 240.0  # health-check startup window (AWS: 4 minutes)
    requirements_install_timeout_s: float = 600.0  # pip install of a model's code/requirements.txt
    settle_timeout_s: float = (
        10.0  # Create/Update/DeleteEndpoint answer once settled, or after this; 0: at once
    )
    ping_timeout_s: float = 2.0
    max_archive_bytes: int = 8 * 1024**3  # total unpacked size of one model.tar.gz
    max_archive_members: int = 100_000
    # Decompression bombs: past the floor, unpacked bytes may be at most this many times the packed
    # bytes read so far (model weights pack about 1.1:1, text 3-10:1, zeros 1,000:1); 0 turns it off.
    max_unpack_ratio: float = 100.0
    unpack_ratio_floor_bytes: int = 64 * 1024**2
    min_free_disk_bytes: int = 1024**3  # unpacking stops before the data folder's disk has less free
    max_download_bytes: int = 8 * 1024**3
    max_instances_per_variant: int = 16
    # Batch transform reads each input object into memory (after gunzip): larger ones fail their object.
    max_transform_object_bytes: int = 512 * 1024 * 1024
    max_transform_instances: int = 16  # InstanceCount of one transform job
    # CreateTransformJob answers once the job has ended, or after this (below botocore's 60 s read timeout)
    transform_settle_timeout_s: float = 45.0
    # Asynchronous inference (docs/async-inference.md): an input object is read into memory and sent
    # to the instance in one request (AWS: 1 GB; larger inputs belong in batch transform).
    max_async_input_bytes: int = 32 * 1024 * 1024
    max_async_queue: int = 10_000  # queued requests per endpoint; beyond: ThrottlingException
    # InvokeEndpointAsync answers at once, or, when the request starts at once, once its output is
    # written or after this: an S3 waiter's first poll then finds it. 0: always at once.
    async_settle_timeout_s: float = 2.0
    warm_workers_per_runtime: int = 2  # spare workers with libraries imported, for fast deploys
    max_function_concurrency: int = 16  # execution environments per function; beyond: TooManyRequests
    warm_function_environments: int = 2  # spare function processes with boto3 imported, for cold starts
    max_function_log_bytes: int = 10 * 1024 * 1024  # one execution environment's log file
    max_endpoint_log_bytes: int = 10 * 1024 * 1024  # one endpoint instance's log file
    max_log_group_bytes: int = 256 * 1024 * 1024  # CloudWatch Logs: one log group's events; oldest go first
    function_idle_timeout_s: float = 900.0  # an execution environment unused this long is stopped
    serverless_idle_timeout_s: float = 60.0  # a serverless variant unused this long scales to zero; 0: never
    max_control_body_bytes: int = 2 * 1024 * 1024  # control-plane JSON bodies
    signature_skew_s: float = 15 * 60.0
    # S3 front: a body this size or smaller with a sha256 in x-amz-content-sha256 is read and checked
    # before it is forwarded; larger ones stream and are checked on the way (see docs/s3.md).
    s3_verified_body_bytes: int = 16 * 1024 * 1024
    function_code_url_ttl_s: float = 10 * 60.0  # GetFunction's Code.Location (Lambda: 10 minutes)
    embedded_s3_ready_timeout_s: float = 60.0  # an s3:// read waits this long for the embedded S3
    embedded_s3_stop_timeout_s: float = 5.0  # SIGTERM, then SIGKILL after this
    notebook_startup_timeout_s: float = 120.0  # a notebook instance's JupyterLab must answer within this
    notebook_script_timeout_s: float = 300.0  # one lifecycle configuration script (AWS: 5 minutes)
    # Create/Start/StopNotebookInstance answer once settled, or after this (below botocore's 60 s read timeout)
    notebook_settle_timeout_s: float = 45.0
    notebook_stop_timeout_s: float = 5.0  # StopNotebookInstance: SIGTERM, then SIGKILL after this
    notebook_url_ttl_s: float = 300.0  # CreatePresignedNotebookInstanceUrl's URL (AWS: 5 minutes)
    console_session_ttl_s: float = 12 * 3600.0  # a console sign-in lasts this long (AWS: 12 hours)
    metrics_retention_s: float = 15 * 86400.0  # endpoint metrics' minutes kept (CloudWatch: 15 days)
    metrics_flush_interval_s: float = 10.0  # how often metrics move from memory to their SQLite file
    deployment_alarm_check_interval_s: float = 1.0  # a guarded update looks at its rollback alarms this often
    # Autoscaling (docs/autoscaling.md): one target-tracking datapoint per period (AWS: 1 minute);
    # scale out after this many periods above the target, in after this many below 90 % of it.
    autoscaling_period_s: float = 60.0
    autoscaling_scale_out_periods: int = 3
    autoscaling_scale_in_periods: int = 15


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know, fixed for its lifetime."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR).expanduser())
    region: str = "us-east-1"
    account_id: str = "123456789012"
    auth_enabled: bool = True
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str | None = None
    embedded_s3: bool = True  # start SeaweedFS when no s3_endpoint_url is set
    embedded_s3_port: int = DEFAULT_PORT + 1  # stable, so an exported AWS_ENDPOINT_URL_S3 survives restarts
    proxy: bool = True  # the HTTPS proxy for AWS host names (transparent endpoints)
    proxy_port: int = (
        DEFAULT_PORT + 2
    )  # stable, so an exported HTTPS_PROXY survives restarts; 0: any free port
    s3_front: bool = True  # the S3 front: S3 with modelport's keys and IAM, forwarded to the S3 in use
    s3_front_port: int = DEFAULT_PORT + 3  # stable, so an exported AWS_ENDPOINT_URL_S3 survives restarts
    profile_name: str = "modelport"
    write_profile: bool = True
    open_metrics: bool = True  # /metrics (Prometheus) without a signature; False: not served
    # Where endpoint instances run (docs/ray.md): "local" processes, or "ray" actors on a cluster.
    backend: str = "local"
    ray_address: str = ""  # "auto", "ray://host:port", "host:port"; empty: start a local Ray
    ray_resource_scale: float = 0.25  # an ml.* type's vCPUs and memory times this = the actor's request
    limits: Limits = field(default_factory=Limits)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "modelport.sqlite3"

    @property
    def artifact_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def model_env_dir(self) -> Path:
        """Per-model Python environments for ``code/requirements.txt``, one per file hash."""
        return self.data_dir / "envs"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_store_path(self) -> Path:
        """CloudWatch Logs' groups, streams and events (a file apart from the control plane's store)."""
        return self.data_dir / "cloudwatch-logs.sqlite3"

    @property
    def metrics_store_path(self) -> Path:
        """Endpoint metrics, one row per metric, endpoint, variant and minute."""
        return self.data_dir / "metrics.sqlite3"

    @property
    def url(self) -> str:
        """Where clients on this machine reach the server (a wildcard bind is reached on loopback)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``MODELPORT_*`` variables, then apply explicit overrides (flags).

        Overrides whose value is ``None`` are ignored, so CLI flags left unset fall through.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (variable, convert) in ENVIRONMENT_VARIABLES.items():
            if variable in env and env[variable] != "":
                values[name] = convert(env[variable])
        limits = {
            f.name: _convert_limit(f.type, env[limit_variable(f.name)])
            for f in dataclasses.fields(Limits)
            if env.get(limit_variable(f.name))
        }
        if limits:
            values["limits"] = dataclasses.replace(Limits(), **limits)  # type: ignore[arg-type]
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).expanduser().resolve()
        return dataclasses.replace(cls(), **values)


def limit_variable(field_name: str) -> str:
    """Every limit can be set from the environment: ``max_payload_bytes`` → ``MODELPORT_MAX_PAYLOAD_BYTES``."""
    return f"MODELPORT_{field_name.upper()}"


def _convert_limit(type_name: Any, value: str) -> int | float:
    return int(value) if type_name in (int, "int") else float(value)


BACKENDS = ("local", "ray")


def _backend(value: str) -> str:
    backend = value.strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"MODELPORT_BACKEND must be one of {', '.join(BACKENDS)}, not {value!r}.")
    return backend


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off"}


# Setting name -> (environment variable, converter). The README's table is checked against this.
ENVIRONMENT_VARIABLES: dict[str, tuple[str, Any]] = {
    "host": ("MODELPORT_HOST", str),
    "port": ("MODELPORT_PORT", int),
    "data_dir": ("MODELPORT_DATA_DIR", Path),
    "region": ("MODELPORT_REGION", str),
    "account_id": ("MODELPORT_ACCOUNT_ID", str),
    "auth_enabled": ("MODELPORT_AUTH", _flag),
    "root_access_key_id": ("MODELPORT_ROOT_ACCESS_KEY_ID", str),
    "root_secret_access_key": ("MODELPORT_ROOT_SECRET_ACCESS_KEY", str),
    "s3_endpoint_url": ("MODELPORT_S3_ENDPOINT_URL", str),
    "s3_access_key_id": ("MODELPORT_S3_ACCESS_KEY_ID", str),
    "s3_secret_access_key": ("MODELPORT_S3_SECRET_ACCESS_KEY", str),
    "s3_region": ("MODELPORT_S3_REGION", str),
    "embedded_s3": ("MODELPORT_EMBEDDED_S3", _flag),
    "embedded_s3_port": ("MODELPORT_EMBEDDED_S3_PORT", int),
    "proxy": ("MODELPORT_PROXY", _flag),
    "proxy_port": ("MODELPORT_PROXY_PORT", int),
    "s3_front": ("MODELPORT_S3_FRONT", _flag),
    "s3_front_port": ("MODELPORT_S3_FRONT_PORT", int),
    "profile_name": ("MODELPORT_PROFILE", str),
    "write_profile": ("MODELPORT_WRITE_PROFILE", _flag),
    "open_metrics": ("MODELPORT_OPEN_METRICS", _flag),
    "backend": ("MODELPORT_BACKEND", _backend),
    "ray_address": ("MODELPORT_RAY_ADDRESS", str),
    "ray_resource_scale": ("MODELPORT_RAY_RESOURCE_SCALE", float),
}
