"""How IAM matches an action or a resource ARN against a pattern with ``*`` and ``?``.

Actions (``service:Name``) are matched case-insensitively as a whole string: ``*`` is any run
of characters, ``?`` any one character.

Resource ARNs are matched case-sensitively and segment by segment, as IAM's reference
("IAM JSON policy elements: Resource") describes it: the ARN is split at colons; inside a
segment ``*`` matches any run of characters and ``?`` any one character, neither crossing a
colon, **except** that a ``*`` which is the last character of a segment "can expand to match
beyond the colon boundaries". So ``arn:aws:sagemaker:*:*:endpoint/iris-*`` matches any region
and account (each ``*`` ends its segment) and ``endpoint/iris-a/b`` too (``/`` is not a
segment boundary), while ``arn:aws:lambda:us-*-1:...`` cannot match a colon inside the region.
The service segment may not hold wildcards at all; the parser refuses that, not this module.

Patterns are compiled once and cached: policies are parsed rarely and checked on every call.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def _action_regex(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile(body, re.DOTALL)


@lru_cache(maxsize=_CACHE_SIZE)
def _resource_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    for i, c in enumerate(pattern):
        if c == "*":
            ends_segment = i + 1 == len(pattern) or pattern[i + 1] == ":"
            parts.append(".*" if ends_segment else "[^:]*")
        elif c == "?":
            parts.append("[^:]")
        else:
            parts.append(re.escape(c))
    return re.compile("".join(parts), re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether ``action`` (``sagemaker:InvokeEndpoint``) matches ``pattern``, ignoring case."""
    if pattern == "*":
        return True
    return _action_regex(pattern).fullmatch(action.lower()) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether the ARN ``resource`` matches ``pattern``, case-sensitively and segment-aware."""
    if pattern == "*":
        return True
    return _resource_regex(pattern).fullmatch(resource) is not None
