"""Which use cases answer which AWS API: the one table the front door dispatches with.

``OPERATIONS`` maps each botocore service name to its service's operation table; ``bindings``
adds the signing name and wire protocol, and ``IMPLEMENTED`` — the list in docs/operations.md —
is read off the same tables, so the document cannot name an operation nobody serves. A new AWS
service is one line here.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelport.aws.protocol.models import ServiceProtocol
from modelport.bootstrap import Platform
from modelport.http.services import Binding, Handler
from modelport.services.apigateway import operations as apigateway
from modelport.services.application_autoscaling import operations as application_autoscaling
from modelport.services.cloudwatch import operations as cloudwatch
from modelport.services.iam import operations as iam
from modelport.services.lambda_ import functions
from modelport.services.logs import operations as logs
from modelport.services.s3 import requests as s3
from modelport.services.sagemaker import operations as sagemaker
from modelport.services.sagemaker import runtime_operations as sagemaker_runtime
from modelport.services.sts import operations as sts

# botocore service name -> (SigV4 signing name, operation table), in the order docs/operations.md lists them.
OPERATIONS: dict[str, tuple[str, Mapping[str, Handler]]] = {
    "sagemaker": ("sagemaker", sagemaker.OPERATIONS),
    # Both SageMaker APIs sign as "sagemaker"; the runtime's InvokeEndpoint is not in its table.
    "sagemaker-runtime": ("sagemaker", sagemaker_runtime.OPERATIONS),
    "iam": ("iam", iam.OPERATIONS),
    "sts": ("sts", sts.OPERATIONS),
    "lambda": ("lambda", functions.OPERATIONS),
    "apigateway": ("apigateway", apigateway.OPERATIONS),
    "logs": ("logs", logs.OPERATIONS),
    "cloudwatch": ("monitoring", cloudwatch.OPERATIONS),
    "application-autoscaling": ("application-autoscaling", application_autoscaling.OPERATIONS),
}
# The runtime's InvokeEndpoint has its own hot path (http/invocations.py), outside the tables.
HOT_PATH_OPERATIONS = {"sagemaker-runtime": frozenset({"InvokeEndpoint"})}

IMPLEMENTED: dict[str, frozenset[str]] = {
    **{
        service: frozenset(table) | HOT_PATH_OPERATIONS.get(service, frozenset())
        for service, (_, table) in OPERATIONS.items()
    },
    # S3 is forwarded, not served: the S3 front (http/s3/front.py) checks IAM for these, then
    # hands them to the S3 in use.
    "s3": s3.OPERATIONS,
}


def bindings(platform: Platform) -> dict[str, Binding]:
    """Every API the front door's Starlette app serves, by botocore service name."""
    return {
        service: Binding(service, signing_name, ServiceProtocol.load(service), table)
        for service, (signing_name, table) in OPERATIONS.items()
    }
