"""Bodies over a front door's limit, sent with ``Content-Length`` and without it (chunked).

Each oversize body is refused with the same code and status either way, before it is read in
full: the server stops reading one chunk past the limit, so a client streaming an endless body
cannot make it buffer more than that. The limits are the defaults: 2 MiB for the control plane
(``MODELPORT_MAX_CONTROL_BODY_BYTES``), 6 MB for InvokeEndpoint (``MODELPORT_MAX_PAYLOAD_BYTES``)
and 10 MB for API Gateway invoke URLs (API Gateway's payload quota), which answers in API
Gateway's own shape: 413 ``{"message":"Request Too Long"}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.awsrequest import AWSRequest

from e2e.conftest import Deployed
from e2e.wire import JSON_11, Keys, error_of, sign
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e

MIB = 1024**2
API_GATEWAY_LIMIT = 10 * 1024 * 1024


@dataclass(frozen=True)
class Door:
    id: str
    limit: int
    code: str
    status: int
    message: str


DOORS = [
    Door("control", 2 * MIB, "ValidationException", 400, f"larger than the {2 * MIB} bytes allowed"),
    Door("runtime", 6 * MIB, "ValidationError", 413, f"larger than the {6 * MIB} bytes allowed"),
    Door("invoke-url", API_GATEWAY_LIMIT, "RequestTooLongException", 413, "Request Too Long"),
]


@pytest.fixture(scope="module")
def invoke_path(server: ModelportServer) -> Iterator[str]:
    """A deployed REST API stage: POST /items answers 200 from a MOCK integration."""
    apigw = client(server, "apigateway", validate=False)
    api = apigw.create_rest_api(name="e2e-oversize")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    method = {"restApiId": api, "resourceId": items, "httpMethod": "POST"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(**method, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**method, statusCode="200")
    apigw.put_integration_response(
        **method, statusCode="200", responseTemplates={"application/json": '{"ok": true}'}
    )
    apigw.create_deployment(restApiId=api, stageName="test")
    yield f"/restapis/{api}/test/_user_request_/items"
    apigw.delete_rest_api(restApiId=api)


def request_for(
    door: Door, url: str, keys: Keys, endpoint: str, invoke_path: str
) -> tuple[str, dict[str, str]]:
    """(URL, headers) of a request to ``door``; signed (UNSIGNED-PAYLOAD: the body streams) where needed."""
    if door.id == "invoke-url":
        return url + invoke_path, {"Content-Type": "application/json"}
    if door.id == "control":
        path, headers = "/", {"Content-Type": JSON_11, "X-Amz-Target": "SageMaker.ListModels"}
    else:
        path, headers = f"/endpoints/{endpoint}/invocations", {"Content-Type": "text/csv"}
    headers["X-Amz-Content-Sha256"] = "UNSIGNED-PAYLOAD"
    request = AWSRequest(method="POST", url=url + path, data=b"", headers=headers)
    sign(request, keys)
    signed = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return url + path, signed


def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    while total > 0:
        yield b"1" * min(size, total)
        total -= size


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.mark.parametrize("door", DOORS, ids=[d.id for d in DOORS])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_oversize_body_is_refused(
    door: Door, framing: str, server: ModelportServer, keys: Keys, iris: Deployed, invoke_path: str
) -> None:
    size = door.limit + 1
    url, headers = request_for(door, server.url, keys, iris.endpoint, invoke_path)
    content: Any = b"1" * size if framing == "content-length" else chunks(size)
    response = httpx.post(url, content=content, headers=headers, timeout=60)
    if framing == "chunked":
        assert response.request.headers.get("transfer-encoding") == "chunked"
    code, message = error_of(response)
    assert (code, response.status_code) == (door.code, door.status), message
    assert door.message in message


def test_an_endless_chunked_body_is_not_buffered(
    server: ModelportServer, keys: Keys, iris: Deployed, invoke_path: str
) -> None:
    """256 MiB streamed to each door: refused, and the server's peak memory barely moves."""
    before = peak_rss(server.pid)
    for door in DOORS:
        url, headers = request_for(door, server.url, keys, iris.endpoint, invoke_path)
        response = httpx.post(url, content=chunks(256 * MIB, 1024 * 1024), headers=headers, timeout=60)
        assert (error_of(response)[0], response.status_code) == (door.code, door.status)
    grown = peak_rss(server.pid) - before
    assert grown < 64 * MIB, f"the server's peak memory grew by {grown} bytes"
