"""The worker's launch contract, read once from the environment.

- ``SM_MODEL_DIR``: unpacked model artifacts (like /opt/ml/model).
- ``MODELPORT_RUNTIME``: ``xgboost`` or ``sklearn``.
- ``MODELPORT_FRAMEWORK_VERSION``: the image tag's version (``1.7-1``, ``0.90-1``, ...).
- ``MODELPORT_LISTEN_FD``: an inherited TCP socket, bound and listening; when unset the worker
  binds ``127.0.0.1:${SAGEMAKER_BIND_TO_PORT:-8080}`` itself.
- All other variables are the container's ``Environment`` and go to the runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    model_dir: Path
    runtime: str
    framework_version: str
    listen_fd: int | None
    port: int
    environ: Mapping[str, str]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> WorkerSettings:
        fd = environ.get("MODELPORT_LISTEN_FD")
        return cls(
            model_dir=Path(environ.get("SM_MODEL_DIR", "/opt/ml/model")),
            runtime=environ.get("MODELPORT_RUNTIME", "xgboost"),
            framework_version=environ.get("MODELPORT_FRAMEWORK_VERSION", "1.7-1"),
            listen_fd=int(fd) if fd else None,
            port=int(environ.get("SAGEMAKER_BIND_TO_PORT") or 8080),
            environ=dict(environ),
        )
