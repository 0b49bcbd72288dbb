"""Deployment packages: unpack a function's zip safely, and check its ``Handler``.

Nothing in a zip is trusted, and ``ZipFile.extractall`` is not used: every member is checked
and written here, with the per-member rules ``modelport.core.staging`` shares with model tarballs.

- names must be relative and free of ``..`` (``\\`` counts as a separator, so a zip made on
  Windows cannot escape either) and of NUL bytes;
- symlinks (``S_IFLNK`` in the member's Unix mode) and other non-regular files are refused;
  encrypted members are refused;
- the member count and the unpacked size are counted while writing, so a bomb, or a member
  whose header lies about its size, is stopped at the cap (250 MB, Lambda's unzipped limit),
  not after it fills the disk;
- as for model archives, the compression ratio is checked past a floor (a bomb stops at 64 MiB
  unpacked) and the disk keeps a minimum free, before (counting the sizes the zip declares) and
  while unpacking (``Limits.max_unpack_ratio``, ``unpack_ratio_floor_bytes``,
  ``min_free_disk_bytes``);
- modes are normalised: 0755 when the zip says the owner may execute, otherwise 0644.

The zip is unpacked into a hidden folder next to the destination and renamed into place when
complete, so a crash never leaves a half-unpacked function that looks whole.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from modelport.core.staging import (
    GuardLimits,
    LowDisk,
    OverBudget,
    TooCompressed,
    UnpackGuard,
    UnsafeMember,
    copy_capped,
    make_dirs,
    member_path,
    staged_folder,
)
from modelport.sandboxes.lambda_.errors import UNZIP_FAILED, InvalidHandler, InvalidZip
from modelport.sandboxes.lambda_.handler import MalformedHandler, parse_handler

_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class ZipLimits:
    """Lambda: 250 MB unzipped (262,144,000 bytes). The member cap and the guards are ours,
    with ``config.Limits``' defaults (the server passes its settings)."""

    max_unzipped_bytes: int = 262_144_000
    max_members: int = 20_000
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 64 * 1024**2
    min_free_bytes: int = 1024**3


def extract_zip(data: bytes, dest: Path, limits: ZipLimits | None = None) -> Path:
    """Unpack the zip ``data`` into the new folder ``dest`` (which must not exist); return it.

    Raises ``InvalidZip`` naming the member and the rule it breaks; ``dest`` is then absent and
    no partial folder remains.
    """
    limits = limits or ZipLimits()
    if dest.exists():
        raise FileExistsError(f'Cannot unpack function code into "{dest}": it already exists.')
    with staged_folder(dest) as staging:
        _unpack(data, staging, limits)
    return dest


def handler_location(handler: str, code_dir: Path) -> tuple[str, str]:
    """Check ``Handler`` and return ``(module, function)``, e.g. ``("pkg.mod", "handler")``.

    Like Lambda, the module need not exist yet: a missing file is reported at invoke time as
    ``Runtime.ImportModuleError``. ``code_dir`` only anchors the check that the module path
    stays inside the code folder.
    """
    try:
        module, function = parse_handler(handler)
    except MalformedHandler as exc:
        raise InvalidHandler(str(exc)) from exc
    target = code_dir.joinpath(*module.split("."))
    if os.path.commonpath([code_dir, os.path.normpath(target)]) != str(code_dir):
        raise InvalidHandler(f"Bad handler '{handler}': the module must be inside the code folder")
    return module, function


def safe_member_path(name: str) -> PurePosixPath:
    """Check a member name and return it as a relative path, or raise ``InvalidZip``."""
    try:
        return member_path(name, escapes="the path escapes the code folder", backslash_separates=True)
    except UnsafeMember as exc:
        raise _refused(name, str(exc)) from None


class _CountingBytes(io.BytesIO):
    """The zip in memory, counting the bytes ``zipfile`` reads (the packed bytes consumed)."""

    count = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.count += len(data)
        return data


def _unpack(data: bytes, root: Path, limits: ZipLimits) -> None:
    packed = _CountingBytes(data)
    guard = UnpackGuard(
        GuardLimits(
            limits.max_unzipped_bytes, limits.max_ratio, limits.ratio_floor_bytes, limits.min_free_bytes
        ),
        lambda: packed.count,
        root,
    )
    try:
        with zipfile.ZipFile(packed) as archive:
            members = archive.infolist()
            if not members:
                raise InvalidZip(f"{UNZIP_FAILED} The zip file is empty.")
            if len(members) > limits.max_members:
                raise InvalidZip(f"{UNZIP_FAILED} The zip file has more than {limits.max_members} members.")
            declared = sum(m.file_size for m in members if not m.is_dir())
            guard.check_disk(min(declared, limits.max_unzipped_bytes))
            for member in members:
                _unpack_member(archive, member, root, guard, limits)
    except TooCompressed as exc:
        raise InvalidZip(f"{UNZIP_FAILED} The zip file is refused: {exc}.") from None
    except LowDisk as exc:
        raise InvalidZip(f"{UNZIP_FAILED} Cannot unzip it here: {exc}") from None
    except InvalidZip:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as exc:
        detail = (str(exc) or type(exc).__name__)[:300]
        raise InvalidZip(f"{UNZIP_FAILED} The file is corrupt or not a zip file: {detail}") from exc


def _unpack_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path, guard: UnpackGuard, limits: ZipLimits
) -> None:
    """Write one member under ``root``, counted by ``guard``."""
    name = member.filename
    relative = safe_member_path(name)
    unix_mode = member.external_attr >> 16
    if stat.S_ISLNK(unix_mode):
        raise _refused(name, "symbolic links are not allowed")
    if stat.S_IFMT(unix_mode) and not (stat.S_ISREG(unix_mode) or stat.S_ISDIR(unix_mode)):
        raise _refused(name, "only regular files and directories are allowed")
    if member.flag_bits & 0x1:
        raise _refused(name, "encrypted members are not allowed")
    target = root.joinpath(relative)
    if os.path.commonpath([root, os.path.normpath(target)]) != str(root):
        raise _refused(name, "the path escapes the code folder")  # pragma: no cover - belt and braces
    if member.is_dir():
        _make_dirs(name, target)
        return
    if relative == PurePosixPath("."):
        raise _refused(name, "a file cannot replace the code folder itself")
    if guard.unpacked + member.file_size > limits.max_unzipped_bytes:
        raise _too_big(name, limits)
    _make_dirs(name, target.parent)
    mode = 0o755 if unix_mode & 0o100 else 0o644
    source = archive.open(member)  # before the file exists: copy_capped closes both
    try:
        fd = os.open(target, _FILE_FLAGS, mode)
    except FileExistsError as exc:
        raise _refused(name, "the zip holds this path twice") from exc
    except IsADirectoryError as exc:  # pragma: no cover - O_EXCL reports FileExistsError first
        raise _refused(name, "a file cannot replace a directory") from exc
    try:
        copy_capped(source, fd, guard)
    except OverBudget:
        raise _too_big(name, limits) from None
    os.chmod(target, mode)  # O_CREAT's mode is masked by the umask


def _make_dirs(name: str, path: Path) -> None:
    try:
        make_dirs(path)
    except UnsafeMember as exc:
        raise _refused(name, str(exc)) from exc


def _refused(name: str, rule: str) -> InvalidZip:
    return InvalidZip(f'{UNZIP_FAILED} Refused member "{name}": {rule}.')


def _too_big(name: str, limits: ZipLimits) -> InvalidZip:
    return InvalidZip(
        f"Unzipped size must be smaller than {limits.max_unzipped_bytes} bytes "
        f'(passed while unpacking member "{name}").'
    )
