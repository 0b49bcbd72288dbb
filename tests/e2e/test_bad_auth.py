"""Requests whose SigV4 signature is missing, malformed, forged, stale or spoiled after signing.

Each case runs against both front doors (control plane ``POST /`` and runtime
``POST /endpoints/{name}/invocations``) and must be refused with AWS's code and HTTP 403 before
anything else is read: a refused invocation never reaches the model, a refused create creates
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.awsrequest import AWSRequest

from e2e.conftest import GOOD_ROW, Deployed, new_keys
from e2e.wire import JSON_11, Keys, error_of, send
from modelport.launcher import ServerProcess

pytestmark = pytest.mark.e2e


def forge_signature(request: AWSRequest) -> None:
    header = request.headers["Authorization"]
    signature = header.rsplit("Signature=", 1)[1]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    del request.headers["Authorization"]
    request.headers["Authorization"] = header.replace(signature, forged)


def tamper_body(request: AWSRequest) -> None:
    request.data = request.body + b" "


def replace_authorization(value: str) -> Callable[[AWSRequest], None]:
    def spoil(request: AWSRequest) -> None:
        del request.headers["Authorization"]
        request.headers["Authorization"] = value

    return spoil


def drop_header(name: str) -> Callable[[AWSRequest], None]:
    def spoil(request: AWSRequest) -> None:
        del request.headers[name]

    return spoil


def minutes_ago(minutes: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=minutes)


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    message: str
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments for ``wire.send``
    stranger: bool = False  # sign with keys the server does not know
    # Sign with a clock this far off, computed when the request is sent (not at collection: the
    # suite can run longer than the 15 minutes of allowed skew).
    signed_minutes_ago: int | None = None

    def send_options(self) -> dict[str, Any]:
        if self.signed_minutes_ago is None:
            return self.options
        return {**self.options, "when": minutes_ago(self.signed_minutes_ago)}


CASES = [
    Case(
        "unsigned", "MissingAuthenticationTokenException", "Missing Authentication Token", {"signed": False}
    ),
    Case(
        "forged-signature",
        "InvalidSignatureException",
        "The request signature we calculated does not match",
        {"spoil": forge_signature},
    ),
    Case(
        "unknown-access-key",
        "UnrecognizedClientException",
        "The security token included in the request is invalid",
        stranger=True,
    ),
    Case("expired-20-minutes", "InvalidSignatureException", "Signature expired", signed_minutes_ago=20),
    Case(
        "future-20-minutes", "InvalidSignatureException", "Signature not yet current", signed_minutes_ago=-20
    ),
    Case(
        "malformed-authorization",
        "IncompleteSignatureException",
        "Authorization header requires",
        {"spoil": replace_authorization("AWS4-HMAC-SHA256 garbage")},
    ),
    Case(
        "authorization-other-scheme",
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'Basic'",
        {"spoil": replace_authorization("Basic dXNlcjpwYXNz")},
    ),
    Case(
        "missing-amz-date", "IncompleteSignatureException", "X-Amz-Date", {"spoil": drop_header("X-Amz-Date")}
    ),
    Case(
        "wrong-service-scope",
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'sagemaker'",
        {"service": "s3"},
    ),
    Case(
        "body-tampered",
        "InvalidSignatureException",
        "The request signature we calculated does not match",
        {"spoil": tamper_body},
    ),
]


def request_options(front_door: str, endpoint: str) -> dict[str, Any]:
    if front_door == "control":
        return {
            "body": {"ModelName": "never-created-by-auth"},
            "headers": {"Content-Type": JSON_11, "X-Amz-Target": "SageMaker.DeleteModel"},
        }
    return {
        "path": f"/endpoints/{endpoint}/invocations",
        "body": GOOD_ROW,
        "headers": {"Content-Type": "text/csv"},
    }


@pytest.mark.parametrize("front_door", ["control", "runtime"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_signature(
    case: Case,
    front_door: str,
    server: ServerProcess,
    keys: Keys,
    iris: Deployed,
    healthy: Callable[[], None],
) -> None:
    signer = new_keys() if case.stranger else keys
    response = send(server.url, signer, **request_options(front_door, iris.endpoint), **case.send_options())
    code, message = error_of(response)
    assert (code, response.status_code) == (case.code, 403), message
    assert case.message in message
    assert "x-Amzn-Invoked-Production-Variant" not in response.headers
    healthy()


def test_health_needs_no_signature(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/health").text == "ok"
