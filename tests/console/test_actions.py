"""``actions.run`` in process: the same validation, authorization and error codes as the API,
for every table the front door hands the console (the runtime's InvokeEndpoint included)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.bootstrap import Platform, build_platform
from modelport.console.actions import AwsError, Operations, run
from modelport.core.config import Settings
from modelport.http.app import console_tables

ROOT = Principal("AKIAROOT", PrincipalKind.ROOT, "root")
NOBODY = Principal("AKIANOBODY", PrincipalKind.USER, "nobody")


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    built = build_platform(Settings(data_dir=tmp_path))
    yield built
    asyncio.run(built.close())
    built.store.close()


def call(platform: Platform, principal: Principal, service: str, operation: str, **params: Any) -> Any:
    return asyncio.run(
        run(platform, Operations(console_tables(platform)), principal, service, operation, params)
    )


def error(platform: Platform, principal: Principal, service: str, operation: str, **params: Any) -> AwsError:
    with pytest.raises(AwsError) as caught:
        call(platform, principal, service, operation, **params)
    return caught.value


def test_results_validation_and_authorization(platform: Platform) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    made = call(platform, ROOT, "iam", "CreateRole", RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    assert made["Role"]["Arn"] == "arn:aws:iam::123456789012:role/r"

    bad = error(platform, ROOT, "iam", "CreateRole", RoleName="no spaces", AssumeRolePolicyDocument="{}")
    assert bad.code == "ValidationError" and "roleName" in bad.message

    call(platform, ROOT, "iam", "CreateUser", UserName="nobody")
    denied = error(platform, NOBODY, "iam", "DeleteRole", RoleName="r")
    assert denied.code == "AccessDenied"
    assert denied.message.startswith("User: arn:aws:iam::123456789012:user/nobody is not authorized")

    unknown = error(platform, ROOT, "iam", "ListGroups")
    assert unknown.code == "UnknownOperationException"


def test_the_runtimes_invoke_endpoint(platform: Platform) -> None:
    missing = error(platform, ROOT, "sagemaker-runtime", "InvokeEndpoint", EndpointName="nope", Body=b"1")
    assert missing.code == "ValidationError" and "nope" in missing.message
    denied = error(platform, NOBODY, "sagemaker-runtime", "InvokeEndpoint", EndpointName="nope", Body=b"1")
    assert denied.code == "AccessDeniedException"
