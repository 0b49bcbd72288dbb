"""The fixtures every end-to-end test shares (a pytest plugin: ``tests/conftest.py`` loads it).

- ``server``: the shared server, one per test session, with the default settings. Tests on it
  must not need an empty server: name what they create after themselves, and read the log only
  since ``server.log_mark()``. Starting a server costs seconds on a small machine; sharing one
  is what keeps the suite short.
- ``private_server``: a fresh server for one test, for tests that kill, restart or stop it.
- ``servers`` / ``module_servers``: start servers with other settings (``env``), other keys or a
  data folder of the test's choosing; each is stopped when the test (module) ends.
- ``s3``: one SeaweedFS S3 server per session; ``s3_server``: a modelport server reading
  ``s3://`` model data from it, shared by the tests that need one.
- ``iris_model`` / ``model_archive``: the seed tutorial's XGBoost model and its model.tar.gz.

docs/testing.md shows how to write a test with them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from modelport import seed
from support.modelport_server import ModelportServer, new_key_pair
from support.s3server import S3Endpoint, SeaweedS3Server


class ServerPool:
    """Starts servers on demand and stops every one of them when the pool closes."""

    def __init__(self, factory: pytest.TempPathFactory, label: str) -> None:
        self._factory = factory
        self._label = label
        self._started: list[ModelportServer] = []

    def start(
        self,
        *,
        env: Mapping[str, str] | None = None,
        keys: tuple[str, str] | None = None,
        data_dir: Path | None = None,
    ) -> ModelportServer:
        """A started server with ``env`` on top of the test defaults (see ``root_env``)."""
        folder = data_dir or self._factory.mktemp(self._label) / "data"
        server = ModelportServer(folder, env=dict(env or {}), keys=keys or new_key_pair())
        self._started.append(server)
        return server.start()

    def close(self) -> None:
        for server in reversed(self._started):
            server.stop()


def _pool(factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> ServerPool:
    return ServerPool(factory, request.node.name.rsplit(".", 1)[0][:30].replace("[", "-"))


@pytest.fixture
def servers(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[ServerPool]:
    """Servers for one test: ``servers.start(env=...)``; stopped when the test ends."""
    pool = _pool(tmp_path_factory, request)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def module_servers(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerPool]:
    """Servers for one module: ``module_servers.start(env=...)``; stopped when the module ends."""
    pool = _pool(tmp_path_factory, request)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    """The shared server: default settings, its own root keys, one for the whole session."""
    pool = ServerPool(tmp_path_factory, "shared-server")
    yield pool.start()
    pool.close()


@pytest.fixture
def private_server(servers: ServerPool) -> ModelportServer:
    """A fresh server for this test alone: kill it, restart it, stop it."""
    return servers.start()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Endpoint]:
    """One SeaweedFS S3 server for the session; tests create buckets named after themselves."""
    with SeaweedS3Server() as endpoint:
        yield endpoint


def s3_env(s3: S3Endpoint) -> dict[str, str]:
    """The settings that make a modelport server read ``s3://`` URLs from ``s3``."""
    return {
        "MODELPORT_S3_ENDPOINT_URL": s3.endpoint_url,
        "MODELPORT_S3_ACCESS_KEY_ID": s3.access_key,
        "MODELPORT_S3_SECRET_ACCESS_KEY": s3.secret_key,
        "MODELPORT_S3_REGION": s3.region,
    }


@pytest.fixture(scope="session")
def s3_server(s3: S3Endpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    """A shared server that reads model data from ``s3`` (otherwise default settings)."""
    pool = ServerPool(tmp_path_factory, "s3-server")
    yield pool.start(env=s3_env(s3))
    pool.close()


@pytest.fixture(scope="session")
def iris_model() -> Any:
    """The seed tutorial's XGBClassifier, trained on iris once per session."""
    return seed.train_iris_model()


@pytest.fixture(scope="session")
def model_archive(iris_model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed tutorial's model.tar.gz (Booster.save_model of ``iris_model``); do not change it."""
    with warnings.catch_warnings():
        # Booster.save_model warns that a file name without extension means UBJSON: intended.
        warnings.simplefilter("ignore", UserWarning)
        return seed.package_model(iris_model, tmp_path_factory.mktemp("model"))
