"""Image URIs and short names map onto the built-in runtimes."""

from __future__ import annotations

import pytest

from modelport.core.errors import InvalidRequest
from modelport.services.sagemaker.images import resolve_image


@pytest.mark.parametrize(
    ("image", "runtime", "version"),
    [
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "xgboost", "1.7-1"),
        ("246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.5-1", "xgboost", "1.5-1"),
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:0.90-1-cpu-py3",
            "xgboost",
            "0.90-1",
        ),
        ("811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1", "xgboost", "0.90-1"),
        ("451049120500.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.3-1", "xgboost", "1.3-1"),
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "sklearn",
            "1.2-1",
        ),
        ("xgboost:1.7-1", "xgboost", "1.7-1"),
        ("xgboost", "xgboost", "1.7-1"),
        ("sklearn", "sklearn", "1.2-1"),
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost@sha256:abc", "xgboost", "1.7-1"),
    ],
)
def test_supported_images(image: str, runtime: str, version: str) -> None:
    resolved = resolve_image(image)
    assert (resolved.runtime, resolved.version, resolved.specified) == (runtime, version, image)


@pytest.mark.parametrize(
    "image",
    [
        "nginx:latest",
        "docker.io/library/python:3.11",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-pytorch:2.0",
        "xgboost:0.72-1",
        "xgboost:weird-tag",
        "",
    ],
)
def test_unsupported_images_name_what_is_supported(image: str) -> None:
    with pytest.raises(InvalidRequest, match="Supported images: SageMaker's XGBoost images"):
        resolve_image(image)
