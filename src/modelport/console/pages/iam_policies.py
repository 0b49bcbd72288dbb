"""IAM → Policies: the managed policies (AWS's and this account's), one policy's document, and
creating a policy from a JSON document checked as IAM checks it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.iam_inline import POLICY_TEMPLATE, pretty_document


def routes() -> list[BaseRoute]:
    return [
        Route("/iam/policies", policies_list, methods=["GET"]),
        Route("/iam/policies/create", create_form, methods=["GET"]),
        Route("/iam/policies/create", create, methods=["POST"]),
        Route("/iam/policies/view", policy_page, methods=["GET"]),
        Route("/iam/policies/delete", delete, methods=["POST"]),
    ]


async def policies_list(request: Request) -> Response:
    scope = request.query_params.get("scope", "All")
    policies: list[dict[str, Any]] = []
    error = None
    try:
        params = {"MaxItems": 1000, "Scope": scope if scope in ("All", "AWS", "Local") else "All"}
        policies = (await call(request, "iam", "ListPolicies", params))["Policies"]
    except AwsError as exc:
        error = exc
    return rendering.render(request, "iam/policies.html", {"policies": policies, "scope": scope}, error=error)


async def create_form(request: Request) -> Response:
    values = {"name": "", "description": "", "document": POLICY_TEMPLATE}
    return rendering.render(request, "iam/policy_create.html", {"values": values})


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {
        "name": form.get("name").strip(),
        "description": form.get("description").strip(),
        "document": form.get("document"),
    }
    params: dict[str, Any] = {"PolicyName": values["name"], "PolicyDocument": values["document"]}
    if values["description"]:
        params["Description"] = values["description"]
    try:
        created = (await call(request, "iam", "CreatePolicy", params))["Policy"]
    except AwsError as exc:
        return rendering.render(
            request, "iam/policy_create.html", {"values": values}, error=exc, status_code=400
        )
    return rendering.redirect(
        request,
        "/iam/policies/view?arn=" + rendering.part(created["Arn"]),
        flash=f"Policy {values['name']} created.",
    )


async def policy_page(request: Request) -> Response:
    arn = request.query_params.get("arn", "")
    context: dict[str, Any] = {"arn": arn, "policy": None, "document": ""}
    try:
        policy = (await call(request, "iam", "GetPolicy", {"PolicyArn": arn}))["Policy"]
        version = await call(
            request, "iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": policy["DefaultVersionId"]}
        )
    except AwsError as exc:
        return rendering.render(request, "iam/policy.html", context, error=exc)
    context["policy"] = policy
    context["document"] = pretty_document(version["PolicyVersion"]["Document"])
    return rendering.render(request, "iam/policy.html", context)


async def delete(request: Request) -> Response:
    arn = rendering.form(request).get("arn")
    try:
        await call(request, "iam", "DeletePolicy", {"PolicyArn": arn})
    except AwsError as exc:
        return rendering.redirect(request, "/iam/policies/view?arn=" + rendering.part(arn), error=exc)
    return rendering.redirect(request, "/iam/policies?scope=Local", flash=f"Policy {arn} deleted.")
