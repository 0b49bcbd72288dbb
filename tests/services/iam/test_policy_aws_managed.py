"""Parsing and evaluating AWS managed policies (``PolicyKind.AWS_MANAGED``): no size quota, and
Conditions modelport cannot decide keep their statement from ever applying."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelport.core.errors import PolicyTooLarge, UnsupportedPolicyElement
from modelport.services.iam.policy import PolicyKind, evaluate
from modelport.services.iam.policy_conditions import PASSED_TO_SERVICE
from modelport.services.iam.policy_parse import parse_policy

ROLE = "arn:aws:iam::123456789012:role/r"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_an_aws_managed_policy_has_no_size_quota() -> None:
    many = {"Effect": "Allow", "Action": [f"ecr:Action{i}" for i in range(600)], "Resource": "*"}
    with pytest.raises(PolicyTooLarge):
        parse_policy(doc(many), kind=PolicyKind.MANAGED)
    parse_policy(doc(many), kind=PolicyKind.AWS_MANAGED)


def test_an_undecidable_condition_never_applies() -> None:
    conditional = {
        "Effect": "Allow",
        "Action": "sagemaker:*",
        "Resource": "*",
        "Condition": {"Null": {"sagemaker:OwnerUserProfileArn": "true"}},
    }
    with pytest.raises(UnsupportedPolicyElement):
        parse_policy(doc(conditional), kind=PolicyKind.MANAGED)
    policy = parse_policy(doc(conditional), kind=PolicyKind.AWS_MANAGED)
    assert not evaluate([policy], "sagemaker:CreateModel", "*").allowed
    assert not evaluate(
        [policy], "sagemaker:CreateModel", "*", context={"sagemaker:owneruserprofilearn": "x"}
    ).allowed


def test_passed_to_service_is_decided() -> None:
    pass_to_sagemaker = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::*:role/*",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }
    policy = parse_policy(doc(pass_to_sagemaker), kind=PolicyKind.AWS_MANAGED)
    assert evaluate(
        [policy], "iam:PassRole", ROLE, context={PASSED_TO_SERVICE: "sagemaker.amazonaws.com"}
    ).allowed
    assert not evaluate(
        [policy], "iam:PassRole", ROLE, context={PASSED_TO_SERVICE: "lambda.amazonaws.com"}
    ).allowed
    assert not evaluate([policy], "iam:PassRole", ROLE).allowed
