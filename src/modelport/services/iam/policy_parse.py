"""Parse a policy document in IAM's JSON grammar, refusing what IAM refuses.

Messages start with the text IAM itself answers (``Syntax errors in policy.``, ``Policy
statement must contain actions.``, ``Policy document should not specify a principal.``, ...)
so that scripts matching on them keep working, then say exactly what is wrong and where.
IAM's texts come from its public behaviour as moto reproduces it; ``Missing required field``
and ``Has prohibited field`` are IAM's wording for trust policies, reused here for Effect.

A ``Condition`` is accepted only in a resource policy (``PolicyKind.RESOURCE``, a Lambda
function's policy) and only with the operators and keys ``policy_conditions`` evaluates; every
other Condition is ``UnsupportedPolicyElement``, never ignored.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from modelport.core.errors import MalformedPolicyDocument, PolicyTooLarge, UnsupportedPolicyElement
from modelport.services.iam.policy import (
    PRINCIPAL_KINDS,
    SIZE_LIMITS,
    VERSIONS,
    Effect,
    Policy,
    PolicyKind,
    Principals,
    Statement,
)
from modelport.services.iam.policy_conditions import (
    PASSED_TO_SERVICE,
    SUPPORTED_KEYS,
    SUPPORTED_OPERATORS,
    Condition,
)

SYNTAX = "Syntax errors in policy."
TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)
_VENDOR = re.compile(r"[A-Za-z0-9.\-]+")
_SID = re.compile(r"[0-9A-Za-z]*")
_RESOURCE_POLICY_SID = re.compile(r"[0-9A-Za-z_.\-]*")  # Lambda's statement ids also take - _ .
_WHITESPACE = re.compile(r"\s+")


def policy_size(text: str) -> int:
    """The size IAM counts against its quotas: characters, whitespace excluded."""
    return len(_WHITESPACE.sub("", text))


def parse_policy(document: str | Mapping[str, Any], *, kind: PolicyKind = PolicyKind.MANAGED) -> Policy:
    """Parse ``document`` (JSON text or an already-decoded dict) as a policy of ``kind``.

    Raises ``PolicyTooLarge`` over the quota of ``kind``, ``UnsupportedPolicyElement`` for a
    Condition, and ``MalformedPolicyDocument`` for everything else IAM would refuse.
    """
    return _parse_text(document if isinstance(document, str) else json.dumps(document), kind)


@functools.lru_cache(maxsize=1024)
def _parse_text(text: str, kind: PolicyKind) -> Policy:
    """``parse_policy`` of a JSON text, remembered: every signed request evaluates its caller's
    policies, and a ``Policy`` is frozen, so the same text need not be parsed twice."""
    quota, limit = SIZE_LIMITS.get(kind, ("", 0))
    size = policy_size(text)
    if limit and size > limit:
        # IAM's own texts: managed and trust policies name the quota, inline ones the bytes.
        head = (
            f"Maximum policy size of {limit} bytes exceeded."
            if kind is PolicyKind.INLINE
            else f"Cannot exceed quota for {quota}: {limit}."
        )
        raise PolicyTooLarge(
            f"{head} This {kind} policy has {size} characters, whitespace excluded.",
            quota=quota,
            limit=limit,
            size=size,
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedPolicyDocument(
            f"{SYNTAX} The document is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    if not isinstance(data, Mapping):
        raise MalformedPolicyDocument(f"{SYNTAX} The document must be a JSON object.")
    unknown = sorted(set(data) - TOP_ELEMENTS)
    if unknown:
        raise MalformedPolicyDocument(
            f"{SYNTAX} Unknown element {unknown[0]!r}; a policy has Version, Id and Statement."
        )
    version = data.get("Version")
    if version is not None and version not in VERSIONS:
        raise MalformedPolicyDocument(
            f'{SYNTAX} Version must be "2012-10-17" or "2008-10-17", not {json.dumps(version)}.'
        )
    policy_id = data.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicyDocument(f"{SYNTAX} Id must be a string.")
    raw = data.get("Statement")
    if raw is None:
        raise MalformedPolicyDocument(f"{SYNTAX} Missing required field Statement.")
    raw_statements = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(raw_statements, list) or not raw_statements:
        raise MalformedPolicyDocument(f"{SYNTAX} Statement must be an object or a non-empty list of objects.")
    statements = tuple(_statement(s, i, kind) for i, s in enumerate(raw_statements, start=1))
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique.")
    return Policy(statements, version=version, id=policy_id, document=dict(data))


# A condition modelport cannot decide (its operators and keys are ``policy_conditions``'): it
# never holds, having no values, so its statement never applies.
UNDECIDED = Condition("Undecided", "", ())


def _aws_managed_conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    """The Conditions of an AWS managed policy's statement. AWS writes them with operators and
    keys modelport does not evaluate (``Null``, ``StringEqualsIfExists``, ``iam:PassedToService``,
    ...); such a statement is kept but never applies. That only narrows: the AWS managed policies
    modelport ships have Allow statements only, so an undecidable condition can hide a grant but
    never lift a Deny. ``iam:PassedToService`` is decided: authorization gives it for the
    ``iam:PassRole`` check of a call that hands a role to a service."""
    try:
        return _conditions(raw, where, (*SUPPORTED_KEYS, PASSED_TO_SERVICE))
    except (UnsupportedPolicyElement, MalformedPolicyDocument):
        return (UNDECIDED,)


def _statement(raw: Any, index: int, kind: PolicyKind) -> Statement:
    where = f"statement {index}"
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(f"{SYNTAX} {where[0].upper()}{where[1:]} must be a JSON object.")
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise MalformedPolicyDocument(f"{SYNTAX} Sid of {where} must be a string.")
        where = f"statement {index} ({sid!r})"
        if not (_RESOURCE_POLICY_SID if kind is PolicyKind.RESOURCE else _SID).fullmatch(sid):
            raise MalformedPolicyDocument(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the"
                f" regular expression [0-9A-Za-z]* ({where})."
            )
    unknown = sorted(set(raw) - STATEMENT_ELEMENTS)
    if unknown:
        raise MalformedPolicyDocument(f"{SYNTAX} Unknown element {unknown[0]!r} in {where}.")
    for a, b in (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal")):
        if a in raw and b in raw:
            raise MalformedPolicyDocument(
                f"{SYNTAX} {where[0].upper()}{where[1:]} has both {a} and {b}; use one."
            )
    if "Effect" not in raw:
        raise MalformedPolicyDocument(f"{SYNTAX} Missing required field Effect in {where}.")
    effect = raw["Effect"]
    if effect not in (Effect.ALLOW.value, Effect.DENY.value):  # case-sensitive, as IAM is
        raise MalformedPolicyDocument(
            f'{SYNTAX} Effect must be "Allow" or "Deny", not {json.dumps(effect)}, in {where}.'
        )
    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw and kind is PolicyKind.AWS_MANAGED:
        conditions = _aws_managed_conditions(raw["Condition"], where)
    elif "Condition" in raw:
        if kind is not PolicyKind.RESOURCE:
            raise UnsupportedPolicyElement(
                f"Condition blocks are not supported by modelport yet: {where} has"
                f" Condition {json.dumps(raw['Condition'], sort_keys=True)}. Remove it, or express the"
                " restriction with Action and Resource."
            )
        conditions = _conditions(raw["Condition"], where)

    action_key = "Action" if "Action" in raw else "NotAction"
    actions = _strings(raw.get(action_key), action_key, where)
    if not actions:
        raise MalformedPolicyDocument(f"Policy statement must contain actions. ({where} has no Action)")
    for action in actions:
        _check_action(action, where)

    resource_key = "Resource" if "Resource" in raw else "NotResource"
    resources: tuple[str, ...] | None = None
    if kind is PolicyKind.TRUST:
        if resource_key in raw:
            raise MalformedPolicyDocument(f"Has prohibited field {resource_key} ({where}).")
    else:
        resources = _strings(raw.get(resource_key), resource_key, where)
        if not resources:
            raise MalformedPolicyDocument(
                f"Policy statement must contain resources. ({where} has no Resource)"
            )
        for resource in resources:
            _check_resource(resource, where)

    principal_key = "Principal" if "Principal" in raw else "NotPrincipal"
    principals: Principals | None = None
    if kind in (PolicyKind.TRUST, PolicyKind.RESOURCE):
        if principal_key not in raw:
            raise MalformedPolicyDocument(f"Missing required field Principal ({where}).")
        principals = _principals(raw[principal_key], where)
    elif principal_key in raw:
        raise MalformedPolicyDocument(f"Policy document should not specify a principal. ({where})")

    return Statement(
        effect=Effect(effect),
        actions=actions,
        resources=resources,
        not_action=action_key == "NotAction",
        not_resource=resource_key == "NotResource",
        principals=principals,
        not_principal=principal_key == "NotPrincipal",
        sid=sid,
        conditions=conditions,
    )


def _conditions(
    value: Any, where: str, keys_known: tuple[str, ...] = SUPPORTED_KEYS
) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping) or not value:
        raise MalformedPolicyDocument(f"{SYNTAX} Condition in {where} must be a non-empty JSON object.")
    found: list[Condition] = []
    for operator, keys in value.items():
        if operator not in SUPPORTED_OPERATORS:
            raise UnsupportedPolicyElement(
                f"Condition operator {operator} is not supported by modelport yet ({where}); it"
                f" evaluates {', '.join(SUPPORTED_OPERATORS)}."
            )
        if not isinstance(keys, Mapping) or not keys:
            raise MalformedPolicyDocument(f"{SYNTAX} Condition {operator} in {where} must name keys.")
        for key, raw in keys.items():
            if not isinstance(key, str) or key.lower() not in keys_known:
                raise UnsupportedPolicyElement(
                    f"Condition key {key} is not supported by modelport yet ({where}); it evaluates"
                    " aws:SourceArn and aws:SourceAccount."
                )
            values = _strings(raw, f"Condition {operator} {key}", where)
            if not values:
                raise MalformedPolicyDocument(f"{SYNTAX} Condition {operator} {key} in {where} has no value.")
            found.append(Condition(operator, key.lower(), values))
    return tuple(found)


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MalformedPolicyDocument(f"{SYNTAX} {key} in {where} must be a string or a list of strings.")


def _check_action(action: str, where: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise MalformedPolicyDocument(
            f"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. ({action!r} in {where})"
        )
    if len(parts) > 2:
        raise MalformedPolicyDocument(
            f"Actions/Condition can contain only one colon. ({action!r} in {where})"
        )
    if not _VENDOR.fullmatch(parts[0]):
        raise MalformedPolicyDocument(f"Vendor {parts[0]} is not valid ({action!r} in {where}).")


def _check_resource(resource: str, where: str) -> None:
    if resource == "*":
        return
    parts = resource.split(":", 5)
    if parts[0] != "arn" or len(parts) < 2:
        raise MalformedPolicyDocument(f'Resource {resource} must be in ARN format or "*". ({where})')
    if parts[1] != "aws":
        raise MalformedPolicyDocument(
            f'Partition "{parts[1]}" is not valid for resource "{resource}". ({where})'
        )
    if len(parts) < 3 or not parts[2] or "*" in parts[2] or "?" in parts[2]:
        raise MalformedPolicyDocument(
            f"Resource vendor must be fully qualified and cannot contain regexes. ({resource!r} in {where})"
        )
    if parts[2] == "iam" and len(parts) > 3 and parts[3]:
        raise MalformedPolicyDocument(f"IAM resource {resource} cannot contain region information. ({where})")


def _principals(value: Any, where: str) -> Principals:
    if value == "*":
        return Principals(everyone=True)
    if not isinstance(value, Mapping) or not value:
        raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps(value)} ({where}).")
    ids: set[tuple[str, str]] = set()
    for key, raw in value.items():
        names = _strings(raw, "Principal", where) if key in PRINCIPAL_KINDS else ()
        if not names:
            raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps({key: raw})} ({where}).")
        for name in names:
            # IAM allows a wildcard only as the whole value ("AWS": "*"), never inside an ARN.
            if name != "*" and ("*" in name or "?" in name):
                raise MalformedPolicyDocument(
                    f"Invalid principal in policy: {json.dumps({key: name})} ({where})."
                )
            ids.add((key, name))
    return Principals(ids=frozenset(ids))
