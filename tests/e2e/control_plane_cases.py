"""The bad control-plane request corpus: each case is one request and the exact error it must get.

Used by ``test_bad_control_plane.py``; kept apart so the table can grow without the tests
around it getting lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from e2e.wire import arn
from modelport import seed

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

# Malformed requests and constraint violations; resource-state cases are in
# control_plane_resource_cases.py.
REQUEST_CASES = MALFORMED + WRONG_TYPES + MISSING + NAMES + ENUMS_AND_RANGES
