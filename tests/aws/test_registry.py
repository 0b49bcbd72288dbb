"""docs/operations.md's list of supported operations is the front door's real dispatch table."""

from __future__ import annotations

from modelport.aws.registry import SERVED_SERVICES
from modelport.http.bindings import HOT_PATH_OPERATIONS, IMPLEMENTED, OPERATIONS
from modelport.services.apigateway import operations as apigateway
from modelport.services.application_autoscaling import operations as application_autoscaling
from modelport.services.cloudwatch import operations as cloudwatch
from modelport.services.iam import operations as iam
from modelport.services.lambda_ import functions
from modelport.services.logs import operations as logs
from modelport.services.s3 import requests as s3_requests
from modelport.services.sagemaker import operations as sagemaker
from modelport.services.sagemaker import runtime_operations as sagemaker_runtime
from modelport.services.sts import operations as sts


def test_implemented_operations_are_exactly_the_served_ones() -> None:
    served = {
        "sagemaker": sagemaker.OPERATIONS,
        "sagemaker-runtime": sagemaker_runtime.OPERATIONS,
        "iam": iam.OPERATIONS,
        "sts": sts.OPERATIONS,
        "lambda": functions.OPERATIONS,
        "apigateway": apigateway.OPERATIONS,
        "logs": logs.OPERATIONS,
        "cloudwatch": cloudwatch.OPERATIONS,
        "application-autoscaling": application_autoscaling.OPERATIONS,
    }
    assert {service: table for service, (_, table) in OPERATIONS.items()} == served
    for service, table in served.items():
        assert IMPLEMENTED[service] == frozenset(table) | HOT_PATH_OPERATIONS.get(service, frozenset()), (
            service
        )
    assert IMPLEMENTED["sagemaker-runtime"] == {"InvokeEndpoint", "InvokeEndpointAsync"}
    # S3 is listed too, but forwarded by the S3 front on its own port, not served at modelport's URL.
    assert IMPLEMENTED["s3"] == s3_requests.OPERATIONS
    assert set(IMPLEMENTED) == SERVED_SERVICES | {"s3"}  # SERVED_SERVICES: what modelport env names
