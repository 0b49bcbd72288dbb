"""Removing what the CLI made once nothing uses it: endpoint configs, models and packages.

``deploy`` names each model and endpoint config ``<name>-<stamp>`` and packs the model into
``<data_dir>/packages/<name>-<stamp>.tar.gz``. A redeploy supersedes the previous pair, ``rm``
ends the endpoint: both then delete the configs no endpoint runs, their models (unless a config
still in use names them) and the package files those models read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_STAMP = r"\d{8}-\d{6}"


def ignore_missing(delete: Any, **arguments: str) -> bool:
    """Call ``delete``; False when the resource was already gone (someone else removed it)."""
    from botocore.exceptions import ClientError

    try:
        delete(**arguments)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        if error.response.get("Error", {}).get("Code") in ("ValidationException", "ValidationError"):
            message = str(error.response.get("Error", {}).get("Message", ""))
            if "not find" in message or "not found" in message or "does not exist" in message:
                return False
        raise
    return True


def models_of_config(sm: Any, config_name: str) -> list[str]:
    from botocore.exceptions import ClientError

    try:
        config = sm.describe_endpoint_config(EndpointConfigName=config_name)
    except ClientError:
        return []  # already gone
    names = [
        variant["ModelName"] for variant in config.get("ProductionVariants", []) if variant.get("ModelName")
    ]
    return list(dict.fromkeys(names))


def configs_in_use(sm: Any) -> set[str]:
    """The endpoint configs that endpoints run now."""
    from botocore.exceptions import ClientError

    used: set[str] = set()
    for page in sm.get_paginator("list_endpoints").paginate():
        for endpoint in page["Endpoints"]:
            try:
                described = sm.describe_endpoint(EndpointName=endpoint["EndpointName"])
            except ClientError:
                continue  # deleted meanwhile
            if described.get("EndpointConfigName"):
                used.add(described["EndpointConfigName"])
    return used


def cli_configs_of(sm: Any, endpoint_name: str) -> list[str]:
    """Configs named as ``deploy`` names them for this endpoint (``<name>-<stamp>``)."""
    prefix = endpoint_name[: 63 - len("20240101-120000") - 1]
    pattern = re.compile(rf"^{re.escape(prefix)}-{_STAMP}$")
    found: list[str] = []
    for page in sm.get_paginator("list_endpoint_configs").paginate(NameContains=prefix):
        found += [
            c["EndpointConfigName"] for c in page["EndpointConfigs"] if pattern.match(c["EndpointConfigName"])
        ]
    return found


def delete_superseded(sm: Any, *config_names: str) -> list[str]:
    """Delete these configs, their models and packages, skipping anything an endpoint still runs.

    Returns one line per deleted thing, for the user.
    """
    in_use = configs_in_use(sm)
    models_in_use = {model for config in in_use for model in models_of_config(sm, config)}
    said: list[str] = []
    for config_name in dict.fromkeys(config_names):
        if config_name in in_use:
            continue
        models = models_of_config(sm, config_name)
        if ignore_missing(sm.delete_endpoint_config, EndpointConfigName=config_name):
            said.append(f"Deleted endpoint config {config_name}.")
        for model in models:
            if model in models_in_use:
                continue
            package = model_package(sm, model)
            if ignore_missing(sm.delete_model, ModelName=model):
                said.append(f"Deleted model {model}.")
            if package is not None and delete_package(package):
                said.append(f"Deleted package {package}.")
    return said


def model_package(sm: Any, model_name: str) -> Path | None:
    """The CLI package the model reads (a local ``packages/*.tar.gz``), or None."""
    from botocore.exceptions import ClientError

    try:
        described = sm.describe_model(ModelName=model_name)
    except ClientError:
        return None
    containers = [described.get("PrimaryContainer") or {}, *described.get("Containers", [])]
    for container in containers:
        url = str(container.get("ModelDataUrl") or "")
        path = Path(url.removeprefix("file://"))
        if path.is_absolute() and path.parent.name == "packages" and path.name.endswith(".tar.gz"):
            return path
    return None


def delete_package(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
