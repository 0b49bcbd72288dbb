"""What the IAM, STS and authorization tests share: a real ServiceContext and the tutorial's IAM
documents; the ``clock`` and ``ctx`` fixtures are in this folder's conftest.py."""

from __future__ import annotations

import json
from typing import Any

from modelport.services.context import ServiceContext
from modelport.services.iam.operations import OPERATIONS

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
TUTORIAL_POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",'
    ' "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}'
)
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/invoke-iris"


def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    return OPERATIONS[operation](ctx, params)


def tutorial_role(ctx: ServiceContext, name: str = "lambda-iris", path: str = "/") -> dict[str, Any]:
    return call(ctx, "CreateRole", RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)["Role"]
