"""Every implemented SageMaker operation, through a real botocore client and back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from modelport.aws.protocol import ServiceProtocol
from modelport.http.bindings import IMPLEMENTED

from .botocore_wire import WHEN, example, make_client

ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint"
ROLE = "arn:aws:iam::123456789012:role/service-role/SageMakerRole"
TAGS = [{"Key": "team", "Value": "ml platform"}, {"Key": "cost:center", "Value": "42"}]

# What a boto3 user would send, per operation (snake_case method, parameters).
INPUTS: dict[str, dict[str, Any]] = {
    "CreateModel": {
        "ModelName": "xgb-model-1",
        "PrimaryContainer": {
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
            "ModelDataUrl": "s3://bucket/models/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "LOG_LEVEL": "debug"},
            "Mode": "SingleModel",
        },
        "ExecutionRoleArn": ROLE,
        "Tags": TAGS,
        "EnableNetworkIsolation": False,
    },
    "DescribeModel": {"ModelName": "xgb-model-1"},
    "ListModels": {
        "SortBy": "CreationTime",
        "SortOrder": "Descending",
        "NameContains": "xgb",
        "CreationTimeAfter": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "CreationTimeBefore": WHEN,
        "MaxResults": 10,
        "NextToken": "token-1",
    },
    "DeleteModel": {"ModelName": "xgb-model-1"},
    "CreateEndpointConfig": {
        "EndpointConfigName": "cfg-1",
        "ProductionVariants": [
            {
                "VariantName": "AllTraffic",
                "ModelName": "xgb-model-1",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            },
            {
                "VariantName": "serverless",
                "ModelName": "xgb-model-2",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
                "InitialVariantWeight": 0.25,
            },
        ],
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": 50,
            "DestinationS3Uri": "s3://bucket/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
        "Tags": TAGS,
    },
    "DescribeEndpointConfig": {"EndpointConfigName": "cfg-1"},
    "ListEndpointConfigs": {"SortBy": "Name", "SortOrder": "Ascending", "MaxResults": 100},
    "DeleteEndpointConfig": {"EndpointConfigName": "cfg-1"},
    "CreateEndpoint": {"EndpointName": "my-endpoint", "EndpointConfigName": "cfg-1", "Tags": TAGS},
    "DescribeEndpoint": {"EndpointName": "my-endpoint"},
    "ListEndpoints": {"StatusEquals": "InService", "LastModifiedTimeAfter": WHEN, "MaxResults": 1},
    "UpdateEndpoint": {
        "EndpointName": "my-endpoint",
        "EndpointConfigName": "cfg-2",
        "RetainAllVariantProperties": True,
        "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}],
        "DeploymentConfig": {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                "TerminationWaitInSeconds": 0,
            }
        },
    },
    "UpdateEndpointWeightsAndCapacities": {
        "EndpointName": "my-endpoint",
        "DesiredWeightsAndCapacities": [
            {"VariantName": "AllTraffic", "DesiredWeight": 0.5, "DesiredInstanceCount": 2}
        ],
    },
    "DeleteEndpoint": {"EndpointName": "my-endpoint"},
    "CreateNotebookInstance": {
        "NotebookInstanceName": "nb",
        "InstanceType": "ml.t3.medium",
        "RoleArn": ROLE,
        "LifecycleConfigName": "marks",
        "VolumeSizeInGB": 5,
        "Tags": TAGS,
    },
    "DescribeNotebookInstance": {"NotebookInstanceName": "nb"},
    "ListNotebookInstances": {"StatusEquals": "InService", "SortBy": "Name", "MaxResults": 5},
    "UpdateNotebookInstance": {
        "NotebookInstanceName": "nb",
        "VolumeSizeInGB": 10,
        "DisassociateLifecycleConfig": True,
    },
    "StartNotebookInstance": {"NotebookInstanceName": "nb"},
    "StopNotebookInstance": {"NotebookInstanceName": "nb"},
    "DeleteNotebookInstance": {"NotebookInstanceName": "nb"},
    "CreatePresignedNotebookInstanceUrl": {
        "NotebookInstanceName": "nb",
        "SessionExpirationDurationInSeconds": 1800,
    },
    "CreateNotebookInstanceLifecycleConfig": {
        "NotebookInstanceLifecycleConfigName": "marks",
        "OnCreate": [{"Content": "ZWNobyBoaQ=="}],
        "OnStart": [{"Content": "ZWNobyBoaQ=="}],
    },
    "DescribeNotebookInstanceLifecycleConfig": {"NotebookInstanceLifecycleConfigName": "marks"},
    "ListNotebookInstanceLifecycleConfigs": {"NameContains": "mark", "SortBy": "LastModifiedTime"},
    "UpdateNotebookInstanceLifecycleConfig": {
        "NotebookInstanceLifecycleConfigName": "marks",
        "OnStart": [{"Content": "ZWNobyBoaQ=="}],
    },
    "DeleteNotebookInstanceLifecycleConfig": {"NotebookInstanceLifecycleConfigName": "marks"},
    "CreateTransformJob": {
        "TransformJobName": "nightly",
        "ModelName": "m",
        "MaxConcurrentTransforms": 2,
        "ModelClientConfig": {"InvocationsTimeoutInSeconds": 60, "InvocationsMaxRetries": 1},
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "Environment": {"LOG_LEVEL": "info"},
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}},
            "ContentType": "text/csv",
            "CompressionType": "Gzip",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": "s3://b/out", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 2},
        "DataProcessing": {"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"},
        "Tags": TAGS,
    },
    "DescribeTransformJob": {"TransformJobName": "nightly"},
    "ListTransformJobs": {"StatusEquals": "Completed", "SortBy": "CreationTime", "MaxResults": 5},
    "StopTransformJob": {"TransformJobName": "nightly"},
    "AddTags": {"ResourceArn": ARN, "Tags": TAGS},
    "ListTags": {"ResourceArn": ARN, "MaxResults": 50},
    "DeleteTags": {"ResourceArn": ARN, "TagKeys": ["team", "cost:center"]},
}


def _snake(name: str) -> str:
    out = ""
    for i, c in enumerate(name):
        out += f"_{c.lower()}" if c.isupper() and i else c.lower()
    return out


def test_inputs_cover_the_implemented_set() -> None:
    assert set(INPUTS) == IMPLEMENTED["sagemaker"]


@pytest.mark.parametrize("operation", sorted(IMPLEMENTED["sagemaker"]))
def test_request_parses_to_the_callers_params(operation: str) -> None:
    client, wire = make_client("sagemaker", lambda op, params: None)
    getattr(client, _snake(operation))(**INPUTS[operation])
    (parsed,) = wire.requests
    assert parsed.operation == operation
    assert parsed.params == INPUTS[operation]


@pytest.mark.parametrize("operation", sorted(IMPLEMENTED["sagemaker"]))
def test_every_output_member_survives_botocore(operation: str, sagemaker: ServiceProtocol) -> None:
    shape = sagemaker.model.operation_model(operation).output_shape
    output = example(shape) if shape is not None else {}
    client, wire = make_client("sagemaker", lambda op, params: output)
    result = getattr(client, _snake(operation))(**INPUTS[operation])
    metadata = result.pop("ResponseMetadata")
    assert result == output
    assert metadata["HTTPStatusCode"] == 200
    assert metadata["RequestId"] == wire.responses[0].headers["x-amzn-RequestId"]
    assert wire.responses[0].headers["Content-Type"] == "application/x-amz-json-1.1"


def test_timestamps_are_epoch_seconds_with_milliseconds(sagemaker: ServiceProtocol) -> None:
    from modelport.aws.protocol import serialize_json_response

    output = {
        "EndpointName": "e",
        "CreationTime": dt.datetime(2018, 6, 24, 19, 59, 29, 986000, tzinfo=dt.UTC),
    }
    wire = serialize_json_response(sagemaker, "DescribeEndpoint", output, "rid")
    assert wire.body == b'{"EndpointName":"e","CreationTime":1529870369.986}'


def test_naive_datetimes_and_numbers_are_utc(sagemaker: ServiceProtocol) -> None:
    from modelport.aws.protocol import serialize_json_response

    output = {"CreationTime": dt.datetime(2018, 6, 24, 19, 59, 29), "LastModifiedTime": 1529870369.5}
    wire = serialize_json_response(sagemaker, "DescribeEndpoint", output, "rid")
    assert wire.body == b'{"CreationTime":1529870369,"LastModifiedTime":1529870369.5}'


def test_unknown_and_unset_output_members_are_not_written(sagemaker: ServiceProtocol) -> None:
    from modelport.aws.protocol import serialize_json_response

    wire = serialize_json_response(
        sagemaker, "DescribeModel", {"ModelName": "m", "Secret": 1, "ModelArn": None}, "r"
    )
    assert wire.body == b'{"ModelName":"m"}'


def test_operation_without_output_answers_empty_object(sagemaker: ServiceProtocol) -> None:
    from modelport.aws.protocol import serialize_json_response

    assert serialize_json_response(sagemaker, "DeleteModel", None, "r").body == b"{}"
