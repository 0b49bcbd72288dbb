"""Bad Lambda API requests against the real server, over HTTP, with boto3.

Each case must get Lambda's code, status and a message naming what to fix, and must leave
everything as it was: no function record or folder from a refused create, no file written
outside the data folder by a zip, the good function's configuration unchanged. After every
case the server still serves the good function and the SageMaker endpoint.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.lambda_cases import CASES, Case
from e2e.services import (
    ECHO,
    Expected,
    check_good_function,
    check_refused,
    ensure_function_role,
    ensure_good_function,
    function_absent,
    function_params,
)
from e2e.wire import Keys, send
from support.modelport_server import ModelportServer, client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lam(server: ModelportServer) -> Iterator[Any]:
    ensure_function_role(client(server, "iam", validate=False))
    lam = client(server, "lambda", validate=False)
    ensure_good_function(lam)
    yield lam


@pytest.fixture
def unharmed(lam: Any, server: ModelportServer, healthy: Callable[[], None]) -> Iterator[None]:
    """Around a case: the good function and the list of functions are as they were."""
    before = lam.get_function_configuration(FunctionName="e2e-good-fn")
    names = {f["FunctionName"] for f in lam.list_functions(MaxItems=1000)["Functions"]}
    yield
    after = lam.get_function_configuration(FunctionName="e2e-good-fn")
    assert after["RevisionId"] == before["RevisionId"] and after["CodeSha256"] == before["CodeSha256"]
    assert {f["FunctionName"] for f in lam.list_functions(MaxItems=1000)["Functions"]} == names
    escaped = [*server.data_dir.parent.rglob("*evil*"), *Path("/tmp").glob("evil.py")]
    assert not escaped, f"a zip wrote outside its folder: {escaped}"
    check_good_function(lam)
    healthy()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.usefixtures("unharmed")
def test_bad_lambda_request(case: Case, lam: Any, server: ModelportServer) -> None:
    with pytest.raises(ClientError) as caught:
        getattr(lam, case.operation)(**case.params)
    check_refused(caught, case.expected)
    assert caught.value.response.get("Type") == "User"  # Lambda's body names who is at fault
    if case.creates is not None:
        function_absent(lam, server.data_dir, case.creates)


@pytest.mark.usefixtures("unharmed")
def test_a_zip_that_unpacks_past_250_mb_is_refused_before_it_fills_the_disk(
    lam: Any, server: ModelportServer
) -> None:
    """A zip bomb: 250 KB that would unpack to 250 MB and one byte (Lambda's unzipped quota)."""
    params = function_params("e2e-bad-zip-bomb", {"lambda_function.py": ECHO})
    params["Code"] = {"ZipFile": _bomb(262_144_001)}
    with pytest.raises(ClientError) as caught:
        lam.create_function(**params)
    check_refused(caught, Expected("InvalidParameterValueException", 400, ("262144000", "big.bin")))
    function_absent(lam, server.data_dir, "e2e-bad-zip-bomb")


@pytest.mark.usefixtures("unharmed")
def test_a_create_request_over_the_body_limit_gets_lambdas_413(lam: Any, server: ModelportServer) -> None:
    """53 MB of zip is 70.7 MB of base64 in JSON: past the limit before anything is parsed."""
    params = function_params("e2e-bad-huge", {"lambda_function.py": ECHO})
    params["Code"] = {"ZipFile": secrets.token_bytes(53 * 1024 * 1024)}
    with pytest.raises(ClientError) as caught:
        lam.create_function(**params)
    check_refused(caught, Expected("RequestTooLargeException", 413, ("larger than", "bytes")))
    function_absent(lam, server.data_dir, "e2e-bad-huge")


def test_lambda_errors_have_lambdas_wire_shape(lam: Any, server: ModelportServer, keys: Keys) -> None:
    """As Lambda sends them: the code in ``x-amzn-ErrorType``, ``Type`` and the message in the body."""
    response = send(
        server.url,
        keys,
        path="/2015-03-31/functions/e2e-no-such-fn/invocations",
        body=b"{}",
        service="lambda",
    )
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert response.headers["x-amzn-RequestId"]
    body = json.loads(response.content)
    assert body["Type"] == "User"
    assert "Function not found" in body["Message"] and "e2e-no-such-fn" in body["Message"]


def test_max_items_in_the_query_string_pages_the_list(lam: Any) -> None:
    """``MaxItems`` travels in the query string; a valid one is honoured, not refused."""
    page = lam.list_functions(MaxItems=1)
    assert len(page["Functions"]) == 1 and page["Functions"][0]["FunctionName"]


def _bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("lambda_function.py", ECHO)
        with archive.open("big.bin", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
            member.write(bytes(size % len(chunk)))
    return buffer.getvalue()
