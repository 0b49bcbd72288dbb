"""Connection defaults: endpoint URL, profile and region, and the name/option checks of deploy."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from modelport.cli.client import (
    DEFAULT_URL,
    ConnectionOptions,
    choose_endpoint_url,
    choose_profile,
    connect,
    invoke_url,
    is_local,
    resolve_data_dir,
)
from modelport.cli.sagemaker.deploy import check_instance_type, check_name, name_from_path


def test_profile_explicit_wins() -> None:
    assert choose_profile("mine", {"AWS_PROFILE": "other"}, ["modelport"]) == "mine"


def test_profile_aws_profile_is_left_to_botocore() -> None:
    assert choose_profile(None, {"AWS_PROFILE": "other"}, ["modelport", "other"]) is None


def test_profile_modelport_when_it_exists() -> None:
    assert choose_profile(None, {}, ["default", "modelport"]) == "modelport"
    assert choose_profile(None, {}, ["default"]) is None
    assert choose_profile(None, {"MODELPORT_PROFILE": "mp2"}, ["mp2"]) == "mp2"


def test_profile_exported_keys_win_over_modelport_profile() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}
    assert choose_profile(None, env, ["modelport"]) is None


def test_endpoint_url_order() -> None:
    profile = {"endpoint_url": "http://127.0.0.1:9000/"}
    assert choose_endpoint_url("http://a:1", {"MODELPORT_URL": "http://b:2"}, profile) == "http://a:1"
    assert choose_endpoint_url(None, {"MODELPORT_URL": "http://b:2"}, profile) == "http://b:2"
    assert choose_endpoint_url(None, {}, profile) == "http://127.0.0.1:9000"
    assert choose_endpoint_url(None, {}, {}) == DEFAULT_URL


def test_aws_endpoint_url_comes_after_modelport_url_and_before_the_profile() -> None:
    profile = {"endpoint_url": "http://127.0.0.1:9000"}
    both = {"MODELPORT_URL": "http://b:2", "AWS_ENDPOINT_URL": "http://c:3"}
    assert choose_endpoint_url("http://a:1", both, profile) == "http://a:1"
    assert choose_endpoint_url(None, both, profile) == "http://b:2"
    assert choose_endpoint_url(None, {"AWS_ENDPOINT_URL": "http://c:3"}, profile) == "http://c:3"


def test_endpoint_url_must_be_http() -> None:
    with pytest.raises(click.BadParameter, match="not an http"):
        choose_endpoint_url("localhost:8790", {}, {})


def test_connect_reads_the_modelport_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    credentials = tmp_path / "credentials"
    config.write_text("[profile modelport]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:8123\n")
    credentials.write_text("[modelport]\naws_access_key_id = AKIAMP\naws_secret_access_key = secret\n")
    for variable in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("MODELPORT_URL", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    conn = connect(ConnectionOptions())
    assert conn.endpoint_url == "http://127.0.0.1:8123"
    assert conn.region == "eu-west-1"
    credentials_found = conn.session.get_credentials()
    assert credentials_found is not None and credentials_found.access_key == "AKIAMP"
    assert connect(ConnectionOptions(region="us-west-2")).region == "us-west-2"


def test_connect_without_any_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "MODELPORT_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    conn = connect(ConnectionOptions())
    assert (conn.endpoint_url, conn.region) == (DEFAULT_URL, "us-east-1")


def test_small_helpers(tmp_path: Path) -> None:
    assert is_local("http://localhost:1") and is_local("http://127.0.0.1:8790")
    assert not is_local("https://models.example.com")
    assert invoke_url("http://h:1", "e") == "http://h:1/endpoints/e/invocations"
    assert resolve_data_dir(tmp_path / "d", {}) == (tmp_path / "d").resolve()
    assert resolve_data_dir(None, {"MODELPORT_DATA_DIR": str(tmp_path)}) == tmp_path.resolve()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/x/iris_model.joblib", "iris-model"),
        ("/x/my-project/model.tar.gz", "my-project"),
        ("/x/xgboost-model", "xgboost-model"),
        ("/x/Weird name!!.pkl", "Weird-name"),
        ("/x/__.pkl", "model"),
    ],
)
def test_name_from_path(path: str, name: str) -> None:
    assert name_from_path(Path(path)) == name
    check_name(name)


@pytest.mark.parametrize("bad", ["-lead", "under_score", "a" * 64, ""])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(click.BadParameter):
        check_name(bad)


def test_instance_type_check() -> None:
    assert check_instance_type("ml.m5.large") == "ml.m5.large"
    with pytest.raises(click.BadParameter, match=r"ml\.m5\.large"):
        check_instance_type("m5.large")
