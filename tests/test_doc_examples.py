"""Every code block in README.md and docs/*.md runs as printed, or says in its fence why it cannot.

A block's fence info string decides:

- ```` ```python ```` and ```` ```bash ```` blocks run, in document order. Each document gets a
  temporary folder that stands for the repository root (``.venv`` and ``src`` link to the real
  ones) and the environment of a user who followed the README: a home folder whose ``~/.aws``
  holds the ``modelport`` profile the server wrote on its start, ``AWS_PROFILE=modelport``, no
  other ``AWS_*`` or ``MODELPORT_*`` variable. Python blocks run with the project's
  ``.venv/bin/python``; bash blocks with ``bash -e`` (what one exports, the next one sees).
- ```` ```python file=NAME ````: the README says "save this as NAME"; the block is saved, and a
  later bash block of the same document must run it.
- ```` ```text output ```` right after a run block: what that block prints, compared exactly.
- Every other block must be marked as not run: a data language (``text``, ``json``, ``yaml``, ...) or ``no-run``
  after the language, for partial snippets and commands that cannot run here (a foreground
  server, the whole suite, a benchmark, a MinIO). A bare ```` ``` ```` fails.

All documents share one real server (``tests/support/modelport_server.py``), started with
profile writing on, so the suite pays for one server start however many blocks there are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelport.launcher import is_running
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

ROOT = Path(__file__).resolve().parents[1]
RUN_LANGUAGES = frozenset({"python", "bash"})
# Data, not programs: saying the language says the block is not run. Shell-like names that are not
# run here ("sh", "console", "py") are not in either list, so they need `no-run` or a run language.
DATA_LANGUAGES = frozenset({"text", "json", "yaml", "toml", "ini", "csv", "xml"})
NO_RUN = "no-run"
OUTPUT = "output"
BLOCK_TIMEOUT_S = 300

_OPENING = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence, 1-based
    info: str
    text: str

    @property
    def language(self) -> str:
        words = self.info.split()
        return words[0] if words else ""

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(self.info.split()[1:])

    @property
    def file(self) -> str | None:
        """The NAME of ``file=NAME``: the block is saved under that name instead of being run."""
        for flag in self.flags:
            if flag.startswith("file="):
                return flag.removeprefix("file=")
        return None

    @property
    def runs(self) -> bool:
        return self.language in RUN_LANGUAGES and NO_RUN not in self.flags

    @property
    def marked_not_run(self) -> bool:
        return self.language in DATA_LANGUAGES or (bool(self.language) and NO_RUN in self.flags)

    @property
    def is_output(self) -> bool:
        return self.language == "text" and OUTPUT in self.flags

    def where(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def read_blocks(document: Path, text: str | None = None) -> list[Block]:
    """The fenced code blocks of a Markdown document (CommonMark fences, up to 3 spaces indented)."""
    lines = (document.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _OPENING.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        index += 1
        while index < len(lines):
            line = lines[index]
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                break
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            index += 1
        start = index - len(body)  # the opening fence's 1-based number
        found.append(Block(document, start, opening["info"].strip(), "\n".join(body) + "\n"))
        index += 1
    return found


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def document_id(document: Path) -> str:
    return str(document.relative_to(ROOT))


def problems(found: list[Block]) -> list[str]:
    """Blocks that are neither run nor marked, saved files nothing runs, outputs of nothing."""
    wrong: list[str] = []
    for position, block in enumerate(found):
        if not block.runs and not block.marked_not_run:
            wrong.append(
                f"{block.where()}: ```{block.info} is neither run (python, bash) nor marked "
                f"(a data language such as text or json, or `{NO_RUN}` after the language)"
            )
        if block.runs and block.file is not None:
            later = [b for b in found[position + 1 :] if b.runs and b.language == "bash"]
            if not any(block.file in b.text for b in later):
                wrong.append(f"{block.where()}: saved as {block.file}, but no later bash block runs it")
        previous = found[position - 1] if position else None
        if block.is_output and (previous is None or not previous.runs or previous.file is not None):
            wrong.append(f"{block.where()}: an output block must follow a block that runs")
    return wrong


# --- the extractor itself ------------------------------------------------------------------------

SAMPLE = """\
Intro.

```python file=job.py
print("hi")
```

```bash
.venv/bin/python job.py
```

```text output
hi
```

   ```json
   {"a": 1}
   ```

````python no-run
x = ```not a fence```
````

