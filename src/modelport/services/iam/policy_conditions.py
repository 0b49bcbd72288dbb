"""The few Condition operators and keys modelport evaluates, and how each one is decided.

A ``Condition`` block is ``{"<Operator>": {"<key>": value-or-list}}``. IAM's rules, as its JSON
policy reference states them:

- every operator in the block must hold, and every key under an operator must hold (AND);
- a key holds when the request's value matches **any** of the listed values (OR);
- a key the request does not carry makes its operator false (there is no ``...IfExists`` here);
- key *names* are case-insensitive (``AWS:SourceArn`` is ``aws:sourcearn``); values are not.

Only what Lambda's resource policies are written with is supported: the operators
``StringEquals``, ``StringLike``, ``ArnEquals`` and ``ArnLike`` on the keys ``aws:SourceArn`` and
``aws:SourceAccount`` (what ``AddPermission`` writes for ``SourceArn`` and ``SourceAccount``). Any
other operator or key is refused by the parser rather than ignored: ignoring a condition would
widen an Allow or narrow a Deny. ``ArnEquals`` and ``ArnLike`` behave alike, as IAM documents
them: each of the six colon-separated parts of the ARN is matched on its own, with ``*`` and
``?`` inside a part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

SUPPORTED_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike")
SOURCE_ARN = "aws:sourcearn"
SOURCE_ACCOUNT = "aws:sourceaccount"
SUPPORTED_KEYS = (SOURCE_ARN, SOURCE_ACCOUNT)  # lower-cased: key names ignore case
# The service a call hands a role to (``sagemaker.amazonaws.com``), in the context of its
# ``iam:PassRole`` check; only AWS managed policies' conditions are decided on it.
PASSED_TO_SERVICE = "iam:passedtoservice"


@dataclass(frozen=True)
class Condition:
    """One operator on one key: holds when the request's value matches any of ``values``.

    ``key`` is lower-cased; ``context`` keys given to ``holds`` must be too.
    """

    operator: str
    key: str
    values: tuple[str, ...]

    def holds(self, context: Mapping[str, str]) -> bool:
        actual = context.get(self.key)
        if actual is None:
            return False
        return any(_MATCHERS[self.operator](pattern, actual) for pattern in self.values)


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL)


def string_like(pattern: str, value: str) -> bool:
    """Case-sensitive, whole-string match with ``*`` (any run) and ``?`` (one character)."""
    return _glob(pattern).fullmatch(value) is not None


def arn_like(pattern: str, value: str) -> bool:
    """IAM's ArnLike: both must be ARNs; their six parts are matched one by one (``string_like``)."""
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    if len(wanted) != 6 or len(actual) != 6:
        return False
    return all(string_like(w, a) for w, a in zip(wanted, actual, strict=True))


_MATCHERS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": string_like,
    "ArnEquals": arn_like,
    "ArnLike": arn_like,
}


def conditions_hold(conditions: tuple[Condition, ...], context: Mapping[str, str] | None) -> bool:
    """Whether every condition holds for the request ``context`` (lower-cased keys)."""
    return all(condition.holds(context or {}) for condition in conditions)
