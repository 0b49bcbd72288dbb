"""Script-mode code that lives apart from the model: ``SAGEMAKER_SUBMIT_DIRECTORY`` on S3.

The SageMaker Python SDK's framework models (``SKLearnModel``, ``XGBoostModel``, ... with an
``entry_point``) pack the code into ``sourcedir.tar.gz``, upload it to S3 and pass its URL in
``SAGEMAKER_SUBMIT_DIRECTORY``, with the module in ``SAGEMAKER_PROGRAM``; SageMaker's containers
download and unpack it before they import the module. modelport does that download once per
model, into the model's artifact-cache entry beside its model folder, and gives the worker that
local folder in ``SAGEMAKER_SUBMIT_DIRECTORY`` (DescribeModel still shows the URL the caller
gave). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
CODE_DIR = "code"  # in a cache entry, beside the model folder
_REMOTE = ("s3://", "https://")


def remote_code_url(environment: Mapping[str, str]) -> str | None:
    """The S3 URL of the model's code when ``SAGEMAKER_SUBMIT_DIRECTORY`` is one, else None."""
    value = str(environment.get(SUBMIT_DIRECTORY, "")).strip()
    return value if value.lower().startswith(_REMOTE) else None


def code_dir(model_dir: Path) -> Path:
    """Where the cache unpacks the code of the model unpacked at ``model_dir``."""
    return model_dir.parent / CODE_DIR


def worker_environment(environment: Mapping[str, str], model_dir: Path) -> dict[str, str]:
    """The container ``Environment`` a worker gets: S3 code URLs replaced by the local folder."""
    result = {str(name): str(value) for name, value in environment.items()}
    if remote_code_url(result) is not None:
        result[SUBMIT_DIRECTORY] = str(code_dir(model_dir))
    return result
