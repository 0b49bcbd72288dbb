"""Notebook instance lifecycle configurations: Create/Describe/List/Update/Delete.

A configuration holds at most one ``OnCreate`` and one ``OnStart`` script, each base64 of a shell
script (at most 16384 characters encoded, botocore's model checks that). ``OnCreate`` runs once,
when an instance that uses the configuration is created; ``OnStart`` at every start, the first
one included, both before JupyterLab starts (``sandboxes/notebooks.NotebookHost.start``). A
script that exits non-zero or runs too long leaves the instance ``Failed`` with the reason.
The messages are SageMaker's (as moto reproduces them).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.sagemaker import resources
from modelport.store.base import Resource

KIND = "notebook_lifecycle_config"
_NOUN = "Notebook Instance Lifecycle Config"


def create_notebook_instance_lifecycle_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["NotebookInstanceLifecycleConfigName"]
    arn = ctx.arn(KIND, name)
    if ctx.store.get(KIND, name) is not None:
        raise InvalidRequest(f"Unable to create {_NOUN} {arn}. (Details: {_NOUN} already exists.)")
    body = {hook: _checked(params.get(hook)) for hook in ("OnCreate", "OnStart")}
    try:
        record = resources.create(ctx, KIND, name, body, params.get("Tags"))
    except ResourceAlreadyExists:  # created meanwhile
        raise InvalidRequest(f"Unable to create {_NOUN} {arn}. (Details: {_NOUN} already exists.)") from None
    return {"NotebookInstanceLifecycleConfigArn": record.arn}


def describe_notebook_instance_lifecycle_config(
    ctx: ServiceContext, params: dict[str, Any]
) -> dict[str, Any]:
    record = _find(ctx, params["NotebookInstanceLifecycleConfigName"], "describe")
    return {
        "NotebookInstanceLifecycleConfigArn": record.arn,
        "NotebookInstanceLifecycleConfigName": record.name,
        "OnCreate": record.body.get("OnCreate", []),
        "OnStart": record.body.get("OnStart", []),
        "LastModifiedTime": record.last_modified_time,
        "CreationTime": record.creation_time,
    }


def list_notebook_instance_lifecycle_configs(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return resources.list_page(
        ctx,
        KIND,
        params,
        result_key="NotebookInstanceLifecycleConfigs",
        summary=lambda r: {
            "NotebookInstanceLifecycleConfigName": r.name,
            "NotebookInstanceLifecycleConfigArn": r.arn,
            "CreationTime": r.creation_time,
            "LastModifiedTime": r.last_modified_time,
        },
        name_field="NotebookInstanceLifecycleConfigName",
        sort_fields={
            "Name": "NotebookInstanceLifecycleConfigName",
            "CreationTime": "CreationTime",
            "LastModifiedTime": "LastModifiedTime",
        },
    )


def update_notebook_instance_lifecycle_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = _find(ctx, params["NotebookInstanceLifecycleConfigName"], "update")
    body = dict(record.body)
    for hook in ("OnCreate", "OnStart"):
        if hook in params:
            body[hook] = _checked(params[hook])
    ctx.store.update(record.evolve(body=body, last_modified_time=ctx.clock.now()))
    return {}


def delete_notebook_instance_lifecycle_config(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    resources.remove(ctx, _find(ctx, params["NotebookInstanceLifecycleConfigName"], "delete"))
    return {}


def get_lifecycle_config(ctx: ServiceContext, name: str) -> Resource:
    """The configuration a notebook instance names (ValidationException when there is none)."""
    record = ctx.store.get(KIND, name)
    if record is None:
        raise ResourceNotFound(f"{_NOUN} '{ctx.arn(KIND, name)}' does not exist.")
    return record


def scripts(record: Resource, hook: str) -> list[bytes]:
    """The decoded scripts of one hook (``OnCreate`` or ``OnStart``) of a stored configuration."""
    return [base64.b64decode(item["Content"]) for item in record.body.get(hook, [])]


def _find(ctx: ServiceContext, name: str, verb: str) -> Resource:
    record = ctx.store.get(KIND, name)
    if record is None:
        arn = ctx.arn(KIND, name)
        raise ResourceNotFound(f"Unable to {verb} {_NOUN} '{arn}'. (Details: {_NOUN} does not exist.)")
    return record


def _checked(hooks: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """Each script's Content must be base64 of a script: refused now, not at the instance's start."""
    for hook in hooks or []:
        try:
            base64.b64decode(hook["Content"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest(
                "The lifecycle configuration script Content must be the base64 encoding of a shell script, "
                'e.g. base64.b64encode(b"#!/bin/bash\\necho hello").decode().'
            ) from None
    return [{"Content": hook["Content"]} for hook in hooks or []]
