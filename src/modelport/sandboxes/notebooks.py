"""Notebook instances' JupyterLab servers: the one place their processes are started and stopped.

A running notebook instance is one ``python -m jupyterlab`` process (the optional extra
``modelport[notebook]``):

- bound to 127.0.0.1 on a free port, with token authentication (the token is random at every
  start and passed in ``JUPYTER_TOKEN``, so it is not in the process list);
- ``HOME`` and the server's root folder are the instance's home folder, kept across Stop/Start;
  Jupyter's own config, data and runtime folders sit beside it, with the ``conda_python3``
  kernelspec (this interpreter, started through ``sandboxes/notebook_kernel.py``) on its
  ``JUPYTER_PATH``; no update checks, no news feed, no browser;
- in its own process group with ``PR_SET_PDEATHSIG`` (set between fork and exec), so it dies with
  the server even on ``kill -9``; its kernels ask for the same (``notebook_kernel.py``). A clean
  stop sends SIGTERM to the group, then SIGKILL after ``stop_timeout_s``.

Lifecycle configuration scripts run here too (``run_script``): ``bash`` on the decoded script in
the home folder, with the kernels' environment, at most ``script_timeout_s`` (AWS: 5 minutes),
output appended to the instance's log. Transitions (start, stop, delete) run as tasks kept here,
one at a time per instance; ``settled`` waits for the current one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from modelport.sandboxes.embedded_s3 import free_ports

log = logging.getLogger("modelport.notebooks")

KERNEL_NAME = "conda_python3"  # the kernel the seed's notebooks ask for, as on a notebook instance
_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 2000


class NotebookStartFailed(Exception):
    """A lifecycle script or JupyterLab failed; ``reason`` is the instance's FailureReason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NotebookFolders:
    """Where one instance lives on disk: ``<root>/home`` survives Stop/Start, all of it goes on Delete."""

    root: Path
    log: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def jupyter(self) -> Path:
        return self.root / "jupyter"


