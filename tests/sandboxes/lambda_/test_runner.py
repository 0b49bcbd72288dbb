"""The Lambda Python runtime contract, through real runner processes."""

from __future__ import annotations

import json
import re

from modelport.sandboxes.lambda_.environment import Invocation
from modelport.sandboxes.lambda_.pool import EnvironmentPool

from .handlers import (
    CHATTY,
    MISSING_DEPENDENCY,
    NO_SUCH_HANDLER,
    RAISES_AT_IMPORT,
    SYNTAX_ERROR,
    UNSERIALISABLE,
)
from .harness import ENDPOINT, Harness

COUNTER = """
    import os
    INITS = 0
    INITS += 1
    calls = 0

    def lambda_handler(event, context):
        global calls
        calls += 1
        return {"inits": INITS, "calls": calls, "pid": os.getpid(), "event": event}
"""


def test_module_code_runs_once_per_environment(harness: Harness) -> None:
    harness.write({"lambda_function.py": COUNTER})
    results = harness.invoke_all([b'{"n": 1}', b'{"n": 2}', b"[1, 2]"])
    bodies = [json.loads(r.payload) for r in results]
    assert [(b["inits"], b["calls"]) for b in bodies] == [(1, 1), (1, 2), (1, 3)]
    assert len({b["pid"] for b in bodies}) == 1
    assert [b["event"] for b in bodies] == [{"n": 1}, {"n": 2}, [1, 2]]
    assert all(r.error is None and r.function_error is None for r in results)


def test_tutorial_handler_reads_its_environment_and_reaches_modelport(harness: Harness) -> None:
    harness.write(
        {
            "lambda_function.py": """
            import os
            import boto3

            ENDPOINT_NAME = os.environ['ENDPOINT_NAME']
            runtime = boto3.client('runtime.sagemaker')

            def lambda_handler(event, context):
                return {
                    "endpoint": ENDPOINT_NAME,
                    "url": runtime.meta.endpoint_url,
                    "region": runtime.meta.region_name,
                    "key": runtime._request_signer._credentials.access_key,
                }
            """
        }
    )
    (result,) = harness.invoke_all([b"{}"], variables={"ENDPOINT_NAME": "iris-ep"})
    assert json.loads(result.payload) == {
        "endpoint": "iris-ep",
        "url": ENDPOINT,
        "region": "us-east-1",
        "key": "ASIAEXAMPLE",
    }


def test_a_string_result_is_json_encoded(harness: Harness) -> None:
    harness.write({"lambda_function.py": "def lambda_handler(event, context):\n    return 'Setosa'\n"})
    (result,) = harness.invoke_all([b""])
    assert result.payload == b'"Setosa"'
    assert result.content_type == "application/json"


