"""Bad control-plane requests, one per case, against the real server over HTTP.

Each case is sent as a raw SigV4-signed request (boto3 would refuse most of them before they
leave) and must get the exact AWS error code, HTTP status, and a message that says what to fix.
After every case the server must still be healthy and must have lost nothing.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.conftest import Deployed, wait_in_service
from e2e.wire import Keys, arn, control, error_of
from modelport import seed
from modelport.launcher import ServerProcess

pytestmark = pytest.mark.e2e

MODEL = "iris-model"  # deployed by the session's ``iris`` fixture
CONFIG = "iris-config"
ENDPOINT = "iris-ep"
NAME_PATTERN = r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$"

VALIDATION = "ValidationException"
SERIALIZATION = "SerializationException"
UNKNOWN_OP = "UnknownOperationException"


@dataclass(frozen=True)
class Case:
    id: str
    target: str | None  # operation, or a full X-Amz-Target when it contains a dot; None = no header
    body: Any  # dict/list -> JSON; str/bytes sent as they are
    code: str
    message: str  # a substring of the message that tells the user what to fix
    status: int = 400


def container(**changes: Any) -> dict[str, Any]:
    return {"Image": seed.XGBOOST_IMAGE, "ModelDataUrl": "s3://models/iris/model.tar.gz", **changes}


def model(name: str = "never-created", **changes: Any) -> dict[str, Any]:
    return {"ModelName": name, "PrimaryContainer": container(), **changes}


def variant(**changes: Any) -> dict[str, Any]:
    return {
        "VariantName": "AllTraffic",
        "ModelName": MODEL,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m4.xlarge",
        **changes,
    }


def config(*variants: dict[str, Any], name: str = "never-created", **changes: Any) -> dict[str, Any]:
    return {"EndpointConfigName": name, "ProductionVariants": list(variants) or [variant()], **changes}


def at(path: str, constraint: str) -> str:
    return f"at '{path}' failed to satisfy constraint: {constraint}"


LONG = "a" * 64
MUST_MATCH = "Member must satisfy regular expression pattern"

MALFORMED = [
    Case("json-truncated", "CreateModel", b'{"ModelName": ', SERIALIZATION, "Request body is not valid JSON"),
    Case("json-trailing-comma", "ListModels", b'{"MaxResults": 5,}', SERIALIZATION, "not valid JSON"),
    Case(
        "json-array-body", "CreateModel", [model()], SERIALIZATION, "Start of list found where not expected"
    ),
    Case("json-string-body", "DescribeModel", '"iris-model"', SERIALIZATION, "Unexpected field type"),
    Case("json-number-body", "DescribeModel", "42", SERIALIZATION, "Unexpected field type"),
    Case("body-not-utf8", "DescribeModel", b"\xff\xfe\x00{", SERIALIZATION, "not valid JSON"),
    Case("body-xml", "DescribeModel", b"<ModelName>iris</ModelName>", SERIALIZATION, "not valid JSON"),
]

WRONG_TYPES = [
    Case(
        "model-name-number",
        "CreateModel",
        model(5),
        SERIALIZATION,
        "NUMBER_VALUE can not be converted to a String",
    ),
    Case(
        "model-name-object",
        "DescribeModel",
        {"ModelName": {"name": "iris"}},
        SERIALIZATION,
        "Start of structure or map found where not expected",
    ),
    Case(
        "model-name-list",
        "DescribeModel",
        {"ModelName": ["iris"]},
        SERIALIZATION,
        "Unrecognized collection type class java.lang.String",
    ),
    Case(
        "model-name-bool",
        "DescribeModel",
        {"ModelName": True},
        SERIALIZATION,
        "TRUE_VALUE can not be converted to a String",
    ),
    Case(
        "instance-count-string",
        "CreateEndpointConfig",
        config(variant(InitialInstanceCount="1")),
        SERIALIZATION,
        "STRING_VALUE can not be converted to an Integer",
    ),
    Case(
        "instance-count-decimal",
        "CreateEndpointConfig",
        config(variant(InitialInstanceCount=1.5)),
        SERIALIZATION,
        "DECIMAL_VALUE can not be converted to an Integer",
    ),
    Case(
        "weight-string",
        "CreateEndpointConfig",
        config(variant(InitialVariantWeight="heavy")),
        SERIALIZATION,
        "STRING_VALUE can not be converted to a Float",
    ),
    Case(
        "tags-map-not-list",
        "CreateModel",
        model(Tags={"team": "e2e"}),
        SERIALIZATION,
        "Start of structure or map found where not expected",
    ),
    Case(
        "environment-list-not-map",
        "CreateModel",
        model(PrimaryContainer=container(Environment=["A=1"])),
        SERIALIZATION,
        "Start of list found where not expected",
    ),
    Case(
        "variants-object-not-list",
        "CreateEndpointConfig",
        config(ProductionVariants=variant()),
        SERIALIZATION,
        "Start of structure or map found where not expected",
    ),
    Case(
        "primary-container-string",
        "CreateModel",
        model(PrimaryContainer="xgboost"),
        SERIALIZATION,
        "Unexpected field type",
    ),
    Case(
        "network-isolation-string",
        "CreateModel",
        model(EnableNetworkIsolation="yes"),
        SERIALIZATION,
        "STRING_VALUE can not be converted to a Boolean",
    ),
    Case(
        "max-results-string",
        "ListModels",
        {"MaxResults": "10"},
        SERIALIZATION,
        "STRING_VALUE can not be converted to an Integer",
    ),
    Case(
        "creation-time-text",
        "ListModels",
        {"CreationTimeBefore": "yesterday"},
        SERIALIZATION,
        "can not be converted to a Timestamp",
    ),
    Case(
        "environment-value-number",
        "CreateModel",
        model(PrimaryContainer=container(Environment={"A": 1})),
        SERIALIZATION,
        "NUMBER_VALUE can not be converted to a String",
    ),
]

MISSING = [
    Case("create-model-empty", "CreateModel", {}, VALIDATION, at("modelName", "Member must not be null")),
    Case("create-model-empty-body", "CreateModel", b"", VALIDATION, "Value null at 'modelName'"),
    Case(
        "config-no-variants",
        "CreateEndpointConfig",
        {"EndpointConfigName": "x"},
        VALIDATION,
        at("productionVariants", "Member must not be null"),
    ),
    Case(
        "config-no-name",
        "CreateEndpointConfig",
        {"ProductionVariants": [variant()]},
        VALIDATION,
        at("endpointConfigName", "Member must not be null"),
    ),
    Case(
        "variant-no-name",
        "CreateEndpointConfig",
        config(variant(VariantName=None)),
        VALIDATION,
        at("productionVariants.1.member.variantName", "Member must not be null"),
    ),
    Case(
        "endpoint-no-config",
        "CreateEndpoint",
        {"EndpointName": "never-created"},
        VALIDATION,
        at("endpointConfigName", "Member must not be null"),
    ),
    Case(
        "describe-endpoint-empty",
        "DescribeEndpoint",
        {},
        VALIDATION,
        at("endpointName", "Member must not be null"),
    ),
    Case(
        "delete-tags-no-keys",
        "DeleteTags",
        {"ResourceArn": arn("model", MODEL)},
        VALIDATION,
        at("tagKeys", "Member must not be null"),
    ),
    Case("two-missing", "CreateEndpoint", {}, VALIDATION, "2 validation errors detected"),
    Case(
        "variant-no-instance-type",
        "CreateEndpointConfig",
        config(variant(InstanceType=None)),
        VALIDATION,
        "needs InstanceType and InitialInstanceCount, or a ServerlessConfig",
    ),
    Case(
        "variant-no-model",
        "CreateEndpointConfig",
        config(variant(ModelName=None)),
        VALIDATION,
        "must name a ModelName",
    ),
    Case(
        "container-no-image",
        "CreateModel",
        model(PrimaryContainer={"ModelDataUrl": "s3://models/m.tar.gz"}),
        VALIDATION,
        "The container must name an Image",
    ),
    Case(
        "no-container",
        "CreateModel",
        {"ModelName": "never-created"},
        VALIDATION,
        "Either PrimaryContainer or Containers must be specified",
    ),
]

NAMES = [
    Case(
        "model-name-64",
        "CreateModel",
        model(LONG),
        VALIDATION,
        at("modelName", "Member must have length less than or equal to 63"),
    ),
    Case(
        "config-name-64",
        "CreateEndpointConfig",
        config(name=LONG),
        VALIDATION,
        at("endpointConfigName", "Member must have length less than or equal to 63"),
    ),
    Case(
        "endpoint-name-64",
        "CreateEndpoint",
        {"EndpointName": LONG, "EndpointConfigName": CONFIG},
        VALIDATION,
        at("endpointName", "Member must have length less than or equal to 63"),
    ),
    Case(
        "describe-endpoint-64",
        "DescribeEndpoint",
        {"EndpointName": LONG},
        VALIDATION,
        "Member must have length less than or equal to 63",
    ),
    Case(
        "model-name-underscore",
        "CreateModel",
        model("bad_name"),
        VALIDATION,
        f"Value 'bad_name' {at('modelName', MUST_MATCH)}",
    ),
    Case("model-name-leading-hyphen", "CreateModel", model("-iris"), VALIDATION, at("modelName", MUST_MATCH)),
    Case(
        "model-name-trailing-hyphen", "CreateModel", model("iris-"), VALIDATION, at("modelName", MUST_MATCH)
    ),
    Case("model-name-empty", "CreateModel", model(""), VALIDATION, at("modelName", MUST_MATCH)),
    Case("model-name-accent", "CreateModel", model("modèle"), VALIDATION, at("modelName", MUST_MATCH)),
    Case(
        "endpoint-name-dot",
        "CreateEndpoint",
        {"EndpointName": "iris.ep", "EndpointConfigName": CONFIG},
        VALIDATION,
        at("endpointName", MUST_MATCH),
    ),
    Case(
        "endpoint-name-space",
        "DescribeEndpoint",
        {"EndpointName": "iris ep"},
        VALIDATION,
        at("endpointName", MUST_MATCH),
    ),
    Case(
        "endpoint-name-slash",
        "DeleteEndpoint",
        {"EndpointName": "a/b"},
        VALIDATION,
        at("endpointName", MUST_MATCH),
    ),
    Case(
        "config-name-underscore",
        "DescribeEndpointConfig",
        {"EndpointConfigName": "iris_config"},
        VALIDATION,
        at("endpointConfigName", MUST_MATCH),
    ),
    Case(
        "variant-name-space",
        "CreateEndpointConfig",
        config(variant(VariantName="All Traffic")),
        VALIDATION,
        at("productionVariants.1.member.variantName", MUST_MATCH),
    ),
    Case(
        "variant-model-name-bad",
        "CreateEndpointConfig",
        config(variant(ModelName="iris_model")),
        VALIDATION,
        at("productionVariants.1.member.modelName", MUST_MATCH),
    ),
    Case(
        "name-contains-underscore",
        "ListModels",
        {"NameContains": "a_b"},
        VALIDATION,
        at("nameContains", MUST_MATCH),
    ),
    Case(
        "role-arn-malformed",
        "CreateModel",
        model(ExecutionRoleArn="role/modelport-demo-role"),
        VALIDATION,
        at("executionRoleArn", MUST_MATCH),
    ),
    Case(
        "environment-key-digit",
        "CreateModel",
        model(PrimaryContainer=container(Environment={"1BAD": "x"})),
        VALIDATION,
        "Map keys must satisfy constraint",
    ),
    Case(
        "tag-key-empty",
        "CreateModel",
        model(Tags=[{"Key": "", "Value": "x"}]),
        VALIDATION,
        at("tags.1.member.key", "Member must have length greater than or equal to 1"),
    ),
    Case(
        "image-with-space",
        "CreateModel",
        model(PrimaryContainer=container(Image="xgboost 1.7-1")),
        VALIDATION,
        at("primaryContainer.image", MUST_MATCH),
    ),
]

ENUMS_AND_RANGES = [
    Case(
        "sort-order-bad",
        "ListModels",
        {"SortOrder": "Up"},
        VALIDATION,
        at("sortOrder", "Member must satisfy enum value set: [Ascending, Descending]"),
    ),
    Case(
        "sort-by-bad",
        "ListEndpoints",
        {"SortBy": "Size"},
        VALIDATION,
        at("sortBy", "Member must satisfy enum value set"),
    ),
    Case(
        "status-equals-bad",
        "ListEndpoints",
        {"StatusEquals": "Running"},
        VALIDATION,
        at("statusEquals", "Member must satisfy enum value set"),
    ),
    Case(
        "instance-type-fake",
        "CreateEndpointConfig",
        config(variant(InstanceType="ml.fake")),
        VALIDATION,
        "Value 'ml.fake' at 'productionVariants.1.member.instanceType' failed to satisfy constraint: "
        "Member must satisfy enum value set",
    ),
    Case(
        "container-mode-bad",
        "CreateModel",
        model(PrimaryContainer=container(Mode="ManyModels")),
        VALIDATION,
        at("primaryContainer.mode", "Member must satisfy enum value set: [SingleModel, MultiModel]"),
    ),
    Case(
        "execution-mode-bad",
        "CreateModel",
        model(InferenceExecutionConfig={"Mode": "Parallel"}),
        VALIDATION,
        at("inferenceExecutionConfig.mode", "Member must satisfy enum value set"),
    ),
    Case(
        "routing-strategy-bad",
        "CreateEndpointConfig",
        config(variant(RoutingConfig={"RoutingStrategy": "FASTEST"})),
        VALIDATION,
        at("productionVariants.1.member.routingConfig.routingStrategy", "Member must satisfy enum value set"),
    ),
    Case(
        "instance-count-zero",
        "CreateEndpointConfig",
        config(variant(InitialInstanceCount=0)),
        VALIDATION,
        at(
            "productionVariants.1.member.initialInstanceCount",
            "Member must have value greater than or equal to 1",
        ),
    ),
    Case(
        "weight-negative",
        "CreateEndpointConfig",
        config(variant(InitialVariantWeight=-1)),
        VALIDATION,
        at(
            "productionVariants.1.member.initialVariantWeight",
            "Member must have value greater than or equal to 0",
        ),
    ),
    Case(
        "max-results-101",
        "ListModels",
        {"MaxResults": 101},
        VALIDATION,
        at("maxResults", "Member must have value less than or equal to 100"),
    ),
    Case(
        "max-results-0",
        "ListEndpoints",
        {"MaxResults": 0},
        VALIDATION,
        at("maxResults", "Member must have value greater than or equal to 1"),
    ),
    Case(
        "volume-size-513",
        "CreateEndpointConfig",
        config(variant(VolumeSizeInGB=513)),
        VALIDATION,
        at("productionVariants.1.member.volumeSizeInGB", "Member must have value less than or equal to 512"),
    ),
    Case(
        "serverless-memory-512",
        "CreateEndpointConfig",
        config(variant(ServerlessConfig={"MemorySizeInMB": 512, "MaxConcurrency": 1})),
        VALIDATION,
        "Member must have value greater than or equal to 1024",
    ),
    Case(
        "no-variants",
        "CreateEndpointConfig",
        config(ProductionVariants=[]),
        VALIDATION,
        at("productionVariants", "Member must have length greater than or equal to 1"),
    ),
    Case(
        "eleven-variants",
        "CreateEndpointConfig",
        config(ProductionVariants=[variant(VariantName=f"v{i}") for i in range(11)]),
        VALIDATION,
        at("productionVariants", "Member must have length less than or equal to 10"),
    ),
    Case(
        "fifty-one-tags",
        "CreateModel",
        model(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
        VALIDATION,
        at("tags", "Member must have length less than or equal to 50"),
    ),
    Case(
        "environment-101",
        "CreateModel",
        model(PrimaryContainer=container(Environment={f"K{i}": "v" for i in range(101)})),
        VALIDATION,
        at("primaryContainer.environment", "Member must have length less than or equal to 100"),
    ),
    Case(
        "two-errors-reported",
        "CreateEndpointConfig",
        config(variant(InitialInstanceCount=0), name="bad_name"),
        VALIDATION,
        "2 validation errors detected: Value",
    ),
    Case(
        "download-timeout-30",
        "CreateEndpointConfig",
        config(variant(ModelDataDownloadTimeoutInSeconds=30)),
        VALIDATION,
        "Member must have value greater than or equal to 60",
    ),
]

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
        config(AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://out/x"}}),
        VALIDATION,
        "modelport does not support asynchronous inference (AsyncInferenceConfig) yet",
    ),
    Case(
        "data-capture",
        "CreateEndpointConfig",
        config(
            DataCaptureConfig={
                "InitialSamplingPercentage": 10,
                "DestinationS3Uri": "s3://cap/x",
                "CaptureOptions": [{"CaptureMode": "Input"}],
            }
        ),
        VALIDATION,
        "modelport does not support data capture (DataCaptureConfig) yet",
    ),
    Case(
        "shadow-variants",
        "CreateEndpointConfig",
        config(ShadowProductionVariants=[variant(VariantName="shadow")]),
        VALIDATION,
        "modelport does not support shadow variants (ShadowProductionVariants) yet",
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

CASES = (
    MALFORMED
    + WRONG_TYPES
    + MISSING
    + NAMES
    + ENUMS_AND_RANGES
    + OPERATIONS
    + NOT_FOUND
    + CONFLICTS
    + UNSUPPORTED
)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_control_plane_request(
    case: Case, server: ServerProcess, keys: Keys, iris: Deployed, healthy: Callable[[], None]
) -> None:
    response = control(server.url, keys, case.target, case.body)
    code, message = error_of(response)
    assert (code, response.status_code) == (case.code, case.status), message
    assert case.message in message
    assert response.headers["x-amzn-RequestId"]
    assert "Traceback" not in message
    healthy()


SLOW_INFERENCE_PY = b"""
import time


