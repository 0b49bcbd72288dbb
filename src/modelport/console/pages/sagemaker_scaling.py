"""SageMaker → Endpoints → a variant's automatic scaling, as AWS's console offers it: the endpoint
page's column (``scaling_of``) and its latest scaling activities (``activities_of``), and
"Configure auto scaling": a form for the variant's instance
minimum and maximum and the built-in target-tracking policy on
``SageMakerVariantInvocationsPerInstance``, saved with Application Auto Scaling's
``RegisterScalableTarget`` and ``PutScalingPolicy``; and "Deregister auto scaling".

Every call runs as the signed-in user, so IAM decides what the page may read and change.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import rendering
from modelport.console.actions import AwsError, call

SERVICE = "application-autoscaling"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
POLICY = "SageMakerEndpointInvocationScalingPolicy"  # the AWS console's name for the built-in policy
METRIC = "SageMakerVariantInvocationsPerInstance"
# Form field -> (label, whole number?)
FIELDS = {
    "low": ("Minimum instance count", True),
    "high": ("Maximum instance count", True),
    "target": ("Target value", False),
    "scale_in_cooldown": ("Scale-in cooldown", True),
    "scale_out_cooldown": ("Scale-out cooldown", True),
}
# What the form shows for a variant not yet scaled (the AWS console's defaults).
DEFAULTS = {"low": "1", "high": "2", "target": "70", "scale_in_cooldown": "300", "scale_out_cooldown": "300"}
ACTIVITIES_SHOWN = 10
SUSPENDED = (
    ("scale-in", "DynamicScalingInSuspended"),
    ("scale-out", "DynamicScalingOutSuspended"),
    ("scheduled", "ScheduledScalingSuspended"),
)


def routes() -> list[BaseRoute]:
    path = "/sagemaker/endpoints/{name}/variants/{variant}/autoscaling"
    return [
        Route(path, configure_form, methods=["GET"]),
        Route(path, configure, methods=["POST"]),
        Route(f"{path}/deregister", deregister, methods=["POST"]),
    ]


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def _target(endpoint: str, variant: str) -> dict[str, str]:
    return {
        "ServiceNamespace": "sagemaker",
        "ResourceId": resource_id(endpoint, variant),
        "ScalableDimension": DIMENSION,
    }


async def scaling_of(request: Request, name: str, variants: list[str]) -> dict[str, dict[str, Any]] | None:
    """Each registered variant's automatic scaling, by variant name: ``low`` and ``high``
    (MinCapacity, MaxCapacity), its scaling ``policies`` (names), and which kinds of scaling are
    ``suspended``. None when the caller may not read Application Auto Scaling (the page then says
    so instead of claiming "No")."""
    if not variants:
        return {}
    ids = {resource_id(name, variant): variant for variant in variants}
    try:
        targets = await _registered(request, name, variants)
        found: dict[str, dict[str, Any]] = {}
        for target in targets:
            state = target.get("SuspendedState", {})
            found[ids[target["ResourceId"]]] = {
                "low": target["MinCapacity"],
                "high": target["MaxCapacity"],
                "policies": [
                    p["PolicyName"] for p in await _policies(request, name, ids[target["ResourceId"]])
                ],
                "suspended": [kind for kind, key in SUSPENDED if state.get(key)],
            }
    except AwsError:
        return None
    return found


async def activities_of(request: Request, name: str, variants: list[str]) -> list[dict[str, Any]]:
    """The endpoint's latest ``ACTIVITIES_SHOWN`` scaling activities, newest first, each with its
    ``variant``; none when the caller may not read them."""
    found: list[dict[str, Any]] = []
    try:
        for variant in variants:
            params = {**_target(name, variant), "MaxResults": ACTIVITIES_SHOWN}
            page = await call(request, SERVICE, "DescribeScalingActivities", params)
            found += [{**activity, "variant": variant} for activity in page["ScalingActivities"]]
    except AwsError:
        return []
    found.sort(key=lambda activity: activity["StartTime"], reverse=True)
    return found[:ACTIVITIES_SHOWN]


async def _registered(request: Request, endpoint: str, variants: list[str]) -> list[dict[str, Any]]:
    """The scalable targets of these variants (those registered)."""
    params = {
        "ServiceNamespace": "sagemaker",
        "ScalableDimension": DIMENSION,
        "ResourceIds": [resource_id(endpoint, variant) for variant in variants],
    }
    targets: list[dict[str, Any]] = (await call(request, SERVICE, "DescribeScalableTargets", params))[
        "ScalableTargets"
    ]
    return targets


async def _policies(request: Request, endpoint: str, variant: str) -> list[dict[str, Any]]:
    params: dict[str, Any] = _target(endpoint, variant)
    policies: list[dict[str, Any]] = []
    while True:
        page = await call(request, SERVICE, "DescribeScalingPolicies", params)
        policies += page["ScalingPolicies"]
        if not page.get("NextToken"):
            return policies
        params = {**params, "NextToken": page["NextToken"]}


async def _current(request: Request, endpoint: str, variant: str) -> tuple[dict[str, str], bool]:
    """The form's values for the variant as it is now, and whether it is registered."""
    values = dict(DEFAULTS, disable_scale_in="")
    targets = await _registered(request, endpoint, [variant])
    if not targets:
        return values, False
    values.update(low=str(targets[0]["MinCapacity"]), high=str(targets[0]["MaxCapacity"]))
    for policy in await _policies(request, endpoint, variant):
        if policy["PolicyName"] == POLICY:
            tracking = policy.get("TargetTrackingScalingPolicyConfiguration", {})
            target = float(tracking.get("TargetValue", DEFAULTS["target"]))
            values.update(
                target=str(int(target)) if target.is_integer() else repr(target),
                scale_in_cooldown=str(tracking.get("ScaleInCooldown", DEFAULTS["scale_in_cooldown"])),
                scale_out_cooldown=str(tracking.get("ScaleOutCooldown", DEFAULTS["scale_out_cooldown"])),
                disable_scale_in="on" if tracking.get("DisableScaleIn") else "",
            )
    return values, True


