"""Deployment snapshots: what an endpoint runs, frozen when it is created or updated.

A snapshot is a plain dict stored with the endpoint (``{"EndpointConfigName", "Variants": [...]}``,
each variant with its image, runtime, model data, environment, count and weight), so the
endpoint keeps running — and comes back after a restart — even if its config or models are
deleted. This module turns snapshots into what DescribeEndpoint shows.
"""

from __future__ import annotations

from typing import Any

ENDPOINT_KIND = "endpoint"


def variant_summaries(
    deployment: dict[str, Any], *, running: bool, counts: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """ProductionVariantSummary dicts for a deployment snapshot.

    ``counts`` gives the live instance count per variant; without it the current count is the
    desired one when ``running`` and zero otherwise.
    """
    summaries = []
    for v in deployment["Variants"]:
        current = (counts or {}).get(v["VariantName"], v["InstanceCount"] if running else 0)
        summaries.append(
            {
                "VariantName": v["VariantName"],
                "DeployedImages": [
                    {
                        "SpecifiedImage": v["Image"],
                        "ResolvedImage": f"modelport/{v['Runtime']}:{v['FrameworkVersion']}",
                        "ResolutionTime": v["ResolutionTime"],
                    }
                ],
                "CurrentWeight": v["Weight"],
                "DesiredWeight": v["Weight"],
                "CurrentInstanceCount": current,
                "DesiredInstanceCount": v["InstanceCount"],
            }
        )
    return summaries
