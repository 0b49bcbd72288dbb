"""Which framework a model file, folder or ``model.tar.gz`` needs — without unpickling anything.

Evidence, strongest first:

1. ``code/inference.py`` → scikit-learn script mode (the user's hooks serve the model);
2. names the XGBoost container loads natively: ``xgboost-model``, ``*.json``, ``*.ubj``,
   ``*.model``, ``*.bst`` → xgboost;
3. pickles and joblib files: the opcodes are scanned with ``pickletools.genops`` (a reader that
   never executes anything) for the modules they import; the first of ``xgboost.*`` or
   ``sklearn.*`` is the outermost object's class and decides. Uncompressed joblib files hold raw
   array bytes after the first array, where the opcode stream stops making sense; the class
   references come before them, so reading stops quietly there. Compressed joblib files
   (zlib, gzip, bz2, lzma) are decompressed in memory up to a bound.

Archives are listed, never extracted: a member is read into memory only to scan its opcodes.
"""

from __future__ import annotations

import bz2
import io
import lzma
import pickletools
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from modelport.cli.failures import CommandFailed, UnknownFramework

FRAMEWORKS = ("xgboost", "sklearn")
IMAGES = {"xgboost": "xgboost:1.7-1", "sklearn": "sklearn:1.2-1"}

XGBOOST_NATIVE_SUFFIXES = (".json", ".ubj", ".model", ".bst")
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")

# Class references sit at the start of a pickle; a bounded read keeps huge models cheap.
SCAN_BYTES = 8 * 1024 * 1024

_PICKLE_PROTOCOL_MARK = b"\x80"
_STRING_OPS = {
    "SHORT_BINUNICODE",
    "BINUNICODE",
    "BINUNICODE8",
    "UNICODE",
    "SHORT_BINSTRING",
    "BINSTRING",
    "STRING",
}
_PUT_OPS = {"PUT", "BINPUT", "LONG_BINPUT"}
_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}


@dataclass(frozen=True)
class Detection:
    framework: str  # "xgboost" | "sklearn"
    reason: str  # shown to the user: "code/inference.py (script mode)", "pickle of xgboost.sklearn"

    @property
    def image(self) -> str:
        return IMAGES[self.framework]


@dataclass(frozen=True)
class _Entry:
    """One file of the model: its path inside the model folder and a bounded reader."""

    name: str
    read_head: Callable[[], bytes]


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def detect_framework(path: Path) -> Detection:
    """Detect the framework of ``path``, or raise UnknownFramework asking for ``--framework``."""
    if not path.exists():
        raise CommandFailed(f"{path} does not exist")
    if is_archive(path):
        detection = _decide(list(_archive_entries(path)))
    elif path.is_dir():
        detection = _decide(list(_folder_entries(path)))
    else:
        detection = _decide([_file_entry(path, path.name)])
    if detection is None:
        raise UnknownFramework(
            f"cannot tell which framework {path} needs; pass --framework xgboost or --framework sklearn"
        )
    return detection


def modules_in_pickle(data: bytes) -> list[str]:
    """Modules a pickle imports, in stream order, read from its opcodes without executing it."""
    modules: list[str] = []
    memo: dict[int, str] = {}
    strings: list[str] = []  # the last string values pushed, for STACK_GLOBAL
    try:
        for opcode, argument, _ in pickletools.genops(io.BytesIO(data)):
            name = opcode.name
            if name in _STRING_OPS:
                value = argument.decode("latin-1") if isinstance(argument, bytes) else str(argument)
                strings = [*strings[-1:], value]
            elif name == "MEMOIZE" and strings:
                memo[len(memo)] = strings[-1]
            elif name in _PUT_OPS and strings and isinstance(argument, int):
                memo[argument] = strings[-1]
            elif name in _GET_OPS and isinstance(argument, int):
                strings = [*strings[-1:], memo.get(argument, "")]
            elif name == "GLOBAL" and isinstance(argument, str):
                modules.append(argument.split(" ", 1)[0])
            elif name == "STACK_GLOBAL" and len(strings) == 2:
                modules.append(strings[0])
            elif name == "STOP":
                break
    except Exception:
        # The end of the bounded read, or joblib's raw array bytes: what came before stands.
        pass
    return modules


def framework_of_modules(modules: list[str]) -> str | None:
    for module in modules:
        top = module.split(".", 1)[0]
        if top in FRAMEWORKS:
            return top
    return None


def pickle_head(head: bytes) -> bytes | None:
    """The start of the pickle stream in ``head``, decompressing joblib's formats; None if none."""
    if head.startswith(_PICKLE_PROTOCOL_MARK):
        return head
    for decompress in (_zlib_head, _bz2_head, _lzma_head):
        try:
            data = decompress(head)
        except Exception:
            continue
        if data.startswith(_PICKLE_PROTOCOL_MARK):
            return data
    return None


def _decide(entries: list[_Entry]) -> Detection | None:
    names = [PurePosixPath(entry.name) for entry in entries]
    for path in names:
        if path.parts[-2:] == ("code", "inference.py"):
            return Detection("sklearn", f"{path} (script mode)")
    for path in names:
        if path.name == "xgboost-model" or path.suffix.lower() in XGBOOST_NATIVE_SUFFIXES:
            return Detection("xgboost", f"{path} (XGBoost model file name)")
    pickles = [e for e in entries if PurePosixPath(e.name).suffix.lower() in PICKLE_SUFFIXES]
    if not pickles and len(entries) == 1:
        pickles = entries  # a lone file of any name may still be a pickle
    for entry in pickles:
        data = pickle_head(entry.read_head())
        if data is None:
            continue
        modules = modules_in_pickle(data)
        framework = framework_of_modules(modules)
        if framework is not None:
            module = next(m for m in modules if m.split(".", 1)[0] == framework)
            return Detection(framework, f"{entry.name} (pickle of {module})")
    return None


def _file_entry(path: Path, name: str) -> _Entry:
    def read_head() -> bytes:
        with open(path, "rb") as handle:
            return handle.read(SCAN_BYTES)

    return _Entry(name, read_head)


def _folder_entries(folder: Path) -> Iterator[_Entry]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield _file_entry(path, path.relative_to(folder).as_posix())


def _archive_entries(archive: Path) -> Iterator[_Entry]:
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise CommandFailed(f"{archive} is not a readable tar.gz archive: {error}") from error
    for member in members:
        yield _Entry(_member_name(member.name), _member_reader(archive, member.name))


def _member_name(name: str) -> str:
    parts = [p for p in PurePosixPath(name).parts if p not in (".", "/")]
    return "/".join(parts)


def _member_reader(archive: Path, name: str) -> Callable[[], bytes]:
    def read_head() -> bytes:
        with tarfile.open(archive, "r:*") as tar:
            handle = tar.extractfile(name)
            return handle.read(SCAN_BYTES) if handle is not None else b""

    return read_head


def _zlib_head(head: bytes) -> bytes:
    # wbits=47: zlib or gzip header, detected automatically.
    return zlib.decompressobj(wbits=47).decompress(head, SCAN_BYTES)


def _bz2_head(head: bytes) -> bytes:
    return bz2.BZ2Decompressor().decompress(head, SCAN_BYTES)


def _lzma_head(head: bytes) -> bytes:
    return lzma.LZMADecompressor().decompress(head, SCAN_BYTES)
