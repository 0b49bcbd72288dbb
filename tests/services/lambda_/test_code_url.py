"""GetFunction's Code.Location: a presigned URL for the function's zip, checked with a fake clock."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from modelport.aws.auth.keys import AccessKey
from modelport.aws.auth.principal import PrincipalKind
from modelport.core.clock import FakeClock
from modelport.core.errors import AccessDenied, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.lambda_.code_url import function_code
from modelport.services.lambda_.functions import OPERATIONS
from services.iam_fixtures import ACCOUNT, tutorial_role

T = TypeVar("T")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-iris"


def zip_of(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", text)
    return buffer.getvalue()


FIRST = zip_of("def lambda_handler(event, context):\n    return 1\n")
SECOND = zip_of("def lambda_handler(event, context):\n    return 2\n")


def run(ctx: ServiceContext, scenario: Callable[[], Awaitable[T]]) -> T:
    async def with_host() -> T:
        try:
            return await scenario()
        finally:
            await ctx.functions.close()

    return asyncio.run(with_host())


async def create(ctx: ServiceContext) -> None:
    tutorial_role(ctx)
    await OPERATIONS["CreateFunction"](
        ctx,
        {
            "FunctionName": "iris-fn",
            "Runtime": "python3.12",
            "Role": ROLE,
            "Handler": "lambda_function.lambda_handler",
            "Code": {"ZipFile": FIRST},
        },
    )


async def location(ctx: ServiceContext) -> str:
    got = await OPERATIONS["GetFunction"](ctx, {"FunctionName": "iris-fn"})
    return str(got["Code"]["Location"])


async def download(ctx: ServiceContext, url: str, **changes: str) -> bytes:
    """What the front door does with ``url``: its path names the function and sha."""
    parts = urlsplit(url)
    _, name, _, file_name = parts.path.rsplit("/", 3)
    sha = changes.pop("sha", file_name.removesuffix(".zip"))
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return await function_code(ctx, name, sha, query.get("Expires", ""), query.get("Token", ""))


def test_the_location_downloads_the_uploaded_zip(ctx: ServiceContext, clock: FakeClock) -> None:
    async def scenario() -> tuple[str, bytes]:
        await create(ctx)
        url = await location(ctx)
        return url, await download(ctx, url)

    url, body = run(ctx, scenario)
    assert body == FIRST
    parts = urlsplit(url)
    assert url.startswith(f"{ctx.settings.url}/_modelport/lambda/functions/iris-fn/code/")
    assert parse_qs(parts.query)["Expires"] == [str(int(clock.now()) + 600)]


def test_a_changed_token_expiry_or_sha_is_refused(ctx: ServiceContext) -> None:
    async def scenario() -> None:
        await create(ctx)
        url = await location(ctx)
        token = parse_qs(urlsplit(url).query)["Token"][0]
        expires = parse_qs(urlsplit(url).query)["Expires"][0]
        forged = ("0" if token[0] != "0" else "1") + token[1:]
        for changes in (
            {"Token": forged},
            {"Token": ""},
            {"Token": token.upper()},
            {"Expires": str(int(expires) + 3600)},
            {"Expires": "soon"},
            {"Expires": "²"},
            {"Expires": "9" * 5000},
            {"sha": "0" * 64},
        ):
            with pytest.raises(AccessDenied, match=r"^Access Denied$"):
                await download(ctx, url, **changes)

    run(ctx, scenario)


def test_the_url_expires(ctx: ServiceContext, clock: FakeClock) -> None:
    async def scenario() -> None:
        await create(ctx)
        url = await location(ctx)
        clock.advance(599)
        assert await download(ctx, url) == FIRST
        clock.advance(1)
        with pytest.raises(AccessDenied, match=r"^Request has expired$"):
            await download(ctx, url)

    run(ctx, scenario)


def test_new_code_retires_the_old_url(ctx: ServiceContext) -> None:
    async def scenario() -> bytes:
        await create(ctx)
        old = await location(ctx)
        await OPERATIONS["UpdateFunctionCode"](ctx, {"FunctionName": "iris-fn", "ZipFile": SECOND})
        with pytest.raises(AccessDenied, match="code has changed"):
            await download(ctx, old)
        return await download(ctx, await location(ctx))

    assert run(ctx, scenario) == SECOND


def test_a_deleted_function_is_not_found(ctx: ServiceContext) -> None:
    async def scenario() -> None:
        await create(ctx)
        url = await location(ctx)
        await OPERATIONS["DeleteFunction"](ctx, {"FunctionName": "iris-fn"})
        with pytest.raises(ResourceNotFound, match=r"^The specified key does not exist\.$"):
            await download(ctx, url)

    run(ctx, scenario)


def test_tokens_are_keyed_by_the_root_secret(ctx: ServiceContext) -> None:
    def root(secret: str) -> None:
        for key in ctx.keys.list(kind=PrincipalKind.ROOT):
            ctx.keys.delete(key.access_key_id)
        ctx.keys.put(AccessKey("AKIAROOT" + secret[:8].upper(), secret, PrincipalKind.ROOT, "root", 0.0))

    async def scenario() -> None:
        await create(ctx)
        root("a" * 40)
        url = await location(ctx)
        assert await download(ctx, url) == FIRST
        root("b" * 40)  # a new root key: URLs signed before it are worthless
        with pytest.raises(AccessDenied, match=r"^Access Denied$"):
            await download(ctx, url)

    run(ctx, scenario)
