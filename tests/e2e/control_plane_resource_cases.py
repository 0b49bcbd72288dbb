"""Bad control-plane requests about resources: unknown operations, missing resources,
conflicts and features modelport refuses — the second half of the corpus."""

from __future__ import annotations

from typing import Any

from e2e.control_plane_cases import (
    CONFIG,
    ENDPOINT,
    MODEL,
    MUST_MATCH,
    REQUEST_CASES,
    UNKNOWN_OP,
    VALIDATION,
    Case,
    at,
    config,
    container,
    model,
    variant,
)
from e2e.wire import arn

OPERATIONS = [
    Case(
        "unknown-operation",
        "SageMaker.DescribeBanana",
        {},
        UNKNOWN_OP,
        "Unknown operation SageMaker.DescribeBanana",
    ),
    Case("missing-target", None, {"ModelName": MODEL}, UNKNOWN_OP, "Missing required header X-Amz-Target"),
    Case("other-service-target", "Lambda.Invoke", {}, UNKNOWN_OP, "Unknown operation Lambda.Invoke"),
    Case(
        "target-lowercase-op",
        "SageMaker.describeModel",
        {"ModelName": MODEL},
        UNKNOWN_OP,
        "Unknown operation",
    ),
    Case(
        "operation-not-served",
        "ListTrainingJobs",
        {},
        UNKNOWN_OP,
        "ListTrainingJobs is not supported by modelport yet",
    ),
]

NOT_FOUND = [
    Case(
        "describe-model-missing",
        "DescribeModel",
        {"ModelName": "nope"},
        VALIDATION,
        f'Could not find model "{arn("model", "nope")}".',
    ),
    Case(
        "delete-model-missing",
        "DeleteModel",
        {"ModelName": "nope"},
        VALIDATION,
        f'Could not find model "{arn("model", "nope")}".',
    ),
    Case(
        "describe-model-mixed-case",
        "DescribeModel",
        {"ModelName": "Nope-Model"},
        VALIDATION,
        f'Could not find model "{arn("model", "nope-model")}".',
    ),
    Case(
        "describe-config-missing",
        "DescribeEndpointConfig",
        {"EndpointConfigName": "nope"},
        VALIDATION,
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    ),
    Case(
        "delete-config-missing",
        "DeleteEndpointConfig",
        {"EndpointConfigName": "nope"},
        VALIDATION,
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    ),
    Case(
        "describe-endpoint-missing",
        "DescribeEndpoint",
        {"EndpointName": "nope"},
        VALIDATION,
        f'Could not find endpoint "{arn("endpoint", "nope")}".',
    ),
    Case(
        "delete-endpoint-missing",
        "DeleteEndpoint",
        {"EndpointName": "nope"},
        VALIDATION,
        f'Could not find endpoint "{arn("endpoint", "nope")}".',
    ),
    Case(
        "update-endpoint-missing",
        "UpdateEndpoint",
        {"EndpointName": "nope", "EndpointConfigName": CONFIG},
        VALIDATION,
        f'Could not find endpoint "{arn("endpoint", "nope")}".',
    ),
    Case(
        "update-endpoint-config-missing",
        "UpdateEndpoint",
        {"EndpointName": ENDPOINT, "EndpointConfigName": "nope"},
        VALIDATION,
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    ),
    Case(
        "create-endpoint-config-missing",
        "CreateEndpoint",
        {"EndpointName": "never-created", "EndpointConfigName": "nope"},
        VALIDATION,
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    ),
    Case(
        "create-config-model-missing",
        "CreateEndpointConfig",
        config(variant(ModelName="nope")),
        VALIDATION,
        f'Could not find model "{arn("model", "nope")}".',
    ),
    Case(
        "list-tags-unknown-arn",
        "ListTags",
        {"ResourceArn": arn("model", "nope")},
        VALIDATION,
        arn("model", "nope"),
    ),
    Case(
        "add-tags-unknown-arn",
        "AddTags",
        {"ResourceArn": arn("endpoint", "nope"), "Tags": [{"Key": "a", "Value": "b"}]},
        VALIDATION,
        arn("endpoint", "nope"),
    ),
    Case(
        "delete-tags-unknown-arn",
        "DeleteTags",
        {"ResourceArn": arn("endpoint-config", "nope"), "TagKeys": ["a"]},
        VALIDATION,
        arn("endpoint-config", "nope"),
    ),
    Case(
        "list-tags-other-account",
        "ListTags",
        {"ResourceArn": "arn:aws:sagemaker:us-east-1:999999999999:model/iris-model"},
        VALIDATION,
        "(they start with arn:aws:sagemaker:us-east-1:123456789012:)",
    ),
    Case(
        "list-tags-not-an-arn",
        "ListTags",
        {"ResourceArn": "iris-model"},
        VALIDATION,
        at("resourceArn", MUST_MATCH),
    ),
]

