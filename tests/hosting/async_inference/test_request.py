"""Where an asynchronous request's answer goes, and which configs are refused (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from modelport.core.errors import InvalidRequest
from modelport.hosting.async_inference.request import (
    AsyncRequest,
    locations,
    max_concurrent_per_instance,
    validate,
)

OUTPUT = {"S3OutputPath": "s3://b/out", "S3FailurePath": "s3://b/failed/"}
VARIANT = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


@pytest.mark.parametrize(
    ("extension", "filename", "expected"),
    [
        (None, None, ("s3://b/out/id-1.out", "s3://b/failed/id-1-error.out")),
        ("team/a/", None, ("s3://b/out/team/a/id-1.out", "s3://b/failed/team/a/id-1-error.out")),
        (None, "answer.csv", ("s3://b/out/answer.csv", "s3://b/failed/answer.csv-error.out")),
    ],
)
def test_the_locations_follow_the_output_config_and_the_headers(
    extension: str | None, filename: str | None, expected: tuple[str, str]
) -> None:
    assert locations(OUTPUT, "id-1", extension=extension, filename=filename) == expected


def test_without_a_failure_path_there_is_no_failure_location() -> None:
    assert locations({"S3OutputPath": "s3://b"}, "x", extension=None, filename=None) == ("s3://b/x.out", None)


def test_a_request_survives_its_store_body() -> None:
    request = AsyncRequest(
        key="e/1",
        endpoint_name="E",
        inference_id="i",
        input_location="s3://b/in",
        output_location="s3://b/out/i.out",
        failure_location=None,
        content_type="text/csv",
        accept=None,
        custom_attributes=None,
        received_at=1.0,
        expires_at=61.0,
        timeout_s=900.0,
        caller={"Kind": "user", "Name": "u"},
    )
    assert AsyncRequest.from_body(request.to_body()) == request


def test_the_concurrency_defaults_to_four() -> None:
    assert max_concurrent_per_instance({}) == 4
    assert max_concurrent_per_instance({"ClientConfig": {"MaxConcurrentInvocationsPerInstance": 9}}) == 9


@pytest.mark.parametrize(
    ("output", "variants", "shadows", "message"),
    [
        ({"S3OutputPath": "https://x/out"}, [VARIANT], [], "S3OutputPath must be an s3://bucket/prefix URI"),
        ({"S3OutputPath": "s3://"}, [VARIANT], [], "S3OutputPath must be"),
        ({"S3OutputPath": "s3://b", "S3FailurePath": "/tmp"}, [VARIANT], [], "S3FailurePath must be"),
        ({"S3OutputPath": "s3://b", "NotificationConfig": {"ErrorTopic": "arn:t"}}, [VARIANT], [], "SNS"),
        ({"S3OutputPath": "s3://b", "KmsKeyId": "k"}, [VARIANT], [], "KMS"),
        (
            {"S3OutputPath": "s3://b"},
            [{"VariantName": "S", "ServerlessConfig": {}}],
            [],
            "runs on instances only",
        ),
        ({"S3OutputPath": "s3://b"}, [VARIANT], [VARIANT], "shadow variants"),
    ],
)
def test_a_config_that_cannot_run_is_refused_with_what_to_change(
    output: dict[str, Any], variants: list[dict[str, Any]], shadows: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        validate({"OutputConfig": output}, variants, shadows)


def test_a_config_that_can_run_passes() -> None:
    validate(
        {"OutputConfig": OUTPUT, "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2}}, [VARIANT], []
    )
