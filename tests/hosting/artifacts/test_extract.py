"""Safe unpacking: a corpus of malicious archives, each refused without writing outside the folder."""

from __future__ import annotations

import functools
import gzip
import io
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from modelport.core.config import Limits
from modelport.core.errors import ArtifactError
from modelport.hosting.artifacts.extract import extract_archive, is_archive_name, safe_relative_path
from support.bombs import write_zero_bomb

from .archives import file_member, make_tar, special_member

SMALL = Limits(max_archive_bytes=1024 * 1024, max_archive_members=50)


def _setup(tmp_path: Path, data: bytes, name: str = "model.tar.gz") -> tuple[Path, Path, Path]:
    """An archive in ``work/``, destination ``work/out/model``; ``work`` is the folder to watch."""
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    archive = work / name
    archive.write_bytes(data)
    return work, archive, work / "out" / "model"


def _tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def _many(count: int) -> bytes:
    return make_tar([file_member(f"f{i}", b"x") for i in range(count)])


@functools.cache
def _bomb() -> bytes:
    # 32 MiB of zeros: a few hundred KiB compressed, 32 times SMALL's cap.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("bomb.bin")
        info.size = 32 * 1024 * 1024
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    return buffer.getvalue()


GOOD = make_tar([file_member("ok.txt", b"fine")])

