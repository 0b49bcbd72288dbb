"""FilterLogEvents' filter patterns: the supported subset, and what is refused."""

from __future__ import annotations

import pytest

from modelport.services.logs.patterns import InvalidFilterPattern, parse_filter_pattern

LINES = [
    "START RequestId: 1 Version: $LATEST",
    "[ERROR] Task timed out after 3.00 seconds",
    "[WARN] slow heartbeat",
    "REPORT RequestId: 1\tDuration: 2.00 ms",
]


def matching(pattern: str) -> list[str]:
    parsed = parse_filter_pattern(pattern)
    return [line for line in LINES if parsed.matches(line)]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", LINES),
        ('""', LINES),
        ("REPORT", [LINES[3]]),
        ("RequestId Version", [LINES[0]]),
        ('"timed out"', [LINES[1]]),
        ('"Task timed out" ERROR', [LINES[1]]),
        ("?ERROR ?WARN", [LINES[1], LINES[2]]),
        ("RequestId -REPORT", [LINES[0]]),
        ("error", []),  # case-sensitive, as CloudWatch's
        ("REPORT START", []),
    ],
)
def test_supported_patterns(pattern: str, expected: list[str]) -> None:
    assert matching(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("{ $.level = ERROR }", "JSON filter patterns"),
        ("[ip, user, status]", "space-delimited"),
        ("%ERR.R%", "regular expressions"),
        ('"unclosed', "not closed"),
        ("ERROR ?WARN", "cannot be mixed"),
        ('ab"cd', "quote"),
    ],
)
def test_unsupported_syntax_is_refused_with_a_reason(pattern: str, why: str) -> None:
    with pytest.raises(InvalidFilterPattern, match=why):
        parse_filter_pattern(pattern)
