"""Conditions in resource policies (Lambda's), and the statements AddPermission writes."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.core.errors import InvalidRequest, UnsupportedPolicyElement
from modelport.services.iam.policy import Decision, PolicyKind, Requester, evaluate
from modelport.services.iam.policy_conditions import arn_like, string_like
from modelport.services.iam.policy_parse import parse_policy
from modelport.services.lambda_.resource_policy import (
    execute_api_arn,
    permission_statement,
    principal_element,
)

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:iris"
SOURCE = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3/test/POST/irisprediction"
GATEWAY = Requester("Service", "apigateway.amazonaws.com")


def resource_policy(*conditions: dict[str, Any], principal: Any = None, effect: str = "Allow") -> Any:
    statements = [
        {
            "Sid": f"s-{i}",
            "Effect": effect,
            "Principal": principal or {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": FUNCTION,
            **({"Condition": condition} if condition else {}),
        }
        for i, condition in enumerate(conditions)
    ]
    return parse_policy(
        {"Version": "2012-10-17", "Id": "default", "Statement": statements}, kind=PolicyKind.RESOURCE
    )


def decide(policy: Any, source: str | None = SOURCE, account: str = "123456789012", **more: Any) -> Decision:
    context = {"aws:sourcearn": source, "aws:sourceaccount": account} if source else {}
    return evaluate([policy], "lambda:InvokeFunction", FUNCTION, requester=GATEWAY, context=context, **more)


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        (SOURCE, True),
        ("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/*/POST/irisprediction", True),
        ("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/*", True),
        ("arn:aws:execute-api:*:*:a1b2c3/*/*/*", True),
        ("arn:aws:execute-api:us-east-?:123456789012:a1b2c3/test/POST/irisprediction", True),
        ("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/prod/POST/irisprediction", False),
        ("arn:aws:execute-api:us-east-1:123456789012:a1b2c3/*/GET/irisprediction", False),
        ("arn:aws:execute-api:us-east-1:123456789012:zzzzzz/*/POST/irisprediction", False),
        ("arn:aws:execute-api:us-east-1:210987654321:a1b2c3/*/POST/irisprediction", False),
        ("arn:aws:execute-api:us-east-1:123456789012:A1B2C3/*/POST/irisprediction", False),  # case counts
        ("arn:aws:execute-api:*", False),  # not six parts: never an ARN match
    ],
)
def test_arn_like_on_the_source_arn(pattern: str, allowed: bool) -> None:
    policy = resource_policy({"ArnLike": {"AWS:SourceArn": pattern}})
    assert decide(policy).allowed is allowed


def test_arn_equals_behaves_like_arn_like_and_keys_ignore_case() -> None:
    for key in ("AWS:SourceArn", "aws:sourcearn", "Aws:SOURCEARN"):
        policy = resource_policy({"ArnEquals": {key: "arn:aws:execute-api:*:*:a1b2c3/*"}})
        assert decide(policy).allowed


def test_a_missing_key_fails_the_condition() -> None:
    policy = resource_policy({"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:*:*"}})
    assert decide(policy, source=None) is Decision.IMPLICIT_DENY


def test_values_are_or_keys_and_operators_are_and() -> None:
    either = resource_policy({"ArnLike": {"AWS:SourceArn": ["arn:aws:execute-api:*:*:nope/*", SOURCE]}})
    assert decide(either).allowed
    both = resource_policy(
        {"StringEquals": {"AWS:SourceAccount": "123456789012"}, "ArnLike": {"AWS:SourceArn": SOURCE}}
    )
    assert decide(both).allowed
    assert not decide(both, account="210987654321").allowed
    like = resource_policy({"StringLike": {"aws:SourceAccount": "1234*"}})
    assert decide(like).allowed and not decide(like, account="99").allowed


def test_a_conditional_deny_only_denies_when_it_holds() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "lambda:*", "Resource": FUNCTION},
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "lambda:InvokeFunction",
                    "Resource": FUNCTION,
                    "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:*:a1b2c3/prod/*"}},
                },
            ],
        },
        kind=PolicyKind.RESOURCE,
    )
    assert decide(policy).allowed
    assert decide(policy, source=SOURCE.replace("/test/", "/prod/")) is Decision.EXPLICIT_DENY


def test_the_principal_must_be_the_gateway() -> None:
    policy = resource_policy({}, principal={"Service": "s3.amazonaws.com"})
    assert not decide(policy).allowed
    assert decide(resource_policy({}, principal="*")).allowed


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"Bool": {"aws:SecureTransport": "true"}}, "Condition operator Bool is not supported"),
        ({"ArnLikeIfExists": {"AWS:SourceArn": SOURCE}}, "Condition operator ArnLikeIfExists"),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-1234567890"}}, "Condition key aws:PrincipalOrgID"),
    ],
)
def test_other_operators_and_keys_are_refused(condition: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedPolicyElement, match=message):
        resource_policy(condition)


def test_identity_and_trust_policies_still_refuse_conditions() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": "*",
        "Condition": {"ArnLike": {"AWS:SourceArn": SOURCE}},
    }
    with pytest.raises(UnsupportedPolicyElement, match="Condition blocks are not supported"):
        parse_policy({"Version": "2012-10-17", "Statement": [statement]})


def test_matchers() -> None:
    assert string_like("a*c?", "abbbcd") and not string_like("a*c?", "abbbc")
    assert not string_like("abc", "ABC")
    assert arn_like("arn:aws:s3:::b*", "arn:aws:s3:::bucket")
    assert not arn_like("arn:aws:s3:::b*", "arn:aws:sqs:::bucket")


# --- what AddPermission writes ------------------------------------------------------------------


def test_the_consoles_statement() -> None:
    params = {
        "StatementId": "apigateway-test",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": SOURCE,
        "SourceAccount": "123456789012",
    }
    assert permission_statement(params, FUNCTION) == {
        "Sid": "apigateway-test",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": FUNCTION,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
            "ArnLike": {"AWS:SourceArn": SOURCE},
        },
    }


def test_principals() -> None:
    assert principal_element("123456789012") == {"AWS": "arn:aws:iam::123456789012:root"}
    assert principal_element("arn:aws:iam::123456789012:role/r") == {
        "AWS": "arn:aws:iam::123456789012:role/r"
    }
    assert principal_element("*") == "*"
    with pytest.raises(InvalidRequest, match="The provided principal was invalid"):
        principal_element("someone")


@pytest.mark.parametrize("action", ["InvokeFunction", "s3:GetObject", "lambda:Invoke:Function", ""])
def test_actions_must_be_lambdas(action: str) -> None:
    params = {"StatementId": "x", "Action": action, "Principal": "apigateway.amazonaws.com"}
    with pytest.raises(InvalidRequest, match="at 'action' failed to satisfy constraint"):
        permission_statement(params, FUNCTION)


def test_execute_api_arn() -> None:
    assert execute_api_arn("us-east-1", "123456789012", "a1b2c3", "test", "post", "/irisprediction") == SOURCE
