"""Bad Lambda API requests: each case is one call and the error Lambda answers it with.

Used by ``test_bad_lambda.py``. Codes and statuses are Lambda's (``InvalidParameterValueException``
400, ``ResourceNotFoundException`` 404, ``ResourceConflictException`` 409,
``InvalidRequestContentException`` 400, ``RequestTooLargeException`` 413); the words are the
member or value at fault and the limit it broke.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from e2e.services import ECHO, GOOD_FUNCTION, Expected, function_params, zip_of

INVALID = "InvalidParameterValueException"
NOT_FOUND = "ResourceNotFoundException"
UNKNOWN = "e2e-no-such-fn"
SYNC_LIMIT = 6 * 1024 * 1024  # Invoke's RequestResponse payload
EVENT_LIMIT = 256 * 1024  # Invoke's Event payload


@dataclass(frozen=True)
class Case:
    id: str
    operation: str  # the boto3 method
    params: dict[str, Any]
    expected: Expected
    creates: str | None = None  # a function the call must not have created


def invalid(*words: str) -> Expected:
    return Expected(INVALID, 400, words)


def not_found(name: str = UNKNOWN) -> Expected:
    return Expected(NOT_FOUND, 404, ("function not found", name))


def create(case_id: str, expected: Expected, **changes: Any) -> Case:
    """A CreateFunction of ``e2e-bad-<case_id>`` with ``changes`` (None removes a member).

    A case that changes ``FunctionName`` names no function that could be looked up afterwards;
    the unchanged list of functions shows it created nothing.
    """
    name = f"e2e-bad-{case_id}"
    params = function_params(name, {"lambda_function.py": ECHO}, **changes)
    params = {k: v for k, v in params.items() if v is not None}
    creates = name if params["FunctionName"] == name else None
    return Case(case_id, "create_function", params, expected, creates=creates)


def zip_with(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo("lambda_function.py")
            info.filename = name  # ZipInfo would normalise a name given to its constructor
            archive.writestr(info, "x = 1\n")
    return buffer.getvalue()


def empty_zip() -> bytes:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    return buffer.getvalue()


def oversized(limit: int) -> bytes:
    """A JSON string one byte over ``limit``."""
    return json.dumps("x" * (limit - 1)).encode()


CREATE_CASES = [
    create("name-pattern", invalid("bad name!", "functionName"), FunctionName="bad name!"),
    create("name-too-long", invalid("functionName", "64"), FunctionName="f" * 65),
    create("name-missing", invalid("functionName"), FunctionName=""),
    create("runtime-unknown", invalid("cobol9", "runtime"), Runtime="cobol9"),
    create("runtime-missing", invalid("runtime"), Runtime=None),
    create("handler-whitespace", invalid("handler"), Handler="lambda_function.lambda handler"),
    create("handler-too-long", invalid("handler", "128"), Handler="m." + "h" * 127),
    create("handler-no-function", invalid("bad handler", "nodots"), Handler="nodots"),
    create("role-not-an-arn", invalid("not-an-arn", "role"), Role="not-an-arn"),
    create("role-missing", invalid("role", "null"), Role=None),
    create(
        "role-unknown", invalid("role", "cannot be assumed"), Role="arn:aws:iam::123456789012:role/e2e-none"
    ),
    create("timeout-0", invalid("timeout", "greater than or equal to 1"), Timeout=0),
    create("timeout-901", invalid("timeout", "900"), Timeout=901),
    create("memory-127", invalid("memorysize", "128"), MemorySize=127),
    create("memory-10241", invalid("memorysize", "10240"), MemorySize=10241),
    create("description-too-long", invalid("description", "256"), Description="d" * 257),
    create(
        "environment-over-4kb",
        invalid("environment variables", "4KB limit"),
        Environment={"Variables": {"BIG": "x" * 4100}},
    ),
    create(
        "environment-reserved",
        invalid("reserved keys", "AWS_REGION"),
        Environment={"Variables": {"AWS_REGION": "eu-west-1"}},
    ),
    create(
        "environment-bad-key",
        invalid("environment.variables", "1bad-key"),
        Environment={"Variables": {"1bad-key": "x"}},
    ),
    create("package-image", invalid("packagetype", "zip"), PackageType="Image"),
    create("code-from-s3", invalid("zipfile"), Code={"S3Bucket": "my-bucket", "S3Key": "fn.zip"}),
    create("zip-not-a-zip", invalid("could not unzip", "not a zip"), Code={"ZipFile": b"PK nope"}),
    create("zip-empty", invalid("could not unzip", "empty"), Code={"ZipFile": empty_zip()}),
    create(
        "zip-slip-parent",
        invalid("could not unzip", "../../evil.py", "escapes"),
        Code={"ZipFile": zip_with(["lambda_function.py", "../../evil.py"])},
    ),
    create(
        "zip-slip-absolute",
        invalid("could not unzip", "/tmp/evil.py", "absolute"),
        Code={"ZipFile": zip_with(["/tmp/evil.py"])},
    ),
    create(
        "zip-slip-backslash",
        invalid("could not unzip", "..\\..\\evil.py", "escapes"),
        Code={"ZipFile": zip_with(["..\\..\\evil.py"])},
    ),
    Case(
        "duplicate-name",
        "create_function",
        function_params(GOOD_FUNCTION, {"lambda_function.py": ECHO}),
        Expected("ResourceConflictException", 409, ("already exist", GOOD_FUNCTION)),
    ),
]

UNKNOWN_FUNCTION_CASES = [
    Case("get-unknown", "get_function", {"FunctionName": UNKNOWN}, not_found()),
    Case("get-configuration-unknown", "get_function_configuration", {"FunctionName": UNKNOWN}, not_found()),
    Case("delete-unknown", "delete_function", {"FunctionName": UNKNOWN}, not_found()),
    Case(
        "update-code-unknown",
        "update_function_code",
        {"FunctionName": UNKNOWN, "ZipFile": zip_of({"lambda_function.py": ECHO})},
        not_found(),
    ),
    Case(
        "update-configuration-unknown",
        "update_function_configuration",
        {"FunctionName": UNKNOWN, "Timeout": 5},
        not_found(),
    ),
    Case("invoke-unknown", "invoke", {"FunctionName": UNKNOWN}, not_found()),
    Case(
        "invoke-unknown-arn",
        "invoke",
        {"FunctionName": f"arn:aws:lambda:us-east-1:123456789012:function:{UNKNOWN}"},
        not_found(),
    ),
    Case(
        "invoke-unknown-version",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "Qualifier": "7"},
        not_found(GOOD_FUNCTION),
    ),
]

INVOKE_CASES = [
    Case(
        "payload-not-json",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "Payload": b"{not json"},
        Expected("InvalidRequestContentException", 400, ("could not parse request body into json",)),
    ),
    Case(
        "payload-over-6mb",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "Payload": oversized(SYNC_LIMIT + 1)},
        Expected("RequestTooLargeException", 413, (str(SYNC_LIMIT),)),
    ),
    Case(
        "event-payload-over-256kb",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "InvocationType": "Event", "Payload": oversized(EVENT_LIMIT + 1)},
        Expected("RequestTooLargeException", 413, (str(EVENT_LIMIT),)),
    ),
    Case(
        "invocation-type-unknown",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "InvocationType": "Sometimes"},
        invalid("Sometimes", "invocationType"),
    ),
    Case(
        "log-type-unknown",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "LogType": "Everything"},
        invalid("Everything", "logType"),
    ),
    Case(
        "client-context-not-base64",
        "invoke",
        {"FunctionName": GOOD_FUNCTION, "ClientContext": "!!not base64!!"},
        invalid("client context", "base64"),
    ),
]

UPDATE_CASES = [
    Case(
        "update-timeout-0",
        "update_function_configuration",
        {"FunctionName": GOOD_FUNCTION, "Timeout": 0},
        invalid("timeout"),
    ),
    Case(
        "update-memory-10241",
        "update_function_configuration",
        {"FunctionName": GOOD_FUNCTION, "MemorySize": 10241},
        invalid("memorysize", "10240"),
    ),
    Case(
        "update-environment-over-4kb",
        "update_function_configuration",
        {
            "FunctionName": GOOD_FUNCTION,
            "Environment": {"Variables": {f"K{i}": "v" * 100 for i in range(40)}},
        },
        invalid("4KB limit"),
    ),
    Case(
        "update-role-unknown",
        "update_function_configuration",
        {"FunctionName": GOOD_FUNCTION, "Role": "arn:aws:iam::123456789012:role/e2e-none"},
        invalid("cannot be assumed"),
    ),
    Case(
        "update-code-not-a-zip",
        "update_function_code",
        {"FunctionName": GOOD_FUNCTION, "ZipFile": b"not a zip"},
        invalid("could not unzip"),
    ),
    Case(
        "update-code-zip-slip",
        "update_function_code",
        {"FunctionName": GOOD_FUNCTION, "ZipFile": zip_with(["../../evil.py"])},
        invalid("../../evil.py", "escapes"),
    ),
    Case("list-max-items-0", "list_functions", {"MaxItems": 0}, invalid("maxItems", "1")),
    Case("list-max-items-10001", "list_functions", {"MaxItems": 10001}, invalid("maxItems", "10000")),
]

CASES = [*CREATE_CASES, *UNKNOWN_FUNCTION_CASES, *INVOKE_CASES, *UPDATE_CASES]
assert len({c.id for c in CASES}) == len(CASES)
