"""Logs kept under their size cap: the newer half stays, from a whole line, behind a note."""

from __future__ import annotations

import os
from pathlib import Path

from modelport.core.logfiles import shorten, shorten_fd


def write_lines(path: Path, count: int) -> bytes:
    content = b"".join(f"line {n:05d}\n".encode() for n in range(count))
    path.write_bytes(content)
    return content


def test_a_log_over_its_cap_keeps_its_newer_half_from_a_whole_line(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    content = write_lines(log, 100)  # 1,100 bytes
    assert shorten(log, 400)
    text = log.read_bytes()
    note, kept = text.split(b"\n", 1)
    assert kept == content[-len(kept) :]
    assert kept.startswith(b"line ") and 0 < len(kept) <= 200
    assert (
        note
        == f"[modelport] log shortened: the oldest {len(content) - len(kept)} bytes were dropped".encode()
    )
    assert b"line 00099\n" in kept and b"line 00000" not in text


def test_a_log_at_or_under_its_cap_is_left_alone(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    content = write_lines(log, 10)
    assert not shorten(log, len(content))
    assert not shorten(log, 0)  # 0: no cap
    assert log.read_bytes() == content


def test_a_missing_log_is_no_error(tmp_path: Path) -> None:
    assert not shorten(tmp_path / "never-written.log", 10)


def test_a_writer_appending_after_the_cut_lands_after_the_kept_part(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write_lines(log, 100)
    writer = os.open(log, os.O_WRONLY | os.O_APPEND)  # as a worker's stdout ("ab")
    try:
        assert shorten(log, 400)
        os.write(writer, b"after the cut\n")
    finally:
        os.close(writer)
    text = log.read_bytes()
    assert text.startswith(b"[modelport] log shortened")
    assert text.endswith(b"line 00099\nafter the cut\n")


def test_the_descriptor_form_cuts_through_its_own_descriptor(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    write_lines(log, 100)
    fd = os.open(log, os.O_RDWR | os.O_APPEND)  # as a function environment's log
    try:
        assert shorten_fd(fd, 400)
        assert not shorten_fd(fd, 400)
        os.write(fd, b"next\n")
    finally:
        os.close(fd)
    assert log.read_bytes().endswith(b"line 00099\nnext\n")
