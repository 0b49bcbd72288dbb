"""Per-model Python environments for ``code/requirements.txt`` (SageMaker script mode).

The SageMaker scikit-learn and XGBoost containers run ``pip install -r code/requirements.txt``
before they start serving. Here each distinct file gets one environment,
``<data_dir>/envs/<sha256 of the file>/``, installed once and reused by every instance of every
endpoint whose model ships the same file.

An environment is a venv without pip whose ``site-packages`` holds a ``.pth`` file that appends
the worker's own site-packages. The worker's pip, run by the environment's interpreter, counts
what modelport already has (numpy, scikit-learn, pandas, ...) as installed and adds only what is
missing or pinned to another version; those come first on the model's ``sys.path``. Instances of
such a model run on the environment's interpreter, so they never come from the warm pool (its
workers have imported the shared libraries already).

One install per environment at a time: an asyncio lock per hash inside the server, and ``flock``
on ``<sha256>.lock`` across processes, inherited by pip so that a pip orphaned by a killed server
keeps it until it exits. A folder is used only when its marker matches this interpreter; a partial
or stale one is removed and installed again. A failed install is not remembered: the next launch
tries again (the index may have been down).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import json
import os
import shutil
import sys
import sysconfig
import venv
from pathlib import Path

REQUIREMENTS = Path("code") / "requirements.txt"
_MARKER = ".modelport-env.json"
_LOCK_POLL_S = 0.05
_MAX_ERROR_CHARS = 400

# The server's variables a pip run keeps: enough to run, plus the machine's pip configuration
# (index, certificates, proxies, cache). PIP_* variables that would send the install elsewhere or
# pin it to modelport's own constraints are dropped.
_KEPT = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
)
_PIP_DROPPED = (
    "PIP_CONSTRAINT",
    "PIP_REQUIREMENT",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_USER",
    "PIP_PYTHON",
    "PIP_EDITABLE",
)


class RequirementsFailed(Exception):
    """The model's requirements could not be installed; the message names what failed."""


class ModelEnvironments:
    """The environments under ``root``, installed on demand by :meth:`python_for`."""

    def __init__(self, root: Path, *, install_timeout_s: float) -> None:
        self.root = root
        self.install_timeout_s = install_timeout_s
        self._locks: dict[str, asyncio.Lock] = {}

    async def python_for(self, model_dir: Path, log_path: Path) -> str | None:
        """The interpreter that runs this model: None without ``code/requirements.txt``, else its
        environment's, installed first if needed. What happens is appended to ``log_path``."""
        requirements = model_dir / REQUIREMENTS
        if not requirements.is_file():
            return None
        digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
        env_dir = self.root / digest
        async with self._locks.setdefault(digest, asyncio.Lock()):
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock_fd = os.open(self.root / f"{digest}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await _lock(lock_fd)
                if _read_marker(env_dir) == _identity(digest):
                    note(log_path, f"{REQUIREMENTS}: using the environment {env_dir}, installed earlier")
                else:
                    await self._install(requirements, env_dir, _identity(digest), log_path, lock_fd)
            finally:
                os.close(lock_fd)  # releases the lock once pip, which inherited it, has exited
        return str(env_dir / "bin" / "python")

    async def _install(
        self, requirements: Path, env_dir: Path, identity: dict[str, object], log_path: Path, lock_fd: int
    ) -> None:
        shutil.rmtree(env_dir, ignore_errors=True)  # a partial install, or one for another interpreter
        await asyncio.to_thread(_create, env_dir)
        note(log_path, f"{REQUIREMENTS}: installing into {env_dir} with pip")
        start = log_path.stat().st_size
        command = [
            str(env_dir / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "-r",
            str(requirements),
        ]
        with open(log_path, "ab") as log_file:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                cwd=requirements.parent,
                env=_pip_environment(),
                pass_fds=(lock_fd,),
            )
        try:
            code = await asyncio.wait_for(process.wait(), self.install_timeout_s)
        except TimeoutError:
            raise RequirementsFailed(
                f"Installing {REQUIREMENTS} did not finish within {self.install_timeout_s:.0f} s "
                "(MODELPORT_REQUIREMENTS_INSTALL_TIMEOUT_S)."
            ) from None
        finally:
            if process.returncode is None:  # timed out, or the launch was cancelled
                process.kill()
                await process.wait()
        if code != 0:
            raise RequirementsFailed(
                f"Installing {REQUIREMENTS} failed (pip exit code {code}): {_pip_error(log_path, start)}"
            )
        (env_dir / _MARKER).write_text(json.dumps(identity))
        note(log_path, f"{REQUIREMENTS}: installed")


def note(log_path: Path, line: str) -> None:
    """Append one ``[modelport]`` line to an instance log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log_file:
        log_file.write(f"[modelport] {line}\n")


async def _lock(fd: int) -> None:
    # Polled rather than blocking in a thread, so that a cancelled launch leaves no thread behind.
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        await asyncio.sleep(_LOCK_POLL_S)


def _parent_site_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _identity(digest: str) -> dict[str, object]:
    """What an environment was built for; any difference means it is installed again."""
    return {"requirements_sha256": digest, "python": sys.version, "site": _parent_site_dirs()}


def _read_marker(env_dir: Path) -> object:
    try:
        return json.loads((env_dir / _MARKER).read_text())
    except (OSError, ValueError):
        return None


def _create(env_dir: Path) -> None:
    venv.EnvBuilder(with_pip=False, symlinks=True, clear=True).create(env_dir)
    site_packages = sysconfig.get_path(
        "purelib", scheme="venv", vars={"base": str(env_dir), "platbase": str(env_dir)}
    )
    # addsitedir also runs the .pth files there (editable installs such as modelport's own).
    adds = "; ".join(f"site.addsitedir({path!r})" for path in _parent_site_dirs())
    (Path(site_packages) / "_modelport_worker_site.pth").write_text(f"import site; {adds}\n")


def _pip_environment() -> dict[str, str]:
    env = {key: os.environ[key] for key in _KEPT if key in os.environ}
    env.update(
        (key, value)
        for key, value in os.environ.items()
        if key.startswith("PIP_") and key not in _PIP_DROPPED
    )
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _pip_error(log_path: Path, start: int) -> str:
    """pip's first ``ERROR:`` line since ``start`` (it names the requirement), else its last line."""
    with open(log_path, "rb") as log_file:
        log_file.seek(start)
        lines = [line.strip() for line in log_file.read().decode("utf-8", "replace").splitlines()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if line.startswith("ERROR:")]
    found = errors[0] if errors else next((line for line in reversed(lines) if line), "(no output)")
    return found[:_MAX_ERROR_CHARS]
