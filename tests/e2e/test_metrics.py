"""Endpoint metrics on the shared server, read as a user reads them: Prometheus text at
``/metrics``, parsed by ``prometheus_client``'s parser, after a few invocations of the iris
endpoint (one of them a model error)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from prometheus_client import parser

from e2e.conftest import GOOD_ROW, Deployed
from support.console_http import ConsoleClients
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e


def scrape(url: str, endpoint: str) -> dict[str, float]:
    """Sample name -> value of the endpoint's AllTraffic series."""
    reply = httpx.get(f"{url}/metrics", timeout=10)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    values: dict[str, float] = {}
    for family in parser.text_string_to_metric_families(reply.text):
        for sample in family.samples:
            if (
                sample.labels.get("EndpointName") == endpoint
                and sample.labels.get("VariantName") == "AllTraffic"
            ):
                values[sample.name] = sample.value
    return values


def test_invocations_show_in_the_prometheus_text(
    server: ModelportServer, runtime: Any, iris: Deployed
) -> None:
    before = scrape(server.url, iris.endpoint)
    for _ in range(3):
        runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="text/csv", Body=GOOD_ROW)
    with pytest.raises(ClientError) as error:  # the container refuses the content type: 4xx
        runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="application/x-nope", Body=GOOD_ROW)
    assert error.value.response["Error"]["Code"] == "ModelError"
    after = scrape(server.url, iris.endpoint)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert grew("sagemaker_invocations_total") >= 4
    assert grew("sagemaker_invocation_4xx_errors_total") >= 1
    assert grew("sagemaker_model_latency_microseconds_count") >= 4
    assert grew("sagemaker_model_latency_microseconds_sum") > 0
    assert grew("sagemaker_overhead_latency_microseconds_sum") > 0


def test_boto3_cloudwatch_reads_the_endpoints_metrics(
    server: ModelportServer, runtime: Any, iris: Deployed
) -> None:
    """As the AWS docs write it: GetMetricStatistics with EndpointName and VariantName, Period 60."""
    for _ in range(2):
        runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="text/csv", Body=GOOD_ROW)
    cloudwatch = server.client("cloudwatch")
    now = dt.datetime.now(dt.UTC)
    dimensions = [
        {"Name": "EndpointName", "Value": iris.endpoint},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    answer = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=dimensions,
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum", "Average"],
    )
    assert answer["Label"] == "Invocations"
    assert sum(point["Sum"] for point in answer["Datapoints"]) >= 2
    assert all(point["Average"] == 1.0 and point["Unit"] == "None" for point in answer["Datapoints"])

    latency = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "latency",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "ModelLatency",
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
    )["MetricDataResults"][0]
    assert latency["StatusCode"] == "Complete" and latency["Values"] and min(latency["Values"]) > 0

    listed = cloudwatch.list_metrics(
        Namespace="AWS/SageMaker", Dimensions=[{"Name": "EndpointName", "Value": iris.endpoint}]
    )
    names = {metric["MetricName"] for metric in listed["Metrics"]}
    # ModelSetupTime: the iris instance's start, recorded when it passed its first ping.
    assert {
        "Invocations",
        "ModelLatency",
        "OverheadLatency",
        "Invocation4XXErrors",
        "ModelSetupTime",
    } <= names

    with pytest.raises(ClientError) as error:
        cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=dimensions,
            StartTime=now - dt.timedelta(minutes=10),
            EndTime=now,
            Period=45,
            Statistics=["Sum"],
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "multiple of 60" in error.value.response["Error"]["Message"]


def test_alarms_on_endpoint_metrics(server: ModelportServer, runtime: Any, iris: Deployed) -> None:
    runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="text/csv", Body=GOOD_ROW)
    cloudwatch = server.client("cloudwatch")
    dimensions = [
        {"Name": "EndpointName", "Value": iris.endpoint},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    common: dict[str, Any] = {
        "Namespace": "AWS/SageMaker",
        "Dimensions": dimensions,
        "Statistic": "Sum",
        "Period": 60,
        # Two minutes, one enough: the invocation may have been in the minute before this one.
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
        "Threshold": 0.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    cloudwatch.put_metric_alarm(AlarmName="e2e-busy", MetricName="Invocations", **common)
    cloudwatch.put_metric_alarm(AlarmName="e2e-failing", MetricName="Invocation5XXErrors", **common)
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix="e2e-")["MetricAlarms"]}
    assert alarms["e2e-busy"]["StateValue"] == "ALARM"
    assert alarms["e2e-failing"]["StateValue"] == "OK"
    assert alarms["e2e-busy"]["AlarmArn"].endswith(":alarm:e2e-busy")
    assert alarms["e2e-busy"]["Dimensions"] == dimensions
    assert cloudwatch.describe_alarms(AlarmNames=["e2e-busy"], StateValue="OK")["MetricAlarms"] == []

    cloudwatch.delete_alarms(AlarmNames=["e2e-busy", "e2e-failing"])
    assert cloudwatch.describe_alarms(AlarmNamePrefix="e2e-")["MetricAlarms"] == []
    with pytest.raises(ClientError) as error:
        cloudwatch.delete_alarms(AlarmNames=["e2e-busy"])
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"


def test_the_console_endpoint_page_charts_the_last_hour(
    console_http: ConsoleClients, server: ModelportServer, runtime: Any, iris: Deployed
) -> None:
    runtime.invoke_endpoint(EndpointName=iris.endpoint, ContentType="text/csv", Body=GOOD_ROW)
    page = console_http.root(server).get(f"/sagemaker/endpoints/{iris.endpoint}").text
    section = page[page.index('id="endpoint-metrics"') :]
    assert section.count("<svg") == 2
    assert (
        "<title>Invocations per minute</title>" in section
        and "<title>ModelLatency, average</title>" in section
    )
    assert "<path d=" in section or "<circle" in section  # at least one minute has a datapoint
    assert "no data" not in section.split("ModelLatency")[0]