MALICIOUS = {
    "traversal": (make_tar([file_member("../x", b"evil")]), '"../x": path escapes'),
    "absolute": (make_tar([file_member("/etc/x", b"evil")]), '"/etc/x": absolute paths'),
    "nested-traversal": (make_tar([file_member("a/../../x", b"evil")]), '"a/../../x": path escapes'),
    "symlink-out": (make_tar([special_member("link", tarfile.SYMTYPE, "../../outside")]), "links"),
    "symlink-absolute": (make_tar([special_member("link", tarfile.SYMTYPE, "/etc/passwd")]), "links"),
    "symlink-then-write": (
        make_tar([special_member("d", tarfile.SYMTYPE, ".."), file_member("d/x", b"evil")]),
        '"d": links are not allowed',
    ),
    "hardlink-out": (make_tar([special_member("hard", tarfile.LNKTYPE, "../../etc/passwd")]), "links"),
    "char-device": (make_tar([special_member("tty", tarfile.CHRTYPE)]), '"tty": device files'),
    "block-device": (make_tar([special_member("sda", tarfile.BLKTYPE)]), '"sda": device files'),
    "fifo": (make_tar([special_member("pipe", tarfile.FIFOTYPE)]), '"pipe": FIFOs'),
    "over-size-cap": (
        make_tar([file_member("big.bin", bytes(SMALL.max_archive_bytes + 1))]),
        '"big.bin": unpacked size would pass the limit',
    ),
    "sum-over-size-cap": (
        make_tar([file_member(f"part{i}", bytes(400 * 1024)) for i in range(3)]),
        '"part2": unpacked size would pass',
    ),
    "too-many-members": (_many(SMALL.max_archive_members + 1), "more than 50 members"),
    "gzip-bomb": (_bomb(), '"bomb.bin": unpacked size would pass the limit'),
    "truncated-gzip": (GOOD[: len(GOOD) // 2], "corrupt, truncated or not a tar archive"),
    "not-a-tar": (b"this is not an archive at all\n" * 40, "corrupt, truncated or not a tar"),
    "gzip-of-not-a-tar": (gzip.compress(b"just text\n" * 100), "corrupt, truncated or not a tar"),
    "zero-bytes": (b"", "corrupt, truncated or not a tar"),
    "empty-archive": (make_tar([]), "is empty"),
    "file-over-dir": (
        make_tar([file_member("a", b"1"), file_member("a/b", b"2")]),
        '"a/b": a path component is a file',
    ),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_refused_and_nothing_written(tmp_path: Path, case: str) -> None:
    data, message = MALICIOUS[case]
    _work, archive, dest = _setup(tmp_path, data)
    before = _tree(tmp_path)
    with pytest.raises(ArtifactError) as caught:
        extract_archive(archive, dest, SMALL)
    assert message in caught.value.message
    assert _tree(tmp_path) == before  # no partial folder, nothing escaped
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def test_gzip_bomb_is_stopped_before_writing(tmp_path: Path) -> None:
    """The cap is checked against the member header, so not one byte of the bomb is decompressed
    to disk; the archive is read in one pass and the refusal is quick."""
    work, archive, dest = _setup(tmp_path, _bomb())
    with pytest.raises(ArtifactError, match=r"bomb\.bin"):
        extract_archive(archive, dest, SMALL)
    assert _tree(work) == {"model.tar.gz", "out"}


def test_plain_tar_truncated_mid_member(tmp_path: Path) -> None:
    data = make_tar([file_member("weights.bin", os.urandom(50_000))], compression="")
    work, archive, dest = _setup(tmp_path, data[:20_000], name="model.tar")
    with pytest.raises(ArtifactError, match="truncated"):
        extract_archive(archive, dest, SMALL)
    assert _tree(work) == {"model.tar", "out"}


def test_good_archive(tmp_path: Path) -> None:
    data_dir = tarfile.TarInfo("emptydir")
    data_dir.type = tarfile.DIRTYPE
    data = make_tar(
        [
            file_member("xgboost-model", b"model-bytes"),
            file_member("code/inference.py", b"print(1)\n", mode=0o755),
            file_member("./nested/deep/dir/weights.bin", b"w" * 1000),
            file_member("setuid", b"x", mode=0o6755),
            (data_dir, None),
        ]
    )
    work, archive, dest = _setup(tmp_path, data)
    assert extract_archive(archive, dest, SMALL) == dest
    assert (dest / "xgboost-model").read_bytes() == b"model-bytes"
    assert (dest / "nested/deep/dir/weights.bin").stat().st_size == 1000
    assert (dest / "emptydir").is_dir()
    assert stat.S_IMODE((dest / "code/inference.py").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "xgboost-model").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "setuid").stat().st_mode) == 0o755  # setuid/setgid stripped
    assert _tree(work / "out") == {"model", *(f"model/{p}" for p in _tree(dest))}


@pytest.mark.parametrize("compression", ["", "gz", "bz2", "xz"])
def test_compressions(tmp_path: Path, compression: str) -> None:
    _work, archive, dest = _setup(tmp_path, make_tar([file_member("m", b"1")], compression))
    extract_archive(archive, dest, SMALL)
    assert (dest / "m").read_bytes() == b"1"


def test_destination_must_not_exist(tmp_path: Path) -> None:
    _work, archive, dest = _setup(tmp_path, GOOD)
    dest.mkdir()
    with pytest.raises(ArtifactError, match="already exists"):
        extract_archive(archive, dest, SMALL)


def test_exactly_at_limits_is_accepted(tmp_path: Path) -> None:
    limits = Limits(max_archive_bytes=10, max_archive_members=2)
    data = make_tar([file_member("a", b"12345"), file_member("b", b"67890")])
    _work, archive, dest = _setup(tmp_path, data)
    extract_archive(archive, dest, limits)
    assert sorted(p.name for p in dest.iterdir()) == ["a", "b"]


def test_names() -> None:
    assert is_archive_name("model.tar.gz") and is_archive_name("M.TGZ") and is_archive_name("a.tar")
    assert not is_archive_name("xgboost-model") and not is_archive_name("model.gz")
    assert str(safe_relative_path("./a//b/./c")) == "a/b/c"


# --- decompression bombs and free disk space -------------------------------------------------

MIB = 1024**2
RATIO = Limits(unpack_ratio_floor_bytes=1 * MIB, max_unpack_ratio=100)


def _zero_bomb(tmp_path: Path, size: int) -> tuple[Path, Path, Path]:
    work = tmp_path / "work"
    (work / "out").mkdir(parents=True)
    return work, write_zero_bomb(work / "model.tar.gz", size), work / "out" / "model"


def test_a_bomb_is_stopped_by_the_ratio_after_the_floor(tmp_path: Path) -> None:
    """16 MiB of zeros in a ~16 KiB archive: under the 8 GiB cap, but 1,000:1."""
    work, archive, dest = _zero_bomb(tmp_path, 16 * MIB)
    with pytest.raises(ArtifactError) as caught:
        extract_archive(archive, dest, RATIO)
    message = caught.value.message
    assert message.startswith('Model archive "model.tar.gz" is refused: it unpacks to more than 100 times')
    assert "decompression bomb" in message and "MODELPORT_MAX_UNPACK_RATIO" in message
    unpacked = int(message.split("(")[1].split(" bytes")[0])
    assert 1 * MIB < unpacked <= 2 * MIB  # stopped within a chunk of the floor
    assert _tree(work) == {"model.tar.gz", "out"}


def test_incompressible_data_past_the_floor_is_accepted(tmp_path: Path) -> None:
    weights = os.urandom(3 * MIB)  # as model weights: they barely compress
    _work, archive, dest = _setup(tmp_path, make_tar([file_member("model.safetensors", weights)], "gz"))
    extract_archive(archive, dest, RATIO)
    assert (dest / "model.safetensors").read_bytes() == weights


def test_ratio_zero_turns_the_guard_off(tmp_path: Path) -> None:
    _work, archive, dest = _zero_bomb(tmp_path, 4 * MIB)
    extract_archive(archive, dest, Limits(unpack_ratio_floor_bytes=MIB, max_unpack_ratio=0))
    assert (dest / "xgboost-model").stat().st_size == 4 * MIB


def test_too_little_free_disk_is_refused_before_unpacking(tmp_path: Path) -> None:
    _work, archive, dest = _setup(tmp_path, GOOD)
    limits = Limits(min_free_disk_bytes=shutil.disk_usage(tmp_path).free + 1024**4)
    with pytest.raises(ArtifactError) as caught:
        extract_archive(archive, dest, limits)
    message = caught.value.message
    assert message.startswith('Cannot unpack model archive "model.tar.gz": not enough free disk space: ')
    assert "must stay free (MODELPORT_MIN_FREE_DISK_BYTES)" in message and "still to write" not in message
    assert not dest.exists()


def test_the_disk_is_watched_while_unpacking(tmp_path: Path) -> None:
    """The free space passes the minimum part way: unpacking stops there and cleans up."""
    work, archive, dest = _zero_bomb(tmp_path, 256 * MIB)
    limits = Limits(max_unpack_ratio=0, min_free_disk_bytes=shutil.disk_usage(tmp_path).free - 32 * MIB)
    with pytest.raises(ArtifactError, match=r"not enough free disk space: .* and 1 MiB still to write"):
        extract_archive(archive, dest, limits)
    assert _tree(work) == {"model.tar.gz", "out"}
