"""IAM policies: parsing in IAM's grammar, wildcard matching, and deny > allow > implicit deny."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelport.core.errors import (
    InvalidRequest,
    MalformedPolicyDocument,
    PolicyTooLarge,
    UnsupportedPolicyElement,
)
from modelport.services.iam.policy import Decision, Policy, PolicyKind, Requester, denial_message, evaluate
from modelport.services.iam.policy_match import action_matches, resource_matches
from modelport.services.iam.policy_parse import parse_policy, policy_size

TUTORIAL = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",'
    ' "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}'
)
ENDPOINT = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris"
MODEL = "arn:aws:sagemaker:us-east-1:123456789012:model/iris"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:classify"


def policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


# --- the tutorial ------------------------------------------------------------------------------


def test_tutorial_policy_allows_invoke_endpoint_and_nothing_else() -> None:
    tutorial = [parse_policy(TUTORIAL)]
    assert evaluate(tutorial, "sagemaker:InvokeEndpoint", ENDPOINT) is Decision.ALLOW
    assert evaluate(tutorial, "sagemaker:InvokeEndpoint", ENDPOINT.replace("iris", "other")).allowed
    for action, resource in [
        ("sagemaker:CreateModel", MODEL),
        ("sagemaker:DescribeEndpoint", ENDPOINT),
        ("sagemaker:InvokeEndpointAsync", ENDPOINT),
        ("lambda:InvokeFunction", FUNCTION),
        ("iam:CreateRole", "arn:aws:iam::123456789012:role/r"),
    ]:
        assert evaluate(tutorial, action, resource) is Decision.IMPLICIT_DENY, action


def test_no_policies_is_implicit_deny() -> None:
    assert evaluate([], "sagemaker:InvokeEndpoint", ENDPOINT) is Decision.IMPLICIT_DENY
    assert not Decision.IMPLICIT_DENY.allowed and not Decision.EXPLICIT_DENY.allowed


def test_tutorial_policy_keeps_its_document() -> None:
    parsed = parse_policy(TUTORIAL)
    assert parsed.document == json.loads(TUTORIAL)
    assert parsed.version == "2012-10-17"
    assert parsed.statements[0].sid == "VisualEditor0"


# --- evaluation --------------------------------------------------------------------------------


def test_explicit_deny_beats_allow_across_policies() -> None:
    allows = policy(allow("sagemaker:*"))
    denies = policy(deny("sagemaker:InvokeEndpoint", ENDPOINT))
    for order in ([allows, denies], [denies, allows]):
        assert evaluate(order, "sagemaker:InvokeEndpoint", ENDPOINT) is Decision.EXPLICIT_DENY
        assert evaluate(order, "sagemaker:InvokeEndpoint", ENDPOINT + "2") is Decision.ALLOW
        assert evaluate(order, "sagemaker:CreateModel", MODEL) is Decision.ALLOW


def test_not_action_means_every_action_except() -> None:
    p = [policy({"Effect": "Allow", "NotAction": ["iam:*", "sts:*"], "Resource": "*"})]
    assert evaluate(p, "sagemaker:CreateModel", MODEL).allowed
    assert evaluate(p, "lambda:InvokeFunction", FUNCTION).allowed
    assert evaluate(p, "iam:CreateRole", "arn:aws:iam::123456789012:role/r") is Decision.IMPLICIT_DENY
    assert evaluate(p, "STS:AssumeRole", "arn:aws:iam::123456789012:role/r") is Decision.IMPLICIT_DENY


def test_not_action_deny_denies_everything_else() -> None:
    p = [policy(allow("*"), {"Effect": "Deny", "NotAction": "sagemaker:InvokeEndpoint", "Resource": "*"})]
    assert evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT).allowed
    assert evaluate(p, "sagemaker:CreateModel", MODEL) is Decision.EXPLICIT_DENY


def test_not_resource_means_every_resource_except() -> None:
    p = [policy({"Effect": "Allow", "Action": "sagemaker:*", "NotResource": ENDPOINT})]
    assert evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT + "-b").allowed
    assert evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT) is Decision.IMPLICIT_DENY
    guard = [*p, policy({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:sagemaker:*"})]
    assert evaluate(guard, "lambda:InvokeFunction", FUNCTION) is Decision.EXPLICIT_DENY
    assert evaluate(guard, "sagemaker:CreateModel", MODEL).allowed


def test_policy_limited_to_one_endpoint() -> None:
    p = [policy(allow("sagemaker:InvokeEndpoint", ENDPOINT))]
    assert evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT).allowed
    assert not evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT + "-v2").allowed
    assert not evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT.replace("us-east-1", "eu-west-1")).allowed
    assert not evaluate(p, "sagemaker:DescribeEndpoint", ENDPOINT).allowed


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("sagemaker:Invoke*", "sagemaker:InvokeEndpoint", True),
        ("sagemaker:Invoke*", "sagemaker:InvokeEndpointAsync", True),
        ("sagemaker:Invoke*", "sagemaker:CreateModel", False),
        ("sagemaker:*", "sagemaker:CreateModel", True),
        ("sagemaker:*", "lambda:InvokeFunction", False),
        ("*", "lambda:InvokeFunction", True),
        ("sagemaker:InvokeEndpoint", "SageMaker:invokeendpoint", True),  # case-insensitive
        ("SAGEMAKER:INVOKEENDPOINT", "sagemaker:InvokeEndpoint", True),
        ("sagemaker:?reateModel", "sagemaker:CreateModel", True),
        ("sagemaker:?reateModel", "sagemaker:ReateModel", False),
        ("s3:Get.bject", "s3:GetObject", False),  # "." is literal
        ("sagemaker:Describe*Config", "sagemaker:DescribeEndpointConfig", True),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (
            "arn:aws:sagemaker:*:*:endpoint/iris-*",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris-v1",
            True,
        ),
        (
            "arn:aws:sagemaker:*:*:endpoint/iris-*",
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris",
            False,
        ),
        (
            "arn:aws:sagemaker:*:*:endpoint/iris-*",
            "arn:aws:sagemaker:us-east-1:123456789012:model/iris-v1",
            False,
        ),
        ("arn:aws:sagemaker:*:*:endpoint/*", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/a/b", True),
        ("arn:aws:sagemaker:*:*:endpoint/Iris", ENDPOINT, False),  # ARNs are case-sensitive
        ("arn:aws:sagemaker:*:*:endpoint/iris", ENDPOINT, True),
        ("arn:aws:sagemaker:us-east-?:*:endpoint/iris", ENDPOINT, True),
        # A "*" inside a segment stays inside it; one that ends a segment may cross colons.
        (
            "arn:aws:lambda:us-*-1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            True,
        ),
        (
            "arn:aws:lambda:us-*1:123456789012:function:f",
            "arn:aws:lambda:us-x:1:123456789012:function:f",
            False,
        ),
        ("arn:aws:lambda:*", "arn:aws:lambda:us-east-1:123456789012:function:f", True),
        ("arn:aws:lambda:*:*:function:f*", "arn:aws:lambda:us-east-1:123456789012:function:f:prod", True),
        ("arn:aws:lambda:*:*:function:f", "arn:aws:lambda:us-east-1:123456789012:function:f:prod", False),
        ("*", "anything", True),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource) is expected


def test_actions_ignore_case_but_resources_do_not() -> None:
    p = [policy(allow("SAGEMAKER:invokeENDPOINT", ENDPOINT))]
    assert evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT).allowed
    assert not evaluate(p, "sagemaker:InvokeEndpoint", ENDPOINT.upper()).allowed


# --- trust policies ----------------------------------------------------------------------------

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ROLE = "arn:aws:iam::123456789012:role/classify"


def test_trust_policy_admits_its_service_only() -> None:
    trust = [parse_policy(TRUST, kind=PolicyKind.TRUST)]
    lam = Requester("Service", "lambda.amazonaws.com")
    assert evaluate(trust, "sts:AssumeRole", ROLE, requester=lam).allowed
    assert not evaluate(
        trust, "sts:AssumeRole", ROLE, requester=Requester("Service", "ec2.amazonaws.com")
    ).allowed
    assert not evaluate(trust, "sts:AssumeRole", ROLE).allowed  # no requester, no match
    assert not evaluate(trust, "sts:TagSession", ROLE, requester=lam).allowed


def test_trust_policy_aws_principals() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": "sts:AssumeRole"},
    }
    trust = [parse_policy(doc, kind=PolicyKind.TRUST)]
    ann = Requester("AWS", "arn:aws:iam::123456789012:user/ann")
    assert evaluate(trust, "sts:AssumeRole", ROLE, requester=ann).allowed
    assert not evaluate(
        trust, "sts:AssumeRole", ROLE, requester=Requester("AWS", "arn:aws:iam::999999999999:user/x")
    ).allowed
    by_role = parse_policy(
        {"Statement": {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}},
        kind=PolicyKind.TRUST,
    )
    session = Requester("AWS", "arn:aws:sts::123456789012:assumed-role/classify/s1")
    assert evaluate([by_role], "sts:AssumeRole", ROLE, requester=session).allowed
    anyone = parse_policy(
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}},
        kind=PolicyKind.TRUST,
    )
    assert evaluate([anyone], "sts:AssumeRole", ROLE, requester=ann).allowed


# --- malformed documents -----------------------------------------------------------------------


def malformed(document: Any, kind: PolicyKind = PolicyKind.MANAGED) -> str:
    with pytest.raises(MalformedPolicyDocument) as caught:
        parse_policy(document, kind=kind)
    assert isinstance(caught.value, InvalidRequest)
    return caught.value.message


def doc(**statement: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_missing_effect() -> None:
    message = malformed(doc(Action="sagemaker:*", Resource="*"))
    assert message == "Syntax errors in policy. Missing required field Effect in statement 1."


def test_bad_effect_is_case_sensitive() -> None:
    for effect in ("Permit", "allow", 1):
        message = malformed(doc(Effect=effect, Action="sagemaker:*", Resource="*"))
        assert message.startswith('Syntax errors in policy. Effect must be "Allow" or "Deny"')
        assert json.dumps(effect) in message


def test_both_action_and_not_action() -> None:
    message = malformed(doc(Sid="S1", Effect="Allow", Action="a:b", NotAction="c:d", Resource="*"))
    assert message == "Syntax errors in policy. Statement 1 ('S1') has both Action and NotAction; use one."


def test_both_resource_and_not_resource() -> None:
    assert "both Resource and NotResource" in malformed(
        doc(Effect="Allow", Action="a:b", Resource="*", NotResource="*")
    )


def test_condition_is_refused_clearly() -> None:
    with pytest.raises(UnsupportedPolicyElement) as caught:
        parse_policy(
            doc(
                Effect="Allow",
                Action="a:b",
                Resource="*",
                Condition={"Bool": {"aws:SecureTransport": "true"}},
            )
        )
    assert caught.value.message.startswith(
        "Condition blocks are not supported by modelport yet: statement 1 has"
    )
    assert "aws:SecureTransport" in caught.value.message


def test_not_json() -> None:
    message = malformed('{"Version": "2012-10-17", "Statement": [')
    assert message.startswith("Syntax errors in policy. The document is not valid JSON: ")
    assert malformed("[1, 2]") == "Syntax errors in policy. The document must be a JSON object."


def test_wrong_version() -> None:
    message = malformed({"Version": "2020-01-01", "Statement": [allow("a:b")]})
    assert (
        message == 'Syntax errors in policy. Version must be "2012-10-17" or "2008-10-17", not "2020-01-01".'
    )
    assert parse_policy({"Version": "2008-10-17", "Statement": allow("a:b")}).version == "2008-10-17"
    assert parse_policy({"Statement": allow("a:b")}).version is None  # IAM's default applies


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"Version": "2012-10-17"}, "Syntax errors in policy. Missing required field Statement."),
        (
            {"Statement": []},
            "Syntax errors in policy. Statement must be an object or a non-empty list of objects.",
        ),
        ({"Statement": ["x"]}, "Syntax errors in policy. Statement 1 must be a JSON object."),
        (
            {"Statement": allow("a:b"), "Extra": 1},
            "Syntax errors in policy. Unknown element 'Extra'; a policy has Version, Id and Statement.",
        ),
        (
            doc(Effect="Allow", Resource="*"),
            "Policy statement must contain actions. (statement 1 has no Action)",
        ),
        (
            doc(Effect="Allow", Action=[], Resource="*"),
            "Policy statement must contain actions. (statement 1 has no Action)",
        ),
        (
            doc(Effect="Allow", Action="a:b"),
            "Policy statement must contain resources. (statement 1 has no Resource)",
        ),
        (
            doc(Effect="Allow", Action=["a:b", 3], Resource="*"),
            "Syntax errors in policy. Action in statement 1 must be a string or a list of strings.",
        ),
        (
            doc(Effect="Allow", Action="InvokeEndpoint", Resource="*"),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. ('InvokeEndpoint' in statement 1)",
        ),
        (
            doc(Effect="Allow", Action="a:b:c", Resource="*"),
            "Actions/Condition can contain only one colon. ('a:b:c' in statement 1)",
        ),
        (
            doc(Effect="Allow", Action="a:b", Resource="endpoint/iris"),
            'Resource endpoint/iris must be in ARN format or "*". (statement 1)',
        ),
        (
            doc(Effect="Allow", Action="a:b", Resource="arn:aws:sage*:x"),
            "Resource vendor must be fully qualified and cannot contain regexes. ('arn:aws:sage*:x' in statement 1)",
        ),
        (
            doc(Effect="Allow", Action="a:b", Resource="*", Principal="*"),
            "Policy document should not specify a principal. (statement 1)",
        ),
        (
            doc(Effect="Allow", Action="a:b", Resource="*", Foo=1),
            "Syntax errors in policy. Unknown element 'Foo' in statement 1.",
        ),
        (
            doc(Sid="a-b", Effect="Allow", Action="a:b", Resource="*"),
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]* (statement 1 ('a-b')).",
        ),
        (
            {"Statement": [allow("a:b", Sid="X"), allow("c:d", Sid="X")]},
            "Statement IDs (SID) in a single policy must be unique.",
        ),
    ],
)
def test_malformed_documents(document: Any, expected: str) -> None:
    assert malformed(document) == expected


def test_trust_policy_shape() -> None:
    assert malformed({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}, PolicyKind.TRUST) == (
        "Missing required field Principal (statement 1)."
    )
    with_resource = {
        "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}
    }
    assert malformed(with_resource, PolicyKind.TRUST) == "Has prohibited field Resource (statement 1)."
    partial = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::*:root"},
            "Action": "sts:AssumeRole",
        }
    }
    assert malformed(partial, PolicyKind.TRUST).startswith("Invalid principal in policy: ")
    assert malformed(
        {"Statement": {"Effect": "Allow", "Principal": {"Foo": "x"}, "Action": "a:b"}}, PolicyKind.TRUST
    ) == ('Invalid principal in policy: {"Foo": "x"} (statement 1).')


def test_size_limits_ignore_whitespace() -> None:
    padded = TUTORIAL.replace(" ", " " * 50)
    assert policy_size(padded) == policy_size(TUTORIAL) < 6_144
    parse_policy(padded)
    big = {"Statement": allow([f"sagemaker:Action{i:05d}" for i in range(300)])}
    assert 6_144 < policy_size(json.dumps(big)) < 10_240
    with pytest.raises(PolicyTooLarge) as caught:
        parse_policy(big)
    assert caught.value.message.startswith("Cannot exceed quota for PolicySize: 6144.")
    assert (caught.value.quota, caught.value.limit) == ("PolicySize", 6_144)
    assert parse_policy(big, kind=PolicyKind.INLINE).statements[0].actions[0] == "sagemaker:Action00000"


def test_denial_message_names_caller_action_and_resource() -> None:
    caller = "arn:aws:sts::123456789012:assumed-role/classify/fn"
    implicit = denial_message(caller, "sagemaker:CreateModel", MODEL, Decision.IMPLICIT_DENY)
    assert implicit == (
        f"User: {caller} is not authorized to perform: sagemaker:CreateModel on resource: {MODEL}"
        " because no identity-based policy allows the sagemaker:CreateModel action"
    )
    assert denial_message(caller, "a:b", "*", Decision.EXPLICIT_DENY).endswith(
        "with an explicit deny in an identity-based policy"
    )
