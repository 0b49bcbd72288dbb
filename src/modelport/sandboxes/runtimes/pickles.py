"""Loading pickled models, and explaining why a pickle from another library version fails.

The explanation names the library, the version the pickle was written with (when the pickle
carries it: scikit-learn stores ``_sklearn_version`` in each estimator's state, XGBoost boosters
carry the version inside their raw model) and the installed version.
"""

from __future__ import annotations

import logging
import pickletools
import re
import struct
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

logger = logging.getLogger("modelport.worker")

# Top-level module -> distribution name used in messages and for the installed version.
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "xgboost": "xgboost", "numpy": "numpy", "scipy": "scipy"}
_VERSION_WORDS = re.compile(r"version|unpickl|incompatib", re.IGNORECASE)
_JSON_VERSION = re.compile(rb'"version"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)')
_UBJ_INT = {b"i": ">b", b"U": ">B", b"I": ">h", b"l": ">i", b"L": ">q"}


@dataclass
class PickleFacts:
    """What a pickle says about the code it needs, read without executing it."""

    modules: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # distribution -> version written with


def load_pickle(path: Path) -> Any:
    """``joblib.load`` (plain pickles too) with version warnings logged instead of raised."""
    import joblib

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = joblib.load(path)
    for warning in caught:
        logger.warning("loading %s: %s: %s", path, warning.category.__name__, warning.message)
    return model


def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        if distribution == "xgboost":
            try:
                return metadata.version("xgboost-cpu")
            except metadata.PackageNotFoundError:
                return None
        return None


def read_facts(path: Path) -> PickleFacts:
    facts = PickleFacts()
    try:
        data = path.read_bytes()
    except OSError:
        return facts
    strings: list[str] = []
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            if opcode.name in ("GLOBAL", "INST") and isinstance(arg, str):
                facts.modules.append(arg.split(" ", 1)[0])
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                facts.modules.append(strings[-2])
            if isinstance(arg, str):
                if strings and strings[-1] == "_sklearn_version":
                    facts.versions.setdefault("scikit-learn", arg)
                strings.append(arg)
            elif isinstance(arg, (bytes, bytearray)) and "xgboost" not in facts.versions:
                found = _xgboost_version(bytes(arg))
                if found:
                    facts.versions["xgboost"] = found
    except Exception:  # not a plain pickle (compressed joblib, truncated): keep what was read
        pass
    return facts


def _xgboost_version(raw: bytes) -> str | None:
    match = _JSON_VERSION.search(raw)
    if match:
        return ".".join(part.decode() for part in match.groups())
    at = raw.find(b"\x07version[")
    if at < 0:
        return None
    pos = at + len(b"\x07version[")
    typed: bytes | None = None
    if raw[pos : pos + 1] == b"$":
        typed = raw[pos + 1 : pos + 2]
        pos += 2
    if raw[pos : pos + 1] == b"#":
        count_fmt = _UBJ_INT.get(raw[pos + 1 : pos + 2])
        if count_fmt is None:
            return None
        pos += 2 + struct.calcsize(count_fmt)
    parts = []
    for _ in range(3):
        marker = typed or raw[pos : pos + 1]
        if typed is None:
            pos += 1
        fmt = _UBJ_INT.get(marker)
        if fmt is None:
            return None
        size = struct.calcsize(fmt)
        (value,) = struct.unpack(fmt, raw[pos : pos + size])
        parts.append(str(value))
        pos += size
    return ".".join(parts)


def explain_failure(path: Path, error: BaseException) -> str:
    """A short reason for a failed unpickle, naming library versions when they explain it."""
    detail = f"{type(error).__name__}: {first_line(str(error))}"
    facts = read_facts(path)
    missing = getattr(error, "name", None) if isinstance(error, ModuleNotFoundError) else None
    suspects: list[str] = []
    if missing:
        suspects.append(missing.split(".")[0])
    if missing or _VERSION_WORDS.search(str(error)) or isinstance(error, (AttributeError, ImportError)):
        suspects += [module.split(".")[0] for module in facts.modules]
    for top in dict.fromkeys(suspects):
        distribution = _DISTRIBUTIONS.get(top)
        if distribution is None:
            continue
        installed = installed_version(distribution)
        needed = facts.versions.get(distribution)
        if needed and needed != installed:
            return (
                f"pickle was written with {distribution} {needed} but installed {distribution} "
                f"is {installed or 'missing'} ({detail})"
            )
        if missing and missing.split(".")[0] == top:
            return (
                f"pickle needs module '{missing}', which installed {distribution} "
                f"{installed or '(none)'} does not have ({detail})"
            )
    if missing:
        return f"pickle needs module '{missing}', which is not installed ({detail})"
    return detail


def first_line(text: str) -> str:
    """XGBoost errors carry a C++ stack trace after the first line; keep messages short."""
    line = text.strip().split("\n", 1)[0]
    return line[:500]
