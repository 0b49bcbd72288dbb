"""SageMaker → Endpoints: the list with live status; an endpoint's page (its variants' weights,
instance counts and automatic scaling, a test box that runs the runtime's InvokeEndpoint, a link
to its CloudWatch log group); delete.

Lists show 100 at a time (one List call: SageMaker's maximum page), newest first, with a name
filter and a next-page link, as the AWS console pages them (``list_page``, shared with the models
and endpoint configurations lists): one call keeps a page fast however many endpoints there are.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from modelport.console import charts, rendering
from modelport.console.actions import AwsError, call
from modelport.console.pages import sagemaker_scaling

# Statuses an endpoint leaves by itself: while one is shown, the page refreshes it (data-live).
MOVING = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}
CONTENT_TYPES = ("text/csv", "application/json", "text/plain", "application/x-npy")


def routes() -> list[BaseRoute]:
    return [
        Route("/sagemaker/endpoints/create", create_form, methods=["GET"]),
        Route("/sagemaker/endpoints/create", create, methods=["POST"]),
        Route("/sagemaker/endpoints", endpoints_list, methods=["GET"]),
        Route("/sagemaker/endpoints/{name}", endpoint_page, methods=["GET"]),
        Route("/sagemaker/endpoints/{name}/invoke", invoke, methods=["POST"]),
        Route("/sagemaker/endpoints/{name}/delete", delete, methods=["POST"]),
    ]


async def list_all(request: Request, operation: str, key: str) -> list[dict[str, Any]]:
    """Every item of a SageMaker List operation (``ListNotebookInstances``, ``"NotebookInstances"``)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"MaxResults": 100}
    while True:
        page = await call(request, "sagemaker", operation, params)
        found.extend(page[key])
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]


async def list_page(request: Request, operation: str, key: str) -> dict[str, Any]:
    """One page of a SageMaker List operation for a list page's template: ``items``, ``search``
    (the ``?name=`` filter), ``next_token`` (``?token=``), and ``error``."""
    search = request.query_params.get("name", "").strip()
    params: dict[str, Any] = {"MaxResults": 100}
    if search:
        params["NameContains"] = search
    if token := request.query_params.get("token"):
        params["NextToken"] = token
    context: dict[str, Any] = {"items": [], "search": search, "next_token": None, "error": None}
    try:
        page = await call(request, "sagemaker", operation, params)
        context.update(items=page[key], next_token=page.get("NextToken"))
    except AwsError as exc:
        context["error"] = exc
    return context


def log_group(endpoint: str) -> str:
    """Where an endpoint's instances write their logs (as on AWS)."""
    return f"/aws/sagemaker/Endpoints/{endpoint}"


async def endpoints_list(request: Request) -> Response:
    context = await list_page(request, "ListEndpoints", "Endpoints")
    context["live"] = any(e["EndpointStatus"] in MOVING for e in context["items"])
    return rendering.render(request, "sagemaker/endpoints.html", context, error=context["error"])


async def _page(
    request: Request,
    name: str,
    *,
    error: AwsError | None = None,
    test: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "name": name,
        "endpoint": None,
        "config": None,
        "tags": [],
        "content_types": CONTENT_TYPES,
        "test": test or {"content_type": "text/csv", "body": "", "answer": None, "error": None},
        "log_group": log_group(name),
        "scaling": {},
        "activities": [],
    }
    try:
        endpoint = await call(request, "sagemaker", "DescribeEndpoint", {"EndpointName": name})
    except AwsError as exc:
        return rendering.render(request, "sagemaker/endpoint.html", context, error=exc, status_code=404)
    context["endpoint"] = endpoint
    context["live"] = endpoint["EndpointStatus"] in MOVING
    with contextlib.suppress(AwsError):  # deleted since, or unreadable to this user: variants still show
        context["config"] = await call(
            request,
            "sagemaker",
            "DescribeEndpointConfig",
            {"EndpointConfigName": endpoint["EndpointConfigName"]},
        )
    try:
        context["tags"] = (
            await call(request, "sagemaker", "ListTags", {"ResourceArn": endpoint["EndpointArn"]})
        )["Tags"]
    except AwsError as exc:
        error = error or exc
    context["variants"] = _variants(endpoint, context["config"])
    variant_names = [v["VariantName"] for v in context["variants"]]
    context["scaling"] = await sagemaker_scaling.scaling_of(request, name, variant_names)
    context["activities"] = await sagemaker_scaling.activities_of(request, name, variant_names)
    shadows = [v["VariantName"] for v in endpoint.get("ShadowProductionVariants", [])]
    context["instances"] = _instances(request, name)
    context["charts"] = await _charts(request, name, shadows, asynchronous="AsyncInferenceConfig" in endpoint)
    return rendering.render(request, "sagemaker/endpoint.html", context, error=error, status_code=status_code)


CHART_MINUTES = 60
# Chart title -> (metric, statistic, unit shown), the production variants together; then the
# same for each shadow variant, under its own name.
CHARTS = {
    "Invocations per minute": ("Invocations", "Sum", ""),
    "ModelLatency, average": ("ModelLatency", "Average", " µs"),
}


# An asynchronous endpoint's queue (dimension EndpointName only), after the production charts.
ASYNC_CHARTS = {"ApproximateBacklogSize, average": ("ApproximateBacklogSize", "Average", "")}