CONFLICTS = [
    Case(
        "duplicate-model",
        "CreateModel",
        model(MODEL),
        VALIDATION,
        f'Cannot create already existing model "{arn("model", MODEL)}".',
    ),
    Case(
        "duplicate-model-other-case",
        "CreateModel",
        model(MODEL.upper()),
        VALIDATION,
        f'Cannot create already existing model "{arn("model", MODEL)}".',
    ),
    Case(
        "duplicate-config",
        "CreateEndpointConfig",
        config(name=CONFIG),
        VALIDATION,
        f'Cannot create already existing endpoint configuration "{arn("endpoint-config", CONFIG)}".',
    ),
    Case(
        "duplicate-endpoint",
        "CreateEndpoint",
        {"EndpointName": ENDPOINT, "EndpointConfigName": CONFIG},
        VALIDATION,
        f'Cannot create already existing endpoint "{arn("endpoint", ENDPOINT)}".',
    ),
    Case(
        "duplicate-variant-names",
        "CreateEndpointConfig",
        config(variant(), variant()),
        VALIDATION,
        "must have a unique VariantName",
    ),
    Case(
        "too-many-instances",
        "CreateEndpointConfig",
        config(variant(InitialInstanceCount=17)),
        "ResourceLimitExceeded",
        "is 16 Instances, and the request asks for 17 Instances",
    ),
]

UNSUPPORTED = [
    Case(
        "image-nginx",
        "CreateModel",
        model(PrimaryContainer=container(Image="nginx:latest")),
        VALIDATION,
        "Image 'nginx:latest' is not a supported image. Supported images:",
    ),
    Case(
        "image-docker-hub",
        "CreateModel",
        model(PrimaryContainer=container(Image="docker.io/library/xgboost:1.7-1")),
        VALIDATION,
        "is not a supported image",
    ),
    Case(
        "image-unknown-version",
        "CreateModel",
        model(PrimaryContainer=container(Image="xgboost:0.1-1")),
        VALIDATION,
        "names xgboost version 0.1-1, which modelport does not serve",
    ),
    Case(
        "image-bad-tag",
        "CreateModel",
        model(PrimaryContainer=container(Image="xgboost:banana")),
        VALIDATION,
        "has a tag modelport cannot read",
    ),
    Case(
        "model-url-https-not-s3",
        "CreateModel",
        model(PrimaryContainer=container(ModelDataUrl="https://example.com/model.tar.gz")),
        VALIDATION,
        '"example.com" is not an S3 host',
    ),
    Case(
        "model-url-s3-no-key",
        "CreateModel",
        model(PrimaryContainer=container(ModelDataUrl="s3://models")),
        VALIDATION,
        "names a bucket but no object; write s3://models/path/model.tar.gz",
    ),
    Case(
        "model-url-s3-bad-bucket",
        "CreateModel",
        model(PrimaryContainer=container(ModelDataUrl="s3://Models/m.tar.gz")),
        VALIDATION,
        'has an invalid bucket name "Models"',
    ),
    Case(
        "model-url-presigned",
        "CreateModel",
        model(
            PrimaryContainer=container(
                ModelDataUrl="https://models.s3.amazonaws.com/m.tar.gz?X-Amz-Signature=1"
            )
        ),
        VALIDATION,
        "has a query string (a presigned URL?)",
    ),
    Case(
        "model-url-ftp",
        "CreateModel",
        model(PrimaryContainer=container(ModelDataUrl="ftp://host/m.tar.gz")),
        VALIDATION,
        "Member must satisfy regular expression pattern",
    ),
    Case(
        "model-url-relative-file-url",
        "CreateModel",
        model(PrimaryContainer=container(ModelDataUrl="file://m.tar.gz")),
        VALIDATION,
        "is not an absolute file URL",
    ),
    Case(
        "primary-and-containers",
        "CreateModel",
        model(Containers=[container()]),
        VALIDATION,
        "Specify either PrimaryContainer or Containers, not both.",
    ),
    Case(
        "pipeline-two-containers",
        "CreateModel",
        {"ModelName": "never-created", "Containers": [container(), container()]},
        VALIDATION,
        "Inference pipelines (Containers with more than one container) are not supported yet",
    ),
    Case(
        "multi-model-mode",
        "CreateModel",
        model(PrimaryContainer=container(Mode="MultiModel")),
        VALIDATION,
        "Multi-model containers (Mode=MultiModel) are not supported yet",
    ),
    Case(
        "async-config",
        "CreateEndpointConfig",
        config(
            AsyncInferenceConfig={
                "OutputConfig": {
                    "S3OutputPath": "s3://out/x",
                    "NotificationConfig": {"ErrorTopic": "arn:aws:sns:us-east-1:123456789012:errors"},
                }
            }
        ),
        VALIDATION,
        "modelport does not support Amazon SNS notifications",
    ),
    Case(
        "data-capture-destination",
        "CreateEndpointConfig",
        config(
            DataCaptureConfig={
                "InitialSamplingPercentage": 10,
                "DestinationS3Uri": "https://cap/x",
                "CaptureOptions": [{"CaptureMode": "Input"}],
            }
        ),
        VALIDATION,
        "DataCaptureConfig.DestinationS3Uri 'https://cap/x' must be an s3://bucket/prefix URI",
    ),
    Case(
        "shadow-with-two-production-variants",
        "CreateEndpointConfig",
        config(
            variant(VariantName="a"),
            variant(VariantName="b"),
            ShadowProductionVariants=[variant(VariantName="shadow")],
        ),
        VALIDATION,
        "must have exactly one production variant and one shadow variant; this one has 2 and 1",
    ),
    Case(
        "shadow-name-taken",
        "CreateEndpointConfig",
        config(ShadowProductionVariants=[variant()]),
        VALIDATION,
        "Each production and shadow variant in an endpoint configuration must have a unique VariantName.",
    ),
    Case(
        "next-token-garbage",
        "ListModels",
        {"NextToken": "!!not-a-token!!"},
        VALIDATION,
        "Invalid pagination token: NextToken is not one this server issued.",
    ),
    Case(
        "next-token-foreign-query",
        "ListModels",
        {"NextToken": "eyJvZmZzZXQiOiAxLCAicXVlcnkiOiAiZmZmZmZmZmZmZmZmZmZmZiJ9", "SortBy": "Name"},
        VALIDATION,
        "NextToken belongs to a list call with other parameters",
    ),
    Case(
        "body-over-2mb",
        "CreateModel",
        model(Tags=[{"Key": "k", "Value": "v" * (3 * 1024 * 1024)}]),
        VALIDATION,
        "bytes allowed",
    ),
]


