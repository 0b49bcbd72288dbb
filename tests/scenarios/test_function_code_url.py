"""GetFunction's Code.Location against a real server: a plain, unsigned GET downloads the zip.

The server hands out URLs valid for ``TTL_S`` seconds (``MODELPORT_FUNCTION_CODE_URL_TTL_S``),
so the expiry can be watched without waiting Lambda's ten minutes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

TTL_S = 5
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def zip_of(result: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "lambda_function.py", f"def lambda_handler(event, context):\n    return {result!r}\n"
        )
    return buffer.getvalue()


FIRST, SECOND = zip_of("first"), zip_of("second")


@pytest.fixture(scope="module")
def server(module_servers: ServerPool) -> ModelportServer:
    return module_servers.start(env={"MODELPORT_FUNCTION_CODE_URL_TTL_S": str(TTL_S)})


@pytest.fixture(scope="module")
def lambda_client(server: ModelportServer) -> Any:
    role = server.client("iam").create_role(RoleName="code-url", AssumeRolePolicyDocument=json.dumps(TRUST))
    client = server.client("lambda")
    client.create_function(
        FunctionName="code-url-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": FIRST},
    )
    return client


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    assert response.headers["content-type"].startswith("application/xml"), response.text
    code = response.text.split("<Code>")[1].split("</Code>")[0]
    message = response.text.split("<Message>")[1].split("</Message>")[0]
    return response.status_code, code, message


def test_an_unsigned_get_downloads_the_uploaded_zip(lambda_client: Any) -> None:
    got = lambda_client.get_function(FunctionName="code-url-fn")
    assert got["Code"]["RepositoryType"] == "S3"
    response = httpx.get(got["Code"]["Location"], timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.content == FIRST
    sha256 = base64.b64encode(hashlib.sha256(response.content).digest()).decode()
    assert sha256 == got["Configuration"]["CodeSha256"]


def test_a_tampered_url_is_refused(lambda_client: Any) -> None:
    url = lambda_client.get_function(FunctionName="code-url-fn")["Code"]["Location"]
    token = parse_qs(urlsplit(url).query)["Token"][0]
    forged = url.replace(token, ("0" if token[0] != "0" else "1") + token[1:])
    assert error_of(httpx.get(forged, timeout=10)) == (403, "AccessDenied", "Access Denied")
    unsigned = url.split("?")[0]
    assert error_of(httpx.get(unsigned, timeout=10)) == (403, "AccessDenied", "Access Denied")
    other = url.replace("/code-url-fn/", "/another-fn/")
    assert error_of(httpx.get(other, timeout=10)) == (403, "AccessDenied", "Access Denied")


def test_the_url_expires(lambda_client: Any) -> None:
    url = lambda_client.get_function(FunctionName="code-url-fn")["Code"]["Location"]
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])
    assert expires - TTL_S - 1 <= time.time() <= expires
    time.sleep(max(0.0, expires - time.time()) + 0.2)
    assert error_of(httpx.get(url, timeout=10)) == (403, "AccessDenied", "Request has expired")


def test_new_code_retires_the_old_url(lambda_client: Any) -> None:
    old = lambda_client.get_function(FunctionName="code-url-fn")["Code"]["Location"]
    lambda_client.update_function_code(FunctionName="code-url-fn", ZipFile=SECOND)
    status, code, message = error_of(httpx.get(old, timeout=10))
    assert (status, code) == (403, "AccessDenied") and "code has changed" in message
    new = lambda_client.get_function(FunctionName="code-url-fn")["Code"]["Location"]
    assert httpx.get(new, timeout=10).content == SECOND


def test_a_deleted_function_is_not_found(lambda_client: Any) -> None:
    url = lambda_client.get_function(FunctionName="code-url-fn")["Code"]["Location"]
    lambda_client.delete_function(FunctionName="code-url-fn")
    assert error_of(httpx.get(url, timeout=10)) == (404, "NoSuchKey", "The specified key does not exist.")
