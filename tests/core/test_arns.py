"""Every ARN modelport writes, spelled once (core/arns.py), in AWS's exact formats."""

from __future__ import annotations

import uuid

from modelport.core import arns

REGION, ACCOUNT = "us-east-1", "123456789012"


def test_sagemaker_names_are_lower_cased() -> None:
    arn = arns.sagemaker_arn("endpoint_config", "Iris-Config", region=REGION, account_id=ACCOUNT)
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/iris-config"
    assert arn.startswith(arns.sagemaker_arn_prefix(REGION, ACCOUNT))


def test_iam_and_sts_are_global() -> None:
    assert arns.iam_arn(ACCOUNT, "role", "r", "/svc/") == "arn:aws:iam::123456789012:role/svc/r"
    assert arns.account_root_arn(ACCOUNT) == "arn:aws:iam::123456789012:root"
    assert arns.assumed_role_arn(ACCOUNT, "r", "s") == "arn:aws:sts::123456789012:assumed-role/r/s"


def test_lambda_and_api_gateway() -> None:
    function = arns.lambda_function_arn(REGION, ACCOUNT, "fn")
    assert function == "arn:aws:lambda:us-east-1:123456789012:function:fn"
    assert arns.apigateway_arn(REGION, "/restapis/a1") == "arn:aws:apigateway:us-east-1::/restapis/a1"
    assert (
        arns.execute_api_arn(REGION, ACCOUNT, "a1", "test", "POST", "items/*")
        == "arn:aws:execute-api:us-east-1:123456789012:a1/test/POST/items/*"
    )
    assert arns.lambda_integration_uri(REGION, function) == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:fn/invocations"
    )
    assert arns.sagemaker_integration_uri(REGION, "ep") == (
        "arn:aws:apigateway:us-east-1:runtime.sagemaker:path//endpoints/ep/invocations"
    )


def test_request_ids_are_random_version_4_uuids() -> None:
    ids = [arns.request_id() for _ in range(4000)]
    assert len(set(ids)) == len(ids)
    for rid in ids:
        parsed = uuid.UUID(rid)
        assert str(parsed) == rid  # lower-case hex, 8-4-4-4-12
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    # Every variant digit (8, 9, a, b) turns up: the variant bits come from the random bytes.
    assert {rid[19] for rid in ids} == set("89ab")
