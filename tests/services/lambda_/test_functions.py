"""Lambda functions over a real ServiceContext (SQLite store, fake clock) and real runner processes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import re
import sqlite3
import textwrap
import threading
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import botocore.session
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from aws.protocol.botocore_wire import _Raw
from modelport.aws.auth.sqlite_keys import SqliteKeyStore
from modelport.aws.protocol import (
    ServiceProtocol,
    parse_rest_request,
    serialize_rest_error,
    serialize_rest_response,
)
from modelport.bootstrap import build_router
from modelport.core.clock import FakeClock
from modelport.core.config import Settings
from modelport.core.errors import (
    InvalidRequest,
    PayloadTooLarge,
    ResourceAlreadyExists,
    ResourceNotFound,
    UnsupportedMediaType,
)
from modelport.sandboxes.lambda_.errors import InvalidZip, TooManyRequests
from modelport.sandboxes.lambda_.spec import RoleCredentials
from modelport.services.context import ServiceContext
from modelport.services.iam.operations import OPERATIONS as IAM
from modelport.services.iam.roles import role_by_arn
from modelport.services.lambda_.functions import OPERATIONS, lambda_timestamp
from modelport.services.lambda_.host import FunctionHost, role_credentials
from modelport.store.sqlite import SqliteStore

T = TypeVar("T")
ROLE = "arn:aws:iam::123456789012:role/lambda-sagemaker"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
TUTORIAL = """
    import os, io, boto3, json

    ENDPOINT_NAME = os.environ['ENDPOINT_NAME']
    runtime = boto3.client('runtime.sagemaker')

    def lambda_handler(event, context):
        data = json.loads(json.dumps(event))
        if data.get('fail'):
            raise ValueError('bad input: ' + data['fail'])
        if data.get('touch'):
            open(data['touch'], 'w').write(context.aws_request_id)
        print('Received event: ' + json.dumps(event))
        return {
            'endpoint': ENDPOINT_NAME,
            'echo': data.get('data'),
            'region': os.environ['AWS_DEFAULT_REGION'],
            'key': os.environ['AWS_ACCESS_KEY_ID'],
            'version': 1,
        }
