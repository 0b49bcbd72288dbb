"""SageMaker → Notebook instances: the list with live status; create (name, instance type, an
IAM role picked from the account's roles); **Open Jupyter** (a presigned URL from
CreatePresignedNotebookInstanceUrl, followed at once, as the AWS console's link does); stop,
start, delete.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages.sagemaker_endpoints import list_all

MOVING = {"Pending", "Stopping", "Deleting", "Updating"}
INSTANCE_TYPES = (
    "ml.t3.medium",
    "ml.t3.large",
    "ml.t2.medium",
    "ml.m5.xlarge",
    "ml.c5.xlarge",
    "ml.g4dn.xlarge",
)


def routes() -> list[BaseRoute]:
    return [
        Route("/sagemaker/notebook-instances", notebooks_list, methods=["GET"]),
        Route("/sagemaker/notebook-instances/create", create_form, methods=["GET"]),
        Route("/sagemaker/notebook-instances/create", create, methods=["POST"]),
        Route("/sagemaker/notebook-instances/{name}/open", open_jupyter, methods=["GET"]),
        Route("/sagemaker/notebook-instances/{name}/{action:str}", change, methods=["POST"]),
    ]


async def notebooks_list(request: Request) -> Response:
    notebooks: list[dict[str, Any]] = []
    error = None
    try:
        notebooks = await list_all(request, "ListNotebookInstances", "NotebookInstances")
    except AwsError as exc:
        error = exc
    live = any(n["NotebookInstanceStatus"] in MOVING for n in notebooks)
    return rendering.render(
        request, "sagemaker/notebooks.html", {"notebooks": notebooks, "live": live}, error=error
    )


async def roles(request: Request) -> list[dict[str, Any]]:
    """The account's roles, those SageMaker may assume first (the ones that will work)."""
    try:
        roles: list[dict[str, Any]] = (await call(request, "iam", "ListRoles", {"MaxItems": 1000}))["Roles"]
    except AwsError:
        return []  # the form still takes a role ARN typed in
    return sorted(
        roles,
        key=lambda r: (
            "sagemaker.amazonaws.com" not in str(r.get("AssumeRolePolicyDocument")),
            r["RoleName"],
        ),
    )


async def _create_page(request: Request, values: dict[str, str], error: AwsError | None) -> Response:
    context = {"values": values, "instance_types": INSTANCE_TYPES, "roles": await roles(request)}
    return rendering.render(
        request, "sagemaker/notebook_create.html", context, error=error, status_code=400 if error else 200
    )


async def create_form(request: Request) -> Response:
    return await _create_page(request, {"name": "", "instance_type": INSTANCE_TYPES[0], "role_arn": ""}, None)


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {k: form.get(k).strip() for k in ("name", "instance_type", "role_arn")}
    params = {
        "NotebookInstanceName": values["name"],
        "InstanceType": values["instance_type"],
        "RoleArn": values["role_arn"],
    }
    try:
        await call(request, "sagemaker", "CreateNotebookInstance", params)
    except AwsError as exc:
        return await _create_page(request, values, exc)
    return rendering.redirect(
        request, "/sagemaker/notebook-instances", flash=f"Notebook instance {values['name']} created."
    )


async def open_jupyter(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        url = (
            await call(
                request, "sagemaker", "CreatePresignedNotebookInstanceUrl", {"NotebookInstanceName": name}
            )
        )["AuthorizedUrl"]
    except AwsError as exc:
        return rendering.redirect(request, "/sagemaker/notebook-instances", error=exc)
    return RedirectResponse(url, status_code=303)


# Form action -> (operation, what the flash message says happened).
ACTIONS = {
    "stop": ("StopNotebookInstance", "stopping"),
    "start": ("StartNotebookInstance", "starting"),
    "delete": ("DeleteNotebookInstance", "deleted"),
}


async def change(request: Request) -> Response:
    name, action = request.path_params["name"], request.path_params["action"]
    if action not in ACTIONS:
        return rendering.redirect(
            request,
            "/sagemaker/notebook-instances",
            error=AwsError("ValidationException", f"Unknown notebook instance action {action!r}."),
        )
    operation, done = ACTIONS[action]
    try:
        await call(request, "sagemaker", operation, {"NotebookInstanceName": name})
    except AwsError as exc:
        return rendering.redirect(request, "/sagemaker/notebook-instances", error=exc)
    return rendering.redirect(
        request, "/sagemaker/notebook-instances", flash=f"Notebook instance {name} {done}."
    )
