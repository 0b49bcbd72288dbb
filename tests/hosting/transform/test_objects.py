"""objects.py's pure parts: S3 URLs, and the names outputs get."""

from __future__ import annotations

import re

import pytest

from modelport.core.errors import InvalidRequest
from modelport.hosting.transform.objects import S3Location, output_location, relative_key


@pytest.mark.parametrize(
    ("prefix", "key", "relative"),
    [
        ("in", "in/day1/data.csv", "day1/data.csv"),  # a folder named without its slash
        ("in/", "in/day1/data.csv", "day1/data.csv"),
        ("in/data", "in/data1.csv", "data1.csv"),  # a prefix that ends inside a name
        ("in/data.csv", "in/data.csv", "data.csv"),  # one object named whole
        ("", "top.csv", "top.csv"),
        ("", "a/b.csv", "a/b.csv"),
    ],
)
def test_an_objects_name_below_the_input_prefix(prefix: str, key: str, relative: str) -> None:
    assert relative_key(prefix, key) == relative


def test_outputs_go_under_the_output_path_with_out_added() -> None:
    assert output_location(S3Location("b", "out"), "day1/data.csv").key == "out/day1/data.csv.out"
    assert output_location(S3Location("b", "out/"), "data.csv").key == "out/data.csv.out"
    assert output_location(S3Location("b", ""), "data.csv").url == "s3://b/data.csv.out"


def test_s3_urls_are_parsed_and_anything_else_is_refused_by_name() -> None:
    assert S3Location.parse("s3://my-bucket/in/", "S3Uri") == S3Location("my-bucket", "in/")
    assert S3Location.parse("s3://my-bucket", "S3Uri") == S3Location("my-bucket", "")
    with pytest.raises(
        InvalidRequest, match=re.escape('S3OutputPath "https://b.example/out" is not an S3 URL')
    ):
        S3Location.parse("https://b.example/out", "S3OutputPath")
    with pytest.raises(InvalidRequest, match="does not name a valid S3 bucket"):
        S3Location.parse("s3://No_Such/x", "S3Uri")
