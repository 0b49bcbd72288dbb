"""``modelport metrics NAME``: an endpoint's metrics per minute, read with boto3's ``cloudwatch``.

One GetMetricData call asks for every variant's Invocations, 4XX and 5XX errors (Sum) and
ModelLatency and OverheadLatency (Average) over the last ``--minutes``, as any AWS tool would
read them; the table has one row per minute and variant that saw an invocation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from modelport.cli.client import ConnectionOptions, connection_options
from modelport.cli.failures import CommandFailed
from modelport.cli.roles import aws_client, server_connection

# Column -> (metric name, statistic).
COLUMNS: dict[str, tuple[str, str]] = {
    "invocations": ("Invocations", "Sum"),
    "4xx": ("Invocation4XXErrors", "Sum"),
    "5xx": ("Invocation5XXErrors", "Sum"),
    "model_us": ("ModelLatency", "Average"),
    "overhead_us": ("OverheadLatency", "Average"),
}


def queries(endpoint: str, variants: list[str]) -> list[dict[str, Any]]:
    """GetMetricData queries, ids ``<column>_<variant index>``."""
    found = []
    for index, variant in enumerate(variants):
        dimensions = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}]
        for column, (metric, stat) in COLUMNS.items():
            metric_spec = {"Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": dimensions}
            found.append(
                {
                    "Id": f"m{column}_{index}",
                    "MetricStat": {"Metric": metric_spec, "Period": 60, "Stat": stat},
                }
            )
    return found


def rows(
    results: list[dict[str, Any]], variants: list[str]
) -> list[tuple[dt.datetime, str, dict[str, float]]]:
    """(minute, variant, column -> value), oldest first."""
    table: dict[tuple[dt.datetime, str], dict[str, float]] = {}
    for result in results:
        column, index = result["Id"][1:].rsplit("_", 1)
        for when, value in zip(result["Timestamps"], result["Values"], strict=True):
            table.setdefault((when, variants[int(index)]), {})[column] = value
    return [(when, variant, values) for (when, variant), values in sorted(table.items())]


@click.command()
@click.argument("name")
@click.option("--minutes", type=click.IntRange(1, 1440), default=15, show_default=True, help="How far back.")
@connection_options
def metrics(name: str, minutes: int, connection: ConnectionOptions) -> None:
    """Print endpoint NAME's metrics per minute and variant (Invocations, errors, latencies in µs).

    Read from the server's CloudWatch (namespace AWS/SageMaker), as boto3's cloudwatch client
    reads them; see docs/metrics.md for what each metric counts.
    """
    conn = server_connection(connection)
    listed = aws_client(conn, "cloudwatch").list_metrics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=[{"Name": "EndpointName", "Value": name}],
    )["Metrics"]
    variants = sorted({d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "VariantName"})
    if not variants:
        raise CommandFailed(f"no metrics for endpoint {name}: it has not been invoked (is the name right?)")
    now = dt.datetime.now(dt.UTC)
    answer = aws_client(conn, "cloudwatch").get_metric_data(
        MetricDataQueries=queries(name, variants),
        StartTime=now - dt.timedelta(minutes=minutes),
        EndTime=now + dt.timedelta(minutes=1),
        ScanBy="TimestampAscending",
    )
    click.echo(f"{'minute (UTC)':<17} {'variant':<16} {'invocations':>11} {'4xx':>5} {'5xx':>5} "
               f"{'model µs':>10} {'overhead µs':>11}")  # fmt: skip
    for when, variant, values in rows(answer["MetricDataResults"], variants):
        click.echo(
            f"{when:%Y-%m-%d %H:%M} {variant:<16} {values.get('invocations', 0):>11g} {values.get('4xx', 0):>5g} "
            f"{values.get('5xx', 0):>5g} {values.get('model_us', 0):>10.0f} {values.get('overhead_us', 0):>11.0f}"
        )


COMMANDS: list[click.Command] = [metrics]
