"""How the CLI shows things: consoles, JSON, resource tables and the "how to call it" snippets.

Names and paths come from users, so they are escaped before rich reads them as markup.
Consoles soft-wrap: a curl command copied from a narrow terminal must still be one line.
rich is imported where something is drawn: every CLI module imports this one, and ``--help``
need not pay for rich.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def stdout() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def escape(text: str) -> str:
    """``text`` with its rich markup escaped (rich's ``escape``)."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def to_json(document: dict[str, Any]) -> str:
    """Pretty JSON of a boto3 response, without its ResponseMetadata."""
    shown = {key: value for key, value in document.items() if key != "ResponseMetadata"}
    return json.dumps(shown, indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value or "")


_STATUS_STYLE = {"InService": "green", "Completed": "green", "Failed": "red", "OutOfService": "red"}


def status_text(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'yellow')}]{escape(status)}[/]"


def endpoints_table(endpoints: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("Endpoint", "Status", "Created", "Modified", title="Endpoints", title_justify="left")
    for endpoint in endpoints:
        table.add_row(
            escape(endpoint["EndpointName"]),
            status_text(endpoint.get("EndpointStatus", "")),
            when(endpoint.get("CreationTime")),
            when(endpoint.get("LastModifiedTime")),
        )
    return table


def transform_jobs_table(jobs: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("Transform job", "Status", "Created", "Ended", title="Transform jobs", title_justify="left")
    for job in jobs:
        table.add_row(
            escape(job["TransformJobName"]),
            status_text(job.get("TransformJobStatus", "")),
            when(job.get("CreationTime")),
            when(job.get("TransformEndTime")),
        )
    return table


def named_table(title: str, key: str, rows: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    table = Table("Name", "Created", title=title, title_justify="left")
    for row in rows:
        table.add_row(escape(row[key]), when(row.get("CreationTime")))
    return table


def variants_table(
    config_name: str,
    variants: list[dict[str, Any]],
    described: list[dict[str, Any]],
    scaling: dict[str, str] | None = None,
) -> Table:
    """The config's variants, with the endpoint's live instance counts where it reports them and
    each one's automatic scaling (``scaling``: by variant name; None when it could not be read)."""
    from rich.table import Table

    live = {v.get("VariantName"): v for v in described}
    table = Table(
        "Variant", "Model", "Instance type", "Instances", "Weight", "Automatic scaling",
        title=f"Variants of endpoint config {escape(config_name)}", title_justify="left",
    )  # fmt: skip
    for variant in variants:
        name = variant.get("VariantName", "")
        current = live.get(name, {})
        count = current.get("CurrentInstanceCount", variant.get("InitialInstanceCount", ""))
        weight = current.get("CurrentWeight", variant.get("InitialVariantWeight", ""))
        table.add_row(
            escape(str(name)),
            escape(str(variant.get("ModelName", ""))),
            escape(str(variant.get("InstanceType", ""))),
            str(count),
            str(weight),
            "not readable" if scaling is None else escape(scaling.get(str(name), "no")),
        )
    return table


def instances_table(name: str, instances: list[dict[str, Any]]) -> Table:
    """Where each instance of endpoint ``name`` runs: its Ray node, or this machine."""
    from rich.table import Table

    table = Table(
        "Variant", "Instance", "Node", "Address", "Status",
        title=f"Instances of endpoint {escape(name)}", title_justify="left",
    )  # fmt: skip
    for instance in instances:
        table.add_row(
            escape(str(instance.get("VariantName", ""))),
            escape(str(instance.get("InstanceId", "")).rsplit("/", 1)[-1]),
            escape(str(instance.get("Node") or "the server's machine")),
            escape(str(instance.get("Address", ""))),
            escape(str(instance.get("Status", ""))),
        )
    return table


def usage_examples(
    *,
    url: str,
    endpoint_url: str,
    endpoint_name: str,
    region: str,
    credentials_command: str,
    profile: str | None = None,
) -> str:
    """A curl command and a boto3 snippet that invoke the endpoint, as plain text.

    The curl lines first export the keys (``credentials_command`` prints them), so they run as
    pasted in the profile flow too, where no ``AWS_ACCESS_KEY_ID`` is set. For the same reason
    the boto3 lines name ``profile`` when the CLI chose one itself (boto3 alone would not).
    """
    client = (
        "boto3.client(" if profile is None else f"boto3.Session(profile_name={json.dumps(profile)}).client("
    )
    return (
        "Invoke it with curl (rows.csv: your feature rows, one CSV row per line):\n"
        f'  eval "$({credentials_command})"\n'
        f'  curl --aws-sigv4 "aws:amz:{region}:sagemaker" \\\n'
        '       --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\\n'
        "       -H 'Content-Type: text/csv' --data-binary @rows.csv \\\n"
        f"       {url}\n"
        "\n"
        "or with boto3:\n"
        "  import boto3\n"
        f"  runtime = {client}\n"
        f'      "sagemaker-runtime", endpoint_url="{endpoint_url}", region_name="{region}"\n'
        "  )\n"
        f'  response = runtime.invoke_endpoint(EndpointName="{endpoint_name}", ContentType="text/csv", '
        'Body=open("rows.csv").read())\n'
        '  print(response["Body"].read().decode())\n'
    )
