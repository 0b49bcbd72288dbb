"""``modelport logs NAME [-f]``: the instance logs the server writes, read from its data folder.

The server writes each instance's stdout and stderr to
``<data_dir>/logs/<endpoint name, lowercased>/<variant>-<index>.log``. This command reads those
files directly (no server needed), prefixing each line with ``<variant>-<index> |``; ``-f``
keeps reading as they grow, and picks up instances that start later, until Ctrl-C.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from modelport.cli.client import F, data_dir_option, resolve_data_dir
from modelport.cli.failures import CommandFailed

POLL_S = 0.25


def log_folder(data_dir: Path, endpoint_name: str) -> Path:
    return data_dir / "logs" / endpoint_name.lower()


def last_lines(text: str, count: int | None) -> list[str]:
    lines = text.splitlines()
    return lines if count is None else lines[-count:] if count > 0 else []


class _Follower:
    """Reads whole new lines from every ``*.log`` file in a folder, remembering offsets."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.offsets: dict[Path, int] = {}
        self.partial: dict[Path, bytes] = {}

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.log"))

    def new_lines(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for path in self.files():
            offset = self.offsets.get(path, 0)
            size = path.stat().st_size
            if size < offset:  # truncated or replaced: start over
                offset = 0
                self.partial.pop(path, None)
            if size == offset:
                continue
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = self.partial.pop(path, b"") + handle.read(size - offset)
            self.offsets[path] = size
            *complete, rest = chunk.split(b"\n")
            if rest:
                self.partial[path] = rest
            found.extend((path.stem, line.decode("utf-8", errors="replace")) for line in complete)
        return found


def log_options(command: F) -> F:
    """``--follow``, ``--tail`` and ``--data-dir``: what every log command takes."""
    command = data_dir_option(command)
    command = click.option(
        "--tail", "-n", type=click.IntRange(min=0), default=None, help="Only the last N lines of each log."
    )(command)
    return click.option(
        "--follow", "-f", is_flag=True, help="Keep printing new lines as they are written (Ctrl-C stops)."
    )(command)


@click.command()
@click.argument("name")
@log_options
def logs(name: str, follow: bool, tail: int | None, data_dir: Path | None) -> None:
    """Print the instance logs of endpoint NAME from the server's data folder.

    Reads <data-dir>/logs/<name>/*.log; give --data-dir (or MODELPORT_DATA_DIR) when the server
    was started with another folder than ~/.modelport.
    """
    folder = log_folder(resolve_data_dir(data_dir), name)
    if not folder.is_dir():
        raise CommandFailed(
            f"no logs for endpoint {name}: {folder} does not exist "
            "(is the endpoint deployed, and is --data-dir the server's data folder?)"
        )
    print_logs(folder, follow=follow, tail=tail)


def print_logs(folder: Path, *, follow: bool, tail: int | None) -> None:
    """Print the last lines of every ``*.log`` in ``folder``, each prefixed with its file's stem;
    with ``follow``, keep printing new lines (and new files) until Ctrl-C."""
    follower = _Follower(folder)
    for path in follower.files():
        data = path.read_bytes()
        follower.offsets[path] = len(data)
        if follow and not data.endswith(b"\n"):
            # A line being written: -f prints it whole once its newline arrives.
            data, _, follower.partial[path] = data.rpartition(b"\n")
        for line in last_lines(data.decode("utf-8", errors="replace"), tail):
            _emit(path.stem, line)
    if not follow:
        return
    try:
        while True:
            for source, line in follower.new_lines():
                _emit(source, line)
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        return  # Ctrl-C is how -f ends


def _emit(instance: str, line: str) -> None:
    sys.stdout.write(f"{instance} | {line}\n")
    sys.stdout.flush()