@dataclass(frozen=True)
class RunningNotebook:
    port: int
    token: str
    process: asyncio.subprocess.Process

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def jupyter_available() -> bool:
    """Whether the ``notebook`` extra (JupyterLab, ipykernel) is installed in this interpreter."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("jupyterlab", "ipykernel"))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: a clean stop still stops it


class NotebookHost:
    """The JupyterLab servers that run, by instance name, and the transitions under way."""

    def __init__(self, *, startup_timeout_s: float, script_timeout_s: float, stop_timeout_s: float) -> None:
        self.startup_timeout_s = startup_timeout_s
        self.script_timeout_s = script_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self._running: dict[str, RunningNotebook] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Instance name -> (run number, name, log file, its size when its last run began). Kept
        # after a stop or a failed start, so that the last lines are read too; a new start replaces it.
        self._logs: dict[str, tuple[int, str, Path, int]] = {}
        self._runs = 0

    def log_files(self) -> list[tuple[int, str, Path, int]]:
        """(run number, instance name, log file, offset its last run began at) of each instance
        started since the server started: what CloudWatch Logs follows."""
        return list(self._logs.values())

    # --- transitions -------------------------------------------------------------------------

    def transition(self, name: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as this instance's current transition (callers refuse overlapping ones)."""
        task = asyncio.get_running_loop().create_task(work, name=f"notebook-{name}")
        self._tasks[name.lower()] = task
        task.add_done_callback(lambda done: self._forget(name.lower(), done))

    def busy(self, name: str) -> bool:
        return name.lower() in self._tasks

    async def settled(self, name: str, timeout_s: float) -> bool:
        """Wait for the instance's transition to end, at most ``timeout_s``; False if still running."""
        task = self._tasks.get(name.lower())
        if task is None:
            return True
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        return bool(done)

    def _forget(self, key: str, done: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is done:
            del self._tasks[key]
        if not done.cancelled() and done.exception() is not None:
            log.error("notebook transition %s failed", key, exc_info=done.exception())

    # --- processes ---------------------------------------------------------------------------

    def running(self, name: str) -> RunningNotebook | None:
        notebook = self._running.get(name.lower())
        if notebook is not None and notebook.process.returncode is not None:
            return None
        return notebook

    def exit_code(self, name: str) -> int | None:
        """The exit code of an instance's JupyterLab that ended by itself (not through ``stop``)."""
        notebook = self._running.get(name.lower())
        return None if notebook is None else notebook.process.returncode

    async def start(
        self,
        name: str,
        folders: NotebookFolders,
        environment: Mapping[str, str],
        scripts: list[tuple[str, bytes]],
    ) -> RunningNotebook:
        """Run the lifecycle ``scripts`` (label, content) in order, then JupyterLab; wait until it answers.

        Raises ``NotebookStartFailed`` with a FailureReason (script exit, timeout, JupyterLab exit).
        """
        if not jupyter_available():
            raise NotebookStartFailed(
                "JupyterLab is not installed in the server's environment: install modelport[notebook] "
                "(pip install 'modelport[notebook]') and start the instance again."
            )
        folders.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        folders.log.parent.mkdir(parents=True, exist_ok=True)
        start = folders.log.stat().st_size if folders.log.exists() else 0
        self._runs += 1
        self._logs[name.lower()] = (self._runs, name, folders.log, start)
        return await self._start(name, folders, environment, scripts)

    async def _start(
        self,
        name: str,
        folders: NotebookFolders,
        environment: Mapping[str, str],
        scripts: list[tuple[str, bytes]],
    ) -> RunningNotebook:
        self._write_kernelspec(folders)
        env = self._environment(folders, environment)
        for label, content in scripts:
            await self.run_script(label, content, folders, env)
        port = free_ports(1)[0]
        token = secrets.token_urlsafe(32)
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={folders.home}",
            "--ServerApp.allow_remote_access=False",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=True",
            # In a container modelport often runs as root; Jupyter refuses that unless told.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ]
        with open(folders.log, "ab") as output:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                cwd=folders.home,
                env={**env, "JUPYTER_TOKEN": token},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        notebook = RunningNotebook(port=port, token=token, process=process)
        self._running[name.lower()] = notebook
        log.info("notebook instance %s: JupyterLab (pid %d) starting on port %d", name, process.pid, port)
        try:
            await self._wait_ready(notebook, folders)
        except BaseException:
            await self.stop(name)
            raise
        return notebook

    async def stop(self, name: str) -> None:
        """SIGTERM to the instance's process group, SIGKILL after ``stop_timeout_s``; never raises."""
        notebook = self._running.pop(name.lower(), None)
        if notebook is not None:
            await _stop_group(notebook.process, self.stop_timeout_s)

    async def close(self) -> None:
        """Stop every server (the server is shutting down); transitions under way are cancelled."""
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*(self.stop(name) for name in list(self._running)))

    async def run_script(
        self, label: str, content: bytes, folders: NotebookFolders, env: Mapping[str, str]
    ) -> None:
        """``bash`` on one lifecycle script in the home folder; NotebookStartFailed unless it exits 0."""
        script = folders.root / "lifecycle" / f"{label}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_bytes(content)
        with open(folders.log, "ab") as output:
            output.write(f"--- lifecycle script {label} ---\n".encode())
            output.flush()
            process = await asyncio.create_subprocess_exec(
                "bash",
                str(script),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                cwd=folders.home,
                env=dict(env),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            try:
                code = await asyncio.wait_for(process.wait(), self.script_timeout_s)
            except TimeoutError:
                await _stop_group(process, 0)
                raise NotebookStartFailed(
                    f"Notebook Instance Lifecycle Config script {label} ran longer than "
                    f"{self.script_timeout_s:g} seconds (MODELPORT_NOTEBOOK_SCRIPT_TIMEOUT_S)."
                ) from None
        if code != 0:
            raise NotebookStartFailed(
                f"Notebook Instance Lifecycle Config script {label} failed with exit code {code}: "
                f"{_tail(folders.log)}"
            )

    async def _wait_ready(self, notebook: RunningNotebook, folders: NotebookFolders) -> None:
        deadline = asyncio.get_running_loop().time() + self.startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if notebook.process.returncode is not None:
                    raise NotebookStartFailed(
                        f"JupyterLab exited with code {notebook.process.returncode} while starting: "
                        f"{_tail(folders.log)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    reply = await client.get(
                        f"{notebook.base_url}/api/status",
                        headers={"Authorization": f"token {notebook.token}"},
                    )
                    if reply.status_code == 200:
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise NotebookStartFailed(
                        f"JupyterLab did not answer within {self.startup_timeout_s:g} seconds "
                        f"(MODELPORT_NOTEBOOK_STARTUP_TIMEOUT_S): {_tail(folders.log)}"
                    )
                await asyncio.sleep(0.1)

    def _environment(self, folders: NotebookFolders, environment: Mapping[str, str]) -> dict[str, str]:
        jupyter = folders.jupyter
        # This interpreter's bin folder first, as an activated environment: `!pip install` in a
        # cell installs for the kernel, and `jupyter` in a terminal is the one that runs.
        path = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", os.defpath)])
        return {
            **environment,
            "PATH": path,
            "HOME": str(folders.home),
            "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
            "JUPYTER_DATA_DIR": str(jupyter / "data"),
            "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
            "JUPYTER_PATH": str(jupyter / "share"),
            "IPYTHONDIR": str(jupyter / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
        }

    def _write_kernelspec(self, folders: NotebookFolders) -> None:
        spec_dir = folders.jupyter / "share" / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec = {
            "argv": [sys.executable, "-m", "modelport.sandboxes.notebook_kernel", "-f", "{connection_file}"],
            "display_name": KERNEL_NAME,
            "language": "python",
            "metadata": {"debugger": True},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))


def remove_folders(folders: NotebookFolders) -> None:
    """Delete an instance's home, Jupyter folders, scripts and log (DeleteNotebookInstance)."""
    shutil.rmtree(folders.root, ignore_errors=True)
    folders.log.unlink(missing_ok=True)


async def _stop_group(process: asyncio.subprocess.Process, timeout_s: float) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout_s)
    # Kernels and terminals are in the same group; whatever is left goes now.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        await process.wait()


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - _LOG_TAIL_BYTES))
            text = stream.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return " ".join(text.split())[-500:] or "(empty log)"