def weights(**desired: Any) -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", **desired}],
    }


def guarded(routing: dict[str, Any], **policy: Any) -> dict[str, Any]:
    blue_green = {"TrafficRoutingConfiguration": {"WaitIntervalInSeconds": 1, **routing}, **policy}
    return {
        "EndpointName": ENDPOINT,
        "EndpointConfigName": CONFIG,
        "DeploymentConfig": {"BlueGreenUpdatePolicy": blue_green},
    }


# Refused before anything changes: the session's endpoint stays InService on its config.
UPDATES = [
    Case(
        "weights-endpoint-missing",
        "UpdateEndpointWeightsAndCapacities",
        {**weights(DesiredWeight=1.0), "EndpointName": "nope"},
        VALIDATION,
        f'Could not find endpoint "{arn("endpoint", "nope")}".',
    ),
    Case(
        "weights-unknown-variant",
        "UpdateEndpointWeightsAndCapacities",
        weights(DesiredWeight=1.0, VariantName="Nope"),
        VALIDATION,
        f'The variant(s) "[Nope]" are not present in the endpoint "{arn("endpoint", ENDPOINT)}".',
    ),
    Case(
        "weights-nothing-to-change",
        "UpdateEndpointWeightsAndCapacities",
        weights(),
        VALIDATION,
        "Variant AllTraffic needs DesiredWeight, DesiredInstanceCount or both",
    ),
    Case(
        "weights-negative",
        "UpdateEndpointWeightsAndCapacities",
        weights(DesiredWeight=-1.0),
        VALIDATION,
        "desiredWeightsAndCapacities.1.member.desiredWeight' failed to satisfy constraint",
    ),
    Case(
        "weights-zero-instances",
        "UpdateEndpointWeightsAndCapacities",
        weights(DesiredInstanceCount=0),
        VALIDATION,
        "DesiredInstanceCount for variant AllTraffic must be at least 1",
    ),
    Case(
        "canary-without-size",
        "UpdateEndpoint",
        guarded({"Type": "CANARY"}),
        VALIDATION,
        "TrafficRoutingConfiguration of Type CANARY needs CanarySize.",
    ),
    Case(
        "canary-whole-fleet",
        "UpdateEndpoint",
        guarded({"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 100}}),
        VALIDATION,
        "CanarySize (100 CAPACITY_PERCENT) must be between 0% and 50%",
    ),
    Case(
        "execution-timeout-too-short",
        "UpdateEndpoint",
        guarded({"Type": "ALL_AT_ONCE"}, MaximumExecutionTimeoutInSeconds=60),
        VALIDATION,
        "Member must have value greater than or equal to 600",
    ),
]

CASES = REQUEST_CASES + OPERATIONS + NOT_FOUND + CONFLICTS + UNSUPPORTED + UPDATES
