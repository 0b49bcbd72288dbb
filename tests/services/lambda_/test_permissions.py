"""``gateway_may_invoke``: the resource-policy check every REST API invocation of a function
passes, and the answers it keeps per policy revision."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from modelport.core.config import Settings
from modelport.services.lambda_.permissions import POLICY, POLICY_REVISION, gateway_may_invoke
from modelport.store.base import Resource

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
API_ROUTE = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:a1b2c3/*/POST/irisprediction"
CTX: Any = SimpleNamespace(settings=Settings(account_id=ACCOUNT))  # only settings is read


def function(statements: list[dict[str, Any]], revision: str | None) -> Resource:
    body: dict[str, Any] = {POLICY: {"Version": "2012-10-17", "Id": "default", "Statement": statements}}
    if revision is not None:
        body[POLICY_REVISION] = revision
    return Resource("function", "fn", FUNCTION_ARN, 1.0, 1.0, body)


def gateway_grant(source_arn: str) -> dict[str, Any]:
    return {
        "Sid": "apigateway",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": FUNCTION_ARN,
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }


def test_a_new_policy_revision_is_decided_afresh() -> None:
    granted = function([gateway_grant(API_ROUTE)], revision="r1")
    stage_call = API_ROUTE.replace("/*/", "/test/")
    assert gateway_may_invoke(CTX, granted, stage_call)
    assert gateway_may_invoke(CTX, granted, stage_call)  # the kept answer
    assert not gateway_may_invoke(CTX, granted, stage_call.replace("irisprediction", "other"))
    # RemovePermission writes the policy again, with a new revision: the kept answer is not used.
    other_statement = gateway_grant(API_ROUTE.replace("irisprediction", "other"))
    assert not gateway_may_invoke(CTX, function([other_statement], revision="r2"), stage_call)
    assert gateway_may_invoke(CTX, function([gateway_grant(API_ROUTE)], revision="r3"), stage_call)


def test_a_policy_without_a_revision_is_decided_every_time() -> None:
    stage_call = API_ROUTE.replace("/*/", "/test/")
    assert gateway_may_invoke(CTX, function([gateway_grant(API_ROUTE)], revision=None), stage_call)
    assert not gateway_may_invoke(CTX, function([], revision=None), stage_call)
    assert not gateway_may_invoke(CTX, Resource("function", "fn", FUNCTION_ARN, 1.0, 1.0, {}), stage_call)