```
bare
```
"""


def test_blocks_are_read_with_their_info_strings() -> None:
    found = read_blocks(ROOT / "README.md", SAMPLE)
    assert [(b.line, b.info, b.text) for b in found] == [
        (3, "python file=job.py", 'print("hi")\n'),
        (7, "bash", ".venv/bin/python job.py\n"),
        (11, "text output", "hi\n"),
        (15, "json", '{"a": 1}\n'),
        (19, "python no-run", "x = ```not a fence```\n"),
        (23, "", "bare\n"),
    ]
    assert [b.runs for b in found] == [True, True, False, False, False, False]
    assert problems(found) == [
        "README.md:23: ``` is neither run (python, bash) nor marked "
        "(a data language such as text or json, or `no-run` after the language)"
    ]


def test_a_saved_file_nothing_runs_and_a_stray_output_are_problems() -> None:
    found = read_blocks(ROOT / "README.md", "```python file=a.py\n1\n```\n\n```text output\n1\n```\n")
    assert problems(found) == [
        "README.md:1: saved as a.py, but no later bash block runs it",
        "README.md:5: an output block must follow a block that runs",
    ]


@pytest.mark.parametrize("document", documents(), ids=document_id)
def test_every_block_is_run_or_marked(document: Path) -> None:
    assert problems(read_blocks(document)) == []


# --- running them --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def user_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def doc_server(module_servers: ServerPool, user_home: Path) -> ModelportServer:
    """What ``.venv/bin/modelport server`` gives a new user: data in ~/.modelport, the profile written."""
    aws = user_home / ".aws"
    env = {
        "HOME": str(user_home),
        "MODELPORT_WRITE_PROFILE": "1",
        "MODELPORT_PROXY": "1",  # docs/transparent-endpoints.md
        "MODELPORT_PROXY_PORT": "0",
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_CONFIG_FILE": str(aws / "config"),
    }
    return module_servers.start(env=env, data_dir=user_home / ".modelport")


def user_environment(home: Path) -> dict[str, str]:
    """A shell of a user who followed the README: nothing of the test run's AWS or modelport setup."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    env["HOME"] = str(home)
    env["AWS_PROFILE"] = "modelport"
    return env


def repository_root_stand_in(folder: Path) -> Path:
    (folder / ".venv").symlink_to(Path(sys.prefix))  # the project's .venv (scripts/test runs in it)
    (folder / "src").symlink_to(ROOT / "src")
    return folder


def run_blocks(found: list[Block], workdir: Path, env: dict[str, str]) -> None:
    env_file = workdir.parent / f"{workdir.name}.env"
    printed: str | None = None
    for block in found:
        if block.is_output:
            assert printed is not None and printed.strip() == block.text.strip(), (
                f"{block.where()}: the block before printed {printed!r}, the document says {block.text!r}"
            )
            continue
        printed = None
        if not block.runs:
            continue
        if block.language == "python":
            script = workdir / (block.file or f"block-{block.line}.py")
            script.parent.mkdir(parents=True, exist_ok=True)  # file=code/inference.py
            script.write_text(block.text, encoding="utf-8")
            if block.file is not None:
                continue  # a later bash block runs it, as the document says
            argv = [str(workdir / ".venv" / "bin" / "python"), script.name]
        else:
            argv = ["bash", "-e", "-o", "pipefail", "-c", f'{block.text}\nenv -0 > "{env_file}"\n']
        result = subprocess.run(
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, (
            f"{block.where()} exited with {result.returncode}:\n{block.text}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        printed = result.stdout
        if block.language == "bash":  # what the block exported is there for the next one
            pairs = env_file.read_text(encoding="utf-8").split("\0")
            env = dict(pair.split("=", 1) for pair in pairs if "=" in pair)


RUNNABLE = [document for document in documents() if any(block.runs for block in read_blocks(document))]


@pytest.mark.e2e
@pytest.mark.timeout(900)
@pytest.mark.parametrize("document", RUNNABLE, ids=document_id)
def test_document_blocks_run_as_printed(
    document: Path, doc_server: ModelportServer, user_home: Path, tmp_path: Path
) -> None:
    if not is_running(
        doc_server.url
    ):  # an earlier document stopped it (the README ends with `modelport stop`)
        doc_server.stop()
        doc_server.start()
    workdir = tmp_path / "repository"
    workdir.mkdir()
    run_blocks(read_blocks(document), repository_root_stand_in(workdir), user_environment(user_home))
    log = doc_server.log()
    assert "Traceback" not in log, f"the server logged a traceback while {document_id(document)} ran:\n{log}"
