"""The AWS APIs the front door serves, and how a request is told apart.

Each API is a *binding*: its botocore service name, the name requests are signed with, its
wire protocol, and its operation table (operation name -> use case). ``classify`` reads only
what AWS clients put on every request (path, ``X-Amz-Target``, the query protocol's
``Action``/``Version``) to pick the binding.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from modelport.aws.protocol.models import ParsedRequest, ServiceProtocol
from modelport.core.errors import UnknownOperation

Handler = Callable[[Any, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

STS_VERSION = "2011-06-15"


@dataclass(frozen=True)
class Binding:
    name: str  # botocore's service name, also the key of the error table and the action catalogue
    signing_name: str
    protocol: ServiceProtocol
    operations: Mapping[str, Handler]

    async def call(self, context: Any, parsed: ParsedRequest) -> dict[str, Any]:
        handler = self.operations.get(parsed.operation)
        if handler is None:
            raise UnknownOperation(f"Operation {parsed.operation} is not supported by modelport yet.")
        result = handler(context, parsed.params)
        if inspect.isawaitable(result):
            result = await result
        return result


def classify(
    method: str, path: str, headers: Mapping[str, str], query_string: str, body: bytes
) -> str | None:
    """The service a request is for, or None when nothing here serves it."""
    if path == "/":
        target = headers.get("x-amz-target", "")
        if target.startswith("SageMaker."):
            return "sagemaker"
        if target.startswith("Logs_20140328."):
            return "logs"
        if target.startswith("GraniteServiceVersion20100801."):
            return "cloudwatch"
        if target.startswith("AnyScaleFrontendService."):
            return "application-autoscaling"
        form = query_string if method == "GET" else body.decode("latin-1")
        if "Action=" in form:
            version = parse_qs(form).get("Version", [""])[0]
            return "sts" if version == STS_VERSION else "iam"
        return "sagemaker" if method == "POST" else None
    if path.startswith("/endpoints/"):  # the runtime's other operations (InvokeEndpoint has its own door)
        return "sagemaker-runtime"
    if path.startswith("/2015-03-31/functions"):
        return "lambda"
    if path.startswith(("/restapis", "/apikeys")):
        return "apigateway"
    return None
