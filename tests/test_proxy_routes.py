"""Which host names the HTTPS proxy serves, and the refusals it gives for the rest (pure)."""

from __future__ import annotations

import pytest

from modelport.http.proxy_routes import Backend, route, s3_domain_names

REGION = "us-east-1"


@pytest.mark.parametrize(
    "host",
    [
        "sts.amazonaws.com",
        "sts.us-east-1.amazonaws.com",
        "sts.eu-west-1.amazonaws.com",
        "sagemaker.us-east-1.amazonaws.com",
        "api.sagemaker.us-east-1.amazonaws.com",
        "runtime.sagemaker.us-east-1.amazonaws.com",
        "lambda.us-west-2.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
        "application-autoscaling.us-east-1.amazonaws.com",
        "apigateway.us-east-1.amazonaws.com",
        "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "iam.amazonaws.com",
        "STS.US-EAST-1.AMAZONAWS.COM.",
    ],
)
def test_modelports_own_apis_go_to_the_front_door(host: str) -> None:
    assert route(host, region=REGION, s3_available=True).backend is Backend.MODELPORT


@pytest.mark.parametrize(
    "host",
    [
        "s3.amazonaws.com",
        "s3.us-east-1.amazonaws.com",
        "s3-us-east-1.amazonaws.com",
        "s3.dualstack.us-east-1.amazonaws.com",
        "models.s3.amazonaws.com",
        "sagemaker-us-east-1-123456789012.s3.us-east-1.amazonaws.com",
        "my.dotted.bucket.s3-us-east-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",  # path style: any region
    ],
)
def test_s3_host_names_go_to_the_s3_in_use(host: str) -> None:
    assert route(host, region=REGION, s3_available=True).backend is Backend.S3


@pytest.mark.parametrize(
    "host",
    [
        "ec2.us-east-1.amazonaws.com",
        "example.com",
        "amazonaws.com",
        "sts.amazonaws.com.evil.example",
        "iam.us-east-1.amazonaws.com.x",
    ],
)
def test_every_other_host_is_refused_by_name(host: str) -> None:
    decision = route(host, region=REGION, s3_available=True)
    assert decision.backend is None
    assert f"modelport does not serve {host.lower()}" in decision.refusal


def test_s3_without_the_embedded_s3_and_other_regions_virtual_hosted_are_refused() -> None:
    external = route("s3.us-east-1.amazonaws.com", region=REGION, s3_available=False)
    assert external.backend is None and "AWS_ENDPOINT_URL_S3" in external.refusal
    elsewhere = route("bucket.s3.eu-west-1.amazonaws.com", region=REGION, s3_available=True)
    assert elsewhere.backend is None and "eu-west-1" in elsewhere.refusal and REGION in elsewhere.refusal


def test_the_s3_server_reads_buckets_under_every_served_suffix() -> None:
    for suffix in s3_domain_names(REGION):
        assert route(f"bucket.{suffix}", region=REGION, s3_available=True).backend is Backend.S3
