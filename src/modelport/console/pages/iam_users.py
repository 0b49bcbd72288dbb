"""IAM → Users: the list, create, a user's page (permissions — attached and inline policies,
the latter in the roles' JSON editor — access keys, console password), delete.

A new access key's secret is shown once, on the page that answers the POST that created it,
and never again, as on AWS: it is not put in a flash message (those are stored with the
session) and no page reads it back. Passwords are never shown at all.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages import iam_inline
from modelport.console.pages.iam_inline import USER


def routes() -> list[BaseRoute]:
    return [
        Route("/iam/users", users_list, methods=["GET"]),
        Route("/iam/users/create", create, methods=["POST"]),
        Route("/iam/users/{name}", user_page, methods=["GET"]),
        Route("/iam/users/{name}/delete", delete, methods=["POST"]),
        Route("/iam/users/{name}/keys", create_key, methods=["POST"]),
        Route("/iam/users/{name}/keys/{key_id}/delete", delete_key, methods=["POST"]),
        Route("/iam/users/{name}/password", set_password, methods=["POST"]),
        Route("/iam/users/{name}/password/delete", delete_password, methods=["POST"]),
        Route("/iam/users/{name}/attach", attach, methods=["POST"]),
        *iam_inline.routes(USER),
    ]


async def users_list(request: Request) -> Response:
    users: list[dict[str, Any]] = []
    error = None
    try:
        users = (await call(request, "iam", "ListUsers", {"MaxItems": 1000}))["Users"]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "iam/users.html", {"users": users}, error=error)


async def create(request: Request) -> Response:
    name = rendering.form(request).get("name").strip()
    try:
        await call(request, "iam", "CreateUser", {"UserName": name})
    except AwsError as exc:
        return rendering.redirect(request, "/iam/users", error=exc)
    return rendering.redirect(request, USER.page(name), flash=f"User {name} created.")


async def user_page(request: Request, *, new_key: dict[str, Any] | None = None) -> Response:
    name = request.path_params["name"]
    try:
        user = (await call(request, "iam", "GetUser", {"UserName": name}))["User"]
    except AwsError as exc:
        return rendering.render(request, "iam/user.html", {"user": None, "name": name}, error=exc)
    context: dict[str, Any] = {
        "user": user,
        "name": name,
        "keys": [],
        "attached": [],
        "inline": [],
        "policies": [],
        "login_profile": None,
        "new_key": new_key,
    }
    error = None
    try:
        context["keys"] = (await call(request, "iam", "ListAccessKeys", {"UserName": name}))[
            "AccessKeyMetadata"
        ]
        context["attached"] = await iam_inline.attached_policies(request, USER, name)
        context["inline"] = await iam_inline.inline_policies(request, USER, name)
        try:
            context["login_profile"] = (await call(request, "iam", "GetLoginProfile", {"UserName": name}))[
                "LoginProfile"
            ]
        except AwsError as exc:
            if exc.code != "NoSuchEntity":
                raise
        attached = {p["PolicyArn"] for p in context["attached"]}
        listed = (await call(request, "iam", "ListPolicies", {"MaxItems": 1000}))["Policies"]
        context["policies"] = [p for p in listed if p["Arn"] not in attached]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "iam/user.html", context, error=error)


async def create_key(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        created = (await call(request, "iam", "CreateAccessKey", {"UserName": name}))["AccessKey"]
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return await user_page(request, new_key=created)


async def delete_key(request: Request) -> Response:
    name, key_id = request.path_params["name"], request.path_params["key_id"]
    try:
        await call(request, "iam", "DeleteAccessKey", {"UserName": name, "AccessKeyId": key_id})
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return rendering.redirect(request, USER.page(name), flash=f"Access key {key_id} deleted.")


async def set_password(request: Request) -> Response:
    name = request.path_params["name"]
    password = rendering.form(request).get("password")
    params = {"UserName": name, "Password": password}
    try:
        try:
            await call(request, "iam", "GetLoginProfile", {"UserName": name})
            await call(request, "iam", "UpdateLoginProfile", params)
        except AwsError as exc:
            if exc.code != "NoSuchEntity":
                raise
            await call(request, "iam", "CreateLoginProfile", params)
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return rendering.redirect(request, USER.page(name), flash=f"Console password set for {name}.")


async def delete_password(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "iam", "DeleteLoginProfile", {"UserName": name})
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return rendering.redirect(request, USER.page(name), flash=f"Console access removed for {name}.")


async def attach(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        for arn in rendering.form(request).getlist("policy_arn"):
            await call(request, "iam", "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return rendering.redirect(request, USER.page(name), flash="Policies attached.")


async def delete(request: Request) -> Response:
    """As the AWS console: the user's keys, console password, inline policies and attachments go
    first."""
    name = request.path_params["name"]
    try:
        keys = (await call(request, "iam", "ListAccessKeys", {"UserName": name}))["AccessKeyMetadata"]
        for key in keys:
            await call(
                request, "iam", "DeleteAccessKey", {"UserName": name, "AccessKeyId": key["AccessKeyId"]}
            )
        try:
            await call(request, "iam", "DeleteLoginProfile", {"UserName": name})
        except AwsError as exc:
            if exc.code != "NoSuchEntity":
                raise
        await iam_inline.clear_policies(request, USER, name)
        await call(request, "iam", "DeleteUser", {"UserName": name})
    except AwsError as exc:
        return rendering.redirect(request, USER.page(name), error=exc)
    return rendering.redirect(request, "/iam/users", flash=f"User {name} deleted.")
