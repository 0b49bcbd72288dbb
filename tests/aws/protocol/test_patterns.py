"""Java patterns from the models, compiled for Python, and names checked against them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelport.aws.protocol import ServiceProtocol, parse_json_request
from modelport.aws.protocol.patterns import compile_pattern, translate
from modelport.core.errors import InvalidRequest

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("\\A\\S[\\p{Print}]*\\z", "model-a.tar.gz", True),
        ("\\A\\S[\\p{Print}]*\\z", "modèle", False),  # \p{Print} is ASCII-only in Java
        ("\\A\\S[\\p{Print}]*\\z", "a\n", False),
        ("\\p{ASCII}*", "text/csv; charset=utf-8", True),
        ("\\p{ASCII}*", "é", False),
        (
            "arn:[\\p{Alnum}\\-]+:lambda:[\\p{Alnum}\\-]+:[0-9]{12}:function:.*",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            True,
        ),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "emoji \U0001f600 ok", True),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "bell \x07", False),
        ("[\\p{L}\\p{M}\\p{Z}\\p{N}\\p{P}]{0,1024}", "Ünïcödé 123 — ok.", True),
        ("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "abc", True),
        ("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", "abc\n", False),  # full match, unlike Python's $
        ("^[a-zA-Z0-9](-*[a-zA-Z0-9])*", "ab-c", True),
    ],
)
def test_java_patterns(pattern: str, value: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(value) is not None) is matches


def test_translation_keeps_plain_patterns() -> None:
    assert translate("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}") == "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    assert translate("\\p{ASCII}*") == "[\\x00-\\x7F]*"
    assert translate("[\\p{Print}]") == "[ -~]"


@pytest.mark.parametrize("service", ["sagemaker", "sagemaker-runtime"])
def test_every_pattern_in_the_models_compiles(service: str) -> None:
    model = ServiceProtocol.load(service).model
    for name in model.shape_names:
        pattern = model.shape_for(name).metadata.get("pattern")
        if pattern:
            compile_pattern(pattern)


valid_names = st.from_regex(r"\A[a-zA-Z0-9](-*[a-zA-Z0-9])*\Z", fullmatch=True).filter(lambda s: len(s) <= 63)


@given(name=valid_names)
def test_valid_endpoint_names_always_pass(name: str) -> None:
    proto = ServiceProtocol.load("sagemaker")
    body = json.dumps({"EndpointName": name, "EndpointConfigName": name}).encode()
    assert parse_json_request(proto, "SageMaker.CreateEndpoint", body).params["EndpointName"] == name


@given(
    name=valid_names.filter(lambda s: len(s) < 63),
    bad=st.characters(codec="utf-8").filter(lambda c: c not in NAME_CHARS + "-"),
    where=st.integers(min_value=0),
)
def test_a_character_outside_the_pattern_always_fails(name: str, bad: str, where: int) -> None:
    proto = ServiceProtocol.load("sagemaker")
    at = where % (len(name) + 1)
    candidate = name[:at] + bad + name[at:]
    body = json.dumps({"EndpointName": candidate, "EndpointConfigName": "c"}).encode()
    with pytest.raises(InvalidRequest) as info:
        parse_json_request(proto, "SageMaker.CreateEndpoint", body)
    assert info.value.message.endswith(
        "at 'endpointName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    )