def model_fn(model_dir):
    time.sleep(4)  # holds the endpoint in Creating long enough to be caught there
    return "slow"


def predict_fn(data, model):
    return data
"""


def test_update_and_delete_while_creating_are_refused(
    sm: Any, iris: Deployed, healthy: Callable[[], None], tmp_path: Path
) -> None:
    """Calls while an endpoint is Creating are refused; a model that loads slowly holds it there."""
    archive = tmp_path / "slow.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("code/inference.py")
        info.size = len(SLOW_INFERENCE_PY)
        tar.addfile(info, io.BytesIO(SLOW_INFERENCE_PY))
    sm.create_model(
        ModelName="slow-model", PrimaryContainer={"Image": "sklearn:1.2-1", "ModelDataUrl": str(archive)}
    )
    sm.create_endpoint_config(
        EndpointConfigName="slow-config", ProductionVariants=[variant(ModelName="slow-model")]
    )
    sm.create_endpoint(EndpointName="creating-ep", EndpointConfigName="slow-config")
    in_progress = f'Cannot update in-progress endpoint "{arn("endpoint", "creating-ep")}".'
    for call, message in (
        (lambda: sm.update_endpoint(EndpointName="creating-ep", EndpointConfigName=iris.config), in_progress),
        (lambda: sm.delete_endpoint(EndpointName="creating-ep"), in_progress.replace("update", "delete")),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert sm.describe_endpoint(EndpointName="creating-ep")["EndpointStatus"] == "Creating"
        assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}
    wait_in_service(sm, "creating-ep")
    sm.delete_endpoint(EndpointName="creating-ep")
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName="creating-ep", WaiterConfig={"Delay": 0.1, "MaxAttempts": 300}
    )
    sm.delete_endpoint_config(EndpointConfigName="slow-config")
    sm.delete_model(ModelName="slow-model")
    healthy()


def test_modeled_error_is_raised_as_its_class(sm: Any, iris: Deployed) -> None:
    """boto3 maps ResourceLimitExceeded to its modeled exception class (body member ``Message``)."""
    with pytest.raises(sm.exceptions.ResourceLimitExceeded) as caught:
        sm.create_endpoint_config(
            EndpointConfigName="never-created", ProductionVariants=[variant(InitialInstanceCount=17)]
        )
    assert "Instances" in caught.value.response["Error"]["Message"]
