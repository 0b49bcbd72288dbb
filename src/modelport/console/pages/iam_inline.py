"""What the IAM → Roles and IAM → Users pages share: the JSON editor for inline policies (new,
edit, save, delete), detaching a managed policy, and reading or clearing an entity's policies.

An `Entity` names the page (``roles`` or ``users``) and the IAM noun its operations use
(``Role`` → ``PutRolePolicy``, ``RoleName``); the page modules keep only what differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call

# The document a new policy (inline or managed) starts from.
POLICY_TEMPLATE = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sagemaker:InvokeEndpoint",
            "Resource": "*"
        }
    ]
}"""


@dataclass(frozen=True)
class Entity:
    """An IAM identity with policies: ``kind`` is the URL segment, ``noun`` the operations' word."""

    kind: str
    noun: str

    def page(self, name: str) -> str:
        return f"/iam/{self.kind}/{rendering.part(name)}"

    def params(self, name: str, **more: str) -> dict[str, Any]:
        return {f"{self.noun}Name": name, **more}


ROLE = Entity("roles", "Role")
USER = Entity("users", "User")


def pretty_document(document: str) -> str:
    try:
        return json.dumps(json.loads(document), indent=4)
    except ValueError:
        return document


def routes(entity: Entity) -> list[BaseRoute]:
    """The inline-policy editor's routes and detach, for one entity's pages."""

    async def inline_form(request: Request) -> Response:
        """A new inline policy, or (``?policy=NAME``) an existing one to edit: saving replaces it."""
        name = request.path_params["name"]
        policy = request.query_params.get("policy", "")
        values = {"policy_name": policy, "document": POLICY_TEMPLATE}
        if policy:
            try:
                got = await call(
                    request, "iam", f"Get{entity.noun}Policy", entity.params(name, PolicyName=policy)
                )
            except AwsError as exc:
                return rendering.redirect(request, entity.page(name), error=exc)
            values["document"] = pretty_document(got["PolicyDocument"])
        context = {"name": name, "values": values, "editing": bool(policy), "kind": entity.kind}
        return rendering.render(request, "iam/inline_policy.html", context)

    async def put_inline(request: Request) -> Response:
        name = request.path_params["name"]
        form = rendering.form(request)
        values = {"policy_name": form.get("policy_name").strip(), "document": form.get("document")}
        params = entity.params(name, PolicyName=values["policy_name"], PolicyDocument=values["document"])
        try:
            await call(request, "iam", f"Put{entity.noun}Policy", params)
        except AwsError as exc:
            editing = form.get("editing") == "1"
            context = {"name": name, "values": values, "editing": editing, "kind": entity.kind}
            return rendering.render(request, "iam/inline_policy.html", context, error=exc, status_code=400)
        flash = f"Inline policy {values['policy_name']} saved."
        return rendering.redirect(request, entity.page(name), flash=flash)

    async def delete_inline(request: Request) -> Response:
        name, policy = request.path_params["name"], request.path_params["policy"]
        try:
            await call(request, "iam", f"Delete{entity.noun}Policy", entity.params(name, PolicyName=policy))
        except AwsError as exc:
            return rendering.redirect(request, entity.page(name), error=exc)
        return rendering.redirect(request, entity.page(name), flash=f"Inline policy {policy} deleted.")

    async def detach(request: Request) -> Response:
        name = request.path_params["name"]
        arn = rendering.form(request).get("policy_arn")
        try:
            await call(request, "iam", f"Detach{entity.noun}Policy", entity.params(name, PolicyArn=arn))
        except AwsError as exc:
            return rendering.redirect(request, entity.page(name), error=exc)
        return rendering.redirect(request, entity.page(name), flash=f"Detached {arn}.")

    base = f"/iam/{entity.kind}/{{name}}"
    return [
        Route(f"{base}/inline", inline_form, methods=["GET"]),
        Route(f"{base}/inline", put_inline, methods=["POST"]),
        Route(f"{base}/inline/{{policy}}/delete", delete_inline, methods=["POST"]),
        Route(f"{base}/detach", detach, methods=["POST"]),
    ]


async def attached_policies(request: Request, entity: Entity, name: str) -> list[dict[str, Any]]:
    """The managed policies attached to the entity (raises `AwsError`)."""
    found = await call(request, "iam", f"ListAttached{entity.noun}Policies", entity.params(name))
    attached: list[dict[str, Any]] = found["AttachedPolicies"]
    return attached


async def inline_policies(request: Request, entity: Entity, name: str) -> list[dict[str, str]]:
    """The entity's inline policies, each ``{"name", "document"}`` pretty-printed (raises `AwsError`)."""
    inline = []
    names = (await call(request, "iam", f"List{entity.noun}Policies", entity.params(name)))["PolicyNames"]
    for policy in names:
        got = await call(request, "iam", f"Get{entity.noun}Policy", entity.params(name, PolicyName=policy))
        inline.append({"name": policy, "document": pretty_document(got["PolicyDocument"])})
    return inline


async def clear_policies(request: Request, entity: Entity, name: str) -> None:
    """As the AWS console before deleting an entity: each inline policy deleted, then each managed
    one detached, one IAM call each, stopping at the first `AwsError`."""
    for policy in (await call(request, "iam", f"List{entity.noun}Policies", entity.params(name)))[
        "PolicyNames"
    ]:
        await call(request, "iam", f"Delete{entity.noun}Policy", entity.params(name, PolicyName=policy))
    for policy in await attached_policies(request, entity, name):
        await call(
            request, "iam", f"Detach{entity.noun}Policy", entity.params(name, PolicyArn=policy["PolicyArn"])
        )
