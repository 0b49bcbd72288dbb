"""Script-mode code named by an S3 ``SAGEMAKER_SUBMIT_DIRECTORY``: fetched beside the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.core.config import Settings
from modelport.core.errors import ArtifactError
from modelport.hosting.artifacts.cache import ArtifactCache
from modelport.hosting.artifacts.code import remote_code_url, worker_environment

from .archives import file_member, make_tar

SDK_URL = "s3://sagemaker-us-east-1-123456789012/sklearn-2026/sourcedir.tar.gz"


@pytest.mark.parametrize(
    ("submit", "remote"),
    [
        (SDK_URL, True),
        ("https://s3.amazonaws.com/bucket/code/sourcedir.tar.gz", True),
        ("/opt/ml/model/code", False),
        ("file:///home/me/src", False),
        ("", False),
    ],
)
def test_which_submit_directories_the_server_fetches(submit: str, remote: bool) -> None:
    environment = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": submit}
    assert remote_code_url(environment) == (submit if remote else None)
    given = worker_environment(environment, Path("/cache/entry/model"))
    expected = "/cache/entry/code" if remote else submit
    assert given == {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": expected}


def test_code_is_unpacked_beside_the_model(tmp_path: Path, settings: Settings) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(make_tar([file_member("model.joblib", b"m")]))
    code = tmp_path / "sourcedir.tar.gz"
    code.write_bytes(make_tar([file_member("inference.py", b"x = 1\n"), file_member("lib/u.py", b"")]))
    cache = ArtifactCache(tmp_path / "cache", settings)
    folder = cache.prepare("m", str(model), str(code))
    environment = worker_environment({"SAGEMAKER_SUBMIT_DIRECTORY": SDK_URL}, folder)
    unpacked = Path(environment["SAGEMAKER_SUBMIT_DIRECTORY"])
    assert (unpacked / "inference.py").read_text() == "x = 1\n"
    assert (unpacked / "lib" / "u.py").is_file()
    assert not (folder / "inference.py").exists()
    code.unlink()  # made once: a later prepare (another instance, a restart) reuses it
    assert cache.prepare("m", str(model), str(code)) == folder


def test_missing_code_fails_the_model_with_the_variable_named(tmp_path: Path, settings: Settings) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(make_tar([file_member("model.joblib", b"m")]))
    cache = ArtifactCache(tmp_path / "cache", settings)
    with pytest.raises(ArtifactError, match=r"inference code that SAGEMAKER_SUBMIT_DIRECTORY names") as info:
        cache.prepare("m", str(model), str(tmp_path / "missing.tar.gz"))
    assert "missing.tar.gz" in info.value.message
    assert not cache.is_ready("m")
