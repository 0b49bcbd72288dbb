"""Requests whose SigV4 signature is missing, malformed, forged, stale or spoiled after signing.

Each case runs against every signed front door: the SageMaker control plane (``POST /``), the
runtime (``POST /endpoints/{name}/invocations``), IAM (query protocol), Lambda and API Gateway's
control plane (rest-json). Each is refused with the code and status its protocol gives
(``SignatureDoesNotMatch`` for IAM, ``InvalidSignatureException`` for the JSON ones ...) before
anything else is read: a refused invocation never reaches the model, a refused create creates
nothing. API Gateway's invoke URLs are not here: like AWS's methods with authorization NONE,
they take no signature.

The ``repeated-*`` cases are a valid request with one signing header sent a second time (raw,
over ``http.client``): two copies could be read apart by different layers, so both are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from e2e.conftest import GOOD_ROW, Deployed, new_keys
from e2e.services import function_absent
from e2e.wire import JSON_11, Keys, error_of, send
from support.modelport_server import ModelportServer, client

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


def add_header(name: str, value: str) -> Callable[[AWSRequest], None]:
    """A header added after signing (so the signature does not cover it)."""

    def spoil(request: AWSRequest) -> None:
        request.headers[name] = value

    return spoil


def drop_header(name: str) -> Callable[[AWSRequest], None]:
    def spoil(request: AWSRequest) -> None:
        del request.headers[name]

    return spoil


def minutes_ago(minutes: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=minutes)


# What each protocol answers for each kind of refusal: (code, HTTP status).
JSON_CODES = {
    "missing": ("MissingAuthenticationTokenException", 403),
    "incomplete": ("IncompleteSignatureException", 403),
    "unknown-key": ("UnrecognizedClientException", 403),
    "signature": ("InvalidSignatureException", 403),
}
QUERY_CODES = {
    "missing": ("MissingAuthenticationToken", 403),
    "incomplete": ("IncompleteSignature", 400),
    "unknown-key": ("InvalidClientTokenId", 403),
    "signature": ("SignatureDoesNotMatch", 403),
}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # a key of JSON_CODES and QUERY_CODES
    message: str  # ``{service}`` stands for the front door's signing name
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments for ``wire.send``
    stranger: bool = False  # sign with keys the server does not know
    # Sign with a clock this far off, computed when the request is sent (not at collection: the
    # suite can run longer than the 15 minutes of allowed skew).
    signed_minutes_ago: int | None = None

    def send_options(self) -> dict[str, Any]:
        if self.signed_minutes_ago is None:
            return self.options
        return {**self.options, "when": minutes_ago(self.signed_minutes_ago)}


MISMATCH = "The request signature we calculated does not match"
REPEATED = "more than once; send each of Authorization, Host, X-Amz-Date"

CASES = [
    Case("unsigned", "missing", "Missing Authentication Token", {"signed": False}),
    Case("forged-signature", "signature", MISMATCH, {"spoil": forge_signature}),
    Case(
        "unknown-access-key",
        "unknown-key",
        "The security token included in the request is invalid",
        stranger=True,
    ),
    Case("expired-20-minutes", "signature", "Signature expired", signed_minutes_ago=20),
    Case("future-20-minutes", "signature", "Signature not yet current", signed_minutes_ago=-20),
    Case(
        "malformed-authorization",
        "incomplete",
        "Authorization header requires",
        {"spoil": replace_authorization("AWS4-HMAC-SHA256 garbage")},
    ),
    Case(
        "authorization-other-scheme",
        "incomplete",
        "Unsupported AWS 'algorithm': 'Basic'",
        {"spoil": replace_authorization("Basic dXNlcjpwYXNz")},
    ),
    Case("missing-amz-date", "incomplete", "X-Amz-Date", {"spoil": drop_header("X-Amz-Date")}),
    Case(
        "wrong-service-scope",
        "signature",
        "Credential should be scoped to correct service: '{service}'",
        {"service": "s3"},
    ),
    Case("body-tampered", "signature", MISMATCH, {"spoil": tamper_body}),
    Case(
        "repeated-authorization",
        "signature",
        f"the Authorization header {REPEATED}",
        {"repeat": ("Authorization", "AWS4-HMAC-SHA256 garbage")},
    ),
    Case(
        "repeated-host", "signature", f"the Host header {REPEATED}", {"repeat": ("Host", "attacker.example")}
    ),
    Case(
        "repeated-amz-date",
        "signature",
        f"the X-Amz-Date header {REPEATED}",
        {"repeat": ("X-Amz-Date", "20000101T000000Z")},
    ),
    Case(
        "repeated-security-token",
        "signature",
        f"the X-Amz-Security-Token header {REPEATED}",
        {"spoil": add_header("X-Amz-Security-Token", "one"), "repeat": ("X-Amz-Security-Token", "two")},
    ),
    Case(
        "repeated-content-sha256",
        "signature",
        f"the X-Amz-Content-Sha256 header {REPEATED}",
        {
            "spoil": add_header("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"),
            "repeat": ("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"),
        },
    ),
]

FORM = "application/x-www-form-urlencoded; charset=utf-8"
NEVER = "never-created-by-auth"


@dataclass(frozen=True)
class FrontDoor:
    """One signed API: a create (or invoke) request to it, and its protocol's answers."""

    id: str
    service: str  # the signing name
    codes: dict[str, tuple[str, int]]
    path: str = "/"
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def request(self, endpoint: str) -> dict[str, Any]:
        return {
            "path": self.path.format(endpoint=endpoint),
            "body": self.body,
            "headers": self.headers,
            "service": self.service,
        }


