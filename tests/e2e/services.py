"""What the Lambda, API Gateway and IAM corpora share: a case's error check, and the function
role and good function that prove the platform still works after a bad request.

Their clients are made with ``client(server, service, validate=False)``: botocore then sends a
value its model forbids (``Timeout=0``, ``MemorySize=127``) instead of refusing it before it
leaves, so the server's own check answers. Every resource here is named ``e2e-…`` and created only if missing,
because all modules share one session server.
"""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.wire import ACCOUNT

FUNCTION_ROLE = "e2e-function-role"
FUNCTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{FUNCTION_ROLE}"
LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
GOOD_FUNCTION = "e2e-good-fn"
ECHO = """
    def lambda_handler(event, context):
        return {"echo": event}
"""


def zip_of(files: dict[str, str]) -> bytes:
    """A deployment package holding ``files`` (name -> source, dedented)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, textwrap.dedent(source))
    return buffer.getvalue()


@dataclass(frozen=True)
class Expected:
    """What a refused request must carry: AWS's code and status, and words that name the problem.

    ``words`` are matched case-insensitively and must all appear in the message: the member or
    value at fault and, for a limit, the limit.
    """

    code: str
    status: int
    words: tuple[str, ...]


def check_refused(caught: pytest.ExceptionInfo[ClientError], expected: Expected) -> str:
    """Assert the error botocore read is ``expected``; return its message."""
    response = caught.value.response
    error, meta = response["Error"], response["ResponseMetadata"]
    message = str(error.get("Message", ""))
    assert (error["Code"], meta["HTTPStatusCode"]) == (expected.code, expected.status), message
    for word in expected.words:
        assert word.lower() in message.lower(), (word, message)
    assert "Traceback" not in message and "InternalFailure" not in message
    assert meta["RequestId"]
    return message


def ensure_function_role(iam: Any) -> str:
    try:
        iam.create_role(RoleName=FUNCTION_ROLE, AssumeRolePolicyDocument=LAMBDA_TRUST)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    return FUNCTION_ROLE_ARN


def ensure_good_function(lam: Any) -> str:
    try:
        lam.create_function(**function_params(GOOD_FUNCTION, {"lambda_function.py": ECHO}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceConflictException":
            raise
    return GOOD_FUNCTION


def function_params(name: str, files: dict[str, str], **changes: Any) -> dict[str, Any]:
    """CreateFunction's parameters for a Python function running ``files``."""
    return {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": FUNCTION_ROLE_ARN,
        "Handler": "lambda_function.lambda_handler",
        "Code": {"ZipFile": zip_of(files)},
        **changes,
    }


def check_good_function(lam: Any) -> None:
    """The good function still answers, from a warm or a fresh environment."""
    answer = lam.invoke(FunctionName=GOOD_FUNCTION, Payload=b'{"still": "here"}')
    assert (answer["StatusCode"], answer.get("FunctionError")) == (200, None)
    assert json.loads(answer["Payload"].read()) == {"echo": {"still": "here"}}


def function_absent(lam: Any, data_dir: Path, name: str) -> None:
    """No record and no folder: a refused CreateFunction left nothing behind."""
    with pytest.raises(ClientError) as caught:
        lam.get_function(FunctionName=name)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert not (data_dir / "functions" / name).exists()
