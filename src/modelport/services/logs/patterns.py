"""FilterLogEvents' filter patterns: the subset people type at a log, matched in Python (pure).

Supported, with CloudWatch's meaning (matching is case-sensitive, a term matches anywhere in
the message):

- ``ERROR Exception``: every term must appear;
- ``"Task timed out"``: a quoted phrase is one term, spaces and all;
- ``?ERROR ?WARN``: an event matches when any ``?`` term appears;
- ``ERROR -heartbeat``: a ``-`` term must not appear;
- an empty pattern (or ``""``) matches every event.

Refused with ``InvalidParameterException`` rather than guessed at: JSON patterns (``{ $.x = 1 }``),
space-delimited patterns (``[ip, user, ...]``), regular expressions (``%...%``), ``?`` terms
mixed with plain or ``-`` terms, and an unclosed quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelport.core.errors import InvalidRequest


class InvalidFilterPattern(InvalidRequest):
    """A pattern outside the supported subset (InvalidParameterException)."""


@dataclass(frozen=True)
class FilterPattern:
    required: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def matches(self, message: str) -> bool:
        if any(term in message for term in self.excluded):
            return False
        if self.any_of and not any(term in message for term in self.any_of):
            return False
        return all(term in message for term in self.required)


def _refuse(pattern: str, why: str) -> InvalidFilterPattern:
    return InvalidFilterPattern(
        f"Invalid filter pattern {pattern!r}: {why} modelport supports terms, quoted phrases,"
        " ?alternatives and -exclusions (see docs/logs.md)."
    )


def _terms(pattern: str) -> list[tuple[str, str]]:
    """(operator, term) pairs: operator is '', '?' or '-'."""
    found: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern[i].isspace():
            i += 1
            continue
        operator = ""
        if pattern[i] in "?-" and i + 1 < n and not pattern[i + 1].isspace():
            operator = pattern[i]
            i += 1
        if pattern[i] == '"':
            close = pattern.find('"', i + 1)
            if close < 0:
                raise _refuse(pattern, "a quoted phrase is not closed.")
            term = pattern[i + 1 : close]
            i = close + 1
        else:
            start = i
            while i < n and not pattern[i].isspace():
                i += 1
            term = pattern[start:i]
            if '"' in term:
                raise _refuse(pattern, "a quote may only open or close a phrase.")
        if term:
            found.append((operator, term))
    return found


def parse_filter_pattern(pattern: str | None) -> FilterPattern:
    """The pattern as a ``FilterPattern``; raises ``InvalidFilterPattern`` outside the subset."""
    text = (pattern or "").strip()
    if not text:
        return FilterPattern()
    if text[0] == "{":
        raise _refuse(pattern or "", "JSON filter patterns ({ $.field = value }) are not supported.")
    if text[0] == "[":
        raise _refuse(pattern or "", "space-delimited filter patterns ([a, b, ...]) are not supported.")
    if text[0] == "%":
        raise _refuse(pattern or "", "regular expressions (%...%) are not supported.")
    terms = _terms(text)
    operators = {operator for operator, _ in terms}
    if "?" in operators and operators != {"?"}:
        raise _refuse(pattern or "", "?alternatives cannot be mixed with other terms.")
    return FilterPattern(
        required=tuple(term for operator, term in terms if operator == ""),
        any_of=tuple(term for operator, term in terms if operator == "?"),
        excluded=tuple(term for operator, term in terms if operator == "-"),
    )