async def _charts(
    request: Request, name: str, shadows: list[str], *, asynchronous: bool = False
) -> list[dict[str, Any]]:
    """The last hour of Invocations and ModelLatency (and an asynchronous endpoint's backlog), as
    SVG; none when CloudWatch refuses."""
    now = request.app.state.platform.clock.now()
    start = now - now % 60 - (CHART_MINUTES - 1) * 60
    shown: list[tuple[str, str, str, str, str | None]] = [
        (title, metric, stat, unit, None) for title, (metric, stat, unit) in CHARTS.items()
    ]
    if asynchronous:
        shown += [(title, metric, stat, unit, None) for title, (metric, stat, unit) in ASYNC_CHARTS.items()]
    shown += [
        (f"Shadow variant {shadow}: {title[0].lower()}{title[1:]}", metric, stat, unit, shadow)
        for shadow in shadows
        for title, (metric, stat, unit) in CHARTS.items()
    ]
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SageMaker",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "EndpointName", "Value": name}]
                    + ([{"Name": "VariantName", "Value": variant}] if variant else []),
                },
                "Period": 60,
                "Stat": stat,
            },
        }
        for index, (_, metric, stat, _, variant) in enumerate(shown)
    ]
    params = {
        "MetricDataQueries": queries,
        # As on the wire: the console's calls are read like a request body (epoch seconds).
        "StartTime": start,
        "EndTime": start + CHART_MINUTES * 60,
        "ScanBy": "TimestampAscending",
    }
    try:
        results = (await call(request, "cloudwatch", "GetMetricData", params))["MetricDataResults"]
    except AwsError:
        return []
    found = []
    for (title, _, _, unit, _), result in zip(shown, results, strict=True):
        stamps = [t.timestamp() for t in result["Timestamps"]]
        slots = charts.minute_slots(stamps, result["Values"], start, CHART_MINUTES)
        found.append({"title": title, "svg": charts.line_chart(title, slots, unit)})
    return found


def _variants(endpoint: dict[str, Any], config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The endpoint's variants, with the instance type and model from its configuration."""
    configured = {v["VariantName"]: v for v in (config or {}).get("ProductionVariants", [])}
    variants = []
    for variant in endpoint.get("ProductionVariants", []):
        extra = configured.get(variant["VariantName"], {})
        variants.append(
            {
                **variant,
                "ModelName": extra.get("ModelName", ""),
                "InstanceType": extra.get("InstanceType", ""),
            }
        )
    return variants


def _instances(request: Request, name: str) -> list[dict[str, Any]]:
    """Where each running instance is: read from the router's fleet, after DescribeEndpoint
    allowed the caller (the node is not in DescribeEndpoint's shape)."""
    fleet = request.app.state.platform.router.fleet(name)
    if fleet is None:
        return []
    return [
        {
            "variant": variant.name,
            "instance": instance.worker.spec.instance_id.rsplit("/", 1)[-1],
            "node": instance.worker.node or "this machine",
            "address": f"{instance.worker.host}:{instance.worker.port}",
            "state": "serving" if instance.alive else "being replaced",
        }
        for variant in (*fleet.variants, *fleet.shadows)
        for instance in variant.instances
    ]


async def endpoint_page(request: Request) -> Response:
    return await _page(request, request.path_params["name"])


async def invoke(request: Request) -> Response:
    """The test box: the body as typed, sent with the chosen content type; the answer as text."""
    name = request.path_params["name"]
    form = rendering.form(request)
    test: dict[str, Any] = {
        "content_type": form.get("content_type").strip() or "text/csv",
        "body": form.get("body"),
        "answer": None,
        "error": None,
    }
    params = {"EndpointName": name, "ContentType": test["content_type"], "Body": test["body"].encode()}
    try:
        answer = await call(request, "sagemaker-runtime", "InvokeEndpoint", params)
    except AwsError as exc:
        test["error"] = exc
        return await _page(request, name, test=test, status_code=400)
    body = answer.get("Body") or b""
    test["answer"] = {
        "body": body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body),
        "content_type": answer.get("ContentType", ""),
        "variant": answer.get("InvokedProductionVariant", ""),
    }
    return await _page(request, name, test=test)


async def delete(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        await call(request, "sagemaker", "DeleteEndpoint", {"EndpointName": name})
    except AwsError as exc:
        return rendering.redirect(request, f"/sagemaker/endpoints/{rendering.part(name)}", error=exc)
    return rendering.redirect(request, "/sagemaker/endpoints", flash=f"Endpoint {name} deleted.")


async def _create_page(request: Request, values: dict[str, str], error: AwsError | None) -> Response:
    configs: list[dict[str, Any]] = []
    with contextlib.suppress(AwsError):  # the form still takes a configuration name typed in
        configs = (await call(request, "sagemaker", "ListEndpointConfigs", {"MaxResults": 100}))[
            "EndpointConfigs"
        ]
    context = {"values": values, "configs": configs}
    status = 400 if error else 200
    return rendering.render(
        request, "sagemaker/endpoint_create.html", context, error=error, status_code=status
    )


async def create_form(request: Request) -> Response:
    config = request.query_params.get("config", "")
    return await _create_page(request, {"name": config, "config": config}, None)


async def create(request: Request) -> Response:
    form = rendering.form(request)
    values = {k: form.get(k).strip() for k in ("name", "config")}
    params = {"EndpointName": values["name"], "EndpointConfigName": values["config"]}
    try:
        await call(request, "sagemaker", "CreateEndpoint", params)
    except AwsError as exc:
        return await _create_page(request, values, exc)
    path = f"/sagemaker/endpoints/{rendering.part(values['name'])}"
    return rendering.redirect(request, path, flash=f"Endpoint {values['name']} is being created.")
