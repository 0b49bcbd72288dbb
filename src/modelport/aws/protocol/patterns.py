"""Java-flavoured regular expressions from botocore's models, compiled for Python.

AWS validates ``pattern`` traits with ``java.util.regex`` and requires the whole value to match
(``Matcher.matches``). The ``regex`` module understands almost all of Java's syntax; the few
places where it differs are rewritten here:

- the POSIX classes ``\\p{Print}``, ``\\p{ASCII}``, ``\\p{Alnum}`` ... are ASCII-only in Java
  (without ``UNICODE_CHARACTER_CLASS``), while ``regex`` reads them as Unicode properties;
- a UTF-16 surrogate-pair range (``\\uD800\\uDC00-\\uDBFF\\uDFFF``) means "any supplementary
  character" in Java; Python strings hold code points, not surrogates;
- ``\\z`` (absolute end) is ``\\Z`` in Python.
"""

from __future__ import annotations

import functools
from typing import Any

import regex

# Java's ASCII-only POSIX classes, as the inside of a character class.
_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}

_SUPPLEMENTARY_JAVA = "\\uD800\\uDC00-\\uDBFF\\uDFFF"
_SUPPLEMENTARY_PYTHON = "\\U00010000-\\U0010FFFF"


def translate(pattern: str) -> str:
    """Rewrite a Java pattern into the ``regex`` module's dialect (see the module docstring)."""
    pattern = pattern.replace(_SUPPLEMENTARY_JAVA, _SUPPLEMENTARY_PYTHON)
    out: list[str] = []
    in_class = 0
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.find("}", i + 3)
                name = pattern[i + 3 : end] if end != -1 else ""
                if name in _POSIX_CLASSES:
                    body = _POSIX_CLASSES[name]
                    negate = nxt == "P"
                    if in_class and not negate:
                        out.append(body)
                    else:
                        out.append(f"[{'^' if negate else ''}{body}]")
                    i = end + 1
                    continue
            if nxt == "z":
                out.append("\\Z")
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class += 1
        elif c == "]" and in_class:
            in_class -= 1
        out.append(c)
        i += 1
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> Any:
    """A compiled pattern whose ``fullmatch`` behaves like Java's ``Matcher.matches``."""
    return regex.compile(translate(pattern), regex.V0)


# Shapes whose pattern modelport deliberately widens, by shape name. ``Url`` (ModelDataUrl and
# other S3 locations) also takes local paths and file:// URLs, since a self-hosted server can
# read its own disk; the service layer checks the URL's form with a message that says what to fix.
PATTERN_OVERRIDES: dict[str, str] = {
    "Url": r"(https|s3)://([^/]+)/?(.*)|file://.+|[^\s:][^:]*",
    # DataCaptureConfig's destination may also be a local folder (hosting/capture.py checks it).
    "DestinationS3Uri": r"(https|s3)://([^/])/?(.*)|file://.+",
}
