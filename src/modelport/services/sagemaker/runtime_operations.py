"""The SageMaker runtime's operation table, beside InvokeEndpoint's own hot path
(``http/invocations.py``): operation name -> use case."""

from __future__ import annotations

from modelport.services.sagemaker import async_invocations
from modelport.services.sagemaker.operations import Handler

OPERATIONS: dict[str, Handler] = {
    "InvokeEndpointAsync": async_invocations.invoke_endpoint_async,
}
