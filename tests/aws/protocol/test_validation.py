"""Server-side validation and type errors, with AWS's exact wording."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelport.aws.protocol import ServiceProtocol, parse_json_request, parse_rest_request
from modelport.core.errors import InvalidRequest, UnknownOperation, UnsupportedMediaType

NAME_PATTERN = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
MODEL_PATTERN = "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"


def _message(proto: ServiceProtocol, operation: str, body: dict[str, Any]) -> str:
    with pytest.raises(InvalidRequest) as info:
        parse_json_request(proto, f"SageMaker.{operation}", json.dumps(body).encode())
    return info.value.message


def _variant(**fields: Any) -> dict[str, Any]:
    return {"VariantName": "v1", "ModelName": "m1", **fields}


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        (
            "CreateModel",
            {"ModelName": "bad name!"},
            "1 validation error detected: Value 'bad name!' at 'modelName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {MODEL_PATTERN}",
        ),
        (
            "DescribeEndpoint",
            {},
            "1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            "DescribeEndpoint",
            {"EndpointName": "a" * 64},
            # The pattern's {0,62} caps the length too, so AWS reports both.
            f"2 validation errors detected: Value '{'a' * 64}' at 'endpointName' failed to satisfy "
            "constraint: "
            f"Member must have length less than or equal to 63; Value '{'a' * 64}' at 'endpointName' failed "
            f"to satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}",
        ),
        (
            "ListModels",
            {"SortOrder": "Up"},
            "1 validation error detected: Value 'Up' at 'sortOrder' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Ascending, Descending]",
        ),
        (
            "ListModels",
            {"MaxResults": 0},
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "ListEndpoints",
            {"MaxResults": 101},
            "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 100",
        ),
        (
            "CreateEndpointConfig",
            {
                "EndpointConfigName": "c",
                "ProductionVariants": [_variant(), _variant(VariantName="-x", InitialInstanceCount=0)],
            },
            "2 validation errors detected: "
            f"Value '-x' at 'productionVariants.2.member.variantName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_PATTERN}; "
            "Value '0' at 'productionVariants.2.member.initialInstanceCount' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "CreateEndpointConfig",
            {"EndpointConfigName": "c", "ProductionVariants": []},
            "1 validation error detected: Value '[]' at 'productionVariants' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        (
            "CreateEndpointConfig",
            {"EndpointConfigName": "c", "ProductionVariants": [{"ModelName": "m"}]},
            "1 validation error detected: Value null at 'productionVariants.1.member.variantName' "
            "failed to satisfy constraint: Member must not be null",
        ),
        (
            "CreateEndpointConfig",
            {"EndpointConfigName": "c", "ProductionVariants": [_variant(InstanceType="ml.huge")]},
            "1 validation error detected: Value 'ml.huge' at 'productionVariants.1.member.instanceType' "
            "failed to satisfy constraint: Member must satisfy enum value set: [",
        ),
        (
            "CreateEndpoint",
            {"EndpointName": "bad_name"},
            "2 validation errors detected: Value 'bad_name' at 'endpointName' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {NAME_PATTERN}; "
            "Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null",
        ),
        (
            "DeleteTags",
            {
                "ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m",
                "TagKeys": ["ok", "", "x" * 129],
            },
            "1 validation error detected: Value '[ok, , " + "x" * 129 + "]' at 'tagKeys' failed to satisfy "
            "constraint: Member must satisfy constraint: "
            "[Member must have length greater than or equal to 1, "
            "Member must have length less than or equal to 128]",
        ),
        (
            "CreateModel",
            {"ModelName": "m", "PrimaryContainer": {"Environment": {"1BAD": "v", "OK": "x" * 1025}}},
            "2 validation errors detected: Value '{1BAD=v, OK="
            + "x" * 1025
            + "}' at 'primaryContainer.environment' "
            "failed to satisfy constraint: Map keys must satisfy constraint: "
            "[Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]; "
            "Value '{1BAD=v, OK=" + "x" * 1025 + "}' at 'primaryContainer.environment' failed to satisfy "
            "constraint: Map value must satisfy constraint: "
            "[Member must have length less than or equal to 1024]",
        ),
        (
            "AddTags",
            {
                "ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m",
                "Tags": [{"Key": "k", "Value": "<script>"}],
            },
            "1 validation error detected: Value '<script>' at 'tags.1.member.value' failed to satisfy "
            "constraint: "
            "Member must satisfy regular expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)",
        ),
    ],
)
def test_validation_messages(
    sagemaker: ServiceProtocol, operation: str, body: dict[str, Any], expected: str
) -> None:
    message = _message(sagemaker, operation, body)
    if expected.endswith("["):
        assert message.startswith(expected)
    else:
        assert message == expected


def test_unicode_letters_pass_java_letter_classes(sagemaker: ServiceProtocol) -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model/m"
    body = {"ResourceArn": arn, "Tags": [{"Key": "équipe", "Value": "données 数据 ١٢"}]}
    parsed = parse_json_request(sagemaker, "SageMaker.AddTags", json.dumps(body).encode())
    assert parsed.params == body


def test_length_counts_utf16_units_like_java(sagemaker: ServiceProtocol) -> None:
    # TagValue allows 256 characters; an emoji is two UTF-16 code units in Java.
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model/m"
    body = {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "a" * 255 + "é"}]}
    parse_json_request(sagemaker, "SageMaker.AddTags", json.dumps(body).encode())
    body["Tags"][0]["Value"] = "a" * 255 + "\U0001f600"
    message = _message(sagemaker, "AddTags", body)
    assert "Member must have length less than or equal to 256" in message


def test_unknown_members_are_ignored(sagemaker: ServiceProtocol) -> None:
    parsed = parse_json_request(sagemaker, "SageMaker.DescribeModel", b'{"ModelName": "m", "Extra": [1, {}]}')
    assert parsed.params == {"ModelName": "m"}


def test_null_members_are_unset(sagemaker: ServiceProtocol) -> None:
    parsed = parse_json_request(sagemaker, "SageMaker.ListModels", b'{"NameContains": null, "MaxResults": 5}')
    assert parsed.params == {"MaxResults": 5}


@pytest.mark.parametrize("body", [b"", b"  ", b"{}"])
def test_empty_body_is_an_empty_object(sagemaker: ServiceProtocol, body: bytes) -> None:
    assert parse_json_request(sagemaker, "SageMaker.ListModels", body).params == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", None),
        (b"\xff\xfe\x00", None),
        (b"[]", "Start of list found where not expected"),
        (b'"text"', "Unexpected field type"),
        (b'{"MaxResults": "10"}', "STRING_VALUE can not be converted to an Integer"),
        (b'{"MaxResults": true}', "TRUE_VALUE can not be converted to an Integer"),
        (b'{"MaxResults": 1.5}', "DECIMAL_VALUE can not be converted to an Integer"),
        (b'{"MaxResults": [1]}', "Unrecognized collection type class java.lang.Integer"),
        (b'{"MaxResults": {}}', "Start of structure or map found where not expected"),
        (b'{"NameContains": 5}', "NUMBER_VALUE can not be converted to a String"),
        (b'{"NameContains": false}', "FALSE_VALUE can not be converted to a String"),
        (b'{"NameContains": {"a": 1}}', "Start of structure or map found where not expected"),
        (b'{"NameContains": ["a"]}', "Unrecognized collection type class java.lang.String"),
        (b'{"CreationTimeAfter": "yesterday"}', "STRING_VALUE can not be converted to a Timestamp"),
    ],
)
def test_serialization_exceptions(sagemaker: ServiceProtocol, body: bytes, message: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        parse_json_request(sagemaker, "SageMaker.ListModels", body)
    if message is not None:
        assert info.value.message == message


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        (
            "CreateEndpointConfig",
            b'{"ProductionVariants": {"VariantName": "v"}}',
            "Start of structure or map found where not expected",
        ),
        ("CreateEndpointConfig", b'{"ProductionVariants": "v"}', "Unexpected field type"),
        ("CreateEndpointConfig", b'{"DataCaptureConfig": [1]}', "Start of list found where not expected"),
        (
            "CreateModel",
            b'{"PrimaryContainer": {"Environment": ["A=1"]}}',
            "Start of list found where not expected",
        ),
        (
            "CreateEndpointConfig",
            b'{"ProductionVariants": [{"InitialVariantWeight": "1"}]}',
            "STRING_VALUE can not be converted to a Float",
        ),
        (
            "UpdateEndpoint",
            b'{"RetainAllVariantProperties": "true"}',
            "STRING_VALUE can not be converted to a Boolean",
        ),
    ],
)
def test_nested_type_errors(sagemaker: ServiceProtocol, operation: str, body: bytes, message: str) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        parse_json_request(sagemaker, f"SageMaker.{operation}", body)
    assert info.value.message == message


def test_timestamps_accept_epoch_and_iso(sagemaker: ServiceProtocol) -> None:
    body = b'{"CreationTimeAfter": 1529870369.986, "CreationTimeBefore": "2024-05-06T07:08:09Z"}'
    params = parse_json_request(sagemaker, "SageMaker.ListModels", body).params
    assert params["CreationTimeAfter"].timestamp() == 1529870369.986
    assert params["CreationTimeBefore"].isoformat() == "2024-05-06T07:08:09+00:00"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (None, "Missing required header X-Amz-Target"),
        ("", "Missing required header X-Amz-Target"),
        ("SageMaker.Nope", "Unknown operation SageMaker.Nope"),
        ("Lambda.CreateModel", "Unknown operation Lambda.CreateModel"),
        ("SageMaker.", "Unknown operation SageMaker."),
    ],
)
def test_unknown_operation(sagemaker: ServiceProtocol, target: str | None, message: str) -> None:
    with pytest.raises(UnknownOperation) as info:
        parse_json_request(sagemaker, target, b"{}")
    assert info.value.message == message


# --- runtime -------------------------------------------------------------------------------------


def test_runtime_header_and_path_validation(runtime: ServiceProtocol) -> None:
    headers = {"X-Amzn-SageMaker-Target-Model": " leading-space", "X-Amzn-SageMaker-Custom-Attributes": "é"}
    with pytest.raises(InvalidRequest) as info:
        parse_rest_request(runtime, "POST", "/endpoints/bad_name/invocations", headers, b"1")
    assert info.value.message == (
        "3 validation errors detected: "
        "Value 'bad_name' at 'endpointName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*; "
        "Value 'é' at 'customAttributes' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: \\p{ASCII}*; "
        "Value ' leading-space' at 'targetModel' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: \\A\\S[\\p{Print}]*\\z"
    )


def test_runtime_body_over_the_model_limit(runtime: ServiceProtocol) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_rest_request(runtime, "POST", "/endpoints/e/invocations", {}, b"x" * 6291457)
    assert info.value.message == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6291457 cap=6291457]' "
        "at 'body' failed to satisfy constraint: Member must have length less than or equal to 6291456"
    )