async def _form_page(
    request: Request,
    values: dict[str, str],
    *,
    registered: bool,
    error: AwsError | None = None,
) -> Response:
    context = {
        "name": request.path_params["name"],
        "variant": request.path_params["variant"],
        "values": values,
        "registered": registered,
        "policy": POLICY,
        "metric": METRIC,
    }
    return rendering.render(
        request,
        "sagemaker/variant_scaling.html",
        context,
        error=error,
        status_code=400 if error else 200,
    )


async def configure_form(request: Request) -> Response:
    name, variant = request.path_params["name"], request.path_params["variant"]
    try:
        values, registered = await _current(request, name, variant)
    except AwsError as exc:
        return await _form_page(request, dict(DEFAULTS, disable_scale_in=""), registered=False, error=exc)
    return await _form_page(request, values, registered=registered)


async def configure(request: Request) -> Response:
    """Register the variant's bounds, then put the built-in policy; a refusal keeps what was typed."""
    name, variant = request.path_params["name"], request.path_params["variant"]
    form = rendering.form(request)
    values = {field: form.get(field).strip() for field in FIELDS}
    values["disable_scale_in"] = "on" if form.get("disable_scale_in") else ""
    registered = form.get("registered") == "yes"
    target = _target(name, variant)
    try:
        numbers = _numbers(values)
        await call(
            request,
            SERVICE,
            "RegisterScalableTarget",
            {**target, "MinCapacity": numbers["low"], "MaxCapacity": numbers["high"]},
        )
        registered = True  # even if the policy is refused next: the form then offers to deregister
        await call(
            request,
            SERVICE,
            "PutScalingPolicy",
            {
                **target,
                "PolicyName": POLICY,
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": numbers["target"],
                    "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
                    "ScaleInCooldown": numbers["scale_in_cooldown"],
                    "ScaleOutCooldown": numbers["scale_out_cooldown"],
                    "DisableScaleIn": bool(values["disable_scale_in"]),
                },
            },
        )
    except AwsError as exc:
        return await _form_page(request, values, registered=registered, error=exc)
    return rendering.redirect(
        request,
        f"/sagemaker/endpoints/{rendering.part(name)}",
        flash=f"Automatic scaling of variant {variant} saved: {values['low']} to {values['high']} instances.",
    )


def _numbers(values: dict[str, str]) -> dict[str, Any]:
    """The form's numbers; a field that is not one is refused as the API refuses a bad value."""
    numbers: dict[str, Any] = {}
    for field, (label, whole) in FIELDS.items():
        try:
            numbers[field] = int(values[field]) if whole else float(values[field])
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise AwsError("ValidationException", f"{label} must be {kind}, not {values[field]!r}.") from None
    return numbers


async def deregister(request: Request) -> Response:
    name, variant = request.path_params["name"], request.path_params["variant"]
    back = f"/sagemaker/endpoints/{rendering.part(name)}"
    try:
        await call(request, SERVICE, "DeregisterScalableTarget", _target(name, variant))
    except AwsError as exc:
        return rendering.redirect(request, back, error=exc)
    return rendering.redirect(request, back, flash=f"Automatic scaling of variant {variant} deregistered.")
