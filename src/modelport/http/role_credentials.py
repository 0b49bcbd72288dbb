"""``/_modelport/credentials``: execution-role credentials in ECS's container-credentials format.

    POST   /_modelport/credentials        signed (SigV4, service ``sts``) JSON
                                          {"RoleArn": ..., "DurationSeconds": ...}: checks that
                                          the caller may assume the role and answers
                                          {"Id", "Token", "Path", "AssumedRoleArn"}
    GET    /_modelport/credentials/{id}   ``Authorization: <token>``, from a loopback client only:
                                          {AccessKeyId, SecretAccessKey, Token, Expiration, RoleArn}
    DELETE /_modelport/credentials/{id}   signed by the registering caller (or root): revokes it

Errors are JSON ``{"Code": ..., "Message": ...}`` with 400, 403 or 404.
(``services/sts/role_tokens`` holds the tokens and explains the rules.)
"""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modelport.bootstrap import Platform
from modelport.core.errors import AuthError, InvalidRequest, ModelportError
from modelport.http.auth import authenticate
from modelport.services.sts.role_tokens import RoleTokens

logger = logging.getLogger(__name__)

PREFIX = "/_modelport/credentials"
_BODY_LIMIT = 16 * 1024


def role_credentials_routes(platform: Platform) -> list[Route]:
    tokens = platform.context.role_tokens or RoleTokens()

    async def register(request: Request) -> Response:
        try:
            body = await request.body()
            if len(body) > _BODY_LIMIT:
                raise InvalidRequest(f"The request body is larger than {_BODY_LIMIT} bytes.")
            principal = authenticate(platform, request.scope, body, service="sts")
            params = _params(body)
            context = platform.context.acting_as(principal)
            platform.authorize(context, "sts", "AssumeRole", params)
            token_id, token, assumed = tokens.register(context, params["RoleArn"], params["DurationSeconds"])
        except Exception as exc:
            return _error(exc)
        return JSONResponse(
            {"Id": token_id, "Token": token, "Path": f"{PREFIX}/{token_id}", "AssumedRoleArn": assumed}
        )

    async def serve(request: Request) -> Response:
        client = request.client.host if request.client is not None else ""
        if not _is_loopback(client):
            return _json_error(403, "AccessDenied", "Role credentials are served to loopback clients only.")
        token = request.headers.get("authorization", "")
        try:
            issued = tokens.credentials(
                platform.context, platform.key_lookup, request.path_params["id"], token
            )
        except Exception as exc:
            return _error(exc)
        if issued is None:
            return _json_error(
                403, "AccessDenied", "Unknown or revoked token: run modelport env --role again."
            )
        return JSONResponse(issued)

    async def revoke(request: Request) -> Response:
        try:
            principal = authenticate(platform, request.scope, b"", service="sts")
            revoked = tokens.revoke(platform.context.acting_as(principal), request.path_params["id"])
        except Exception as exc:
            return _error(exc)
        if not revoked:
            return _json_error(404, "NotFound", "No such token, or it was registered by another caller.")
        return Response(status_code=204)

    return [
        Route(PREFIX, register, methods=["POST"]),
        Route(PREFIX + "/{id}", serve, methods=["GET"]),
        Route(PREFIX + "/{id}", revoke, methods=["DELETE"]),
    ]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _params(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise InvalidRequest('The body must be JSON: {"RoleArn": ..., "DurationSeconds": ...}.') from None
    role_arn = document.get("RoleArn") if isinstance(document, dict) else None
    duration = document.get("DurationSeconds", 3600) if isinstance(document, dict) else None
    if not isinstance(role_arn, str) or not role_arn:
        raise InvalidRequest("RoleArn is required: the ARN of the role to serve credentials for.")
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise InvalidRequest("DurationSeconds must be a whole number of seconds.")
    return {"RoleArn": role_arn, "RoleSessionName": "SageMaker", "DurationSeconds": duration}


def _error(exc: Exception) -> Response:
    if isinstance(exc, AuthError):
        return _json_error(403, type(exc).__name__, exc.message)
    if isinstance(exc, ModelportError):
        return _json_error(400, "ValidationError", exc.message)
    logger.exception("Role credentials request failed")
    return _json_error(500, "InternalFailure", "We encountered an internal error. Please try again.")


def _json_error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"Code": code, "Message": message}, status_code=status)
