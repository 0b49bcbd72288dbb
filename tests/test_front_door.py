"""The front door in process: ``create_app(build_platform(settings))`` under httpx's ASGI transport.

Every API is told apart and answered in its own wire shape without a server process or a socket
(end-to-end tests do the same over HTTP with boto3). Nothing here starts a worker: no endpoint
is created.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx

from modelport.bootstrap import build_platform
from modelport.core.config import Settings
from modelport.http.app import create_app

ACCOUNT = "123456789012"
T = TypeVar("T")


def with_front_door(
    tmp_path: Path, scenario: Callable[[httpx.AsyncClient], Awaitable[T]], *, auth: bool = False
) -> T:
    async def main() -> T:
        platform = build_platform(Settings(data_dir=tmp_path, account_id=ACCOUNT, auth_enabled=auth))
        transport = httpx.ASGITransport(app=create_app(platform))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8080") as client:
                return await scenario(client)
        finally:
            await platform.close()
            platform.store.close()

    return asyncio.run(main())


def sagemaker(operation: str, params: dict[str, object]) -> dict[str, object]:
    return {
        "url": "/",
        "headers": {"X-Amz-Target": f"SageMaker.{operation}", "Content-Type": "application/x-amz-json-1.1"},
        "content": json.dumps(params).encode(),
    }


def logs(operation: str, params: dict[str, object]) -> dict[str, object]:
    return {
        "url": "/",
        "headers": {
            "X-Amz-Target": f"Logs_20140328.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        "content": json.dumps(params).encode(),
    }


def test_every_api_is_told_apart_and_answered_in_its_shape(tmp_path: Path) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/health"),
            await client.post(**sagemaker("ListModels", {})),  # type: ignore[arg-type]
            await client.post("/", data={"Action": "ListRoles", "Version": "2010-05-08"}),
            await client.post("/", data={"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
            await client.get("/2015-03-31/functions/"),
            await client.get("/restapis"),
            await client.post(**logs("DescribeLogGroups", {})),  # type: ignore[arg-type]
        ]

    health, models, roles, caller, functions, apis, groups = with_front_door(tmp_path, scenario)
    assert health.status_code == 200
    assert (models.status_code, models.json()) == (200, {"Models": []})
    assert roles.status_code == 200 and "<ListRolesResponse" in roles.text
    assert caller.status_code == 200 and f"<Arn>arn:aws:iam::{ACCOUNT}:root</Arn>" in caller.text
    assert (functions.status_code, functions.json()["Functions"]) == (200, [])
    assert apis.status_code == 200 and apis.json().get("item", []) == []
    assert (groups.status_code, groups.json()) == (200, {"logGroups": []})


def test_a_created_model_is_described_through_the_same_door(tmp_path: Path) -> None:
    async def scenario(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        created = await client.post(
            **sagemaker(  # type: ignore[arg-type]
                "CreateModel",
                {
                    "ModelName": "Iris",
                    "PrimaryContainer": {
                        "Image": "xgboost",
                        "ModelDataUrl": f"file://{tmp_path}/model.tar.gz",
                    },
                    "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
                },
            )
        )
        described = await client.post(**sagemaker("DescribeModel", {"ModelName": "Iris"}))  # type: ignore[arg-type]
        return created, described

    created, described = with_front_door(tmp_path, scenario)
    assert created.status_code == 200, created.text
    assert created.json() == {"ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/iris"}
    assert described.json()["ModelName"] == "Iris"


def test_errors_come_back_in_each_apis_own_shape(tmp_path: Path) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/no/such/api"),
            await client.post(**sagemaker("DescribeModel", {"ModelName": "missing"})),  # type: ignore[arg-type]
            await client.post(
                "/endpoints/missing/invocations", content=b"1,2", headers={"Content-Type": "text/csv"}
            ),
            await client.get("/2015-03-31/functions/missing"),
            await client.post(**logs("DescribeLogStreams", {"logGroupName": "/missing"})),  # type: ignore[arg-type]
        ]

    unknown, model, invocation, function, group = with_front_door(tmp_path, scenario)
    assert unknown.status_code == 400 and unknown.json()["__type"] == "UnknownOperationException"
    assert model.status_code == 400 and model.json()["__type"] == "ValidationException"
    assert (
        model.json()["message"]
        == 'Could not find model "arn:aws:sagemaker:us-east-1:123456789012:model/missing".'
    )
    assert (invocation.status_code, invocation.headers["x-amzn-errortype"]) == (400, "ValidationError")
    assert invocation.json()["Message"] == f"Endpoint missing of account {ACCOUNT} not found."
    assert function.status_code == 404 and function.headers["x-amzn-errortype"].startswith(
        "ResourceNotFoundException"
    )
    assert group.status_code == 400 and group.json() == {
        "__type": "ResourceNotFoundException",
        "message": "The specified log group does not exist.",
    }


def test_an_unsigned_request_is_refused_when_auth_is_on(tmp_path: Path) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/health"),
            await client.post(**sagemaker("ListModels", {})),  # type: ignore[arg-type]
            await client.post(**logs("DescribeLogGroups", {})),  # type: ignore[arg-type]
        ]

    health, *refused = with_front_door(tmp_path, scenario, auth=True)
    assert health.status_code == 200  # liveness needs no signature
    for answer in refused:
        assert answer.status_code in (400, 403)
        assert answer.json()["__type"] == "MissingAuthenticationTokenException"
