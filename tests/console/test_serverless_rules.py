"""The pure parts of the Lambda and API Gateway pages: the package Deploy builds, the invocations
read from REPORT lines, the SourceArn a method's permission names."""

from __future__ import annotations

import io
import zipfile

from modelport.console.pages.apigateway_resources import source_arn
from modelport.console.pages.lambda_function import invocation
from modelport.console.pages.lambda_functions import DEFAULT_CODE, code_zip


def _files(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_deploy_replaces_lambda_function_py_and_keeps_the_other_files() -> None:
    first = code_zip(DEFAULT_CODE)
    assert _files(first) == {"lambda_function.py": DEFAULT_CODE.encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "old")
        archive.writestr("helpers/data.json", "{}")
    edited = code_zip("def lambda_handler(event, context):\r\n    return 1\r\n", buffer.getvalue())
    assert (
        _files(edited)
        == {
            "lambda_function.py": b"def lambda_handler(event, context):\n    return 1\n",  # a browser's CRLF undone
            "helpers/data.json": b"{}",
        }
    )
    assert code_zip("x = 1\n") == code_zip("x = 1\n")  # fixed timestamps: same code, same CodeSha256


def test_an_invocation_is_read_from_its_report_line() -> None:
    line = (
        "REPORT RequestId: 3e1b2795-1ef4\tDuration: 34.80 ms\tBilled Duration: 35 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 90 MB\tInit Duration: 326.68 ms\t\n"
    )
    assert invocation({"timestamp": 1000, "message": line}) == {
        "timestamp": 1000,
        "RequestId": "3e1b2795-1ef4",
        "Duration": "34.80 ms",
        "Billed Duration": "35 ms",
        "Memory Size": "128 MB",
        "Max Memory Used": "90 MB",
        "Init Duration": "326.68 ms",
    }
    assert invocation({"timestamp": 1000, "message": "START RequestId: x Version: $LATEST"}) is None


def test_a_methods_permission_covers_every_stage_and_path_variables() -> None:
    assert (
        source_arn("us-east-1", "123456789012", "a1b2", "POST", "/irisprediction")
        == "arn:aws:execute-api:us-east-1:123456789012:a1b2/*/POST/irisprediction"
    )
    assert source_arn("us-east-1", "1", "a1b2", "ANY", "/items/{id}").endswith("a1b2/*/*/items/*")
