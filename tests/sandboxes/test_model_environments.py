"""ModelEnvironments with real pip, offline: what is reused, what is installed again, the time bound.

The end-to-end behaviour (a package from the index, shared by two endpoints, a FailureReason) is
in tests/scenarios/test_model_requirements.py; these cases need no index.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from modelport.sandboxes.model_environments import ModelEnvironments, RequirementsFailed


def model_with_requirements(tmp_path: Path, text: str) -> Path:
    model_dir = tmp_path / "model"
    (model_dir / "code").mkdir(parents=True)
    (model_dir / "code" / "requirements.txt").write_text(text)
    return model_dir


def test_an_environment_is_reused_until_its_marker_stops_matching(tmp_path: Path) -> None:
    environments = ModelEnvironments(tmp_path / "envs", install_timeout_s=300)
    model_dir = model_with_requirements(tmp_path, "# nothing to install\n--no-index\n")
    log = tmp_path / "instance.log"

    assert asyncio.run(environments.python_for(tmp_path, log)) is None  # no code/requirements.txt

    python = asyncio.run(environments.python_for(model_dir, log))
    assert python is not None and Path(python).exists()
    env_dir = Path(python).parent.parent
    assert "installing into" in log.read_text()

    log.write_text("")
    assert asyncio.run(environments.python_for(model_dir, log)) == python
    assert "installed earlier" in log.read_text()

    marker = env_dir / ".modelport-env.json"
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "python": "another interpreter"}))
    log.write_text("")
    assert asyncio.run(environments.python_for(model_dir, log)) == python
    assert "installing into" in log.read_text()


def test_an_install_past_the_time_bound_is_stopped(tmp_path: Path) -> None:
    with socket.socket() as silent_index:  # accepts connections (backlog) and never answers
        silent_index.bind(("127.0.0.1", 0))
        silent_index.listen(8)
        port = silent_index.getsockname()[1]
        requirements = f"--index-url http://127.0.0.1:{port}/simple\nanything==1.0\n"
        environments = ModelEnvironments(tmp_path / "envs", install_timeout_s=1)
        model_dir = model_with_requirements(tmp_path, requirements)
        with pytest.raises(RequirementsFailed) as caught:
            asyncio.run(environments.python_for(model_dir, tmp_path / "instance.log"))
    assert "did not finish within 1 s (MODELPORT_REQUIREMENTS_INSTALL_TIMEOUT_S)" in str(caught.value)
    env_dirs = [path for path in (tmp_path / "envs").iterdir() if path.is_dir()]
    assert [path for path in env_dirs if (path / ".modelport-env.json").exists()] == []