def test_context_and_environment(harness: Harness) -> None:
    harness.write(
        {
            "lambda_function.py": """
            import os, sys
            def lambda_handler(event, context):
                names = ["function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
                         "aws_request_id", "log_group_name", "log_stream_name"]
                out = {name: getattr(context, name) for name in names}
                out["remaining"] = context.get_remaining_time_in_millis()
                out["identity"] = context.identity.cognito_identity_id
                out["custom"] = context.client_context.custom
                out["env"] = {k: os.environ.get(k) for k in event}
                out["cwd"] = os.getcwd()
                out["path0"] = sys.path[0]
                return out
            """
        }
    )
    keys = [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "LAMBDA_TASK_ROOT",
        "_HANDLER",
        "TZ",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
        "HOME",
    ]

    async def scenario(pool: EnvironmentPool) -> dict[str, object]:
        invocation = Invocation(
            json.dumps(keys).encode(),
            request_id="req-1",
            client_context='{"custom": {"k": "v"}}',
            identity={"cognitoIdentityId": "id-1"},
        )
        result = await pool.invoke(invocation)
        body: dict[str, object] = json.loads(result.payload)
        return body

    out = harness.run(scenario, memory_mb=256, timeout_seconds=2.0)
    code_dir = str(harness.code_dir)
    assert out["function_name"] == "iris-fn"
    assert out["function_version"] == "$LATEST"
    assert out["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:iris-fn"
    assert out["memory_limit_in_mb"] == "256"  # a string, as in awslambdaric
    assert out["aws_request_id"] == "req-1"
    assert out["log_group_name"] == "/aws/lambda/iris-fn"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", str(out["log_stream_name"]))
    assert 1000 < int(str(out["remaining"])) <= 2000
    assert out["identity"] == "id-1"
    assert out["custom"] == {"k": "v"}
    assert out["cwd"] == code_dir and out["path0"] == code_dir
    assert out["env"] == {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "LAMBDA_TASK_ROOT": code_dir,
        "_HANDLER": "lambda_function.lambda_handler",
        "TZ": ":UTC",
        "AWS_SESSION_TOKEN": "token",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": ENDPOINT,
        "HOME": None,  # nothing leaks from the server's environment
    }


def test_print_goes_to_the_log_framed_by_start_end_report(harness: Harness) -> None:
    harness.write(
        {
            "lambda_function.py": """
            import logging, os, subprocess, sys
            print("loading")
            def lambda_handler(event, context):
                print("hello from", event)
                sys.stderr.write("to stderr\\n")
                logging.getLogger().warning("careful")
                subprocess.run(["echo", "from a child"], check=True)
                os.write(1, b"raw fd 1\\n")
                return "done"
            """
        }
    )
    first, second = harness.invoke_all([b'"a"', b'"b"'])
    assert first.payload == second.payload == b'"done"'
    logs = harness.logs()
    lines = logs.splitlines()
    assert lines[0] == "loading"
    assert lines[1] == f"START RequestId: {first.request_id} Version: $LATEST"
    assert lines[2:5] == ["hello from a", "to stderr", lines[4]]
    assert re.fullmatch(rf"\[WARNING\]\t\d{{4}}-\d\d-\d\dT[\d:.]+Z\t{first.request_id}\tcareful", lines[4])
    assert lines[5:8] == ["from a child", "raw fd 1", f"END RequestId: {first.request_id}"]
    report = re.compile(
        r"REPORT RequestId: (\S+)\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB(\tInit Duration: \d+\.\d\d ms)?"
    )
    reports = [report.fullmatch(line) for line in lines if line.startswith("REPORT")]
    assert [(m.group(1), bool(m.group(2))) for m in reports if m] == [
        (first.request_id, True),
        (second.request_id, False),
    ]
    assert first.init_duration_ms is not None and second.init_duration_ms is None
    tail = first.log_tail.decode()
    assert tail.startswith("START") and "hello from a" in tail and "hello from b" not in tail
    assert "Init Duration" in tail and first.log_result()


def test_megabytes_of_output_do_not_hang_and_the_tail_is_4_kb(harness: Harness) -> None:
    harness.write({"lambda_function.py": CHATTY})
    (result,) = harness.invoke_all([b'"abc"'], timeout_seconds=20.0)
    assert result.payload == b"3"
    assert len(result.log_tail) == 4096
    assert result.log_tail.decode().rstrip().splitlines()[-1].startswith("REPORT")


def test_an_exception_becomes_lambdas_error_shape(harness: Harness) -> None:
    harness.write(
        {
            "lambda_function.py": """
            def helper(x):
                raise ValueError(f"bad input {x}")

            def lambda_handler(event, context):
                return helper(event)
            """
        }
    )
    first, second = harness.invoke_all([b"1", b"2"])
    assert first.function_error == "Unhandled"
    body = json.loads(first.payload)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["errorMessage"] == "bad input 1"
    assert body["errorType"] == "ValueError"
    assert body["requestId"] == first.request_id
    assert len(body["stackTrace"]) == 2
    assert body["stackTrace"][0].startswith('  File "') and "in lambda_handler" in body["stackTrace"][0]
    assert 'raise ValueError(f"bad input {x}")' in body["stackTrace"][1]
    assert "[ERROR] ValueError: bad input 1\nTraceback (most recent call last):\n" in harness.logs()
    assert json.loads(second.payload)["errorMessage"] == "bad input 2"  # the environment survives


def test_an_unserialisable_result_is_a_marshal_error(harness: Harness) -> None:
    harness.write({"lambda_function.py": UNSERIALISABLE})
    (result,) = harness.invoke_all([b"{}"])
    assert result.error == {
        "errorMessage": "Unable to marshal response: Object of type object is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": result.request_id,
        "stackTrace": [],
    }


def test_bytes_are_returned_raw(harness: Harness) -> None:
    harness.write({"lambda_function.py": "def lambda_handler(event, context):\n    return b'\\x00raw'\n"})
    (result,) = harness.invoke_all([b"{}"])
    assert (result.payload, result.content_type) == (b"\x00raw", "application/unknown")


def test_init_errors_are_reported_on_invocation_and_retried(harness: Harness) -> None:
    harness.write(
        {
            "missing_dep.py": MISSING_DEPENDENCY,
            "broken.py": SYNTAX_ERROR,
            "fine.py": NO_SUCH_HANDLER,
            "boom.py": RAISES_AT_IMPORT,
        }
    )
    cases = {
        "missing_dep.h": (
            "Runtime.ImportModuleError",
            "Unable to import module 'missing_dep': No module named 'not_installed_anywhere'",
        ),
        "nope.h": ("Runtime.ImportModuleError", "Unable to import module 'nope': No module named 'nope'"),
        "broken.h": ("Runtime.UserCodeSyntaxError", None),
        "fine.other": ("Runtime.HandlerNotFound", "Handler 'other' missing on module 'fine'"),
        "nodots": ("Runtime.MalformedHandlerName", None),
        "boom.h": ("RuntimeError", "init failed"),
    }
    for handler, (error_type, message) in cases.items():
        first, second = harness.invoke_all([b"{}", b"{}"], handler=handler)
        for result in (first, second):
            assert result.error is not None, handler
            assert result.error["errorType"] == error_type, (handler, result.error)
            assert result.error["requestId"] == result.request_id
            if message is not None:
                assert result.error["errorMessage"] == message
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'nope'" in harness.logs()
