"""Safe unpacking of model archives (tar, tar.gz, tar.bz2, tar.xz) into a model folder.

Nothing in an archive is trusted. ``tarfile``'s own extraction (and its data filter) is not used:
every member is checked here and written by this module, so the rules are in one place:

- a member name must be relative and free of ``..`` components: nothing lands outside the folder;
- only regular files and directories are unpacked. Links of either kind are refused, as are
  devices, FIFOs and anything else: model archives rarely need links, and every allowed link is
  a path a later member could write through. (Archive a Hugging Face style snapshot with
  ``tar --dereference``.) Files are opened with ``O_NOFOLLOW`` as a second line of defence;
- the member count and the total unpacked size are counted as the archive is read, so a gzip bomb
  is stopped when the count passes ``Limits.max_archive_bytes``, not after it is written;
- past ``Limits.unpack_ratio_floor_bytes`` unpacked, the unpacked size may be at most
  ``Limits.max_unpack_ratio`` times the packed bytes read so far: a bomb (zeros pack 1,000:1)
  is stopped after the floor (64 MiB), whatever its size; real weights pack about 1.1:1;
- the disk keeps ``Limits.min_free_disk_bytes`` free: checked before unpacking and before every
  chunk written;
- modes are normalised (0644, or 0755 when the owner could execute); setuid, setgid and sticky
  bits and owners are never restored.

Unpacking happens in a hidden folder next to the destination which is renamed into place only when
complete, so a crash never leaves a half-unpacked model that looks whole.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from modelport.core.config import Limits
from modelport.core.errors import ArtifactError
from modelport.core.staging import (
    CountingReader,
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

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def is_archive_name(name: str) -> bool:
    """True when ``name`` ends in a tar suffix; such model data is unpacked, anything else is not."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def safe_relative_path(name: str) -> PurePosixPath:
    """Check an archive member name (or S3 key below a prefix) and return it as a relative path.

    Raises ``ArtifactError`` naming the member and the rule it breaks.
    """
    try:
        return member_path(name, escapes="path escapes the model folder")
    except UnsafeMember as exc:
        raise _refused(name, str(exc)) from None


def extract_archive(archive: Path, dest: Path, limits: Limits) -> Path:
    """Unpack ``archive`` into the new folder ``dest`` (which must not exist) and return ``dest``.

    Raises ``ArtifactError`` for an unsafe, oversized, corrupt or empty archive; ``dest`` is then
    left absent and no partial folder remains.
    """
    if dest.exists():
        raise ArtifactError(f'Cannot unpack model data into "{dest}": it already exists.')
    with staged_folder(dest) as staging:
        _unpack(archive, staging, limits)
    return dest


def guard_limits(limits: Limits, max_bytes: int) -> GuardLimits:
    return GuardLimits(
        max_bytes=max_bytes,
        max_ratio=limits.max_unpack_ratio,
        ratio_floor_bytes=limits.unpack_ratio_floor_bytes,
        min_free_bytes=limits.min_free_disk_bytes,
    )


def _unpack(archive: Path, root: Path, limits: Limits) -> None:
    label = archive.name
    try:
        with archive.open("rb") as raw:
            packed = CountingReader(raw)
            guard = UnpackGuard(guard_limits(limits, limits.max_archive_bytes), lambda: packed.count, root)
            guard.check_disk()
            # Stream mode ("r|*") reads the archive once, front to back, and never seeks: the
            # counts below see every member as it arrives.
            with tarfile.open(fileobj=packed, mode="r|*") as tar:  # type: ignore[call-overload]
                members = 0
                for member in tar:
                    members += 1
                    if members > limits.max_archive_members:
                        raise _refused(
                            member.name,
                            f"the archive has more than {limits.max_archive_members} members",
                        )
                    _unpack_member(tar, member, root, guard, limits)
    except TooCompressed as exc:
        raise ArtifactError(f'Model archive "{label}" is refused: {exc}.') from None
    except LowDisk as exc:
        raise ArtifactError(f'Cannot unpack model archive "{label}": {exc}') from None
    except ArtifactError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        raise ArtifactError(
            f'Model archive "{label}" is corrupt, truncated or not a tar archive: {_describe(exc)}'
        ) from exc
    if members == 0:
        raise ArtifactError(f'Model archive "{label}" is empty: it holds no files.')


def _unpack_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path, guard: UnpackGuard, limits: Limits
) -> None:
    """Write one member under ``root``, counted by ``guard``."""
    name = member.name
    relative = safe_relative_path(name)
    if member.issym() or member.islnk():
        raise _refused(name, f'links are not allowed (it points to "{member.linkname}")')
    if member.ischr() or member.isblk():
        raise _refused(name, "device files are not allowed")
    if member.isfifo():
        raise _refused(name, "FIFOs are not allowed")
    if not (member.isreg() or member.isdir()):
        raise _refused(name, "only regular files and directories are allowed")
    target = root.joinpath(relative)
    # Belt and braces: the name checks above already guarantee this.
    if os.path.commonpath([root, os.path.normpath(target)]) != str(root):
        raise _refused(name, "path escapes the model folder")
    if member.isdir():
        _make_dirs(name, target)
        return
    if relative == PurePosixPath("."):
        raise _refused(name, "a file cannot replace the model folder itself")
    if guard.unpacked + member.size > limits.max_archive_bytes:
        raise _refused(name, f"unpacked size would pass the limit of {limits.max_archive_bytes} bytes")
    _make_dirs(name, target.parent)
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - isreg() members always have data
        raise _refused(name, "it has no data")
    mode = 0o755 if member.mode & 0o100 else 0o644
    if target.is_dir() and not target.is_symlink():
        raise _refused(name, "a file cannot replace a directory")
    fd = os.open(target, _FILE_FLAGS, mode)
    try:
        written = copy_capped(source, fd, guard)
    except OverBudget:
        raise _refused(name, f"unpacked size passed the limit of {limits.max_archive_bytes} bytes") from None
    if written != member.size:
        raise ArtifactError(f'Model archive member "{name}" is truncated.')
    os.chmod(target, mode)  # O_CREAT's mode is masked by umask and ignored for existing files


def _make_dirs(name: str, path: Path) -> None:
    try:
        make_dirs(path)
    except UnsafeMember as exc:
        raise _refused(name, str(exc)) from exc


def _refused(name: str, rule: str) -> ArtifactError:
    return ArtifactError(f'Refused archive member "{name}": {rule}.')


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]