FRONT_DOORS = [
    FrontDoor(
        "control",
        "sagemaker",
        JSON_CODES,
        body={"ModelName": NEVER},
        headers={"Content-Type": JSON_11, "X-Amz-Target": "SageMaker.DeleteModel"},
    ),
    FrontDoor(
        "runtime",
        "sagemaker",
        JSON_CODES,
        path="/endpoints/{endpoint}/invocations",
        body=GOOD_ROW,
        headers={"Content-Type": "text/csv"},
    ),
    FrontDoor(
        "iam",
        "iam",
        QUERY_CODES,
        body=f"Action=CreateUser&UserName={NEVER}&Version=2010-05-08",
        headers={"Content-Type": FORM},
    ),
    FrontDoor(
        "lambda",
        "lambda",
        JSON_CODES,
        path="/2015-03-31/functions",
        body={"FunctionName": NEVER, "Runtime": "python3.12", "Handler": "a.b", "Role": "r", "Code": {}},
        headers={"Content-Type": "application/json"},
    ),
    FrontDoor(
        "apigateway",
        "apigateway",
        JSON_CODES,
        path="/restapis",
        body={"name": NEVER},
        headers={"Content-Type": "application/json"},
    ),
]


def nothing_created(server: ModelportServer, front_door: str) -> None:
    """The refused create left nothing behind (SageMaker's side is checked by ``healthy``)."""
    if front_door == "iam":
        with pytest.raises(ClientError) as caught:
            client(server, "iam", validate=False).list_access_keys(UserName=NEVER)
        assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    elif front_door == "lambda":
        function_absent(client(server, "lambda", validate=False), server.data_dir, NEVER)
    elif front_door == "apigateway":
        names = [api["name"] for api in client(server, "apigateway", validate=False).get_rest_apis()["items"]]
        assert NEVER not in names


@pytest.mark.parametrize("front_door", FRONT_DOORS, ids=[d.id for d in FRONT_DOORS])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_signature(
    case: Case,
    front_door: FrontDoor,
    server: ModelportServer,
    keys: Keys,
    iris: Deployed,
    healthy: Callable[[], None],
) -> None:
    signer = new_keys() if case.stranger else keys
    response = send(server.url, signer, **{**front_door.request(iris.endpoint), **case.send_options()})
    code, message = error_of(response)
    assert (code, response.status_code) == front_door.codes[case.kind], message
    assert case.message.format(service=front_door.service) in message
    assert "x-Amzn-Invoked-Production-Variant" not in response.headers
    nothing_created(server, front_door.id)
    healthy()


def test_health_needs_no_signature(server: ModelportServer) -> None:
    assert httpx.get(f"{server.url}/health").text == "ok"
