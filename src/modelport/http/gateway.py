"""API Gateway invoke URLs: a client's call to a deployed REST API stage.

Both forms of invoke URL reach here: the host form ``<id>.execute-api.localhost:<port>/<stage>/…``
and the path form ``/restapis/<id>/<stage>/_user_request_/…``. The caller is not asked to sign:
like API Gateway's methods with authorization NONE, these are public URLs (guarded by API keys
where the method requires one).
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from modelport.bootstrap import Platform
from modelport.core.arns import extended_request_id, request_id
from modelport.http.invocations import read_body, send_raw
from modelport.services.apigateway.gateway import execute
from modelport.services.apigateway.responses import GatewayResponse, gateway_error
from modelport.services.apigateway.urls import parse_invoke_url

_PAYLOAD_LIMIT = 10 * 1024 * 1024  # API Gateway's request payload quota (10 MB)


def is_api_invoke(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    host, path = _host(scope), scope["path"]
    # Asked of every request, InvokeEndpoint's included: settle the common "no" without the
    # regexes (an invoke URL's host names execute-api, or its path starts with one of these).
    if "execute-api" not in host.lower() and not path.startswith(("/restapis/", "/_aws/execute-api/")):
        return False
    return parse_invoke_url(host, path) is not None


class GatewayHandler:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = parse_invoke_url(_host(scope), scope["path"])
        assert target is not None
        ids = (request_id(), extended_request_id())
        try:
            body = await read_body(scope, receive, _PAYLOAD_LIMIT)
        except Exception:
            response = gateway_error(413, b'{"message":"Request Too Long"}', "RequestTooLongException")
        else:
            client = scope.get("client") or ("127.0.0.1", 0)
            response = await execute(
                self.platform.context,
                api_id=target.api_id,
                stage=target.stage,
                method=scope["method"],
                path=target.path,
                headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                query_string=scope.get("query_string", b"").decode("latin-1"),
                body=body,
                source_ip=str(client[0]),
                request_ids=ids,
            )
        await _send(send, response, ids)


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return ""


async def _send(send: Send, response: GatewayResponse, ids: tuple[str, str]) -> None:
    """The response, with the ids API Gateway puts on every answer (an integration's own headers
    of these names are replaced)."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    headers["x-amzn-requestid"], headers["x-amz-apigw-id"] = ids
    await send_raw(send, response.status, headers, response.body)
