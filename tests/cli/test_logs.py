"""``modelport logs`` reads the server's per-instance log files; no server is needed.

Commands are invoked through the ``cli`` group, as users do: invoking a bare command makes click
cache a help option without the group's ``-h``, which would leak into docs/cli.md's test."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from modelport.cli.failures import CommandFailed
from modelport.cli.logs import _Follower, last_lines, log_folder
from modelport.cli.main import cli


def write_logs(data_dir: Path, endpoint: str, files: dict[str, str]) -> Path:
    folder = log_folder(data_dir, endpoint)
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_prints_every_instance_with_a_prefix(tmp_path: Path) -> None:
    write_logs(tmp_path, "Iris", {"AllTraffic-0.log": "a\nb\n", "AllTraffic-1.log": "c\n"})
    result = CliRunner().invoke(cli, ["logs", "Iris", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output == "AllTraffic-0 | a\nAllTraffic-0 | b\nAllTraffic-1 | c\n"


def test_tail(tmp_path: Path) -> None:
    write_logs(tmp_path, "iris", {"AllTraffic-0.log": "1\n2\n3\n"})
    result = CliRunner().invoke(cli, ["logs", "iris", "-n", "1", "--data-dir", str(tmp_path)])
    assert result.output == "AllTraffic-0 | 3\n"
    assert last_lines("1\n2\n", 0) == []


def test_missing_folder_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["logs", "ghost", "--data-dir", str(tmp_path)])
    assert isinstance(result.exception, CommandFailed)
    assert "no logs for endpoint ghost" in str(result.exception)
    assert str(tmp_path / "logs" / "ghost") in str(result.exception)


def test_data_dir_from_environment(tmp_path: Path) -> None:
    write_logs(tmp_path, "iris", {"AllTraffic-0.log": "x\n"})
    result = CliRunner().invoke(cli, ["logs", "iris"], env={"MODELPORT_DATA_DIR": str(tmp_path)})
    assert result.output == "AllTraffic-0 | x\n"


def test_follower_reads_whole_new_lines_and_new_files(tmp_path: Path) -> None:
    folder = write_logs(tmp_path, "iris", {"AllTraffic-0.log": "old\n"})
    follower = _Follower(folder)
    follower.offsets[folder / "AllTraffic-0.log"] = 4
    assert follower.new_lines() == []
    with open(folder / "AllTraffic-0.log", "a") as handle:
        handle.write("new\npart")
    assert follower.new_lines() == [("AllTraffic-0", "new")]
    with open(folder / "AllTraffic-0.log", "a") as handle:
        handle.write("ial\n")
    (folder / "AllTraffic-1.log").write_text("second instance\n")
    assert follower.new_lines() == [("AllTraffic-0", "partial"), ("AllTraffic-1", "second instance")]


def test_follower_starts_over_after_truncation(tmp_path: Path) -> None:
    folder = write_logs(tmp_path, "iris", {"AllTraffic-0.log": "a long first line\n"})
    follower = _Follower(folder)
    assert follower.new_lines() == [("AllTraffic-0", "a long first line")]
    (folder / "AllTraffic-0.log").write_text("b\n")
    assert follower.new_lines() == [("AllTraffic-0", "b")]
