"""TestInvokeMethod: a trial call of one method, as the API Gateway console's **Test** tab makes it.

The call runs against the API as edited now, not a deployment, on AWS's stage name
``test-invoke-stage`` (so a Lambda permission whose ``SourceArn`` names ``*`` for the stage lets
it through, as on AWS). No API key is asked for. The answer carries the status, body and headers
the client would get, how long it took, and an execution log of the steps, in the words of AWS's
log lines.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from modelport.core.arns import extended_request_id, request_id
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.apigateway.documents import load_api, resource_of, tree_of
from modelport.services.apigateway.gateway import Call, run_method
from modelport.services.apigateway.routes import NoRoute
from modelport.services.context import ServiceContext

STAGE = "test-invoke-stage"
SOURCE_IP = "test-invoke-source-ip"
MAX_LOGGED_BODY = 1000  # AWS's execution log truncates bodies too


async def test_invoke_method(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    api_id = params["restApiId"]
    api = load_api(ctx, api_id).body
    resource = resource_of(api, params["resourceId"])
    method = params["httpMethod"].upper()
    if method not in resource.get("resourceMethods", {}):
        raise ResourceNotFound("Invalid Method identifier specified")
    path, _, query = (params.get("pathWithQueryString") or resource["path"]).partition("?")
    route = tree_of(api["resources"]).match(method, path)
    if isinstance(route, NoRoute) or route.resource_id != resource["id"]:
        raise InvalidRequest(
            f"pathWithQueryString {path!r} does not lead to resource {resource['path']}: give a path that "
            "matches it, with values in place of its {parameters}."
        )
    headers = _headers(params)
    body = (params.get("body") or "").encode("utf-8")
    ids = (request_id(), extended_request_id())
    call = Call(
        api_id, STAGE, params.get("stageVariables") or {}, method, path, headers, query, body, SOURCE_IP
    )
    started = time.perf_counter()
    answer = await run_method(ctx, api, call, api["resources"], route, ids)
    latency_ms = round((time.perf_counter() - started) * 1000)
    text = answer.body.decode("utf-8", errors="replace")
    log = _log(
        ctx, ids[0], method, resource["path"], body.decode("utf-8", errors="replace"), text, answer.status
    )
    return {
        "status": answer.status,
        "body": text,
        "headers": dict(answer.headers),
        "multiValueHeaders": {name: [value] for name, value in answer.headers.items()},
        "log": log,
        "latency": latency_ms,
    }


def _headers(params: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = list((params.get("headers") or {}).items())
    for name, values in (params.get("multiValueHeaders") or {}).items():
        pairs += [(name, value) for value in values]
    if not any(name.lower() == "content-type" for name, _ in pairs):
        pairs.append(("Content-Type", "application/json"))  # what the console's Test tab sends
    return pairs


def _log(
    ctx: ServiceContext, rid: str, method: str, resource_path: str, sent: str, got: str, status: int
) -> str:
    def stamp() -> str:
        return dt.datetime.fromtimestamp(ctx.clock.now(), dt.UTC).strftime("%a %b %d %H:%M:%S UTC %Y")

    lines = [
        f"Execution log for request {rid}",
        f"{stamp()} : Starting execution for request: {rid}",
        f"{stamp()} : HTTP Method: {method}, Resource Path: {resource_path}",
        f"{stamp()} : Method request body before transformations: {sent[:MAX_LOGGED_BODY]}",
        f"{stamp()} : Method response body after transformations: {got[:MAX_LOGGED_BODY]}",
        f"{stamp()} : Method completed with status: {status}",
    ]
    return "\n".join(lines) + "\n"
