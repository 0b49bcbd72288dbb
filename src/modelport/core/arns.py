"""Names, ARNs and request ids in AWS's formats."""

from __future__ import annotations

import uuid

# SageMaker resource kind -> the word used in its ARN.
SAGEMAKER_ARN_KINDS = {
    "model": "model",
    "endpoint_config": "endpoint-config",
    "endpoint": "endpoint",
}


def sagemaker_arn(kind: str, name: str, *, region: str, account_id: str) -> str:
    """The ARN of a SageMaker resource. AWS lower-cases the name part (observed, spec §2)."""
    return f"arn:aws:sagemaker:{region}:{account_id}:{SAGEMAKER_ARN_KINDS[kind]}/{name.lower()}"


def request_id() -> str:
    return str(uuid.uuid4())
