"""Which use cases answer which AWS API: the one table the front door dispatches with."""

from __future__ import annotations

from modelport.aws.protocol.models import ServiceProtocol
from modelport.bootstrap import Platform
from modelport.http.services import Binding
from modelport.services.apigateway import apis
from modelport.services.iam import operations as iam
from modelport.services.lambda_ import functions
from modelport.services.sagemaker import operations as hosting
from modelport.services.sts import operations as sts


def bindings(platform: Platform) -> dict[str, Binding]:
    """Every control-plane API, by botocore service name (the runtime has its own hot path)."""
    return {
        "sagemaker": Binding("sagemaker", "sagemaker", ServiceProtocol.load("sagemaker"), hosting.OPERATIONS),
        "iam": Binding("iam", "iam", ServiceProtocol.load("iam"), iam.OPERATIONS),
        "sts": Binding("sts", "sts", ServiceProtocol.load("sts"), sts.OPERATIONS),
        "lambda": Binding("lambda", "lambda", ServiceProtocol.load("lambda"), functions.OPERATIONS),
        "apigateway": Binding(
            "apigateway", "apigateway", ServiceProtocol.load("apigateway"), apis.OPERATIONS
        ),
    }