"""


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), textwrap.dedent(text))
    return buffer.getvalue()


def fake_credentials(ctx: ServiceContext, role_arn: str, session_name: str) -> RoleCredentials:
    return RoleCredentials("ASIAFUNCTION", "secret", f"token-for-{session_name}")


class Lab:
    """A ServiceContext over files in ``tmp_path``; ``run`` drives one scenario in its own loop."""

    def __init__(self, tmp_path: Path, **host: Any) -> None:
        self.tmp_path = tmp_path
        self.settings = Settings(data_dir=tmp_path / "data", port=9)
        self.store = SqliteStore(self.settings.store_path)
        self.clock = FakeClock()
        self.host_options = {"credentials": fake_credentials, **host}

    def context(self) -> ServiceContext:
        # check_same_thread=False as the server has it: the botocore round trip calls from a loop thread.
        keys = SqliteKeyStore(sqlite3.connect(self.tmp_path / "keys.sqlite3", check_same_thread=False))
        host = FunctionHost(**self.host_options)
        ctx = ServiceContext(
            store=self.store,
            settings=self.settings,
            clock=self.clock,
            engine=None,  # type: ignore[arg-type]  # functions never touch the endpoint engine
            keys=keys,
            router=build_router(self.settings),
            functions=host,
        )
        if role_by_arn(ctx, ROLE) is None:
            IAM["CreateRole"](ctx, {"RoleName": "lambda-sagemaker", "AssumeRolePolicyDocument": TRUST})
        return ctx

    def run(self, scenario: Callable[[ServiceContext], Awaitable[T]]) -> T:
        async def main() -> T:
            ctx = self.context()
            try:
                return await scenario(ctx)
            finally:
                await ctx.functions.close()

        return asyncio.run(main())


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


async def call(ctx: ServiceContext, operation: str, **params: Any) -> dict[str, Any]:
    return await OPERATIONS[operation](ctx, params)


async def create(
    ctx: ServiceContext, name: str = "iris-fn", code: str = TUTORIAL, **extra: Any
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "lambda_function.lambda_handler",
        "Code": {"ZipFile": make_zip({"lambda_function.py": code})},
        "Environment": {"Variables": {"ENDPOINT_NAME": "iris-endpoint"}},
    }
    params.update(extra)
    return await call(ctx, "CreateFunction", **params)


async def invoke_json(ctx: ServiceContext, event: dict[str, Any], **extra: Any) -> tuple[dict[str, Any], Any]:
    out = await call(ctx, "Invoke", FunctionName="iris-fn", Payload=json.dumps(event).encode(), **extra)
    return out, json.loads(out["Payload"])


def test_create_returns_lambdas_function_configuration(lab: Lab) -> None:
    config = lab.run(create)
    zip_bytes = make_zip({"lambda_function.py": TUTORIAL})
    assert config["FunctionName"] == "iris-fn"
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:iris-fn"
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
    assert config["CodeSize"] == len(zip_bytes)
    assert (config["Timeout"], config["MemorySize"], config["Version"]) == (3, 128, "$LATEST")
    # Lambda's CreateFunction answers while the function is still being prepared.
    assert (config["State"], config["StateReasonCode"], config["LastUpdateStatus"]) == (
        "Pending",
        "Creating",
        "InProgress",
    )
    assert config["PackageType"] == "Zip"
    assert config["Architectures"] == ["x86_64"]
    assert config["Environment"] == {"Variables": {"ENDPOINT_NAME": "iris-endpoint"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", config["LastModified"])
    assert lambda_timestamp(1704067200.5) == "2024-01-01T00:00:00.500+0000"
    sha = hashlib.sha256(zip_bytes).hexdigest()
    assert (lab.settings.data_dir / "functions" / "iris-fn" / sha / "lambda_function.py").is_file()


def test_tutorial_handler_answers_request_response_with_its_json(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> tuple[dict[str, Any], Any]:
        await create(ctx)
        return await invoke_json(ctx, {"data": "5.1,3.5,1.4,0.2"})

    out, payload = lab.run(scenario)
    assert out["StatusCode"] == 200 and out["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in out and "LogResult" not in out
    assert payload == {
        "endpoint": "iris-endpoint",
        "echo": "5.1,3.5,1.4,0.2",
        "region": "us-east-1",
        "key": "ASIAFUNCTION",
        "version": 1,
    }
    assert list((lab.settings.log_dir / "functions" / "iris-fn").glob("*.log"))


def test_log_type_tail_returns_start_end_report(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> dict[str, Any]:
        await create(ctx)
        out, _ = await invoke_json(ctx, {"data": "x"}, LogType="Tail")
        return out

    log = base64.b64decode(lab.run(scenario)["LogResult"]).decode()
    assert re.search(r"^START RequestId: \S+ Version: \$LATEST$", log, re.M)
    assert 'Received event: {"data": "x"}' in log
    assert re.search(r"^END RequestId: \S+$", log, re.M)
    assert re.search(r"^REPORT RequestId: \S+\tDuration: [\d.]+ ms\t", log, re.M)


def test_function_error_is_200_unhandled_with_the_error_json(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> tuple[dict[str, Any], Any]:
        await create(ctx)
        return await invoke_json(ctx, {"fail": "petal"})

    out, payload = lab.run(scenario)
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "ValueError"
    assert payload["errorMessage"] == "bad input: petal"
    assert isinstance(payload["stackTrace"], list) and payload["requestId"]


def test_event_answers_202_and_runs_in_the_background(lab: Lab, tmp_path: Path) -> None:
    marker = tmp_path / "event-ran"

    async def scenario(ctx: ServiceContext) -> dict[str, Any]:
        await create(ctx)
        out = await call(
            ctx,
            "Invoke",
            FunctionName="iris-fn",
            InvocationType="Event",
            Payload=json.dumps({"touch": str(marker)}).encode(),
        )
        for _ in range(200):
            if marker.exists():
                break
            await asyncio.sleep(0.05)
        return out

    assert lab.run(scenario) == {"StatusCode": 202}
    assert marker.read_text()


def test_dry_run_answers_204_without_starting_anything(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> tuple[dict[str, Any], int]:
        await create(ctx)
        out = await call(ctx, "Invoke", FunctionName="iris-fn", InvocationType="DryRun")
        return out, len(ctx.functions._pools)

    assert lab.run(scenario) == ({"StatusCode": 204}, 0)


def test_updates_reach_the_next_invocation(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> list[Any]:
        await create(ctx)
        _, first = await invoke_json(ctx, {})
        v2 = TUTORIAL.replace("'version': 1", "'version': 2")
        updated = await call(
            ctx, "UpdateFunctionCode", FunctionName="iris-fn", ZipFile=make_zip({"lambda_function.py": v2})
        )
        _, second = await invoke_json(ctx, {})
        await call(
            ctx,
            "UpdateFunctionConfiguration",
            FunctionName="iris-fn",
            Environment={"Variables": {"ENDPOINT_NAME": "other"}},
            Timeout=30,
        )
        _, third = await invoke_json(ctx, {})
        config = await call(ctx, "GetFunctionConfiguration", FunctionName="iris-fn")
        return [first, second, third, updated, config]

    first, second, third, updated, config = lab.run(scenario)
    assert (first["version"], second["version"], third["version"]) == (1, 2, 2)
    assert third["endpoint"] == "other"
    assert config["CodeSha256"] == updated["CodeSha256"] and config["Timeout"] == 30
    assert config["RevisionId"] != updated["RevisionId"]
    code_dirs = [p for p in (lab.settings.data_dir / "functions" / "iris-fn").iterdir() if p.is_dir()]
    assert [p.name for p in code_dirs] == [
        hashlib.sha256(
            make_zip({"lambda_function.py": TUTORIAL.replace("'version': 1", "'version': 2")})
        ).hexdigest()
    ]


def test_delete_then_invoke_is_not_found(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> dict[str, Any]:
        await create(ctx)
        await invoke_json(ctx, {})
        out = await call(ctx, "DeleteFunction", FunctionName="iris-fn")
        with pytest.raises(
            ResourceNotFound,
            match=r"^Function not found: arn:aws:lambda:us-east-1:123456789012:function:iris-fn$",
        ):
            await invoke_json(ctx, {})
        with pytest.raises(ResourceNotFound):
            await call(ctx, "DeleteFunction", FunctionName="iris-fn")
        return out

    assert lab.run(scenario) == {"StatusCode": 204}
    assert not (lab.settings.data_dir / "functions" / "iris-fn").exists()


def test_duplicate_create_conflicts(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> None:
        await create(ctx)
        with pytest.raises(ResourceAlreadyExists, match=r"^Function already exist: iris-fn$"):
            await create(ctx)

    lab.run(scenario)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"Runtime": "nodejs18.x"}, InvalidRequest, r"supported runtimes: python3\.8, .*python3\.13"),
        ({"Handler": "lambda_handler"}, InvalidRequest, r"handler"),
        ({"Code": {"ZipFile": b"not a zip"}}, InvalidZip, r"Could not unzip uploaded file"),
        ({"Code": {"S3Bucket": "b", "S3Key": "k"}}, InvalidRequest, r"only as Code\.ZipFile"),
        ({"Role": "lambda-role"}, InvalidRequest, r"at 'role' failed to satisfy constraint"),
        ({"Timeout": 901}, InvalidRequest, r"Timeout must be between 1 and 900"),
        ({"MemorySize": 64}, InvalidRequest, r"MemorySize must be between 128 and 10240"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, InvalidRequest, r"reserved keys .*AWS_REGION"),
        ({"FunctionName": "bad name!"}, InvalidRequest, r"at 'functionName'"),
    ],
)
def test_bad_create_requests_are_refused_clearly(
    lab: Lab, change: dict[str, Any], error: type[Exception], message: str
) -> None:
    async def scenario(ctx: ServiceContext) -> None:
        with pytest.raises(error, match=message):
            await create(ctx, **change)
        assert ctx.store.list("lambda_function") == []

    lab.run(scenario)
    assert not (lab.settings.data_dir / "functions" / "iris-fn").exists()


def test_get_and_list_functions(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> list[dict[str, Any]]:
        for name in ("c-fn", "a-fn", "b-fn"):
            await create(ctx, name, Tags={"team": "ml"})
        got = await call(
            ctx, "GetFunction", FunctionName="arn:aws:lambda:us-east-1:123456789012:function:a-fn"
        )
        page1 = await call(ctx, "ListFunctions", MaxItems=2)
        page2 = await call(ctx, "ListFunctions", MaxItems=2, Marker=page1["NextMarker"])
        return [got, page1, page2]

    got, page1, page2 = lab.run(scenario)
    assert got["Configuration"]["FunctionName"] == "a-fn" and got["Tags"] == {"team": "ml"}
    assert got["Code"]["RepositoryType"] == "S3" and got["Code"]["Location"].startswith("http://127.0.0.1:9/")
    assert [f["FunctionName"] for f in page1["Functions"]] == ["a-fn", "b-fn"]
    assert [f["FunctionName"] for f in page2["Functions"]] == ["c-fn"] and "NextMarker" not in page2


def test_qualifiers_other_than_latest_are_not_found(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> None:
        await create(ctx)
        await call(ctx, "GetFunction", FunctionName="iris-fn", Qualifier="$LATEST")
        with pytest.raises(ResourceNotFound, match=r"function:iris-fn:7$"):
            await call(ctx, "GetFunction", FunctionName="iris-fn:7")

    lab.run(scenario)


def test_bad_payloads(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> None:
        await create(ctx)
        with pytest.raises(UnsupportedMediaType, match="Could not parse request body into json"):
            await call(ctx, "Invoke", FunctionName="iris-fn", Payload=b"{nope")
        with pytest.raises(PayloadTooLarge, match="Request must be smaller than 262144 bytes"):
            await call(
                ctx,
                "Invoke",
                FunctionName="iris-fn",
                InvocationType="Event",
                Payload=b'"' + b"x" * 262144 + b'"',
            )

    lab.run(scenario)


def test_a_full_pool_throttles(tmp_path: Path) -> None:
    lab = Lab(tmp_path, max_concurrency=0)

    async def scenario(ctx: ServiceContext) -> None:
        await create(ctx)
        with pytest.raises(TooManyRequests):
            await invoke_json(ctx, {})

    lab.run(scenario)


def test_functions_survive_a_restart_even_without_their_unpacked_code(lab: Lab) -> None:
    lab.run(create)
    for folder in (lab.settings.data_dir / "functions" / "iris-fn").iterdir():
        if folder.is_dir():
            folder.rename(folder.with_name("moved-away"))  # the zip stays; the code goes
    _, payload = lab.run(lambda ctx: invoke_json(ctx, {"data": "after restart"}))
    assert payload["echo"] == "after restart"


def test_the_role_must_exist_in_iam(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> None:
        with pytest.raises(
            InvalidRequest, match=r"^The role defined for the function cannot be assumed by Lambda\.$"
        ):
            await create(ctx, Role="arn:aws:iam::123456789012:role/nobody")

    lab.run(scenario)


def test_the_function_runs_with_an_sts_session_of_its_role(tmp_path: Path) -> None:
    lab = Lab(tmp_path, credentials=role_credentials)

    async def scenario(ctx: ServiceContext) -> tuple[Any, Any]:
        await create(ctx)
        _, payload = await invoke_json(ctx, {})
        return payload, ctx.keys.get(payload["key"])

    payload, key = lab.run(scenario)
    assert payload["key"].startswith("ASIA")
    assert key is not None and key.name == "lambda-sagemaker/iris-fn" and key.session_token


class LoopThread:
    """An event loop in a thread, so botocore's synchronous hook can await async handlers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Awaitable[T]) -> T:
        async def wrap() -> T:
            return await work

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrap(), self.loop)
        return future.result(timeout=60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture
def lambda_client(lab: Lab) -> Iterator[Any]:
    """A botocore ``lambda`` client whose requests reach OPERATIONS through the rest-json layer."""
    proto = ServiceProtocol.load("lambda")
    ctx = lab.context()
    loop = LoopThread()

    def hook(request: AWSPreparedRequest, **kwargs: Any) -> AWSResponse:
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else body.read()
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        path = request.url.split("http://localhost", 1)[1]
        try:
            parsed = parse_rest_request(proto, request.method, path, headers, body)
            output = loop.run(OPERATIONS[parsed.operation](ctx, parsed.params))
            wire = serialize_rest_response(proto, parsed.operation, output, "req-1")
        except Exception as exc:
            wire = serialize_rest_error(proto, exc, "req-1")
        return AWSResponse(request.url, wire.status, wire.headers, _Raw(wire.body))

    client = botocore.session.get_session().create_client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        endpoint_url="http://localhost",
        config=Config(retries={"total_max_attempts": 1}),
    )
    client.meta.events.register("before-send", hook)
    try:
        yield client
    finally:
        loop.run(ctx.functions.close())
        loop.stop()


