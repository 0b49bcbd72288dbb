from __future__ import annotations

import pytest

from modelport.aws.protocol import ServiceProtocol


@pytest.fixture(scope="session")
def sagemaker() -> ServiceProtocol:
    return ServiceProtocol.load("sagemaker")


@pytest.fixture(scope="session")
def runtime() -> ServiceProtocol:
    return ServiceProtocol.load("sagemaker-runtime")
