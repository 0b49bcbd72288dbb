"""``EnvironmentSpec``: what a function's process is started with, built once per function.

The environment is built from nothing (the server's own variables, secrets included, are not
inherited): Lambda's reserved variables, the role's credentials, the endpoint variables that
point unchanged boto3 code back at modelport, and the function's ``Environment.Variables``
(which cannot override a reserved name).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from modelport.core.arns import lambda_function_arn
from modelport.core.errors import InvalidRequest

# The folder holding the ``modelport`` package: the runner is ``modelport.sandboxes.lambda_.runner``.
RUNTIME_DIR = str(Path(__file__).resolve().parents[3])
DEFAULT_TIMEOUT_SECONDS = 3.0
DEFAULT_MEMORY_MB = 128
# RLIMIT_AS = MemorySize + this. An idle interpreter with boto3 imported and one extra thread
# reserves about 120 MB of address space (each thread reserves an 8 MB stack and a 64 MB malloc
# arena) while its resident set is near 45 MB, so the cap must sit well above MemorySize for
# ordinary code to start. It stops runaway allocations, not small overshoots.
DEFAULT_HEADROOM_MB = 512
DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024  # per environment's log file

# boto3 client names → the suffix of AWS_ENDPOINT_URL_<SERVICE> (spec §1): modelport serves these.
ENDPOINT_SERVICES = ("SAGEMAKER_RUNTIME", "SAGEMAKER", "LAMBDA", "API_GATEWAY", "IAM", "STS")

RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


# Keep the host's ~/.aws out of the function (spec §1); a function's variables may override them.
AWS_FILES = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def process_environ(python: str) -> dict[str, str]:
    """The variables every runner process starts with, a spare's whole environment included."""
    return {
        "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
        # As on Lambda (PYTHONPATH=/var/runtime): where the runtime itself is found.
        "PYTHONPATH": RUNTIME_DIR,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.pathsep.join([str(Path(python).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
    }


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


@dataclass(frozen=True)
class EnvironmentSpec:
    """One function version's settings, as its execution environments need them."""

    function_name: str
    handler: str
    code_dir: Path
    region: str
    account_id: str
    endpoint_url: str
    credentials: RoleCredentials
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    variables: Mapping[str, str] = field(default_factory=dict)
    version: str = "$LATEST"
    headroom_mb: int = DEFAULT_HEADROOM_MB
    max_log_bytes: int = DEFAULT_MAX_LOG_BYTES
    init_timeout_seconds: float = 10.0
    python: str = sys.executable
    # The function's declared Runtime; sets what differs by runtime that modelport reproduces
    # (AWS_EXECUTION_ENV, the JSON encoding of answers). The interpreter is always ``python``.
    runtime: str = f"python{sys.version_info.major}.{sys.version_info.minor}"

    def __post_init__(self) -> None:
        clash = sorted(set(self.variables) & RESERVED)
        if clash:
            raise InvalidRequest(
                f"Lambda was unable to configure your environment variables because the "
                f"environment variables you have provided contains reserved keys that are "
                f"currently not supported for modification. Reserved keys used in this "
                f"request: {', '.join(clash)}"
            )

    @property
    def function_arn(self) -> str:
        return lambda_function_arn(self.region, self.account_id, self.function_name)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def max_address_space_mb(self) -> int:
        return self.memory_mb + self.headroom_mb

    def new_log_stream_name(self, now: datetime | None = None) -> str:
        """``YYYY/MM/DD/[$LATEST]<32 hex>``: one stream per execution environment."""
        day = (now or datetime.now(UTC)).strftime("%Y/%m/%d")
        return f"{day}/[{self.version}]{uuid.uuid4().hex}"

    def environ(self, log_stream_name: str) -> dict[str, str]:
        env = dict(self.variables)
        env.update(
            {
                "_HANDLER": self.handler,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,  # boto3 reads only this one (spec §1)
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": self.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group_name,
                "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
                "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key,
                "LAMBDA_TASK_ROOT": str(self.code_dir),
                **process_environ(self.python),
            }
        )
        # Defaults the function's own variables may override (e.g. to reach a real S3).
        defaults = {"AWS_ENDPOINT_URL": self.endpoint_url, **AWS_FILES}
        defaults.update({f"AWS_ENDPOINT_URL_{service}": self.endpoint_url for service in ENDPOINT_SERVICES})
        for name, value in defaults.items():
            env.setdefault(name, value)
        if self.credentials.session_token:
            env["AWS_SESSION_TOKEN"] = self.credentials.session_token
        return env