def test_botocore_round_trip_through_the_service(lambda_client: Any) -> None:
    zip_bytes = make_zip({"lambda_function.py": TUTORIAL})
    created = lambda_client.create_function(
        FunctionName="iris-fn",
        Runtime="python3.12",
        Role=ROLE,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": zip_bytes},
        Environment={"Variables": {"ENDPOINT_NAME": "iris-endpoint"}},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
    result = lambda_client.invoke(FunctionName="iris-fn", Payload=json.dumps({"data": "1,2"}), LogType="Tail")
    assert result["StatusCode"] == 200 and result["ExecutedVersion"] == "$LATEST"
    assert json.loads(result["Payload"].read())["echo"] == "1,2"
    assert "START RequestId" in base64.b64decode(result["LogResult"]).decode()
    failed = lambda_client.invoke(FunctionName="iris-fn", Payload=b'{"fail": "x"}')
    assert (
        failed["FunctionError"] == "Unhandled"
        and json.loads(failed["Payload"].read())["errorType"] == "ValueError"
    )
    assert lambda_client.invoke(FunctionName="iris-fn", InvocationType="DryRun")["StatusCode"] == 204
    got = lambda_client.get_function(FunctionName="iris-fn")
    assert got["Configuration"]["State"] == "Active"
    with pytest.raises(lambda_client.exceptions.ResourceConflictException):
        lambda_client.create_function(
            FunctionName="iris-fn",
            Runtime="python3.12",
            Role=ROLE,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": zip_bytes},
        )
    assert lambda_client.delete_function(FunctionName="iris-fn")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as caught:
        lambda_client.invoke(FunctionName="iris-fn", Payload=b"{}")
    assert caught.value.response["Error"]["Message"].startswith("Function not found: arn:aws:lambda:")


PID = "import os\n\ndef lambda_handler(event, context):\n    return os.getpid()\n"


def test_an_environment_idle_past_the_timeout_is_stopped_and_the_next_call_starts_fresh(
    tmp_path: Path,
) -> None:
    lab = Lab(tmp_path, idle_timeout_s=0.4)

    async def scenario(ctx: ServiceContext) -> tuple[int, int, int]:
        await create(ctx, code=PID)
        _, first = await invoke_json(ctx, {})
        _, again = await invoke_json(ctx, {})  # used again at once: the same warm process
        await asyncio.sleep(1.0)
        _, fresh = await invoke_json(ctx, {})
        return first, again, fresh

    first, again, fresh = lab.run(scenario)
    assert again == first
    assert fresh != first  # the idle one was stopped, so a new process answered


def test_states_read_pending_in_the_answers_and_active_once_ready(lab: Lab) -> None:
    async def scenario(ctx: ServiceContext) -> list[dict[str, Any]]:
        created = await create(ctx)
        got = await call(ctx, "GetFunctionConfiguration", FunctionName="iris-fn")
        updated = await call(ctx, "UpdateFunctionConfiguration", FunctionName="iris-fn", Timeout=9)
        got_again = await call(ctx, "GetFunctionConfiguration", FunctionName="iris-fn")
        return [created, got, updated, got_again]

    created, got, updated, got_again = lab.run(scenario)
    states = [(c["State"], c["LastUpdateStatus"]) for c in (created, got, updated, got_again)]
    assert states == [
        ("Pending", "InProgress"),
        ("Active", "Successful"),
        ("Active", "InProgress"),
        ("Active", "Successful"),
    ]
    assert created["StateReason"] == "The function is being created."
    assert updated["LastUpdateStatusReasonCode"] == "Creating"
    assert "StateReason" not in got
