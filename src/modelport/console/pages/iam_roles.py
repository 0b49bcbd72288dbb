"""IAM → Roles: the list; create a role for a use case (Lambda or SageMaker: the trust policy
is written for the user, managed policies picked from a list); a role's page (trust policy,
permissions, tags); inline policies written in a JSON editor and checked as IAM checks them;
attach, detach, delete.

Deleting a role does what the AWS console does: deletes its inline policies and detaches its
managed ones first, each as its own IAM call, so a caller allowed only some of them stops at
the first AccessDenied.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages import iam_inline
from modelport.console.pages.iam_inline import ROLE, pretty_document

# Use case -> (label, the service principal its trust policy lets assume the role).
USE_CASES: dict[str, tuple[str, str]] = {
    "lambda": ("Lambda", "lambda.amazonaws.com"),
    "sagemaker": ("SageMaker", "sagemaker.amazonaws.com"),
}


def routes() -> list[BaseRoute]:
    return [
        Route("/iam/roles", roles_list, methods=["GET"]),
        Route("/iam/roles/create", create_form, methods=["GET"]),
        Route("/iam/roles/create", create, methods=["POST"]),
        Route("/iam/roles/{name}", role_page, methods=["GET"]),
        Route("/iam/roles/{name}/delete", delete, methods=["POST"]),
        Route("/iam/roles/{name}/attach", attach, methods=["POST"]),
        *iam_inline.routes(ROLE),
    ]


def trust_policy(use_case: str) -> str:
    """The trust policy the AWS console writes for a service's use case."""
    _, service = USE_CASES[use_case]
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


async def roles_list(request: Request) -> Response:
    roles: list[dict[str, Any]] = []
    error = None
    try:
        roles = (await call(request, "iam", "ListRoles", {"MaxItems": 1000}))["Roles"]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "iam/roles.html", {"roles": roles}, error=error)


async def _policies(request: Request) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = (await call(request, "iam", "ListPolicies", {"MaxItems": 1000}))[
            "Policies"
        ]
        return found
    except AwsError:
        return []  # the form still works: the user can create the role, then attach by ARN


async def create_form(request: Request) -> Response:
    values = {"use_case": request.query_params.get("use_case", "lambda"), "name": "", "description": ""}
    return await _create_page(request, values, [], None)


async def _create_page(
    request: Request, values: dict[str, str], chosen: list[str], error: AwsError | None
) -> Response:
    context = {
        "values": values,
        "chosen": chosen,
        "use_cases": USE_CASES,
        "policies": await _policies(request),
    }
    return rendering.render(
        request, "iam/role_create.html", context, error=error, status_code=400 if error else 200
    )


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {k: form.get(k).strip() for k in ("use_case", "name", "description")}
    chosen = form.getlist("policy_arn")
    if values["use_case"] not in USE_CASES:
        error = AwsError("ValidationError", "Choose a use case: Lambda or SageMaker.")
        return await _create_page(request, values, chosen, error)
    params: dict[str, Any] = {
        "RoleName": values["name"],
        "AssumeRolePolicyDocument": trust_policy(values["use_case"]),
    }
    if values["description"]:
        params["Description"] = values["description"]
    try:
        await call(request, "iam", "CreateRole", params)
    except AwsError as exc:
        return await _create_page(request, values, chosen, exc)
    name = values["name"]
    for arn in chosen:
        try:
            await call(request, "iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
        except AwsError as exc:
            return rendering.redirect(request, ROLE.page(name), error=exc)
    return rendering.redirect(request, ROLE.page(name), flash=f"Role {name} created.")


async def role_page(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        role = (await call(request, "iam", "GetRole", {"RoleName": name}))["Role"]
    except AwsError as exc:
        return rendering.render(request, "iam/role.html", {"role": None, "name": name}, error=exc)
    context: dict[str, Any] = {"role": role, "name": name, "attached": [], "inline": [], "policies": []}
    error = None
    try:
        context["attached"] = await iam_inline.attached_policies(request, ROLE, name)
        context["inline"] = await iam_inline.inline_policies(request, ROLE, name)
    except AwsError as exc:
        error = exc
    attached = {p["PolicyArn"] for p in context["attached"]}
    context["policies"] = [p for p in await _policies(request) if p["Arn"] not in attached]
    context["trust"] = pretty_document(role["AssumeRolePolicyDocument"])
    return rendering.render(request, "iam/role.html", context, error=error)


async def attach(request: Request) -> Response:
    name = request.path_params["name"]
    arns = rendering.form(request).getlist("policy_arn")
    try:
        for arn in arns:
            await call(request, "iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
    except AwsError as exc:
        return rendering.redirect(request, ROLE.page(name), error=exc)
    done = f"Attached {len(arns)} {'policy' if len(arns) == 1 else 'policies'}." if arns else None
    return rendering.redirect(request, ROLE.page(name), flash=done)


async def delete(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await iam_inline.clear_policies(request, ROLE, name)
        await call(request, "iam", "DeleteRole", {"RoleName": name})
    except AwsError as exc:
        return rendering.redirect(request, ROLE.page(name), error=exc)
    return rendering.redirect(request, "/iam/roles", flash=f"Role {name} deleted.")
