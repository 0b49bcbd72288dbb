"""IAM policies as data, and the one rule that decides whether a call is allowed.

A policy is parsed once (``modelport.services.iam.policy_parse.parse_policy``) into frozen
``Statement``s; ``evaluate`` then answers Allow / ExplicitDeny / ImplicitDeny for one action on
one resource ARN. Matching of wildcards lives in ``policy_match``; which action and ARN each
modelport operation is checked against lives in ``actions``.

Errors (in ``core/errors.py``, so the wire's error table can name them; all ``InvalidRequest``: a
document that can never be accepted as sent)::

    InvalidRequest
    ├── MalformedPolicyDocument      IAM's MalformedPolicyDocument (400)
    │   └── UnsupportedPolicyElement   valid IAM, not supported by modelport yet (a Condition
    │                                  outside a resource policy, or an operator or key it lacks)
    └── PolicyTooLarge               IAM's LimitExceeded (409): over a named size quota
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from modelport.core.arns import account_root_arn, iam_arn
from modelport.services.iam.policy_conditions import Condition, conditions_hold
from modelport.services.iam.policy_match import action_matches, resource_matches


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Decision(StrEnum):
    """The outcome of ``evaluate``, named as IAM's policy simulator names them."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


class PolicyKind(StrEnum):
    """Where a document is attached; it decides which elements are required and the size quota."""

    MANAGED = "managed"  # CreatePolicy / CreatePolicyVersion: identity policy
    AWS_MANAGED = "AWS managed"  # arn:aws:iam::aws:policy/...: identity policy, no size quota
    INLINE = "inline"  # PutRolePolicy: identity policy embedded in a role
    TRUST = "trust"  # a role's AssumeRolePolicyDocument: resource policy with Principal
    RESOURCE = "resource"  # a Lambda function's policy (AddPermission): Principal, Resource, Condition


# IAM's quotas, counted in characters with whitespace excluded (IAM User Guide, "IAM and AWS STS
# quotas"). The inline quota is the total of all inline policies of one role; ``parse_policy``
# checks one document against it, and the caller sums ``policy_size`` over the role's policies.
# AWS managed policies are written by AWS and may exceed PolicySize (AmazonSageMakerFullAccess
# does), so that kind has no entry here and no quota.
SIZE_LIMITS: Mapping[PolicyKind, tuple[str, int]] = {
    PolicyKind.MANAGED: ("PolicySize", 6_144),
    PolicyKind.INLINE: ("RolePolicySize", 10_240),
    PolicyKind.TRUST: ("ACLSizePerRole", 2_048),  # the default; AWS lets it be raised to 4,096
    PolicyKind.RESOURCE: ("FunctionPolicySize", 20_480),  # Lambda's quota for a function policy
}

VERSIONS = ("2012-10-17", "2008-10-17")
PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True)
class Requester:
    """Who makes the call, for statements that name a Principal (trust and resource policies).

    ``kind`` is a Principal key (``AWS``, ``Service``, ...); ``id`` is an ARN for ``AWS``
    (``arn:aws:iam::123456789012:user/ann``, ``arn:aws:sts::...:assumed-role/r/s``) or the
    service principal for ``Service`` (``lambda.amazonaws.com``).
    """

    kind: str
    id: str


@dataclass(frozen=True)
class Principals:
    """A Principal or NotPrincipal element: ``"*"`` or ``{"AWS": [...], "Service": [...]}``."""

    everyone: bool = False
    ids: frozenset[tuple[str, str]] = frozenset()

    def matches(self, requester: Requester) -> bool:
        if self.everyone or (requester.kind, "*") in self.ids:
            return True
        if (requester.kind, requester.id) in self.ids:
            return True
        if requester.kind != "AWS":
            return False
        # An account (``123456789012`` or ``arn:aws:iam::123456789012:root``) stands for every
        # principal of that account; a role ARN also names the sessions of that role.
        account = _arn_account(requester.id)
        if ("AWS", account) in self.ids or ("AWS", account_root_arn(account)) in self.ids:
            return True
        role = _role_of_session(requester.id)
        return role is not None and ("AWS", role) in self.ids


def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _role_of_session(arn: str) -> str | None:
    # arn:aws:sts::123456789012:assumed-role/name/session -> arn:aws:iam::123456789012:role/name.
    # A role with a path cannot be recovered from its session ARN; AWS matches by the role's
    # unique id there, which modelport does not model yet.
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "sts" or not parts[5].startswith("assumed-role/"):
        return None
    name = parts[5].split("/")[1]
    return iam_arn(parts[4], "role", name)


@dataclass(frozen=True)
class Statement:
    """One statement. ``resources`` is None when the statement has no Resource element, as in a
    trust policy: it then applies to the resource the policy is attached to."""

    effect: Effect
    actions: tuple[str, ...]
    resources: tuple[str, ...] | None
    not_action: bool = False
    not_resource: bool = False
    principals: Principals | None = None
    not_principal: bool = False
    sid: str | None = None
    conditions: tuple[Condition, ...] = ()

    def applies(
        self,
        action: str,
        resource: str,
        requester: Requester | None = None,
        context: Mapping[str, str] | None = None,
    ) -> bool:
        """Whether this statement speaks about the request (whatever its effect). ``context``
        holds the request's condition keys, lower-cased (``aws:sourcearn``)."""
        if self.conditions and not conditions_hold(self.conditions, context):
            return False
        if any(action_matches(p, action) for p in self.actions) == self.not_action:
            return False
        if self.resources is not None and (
            any(resource_matches(p, resource) for p in self.resources) == self.not_resource
        ):
            return False
        if self.principals is None:
            return True
        # A statement that names principals cannot apply to a caller we cannot name.
        return requester is not None and self.principals.matches(requester) != self.not_principal


@dataclass(frozen=True)
class Policy:
    """A parsed document. ``document`` is the JSON as given, for Get* operations to return."""

    statements: tuple[Statement, ...]
    version: str | None = "2012-10-17"
    id: str | None = None
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


def evaluate(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    *,
    requester: Requester | None = None,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """Decide one request (``action`` on the ARN ``resource``) against every policy that applies.

    This is IAM's evaluation logic for a single account, reduced to the policy types modelport
    has (IAM User Guide, "Policy evaluation logic"):

    1. Start from an implicit deny: nothing is allowed unless a statement allows it.
    2. If any statement of any policy applies and has Effect Deny, the answer is ExplicitDeny;
       nothing can override it, so the order of policies and statements never matters.
    3. Otherwise, if any applicable statement has Effect Allow, the answer is Allow.
    4. Otherwise the implicit deny stands (ImplicitDeny).

    A statement applies when its Action (or, for NotAction, none of its actions) matches the
    action, its Resource (or, for NotResource, none of its resources) matches the ARN, and its
    Principal (or NotPrincipal) admits ``requester`` when it names one, and every Condition holds
    for ``context`` (the request's keys, lower-cased; a key it lacks fails its condition).
    Identity policies have no Principal; trust policies have no Resource; only resource policies
    (Lambda's) may have Conditions, and only those ``policy_conditions`` decides. Permission
    boundaries, SCPs and session policies only narrow and are not modelled.
    """
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if not statement.applies(action, resource, requester, context):
                continue
            if statement.effect is Effect.DENY:
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def denial_message(caller_arn: str, action: str, resource: str, decision: Decision) -> str:
    """The AccessDenied text AWS's services use (2021 wording; exact SageMaker text UNVERIFIED)."""
    because = (
        "with an explicit deny in an identity-based policy"
        if decision is Decision.EXPLICIT_DENY
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {because}"
