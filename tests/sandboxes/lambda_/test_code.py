"""Deployment zips: a corpus of malicious or broken packages, each refused with nothing left behind."""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from modelport.core.errors import InvalidRequest
from modelport.sandboxes.lambda_.code import ZipLimits, extract_zip, handler_location
from modelport.sandboxes.lambda_.errors import InvalidHandler, InvalidZip


def make_zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_a_good_zip_unpacks_with_normalised_modes(tmp_path: Path) -> None:
    script = zipfile.ZipInfo("bin/tool.sh")
    script.external_attr = (stat.S_IFREG | 0o4775) << 16
    data = make_zip([("lambda_function.py", b"x = 1\n"), ("pkg/", b""), (script, b"#!/bin/sh\n")])
    dest = extract_zip(data, tmp_path / "code")
    assert (dest / "lambda_function.py").read_bytes() == b"x = 1\n"
    assert stat.S_IMODE((dest / "bin/tool.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "lambda_function.py").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["code"]


@pytest.mark.parametrize(
    ("member", "rule"),
    [
        ("../evil.py", "the path escapes the code folder"),
        ("pkg/../../evil.py", "the path escapes the code folder"),
        ("..\\evil.py", "the path escapes the code folder"),
        ("/etc/evil.py", "absolute paths are not allowed"),
        ("C:/evil.py", "absolute paths are not allowed"),
    ],
)
def test_paths_outside_the_folder_are_refused(tmp_path: Path, member: str, rule: str) -> None:
    with pytest.raises(InvalidZip) as caught:
        extract_zip(make_zip([("ok.py", b""), (member, b"pwned")]), tmp_path / "code")
    assert f'Refused member "{member}": {rule}.' in caught.value.message
    assert caught.value.message.startswith("Could not unzip uploaded file. Please check your file")
    assert isinstance(caught.value, InvalidRequest)
    assert list(tmp_path.iterdir()) == []


def test_symlinks_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidZip, match='Refused member "link": symbolic links are not allowed'):
        extract_zip(make_zip([(symlink_member("link"), b"/etc/passwd")]), tmp_path / "code")
    assert list(tmp_path.iterdir()) == []


def test_a_bomb_is_stopped_at_the_size_cap_while_writing(tmp_path: Path) -> None:
    bomb = make_zip([("zeros.bin", b"\0" * 5_000_000)])
    assert len(bomb) < 20_000
    with pytest.raises(InvalidZip, match=r'Unzipped size must be smaller than 1000000 bytes .*"zeros.bin"'):
        extract_zip(bomb, tmp_path / "code", ZipLimits(max_unzipped_bytes=1_000_000))
    assert list(tmp_path.iterdir()) == []


def test_a_header_that_lies_about_its_size_is_still_counted(tmp_path: Path) -> None:
    data = bytearray(make_zip([("zeros.bin", b"\0" * 2_000_000)]))
    # Rewrite the central directory's uncompressed size (offset 24 in the entry) to 10 bytes.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    with pytest.raises(InvalidZip):
        extract_zip(bytes(data), tmp_path / "code", ZipLimits(max_unzipped_bytes=1_000_000))
    assert list(tmp_path.iterdir()) == []


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    data = make_zip([(f"f{i}.py", b"") for i in range(5)])
    with pytest.raises(InvalidZip, match="more than 3 members"):
        extract_zip(data, tmp_path / "code", ZipLimits(max_members=3))


# Named ids: a zip's bytes hold the time it was made, and pytest-xdist refuses to run when its
# processes collect different test ids (one collected a second later than another).
@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", make_zip([("a.py", b"x" * 1000)])[:-40]],
    ids=["empty", "not a zip", "cut short"],
)
def test_corrupt_zips_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InvalidZip, match="Could not unzip uploaded file"):
        extract_zip(data, tmp_path / "code")
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_member_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_zip([("a.py", b"print('hello')\n" * 200)]))
    local_data = data.find(b"a.py") + 4
    data[local_data + 5 : local_data + 15] = b"\xff" * 10
    with pytest.raises(InvalidZip, match="corrupt or not a zip file"):
        extract_zip(bytes(data), tmp_path / "code")
    assert list(tmp_path.iterdir()) == []


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.py", b"1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.py", b"2")
    with pytest.raises(InvalidZip, match=r'"a\.py": the zip holds this path twice'):
        extract_zip(buffer.getvalue(), tmp_path / "code")


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("lambda_function.lambda_handler", ("lambda_function", "lambda_handler")),
        ("pkg/mod.handle", ("pkg.mod", "handle")),
        ("pkg.sub.mod.handle", ("pkg.sub.mod", "handle")),
    ],
)
def test_handler_location(tmp_path: Path, handler: str, expected: tuple[str, str]) -> None:
    assert handler_location(handler, tmp_path) == expected


@pytest.mark.parametrize(
    "handler", ["", "nodot", ".handler", "mod.", "/abs/mod.f", "../up.f", "a b.f", "mod.9f", "x" * 129 + ".f"]
)
def test_bad_handlers_are_refused(tmp_path: Path, handler: str) -> None:
    with pytest.raises(InvalidHandler, match="Bad handler"):
        handler_location(handler, tmp_path)


def test_a_bomb_is_stopped_by_the_ratio_after_the_floor(tmp_path: Path) -> None:
    """Under Lambda's 250 MB, but 1,000:1: refused once 1 MiB is unzipped, not at the cap."""
    bomb = make_zip([("zeros.bin", b"\0" * 8_000_000)])
    with pytest.raises(InvalidZip) as caught:
        extract_zip(bomb, tmp_path / "code", ZipLimits(ratio_floor_bytes=1024**2))
    message = str(caught.value)
    assert "The zip file is refused: it unpacks to more than 100 times its packed size" in message
    assert "decompression bomb" in message and "MODELPORT_MAX_UNPACK_RATIO" in message
    assert list(tmp_path.iterdir()) == []


def test_code_that_compresses_well_is_still_accepted(tmp_path: Path) -> None:
    source = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(20_000)).encode()
    extract_zip(make_zip([("big.py", source)]), tmp_path / "code", ZipLimits(ratio_floor_bytes=64 * 1024))
    assert (tmp_path / "code" / "big.py").read_bytes() == source


def test_too_little_disk_for_the_declared_sizes_is_refused_before_unzipping(tmp_path: Path) -> None:
    data = make_zip([("zeros.bin", b"\0" * 64 * 1024**2)])
    limits = ZipLimits(max_ratio=0, min_free_bytes=shutil.disk_usage(tmp_path).free - 1024**2)
    with pytest.raises(
        InvalidZip, match=r"Cannot unzip it here: not enough free disk space: .* and 64 MiB still"
    ):
        extract_zip(data, tmp_path / "code", limits)
    assert list(tmp_path.iterdir()) == []
