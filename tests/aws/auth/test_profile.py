"""The AWS profile written for the root key, read back by a real boto3 Session."""

from __future__ import annotations

import configparser
import http.server
import json
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.aws.auth.profile import write_profile
from modelport.aws.auth.sigv4 import SignedRequest, verify
from modelport.core.clock import SystemClock

AKID = "AKIAPROFILEPROFILE00"
SECRET = "pr0file/secret+with%percent0000000000000"


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    credentials, config = tmp_path / "aws" / "credentials", tmp_path / "aws" / "config"
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SAGEMAKER",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):
        monkeypatch.delenv(name, raising=False)
    return credentials, config


def test_session_picks_up_keys_region_and_endpoint(aws_env: tuple[Path, Path]) -> None:
    text = write_profile("modelport", AKID, SECRET, "eu-west-1", "http://127.0.0.1:8790")
    assert "export AWS_PROFILE=modelport" in text and 'profile_name="modelport"' in text
    session = boto3.Session(profile_name="modelport")
    credentials = session.get_credentials()
    assert credentials is not None
    assert (credentials.access_key, credentials.secret_key) == (AKID, SECRET)
    assert session.region_name == "eu-west-1"
    for service in ("sagemaker", "sagemaker-runtime"):
        assert session.client(service).meta.endpoint_url == "http://127.0.0.1:8790"


def test_files_are_private_and_other_profiles_survive(aws_env: tuple[Path, Path]) -> None:
    credentials, config = aws_env
    credentials.parent.mkdir()
    credentials.write_text("[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n")
    config.write_text("[default]\nregion = us-west-2\n[profile modelport]\nregion = old\noutput = json\n")
    write_profile("modelport", AKID, SECRET, "us-east-1", "http://127.0.0.1:9000")
    write_profile("modelport", AKID, SECRET, "us-east-1", "http://127.0.0.1:9001")  # idempotent update
    for path in (credentials, config):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = configparser.ConfigParser(interpolation=None)
    creds.read(credentials)
    assert creds["default"]["aws_access_key_id"] == "AKIAOTHER"
    assert creds["modelport"]["aws_secret_access_key"] == SECRET
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(config)
    assert conf["default"]["region"] == "us-west-2"
    assert dict(conf["profile modelport"]) == {
        "region": "us-east-1",
        "output": "json",
        "endpoint_url": "http://127.0.0.1:9001",
    }


def test_explicit_paths_win_over_environment(aws_env: tuple[Path, Path], tmp_path: Path) -> None:
    credentials, config = tmp_path / "c", tmp_path / "k"
    write_profile(
        "mp", AKID, SECRET, "us-east-1", "http://x:1", credentials_file=credentials, config_file=config
    )
    assert credentials.exists() and config.exists()
    assert not aws_env[0].exists() and not aws_env[1].exists()


def test_default_paths_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    write_profile("modelport", AKID, SECRET, "us-east-1", "http://x:1")
    assert (tmp_path / ".aws" / "credentials").exists()
    assert "[profile modelport]" in (tmp_path / ".aws" / "config").read_text()


class _Keys:
    def secret_for(self, access_key_id: str) -> tuple[str, Principal] | None:
        return (SECRET, Principal(AKID, PrincipalKind.ROOT, "root")) if access_key_id == AKID else None


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server that verifies each request's signature and answers ListEndpoints."""
    outcomes: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            path, _, query = self.path.partition("?")
            request = SignedRequest(
                "POST", path, query, [(k.lower(), v) for k, v in self.headers.items()], body
            )
            verified = verify(request, _Keys(), clock=SystemClock(), skew_s=900, expected_service="sagemaker")
            outcomes.append(f"{verified.principal.name}:{self.headers['X-Amz-Target']}")
            payload = json.dumps({"Endpoints": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", outcomes
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_profile_reaches_a_verifying_server(
    aws_env: tuple[Path, Path], server: tuple[str, list[str]]
) -> None:
    url, outcomes = server
    write_profile("modelport", AKID, SECRET, "us-east-1", url)
    client = boto3.Session(profile_name="modelport").client("sagemaker")
    assert client.list_endpoints()["Endpoints"] == []
    assert outcomes == ["root:SageMaker.ListEndpoints"]
