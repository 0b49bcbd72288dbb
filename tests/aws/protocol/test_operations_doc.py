"""docs/operations.md is generated; this fails when it is stale or the registry names a ghost."""

from __future__ import annotations

import pytest

from modelport.aws.protocol import ServiceProtocol
from modelport.aws.registry import render_operations_markdown
from modelport.http.bindings import IMPLEMENTED
from support.generated_docs import assert_check_mode_agrees, assert_current


def test_operations_doc_is_current() -> None:
    assert_current("operations.md", render_operations_markdown(IMPLEMENTED), "gen_operations_doc.py")


def test_script_check_mode_agrees() -> None:
    assert_check_mode_agrees("gen_operations_doc.py")


@pytest.mark.parametrize("service", sorted(IMPLEMENTED))
def test_registry_names_real_operations(service: str) -> None:
    assert IMPLEMENTED[service] <= set(ServiceProtocol.load(service).operation_names)


def test_doc_marks_supported_operations() -> None:
    text = render_operations_markdown({"sagemaker-runtime": frozenset({"InvokeEndpoint"})})
    assert "- InvokeEndpoint\n" in text
    assert "InvokeEndpointAsync" not in text  # in botocore's model, not served
    assert "## sagemaker-runtime (1 operations)" in text


def test_doc_does_not_depend_on_unserved_operations() -> None:
    """A botocore release that adds operations cannot make the committed document stale."""
    text = render_operations_markdown(IMPLEMENTED)
    every_operation = set(ServiceProtocol.load("sagemaker").operation_names)
    unserved = every_operation - IMPLEMENTED["sagemaker"]
    assert not any(f"- {name}\n" in text for name in unserved)
    assert str(len(every_operation)) not in text
