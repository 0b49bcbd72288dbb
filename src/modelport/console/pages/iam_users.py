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
from modelport.console.pages.iam_roles import INLINE_TEMPLATE, pretty_document


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
        Route("/iam/users/{name}/detach", detach, methods=["POST"]),
        Route("/iam/users/{name}/inline", inline_form, methods=["GET"]),
        Route("/iam/users/{name}/inline", put_inline, methods=["POST"]),
        Route("/iam/users/{name}/inline/{policy}/delete", delete_inline, methods=["POST"]),
    ]


def _back(name: str) -> str:
    return f"/iam/users/{rendering.part(name)}"


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
    return rendering.redirect(request, _back(name), flash=f"User {name} created.")


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
        context["attached"] = (await call(request, "iam", "ListAttachedUserPolicies", {"UserName": name}))[
            "AttachedPolicies"
        ]
        names = (await call(request, "iam", "ListUserPolicies", {"UserName": name}))["PolicyNames"]
        for policy in names:
            got = await call(request, "iam", "GetUserPolicy", {"UserName": name, "PolicyName": policy})
            context["inline"].append({"name": policy, "document": pretty_document(got["PolicyDocument"])})
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
        return rendering.redirect(request, _back(name), error=exc)
    return await user_page(request, new_key=created)


async def delete_key(request: Request) -> Response:
    name, key_id = request.path_params["name"], request.path_params["key_id"]
    try:
        await call(request, "iam", "DeleteAccessKey", {"UserName": name, "AccessKeyId": key_id})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash=f"Access key {key_id} deleted.")


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
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash=f"Console password set for {name}.")


async def delete_password(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "iam", "DeleteLoginProfile", {"UserName": name})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash=f"Console access removed for {name}.")


async def attach(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        for arn in rendering.form(request).getlist("policy_arn"):
            await call(request, "iam", "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash="Policies attached.")


async def detach(request: Request) -> Response:
    name = request.path_params["name"]
    arn = rendering.form(request).get("policy_arn")
    try:
        await call(request, "iam", "DetachUserPolicy", {"UserName": name, "PolicyArn": arn})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash=f"Detached {arn}.")


async def inline_form(request: Request) -> Response:
    """A new inline policy, or (``?policy=NAME``) an existing one to edit: saving replaces it."""
    name = request.path_params["name"]
    policy = request.query_params.get("policy", "")
    values = {"policy_name": policy, "document": INLINE_TEMPLATE}
    if policy:
        try:
            got = await call(request, "iam", "GetUserPolicy", {"UserName": name, "PolicyName": policy})
        except AwsError as exc:
            return rendering.redirect(request, _back(name), error=exc)
        values["document"] = pretty_document(got["PolicyDocument"])
    context = {"name": name, "values": values, "editing": bool(policy), "kind": "users"}
    return rendering.render(request, "iam/inline_policy.html", context)


async def put_inline(request: Request) -> Response:
    name = request.path_params["name"]
    form = rendering.form(request)
    values = {"policy_name": form.get("policy_name").strip(), "document": form.get("document")}
    params = {"UserName": name, "PolicyName": values["policy_name"], "PolicyDocument": values["document"]}
    try:
        await call(request, "iam", "PutUserPolicy", params)
    except AwsError as exc:
        context = {"name": name, "values": values, "editing": form.get("editing") == "1", "kind": "users"}
        return rendering.render(request, "iam/inline_policy.html", context, error=exc, status_code=400)
    return rendering.redirect(request, _back(name), flash=f"Inline policy {values['policy_name']} saved.")


async def delete_inline(request: Request) -> Response:
    name, policy = request.path_params["name"], request.path_params["policy"]
    try:
        await call(request, "iam", "DeleteUserPolicy", {"UserName": name, "PolicyName": policy})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, _back(name), flash=f"Inline policy {policy} deleted.")


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
        for policy in (await call(request, "iam", "ListUserPolicies", {"UserName": name}))["PolicyNames"]:
            await call(request, "iam", "DeleteUserPolicy", {"UserName": name, "PolicyName": policy})
        attached = (await call(request, "iam", "ListAttachedUserPolicies", {"UserName": name}))[
            "AttachedPolicies"
        ]
        for policy in attached:
            await call(
                request, "iam", "DetachUserPolicy", {"UserName": name, "PolicyArn": policy["PolicyArn"]}
            )
        await call(request, "iam", "DeleteUser", {"UserName": name})
    except AwsError as exc:
        return rendering.redirect(request, _back(name), error=exc)
    return rendering.redirect(request, "/iam/users", flash=f"User {name} deleted.")
