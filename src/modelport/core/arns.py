"""Names, ARNs and request ids in AWS's formats: every ARN modelport writes is spelled here.

ARNs are ``arn:aws:<service>:<region>:<account>:<resource>``; IAM and STS are global (no region),
API Gateway's own resources have no account.
"""

from __future__ import annotations

import base64
import os

# SageMaker resource kind -> the word used in its ARN.
SAGEMAKER_ARN_KINDS = {
    "model": "model",
    "endpoint_config": "endpoint-config",
    "endpoint": "endpoint",
    "notebook_instance": "notebook-instance",
    "notebook_lifecycle_config": "notebook-instance-lifecycle-config",
    "transform_job": "transform-job",
}


def sagemaker_arn(kind: str, name: str, *, region: str, account_id: str) -> str:
    """The ARN of a SageMaker resource. AWS lower-cases the name part (observed, spec §2)."""
    return sagemaker_arn_prefix(region, account_id) + f"{SAGEMAKER_ARN_KINDS[kind]}/{name.lower()}"


def sagemaker_arn_prefix(region: str, account_id: str) -> str:
    """What every SageMaker ARN of this account and region starts with."""
    return f"arn:aws:sagemaker:{region}:{account_id}:"


def iam_arn(account_id: str, kind: str, name: str, path: str = "/") -> str:
    """``arn:aws:iam::<account>:<kind><path><name>`` (``role``, ``user``, ``policy``)."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def account_root_arn(account_id: str) -> str:
    """The account itself, as a principal."""
    return f"arn:aws:iam::{account_id}:root"


def assumed_role_arn(account_id: str, role_name: str, session_name: str) -> str:
    """A role session, as STS names it in AssumeRole, GetCallerIdentity and denials."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def lambda_function_arn(region: str, account_id: str, name: str) -> str:
    """An unqualified Lambda function ARN."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def apigateway_arn(region: str, path: str) -> str:
    """An API Gateway resource (``/restapis/<id>``, ``/apikeys/<id>``): no account in these ARNs."""
    return f"arn:aws:apigateway:{region}::{path}"


def execute_api_arn(region: str, account_id: str, api_id: str, stage: str, method: str, path: str) -> str:
    """A call to a deployed API: ``<api-id>/<stage>/<METHOD>/<resource path without the leading />``."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}/{path}"


def lambda_integration_uri(region: str, function_arn: str) -> str:
    """An API Gateway integration's ``uri`` for a Lambda function."""
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def sagemaker_integration_uri(region: str, endpoint: str) -> str:
    """An API Gateway integration's ``uri`` for a SageMaker endpoint's InvokeEndpoint."""
    return f"arn:aws:apigateway:{region}:runtime.sagemaker:path//endpoints/{endpoint}/invocations"


def log_group_arn(region: str, account_id: str, group: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{group}"


# The hex digit that carries a version-4 UUID's variant bits (binary 10xx), by the random digit.
_VARIANT_DIGIT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def request_id() -> str:
    """A random (version 4) UUID, the form of AWS's request ids.

    Built from ``os.urandom`` directly: ``str(uuid.uuid4())`` costs about three times as much,
    and every invocation makes one.
    """
    hexed = os.urandom(16).hex()
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{_VARIANT_DIGIT[hexed[16]]}{hexed[17:20]}-{hexed[20:]}"


def extended_request_id() -> str:
    """An API Gateway ``x-amz-apigw-id`` (a proxy event's ``extendedRequestId``): 16 base64
    characters, as API Gateway's (``Nw1k4E4NoAMFpOg=``)."""
    return base64.b64encode(os.urandom(11)).decode()
