"""Deployment snapshots: what an endpoint runs, frozen when it is created or updated.

A snapshot is a plain dict stored with the endpoint (``{"EndpointConfigName", "Variants": [...]}``,
each variant with its image, runtime, model data, environment, count and weight), so the
endpoint keeps running — and comes back after a restart — even if its config or models are
deleted. This module names the model key each variant carries (the artifact cache's key),
lists the keys an endpoint refers to, and turns snapshots into what DescribeEndpoint shows.
"""

from __future__ import annotations

from typing import Any

from modelport.hosting.artifacts.code import remote_code_url

ENDPOINT_KIND = "endpoint"
MODEL_KIND = "model"

# The snapshots an endpoint record may hold: what it runs, and what an update is starting.
_SNAPSHOT_FIELDS = ("Deployment", "PendingDeployment")


def model_key(name: str, creation_time: float) -> str:
    """The key of a model's unpacked artifacts: its name and creation time (to the millisecond).

    A model deleted and created again under the same name gets a new key, so its data is fetched
    again rather than served from the old model's folder.
    """
    return f"{name.lower()}-{int(creation_time * 1000)}"


def model_source(variant: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """What a backend that fetches model data on another machine needs (``sandboxes/ray``):
    a variant's model key, its ModelDataUrl and the S3 URL of its script-mode code, if any."""
    return variant["ModelKey"], variant.get("ModelDataUrl"), remote_code_url(variant["Environment"])


def deployment_model_keys(deployment: dict[str, Any]) -> set[str]:
    """The model keys of a deployment snapshot's variants."""
    return {v["ModelKey"] for v in (*deployment["Variants"], *deployment.get("ShadowVariants", []))}


def endpoint_model_keys(endpoint_body: dict[str, Any]) -> set[str]:
    """The model keys an endpoint record refers to: its deployment and any pending one."""
    keys: set[str] = set()
    for field in _SNAPSHOT_FIELDS:
        if deployment := endpoint_body.get(field):
            keys |= deployment_model_keys(deployment)
    return keys


def variant_summaries(
    deployment: dict[str, Any], *, running: bool, current: dict[str, tuple[float, int]] | None = None
) -> list[dict[str, Any]]:
    """ProductionVariantSummary dicts for a deployment snapshot (the desired state).

    ``current`` gives each variant's current weight and live instance count, from the fleet that
    serves; a variant missing from it is shown as converged when ``running``, else with no
    instance (the fleet is not up).
    """
    summaries = []
    for v in deployment["Variants"]:
        weight, count = (current or {}).get(
            v["VariantName"], (v["Weight"], v["InstanceCount"] if running else 0)
        )
        summary: dict[str, Any] = {
            "VariantName": v["VariantName"],
            "DeployedImages": [
                {
                    "SpecifiedImage": v["Image"],
                    "ResolvedImage": f"modelport/{v['Runtime']}:{v['FrameworkVersion']}",
                    "ResolutionTime": v["ResolutionTime"],
                }
            ],
            "CurrentWeight": weight,
            "DesiredWeight": v["Weight"],
        }
        if "ServerlessConfig" in v:
            # As SageMaker: a serverless variant shows its config, not instance counts (which
            # change as it scales to zero and back).
            summary["CurrentServerlessConfig"] = dict(v["ServerlessConfig"])
            summary["DesiredServerlessConfig"] = dict(v["ServerlessConfig"])
        else:
            summary["CurrentInstanceCount"] = count
            summary["DesiredInstanceCount"] = v["InstanceCount"]
        summaries.append(summary)
    return summaries
