"""Fixtures for scenario tests: a real server (subprocess) and, where needed, a real S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelport import seed
from support.modelport_server import ModelportServer, running_server
from support.s3server import S3Endpoint, SeaweedS3Server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Endpoint]:
    with SeaweedS3Server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def iris_model() -> Any:
    return seed.train_iris_model()


@pytest.fixture(scope="module")
def model_archive(iris_model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed.package_model(iris_model, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running
