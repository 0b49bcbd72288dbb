"""Deployments and stages of a REST API: CreateDeployment, GetDeployment(s), DeleteDeployment,
CreateStage, GetStage, GetStages, UpdateStage, DeleteStage.

A deployment is a snapshot of the resource tree with its methods and integrations at the
moment it was made; a stage points at one deployment, and the gateway serves that snapshot, so
editing the API changes nothing live until the next deployment (as on AWS).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.apigateway import patches
from modelport.services.apigateway.documents import editable, load_api, new_id, save_api
from modelport.services.context import ServiceContext

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

_STAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_VARIABLE_NAME = re.compile(r"^[a-zA-Z0-9_]{1,64}$")


def _check_deployable(resources: Mapping[str, Mapping[str, Any]]) -> None:
    methods = [m for r in resources.values() for m in (r.get("resourceMethods") or {}).values()]
    if not methods:
        raise InvalidRequest("The REST API doesn't contain any methods")
    if any("methodIntegration" not in m for m in methods):
        raise InvalidRequest("No integration defined for method")


def _check_variables(variables: Mapping[str, str] | None) -> dict[str, str]:
    for name in variables or {}:
        if not _VARIABLE_NAME.match(name):
            raise InvalidRequest(
                f"Stage variable names must consist of alphanumeric characters and underscores only: {name}"
            )
    return dict(variables or {})


def _check_stage_name(name: str | None) -> str:
    if not name or not _STAGE_NAME.match(name):
        raise InvalidRequest("Stage name only allows a-zA-Z0-9_-")
    return name


def deployment_shape(deployment: Mapping[str, Any]) -> dict[str, Any]:
    return {k: deployment[k] for k in ("id", "description", "createdDate") if deployment.get(k) is not None}


def stage_shape(stage: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in stage.items() if v is not None})


def _new_stage(
    ctx: ServiceContext, name: str, deployment_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    now = ctx.clock.now()
    return {
        "stageName": name,
        "deploymentId": deployment_id,
        "description": params.get("description"),
        "variables": _check_variables(params.get("variables")) or None,
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": False,
        "tags": params.get("tags") or None,
        "createdDate": now,
        "lastUpdatedDate": now,
    }


def create_deployment(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    _check_deployable(body["resources"])
    stage_name = params.get("stageName")
    if stage_name is not None:
        _check_stage_name(stage_name)
    variables = _check_variables(params.get("variables"))
    deployment_id = new_id(6)
    deployment = {
        "id": deployment_id,
        "description": params.get("description"),
        "createdDate": ctx.clock.now(),
        "resources": copy.deepcopy(body["resources"]),
    }
    body["deployments"][deployment_id] = deployment
    if stage_name:
        stage = body["stages"].get(stage_name)
        if stage is None:
            stage_params = {"description": params.get("stageDescription"), "variables": variables}
            body["stages"][stage_name] = _new_stage(ctx, stage_name, deployment_id, stage_params)
        else:
            stage["deploymentId"] = deployment_id
            stage["lastUpdatedDate"] = ctx.clock.now()
            if variables:
                stage["variables"] = {**(stage.get("variables") or {}), **variables}
    save_api(ctx, record, body)
    return deployment_shape(deployment)


def get_deployments(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    items = sorted(body["deployments"].values(), key=lambda d: (d["createdDate"], d["id"]))
    return {"items": [deployment_shape(d) for d in items]}


def get_deployment(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    return deployment_shape(_deployment(body, params["deploymentId"]))


def delete_deployment(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    deployment_id = _deployment(body, params["deploymentId"])["id"]
    if any(stage["deploymentId"] == deployment_id for stage in body["stages"].values()):
        raise InvalidRequest("Active stages pointing to this deployment must be moved or deleted")
    del body["deployments"][deployment_id]
    save_api(ctx, record, body)
    return {}


def _deployment(body: Mapping[str, Any], deployment_id: str) -> dict[str, Any]:
    deployment: dict[str, Any] | None = body["deployments"].get(deployment_id)
    if deployment is None:
        raise ResourceNotFound("Invalid Deployment identifier specified")
    return deployment


def create_stage(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    name = _check_stage_name(params.get("stageName"))
    if name in body["stages"]:
        raise ResourceAlreadyExists("Stage already exists")
    deployment_id = params.get("deploymentId") or ""
    if deployment_id not in body["deployments"]:
        raise ResourceNotFound("Invalid Deployment identifier specified")
    stage = _new_stage(ctx, name, deployment_id, params)
    body["stages"][name] = stage
    save_api(ctx, record, body)
    return stage_shape(stage)


def get_stage(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    stage = body["stages"].get(params["stageName"])
    if stage is None:
        raise ResourceNotFound("Invalid Stage identifier specified")
    return stage_shape(stage)


def get_stages(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    body = load_api(ctx, params["restApiId"]).body
    wanted = params.get("deploymentId")
    stages = [s for s in body["stages"].values() if wanted is None or s["deploymentId"] == wanted]
    return {"item": [stage_shape(s) for s in sorted(stages, key=lambda s: s["stageName"])]}


def update_stage(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """Patch paths: ``/deploymentId`` (move the stage to another deployment: what it serves
    changes at once), ``/description``, ``/variables/<name>``."""
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    stage = body["stages"].get(params["stageName"])
    if stage is None:
        raise ResourceNotFound("Invalid Stage identifier specified")

    def deployment(value: str) -> str:
        return str(_deployment(body, value)["id"])

    paths = patches.PatchPaths(
        scalars={"deploymentId": deployment, "description": lambda value: value or None},
        keyed={"variables": "map"},
    )
    changed = patches.apply(stage, params.get("patchOperations") or [], paths)
    _check_variables(changed.get("variables"))
    changed["lastUpdatedDate"] = ctx.clock.now()
    body["stages"][stage["stageName"]] = changed
    save_api(ctx, record, body)
    return stage_shape(changed)


def delete_stage(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = load_api(ctx, params["restApiId"])
    body = editable(record)
    if body["stages"].pop(params["stageName"], None) is None:
        raise ResourceNotFound("Invalid Stage identifier specified")
    save_api(ctx, record, body)
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateDeployment": create_deployment,
    "GetDeployments": get_deployments,
    "GetDeployment": get_deployment,
    "DeleteDeployment": delete_deployment,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
}
