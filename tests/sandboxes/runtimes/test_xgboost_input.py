from __future__ import annotations

import csv
import random

import numpy as np
import pytest

from modelport.sandboxes.runtimes.xgboost_flavor import XGBoostFlavor
from modelport.sandboxes.runtimes.xgboost_input import (
    CSV,
    LIBSVM,
    UnsupportedInput,
    content_format,
    decode,
    parse_csv,
    parse_libsvm,
    sniff_delimiter,
)

NEW = XGBoostFlavor.parse("1.7-1")
OLD = XGBoostFlavor.parse("1.2-1")
V090 = XGBoostFlavor.parse("0.90-1")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/csv", CSV),
        ("CSV", CSV),
        ("text/csv; charset=utf-8", CSV),
        ("text/csv; label_size=1", CSV),
        ("text/libsvm", LIBSVM),
        ("text/x-libsvm", LIBSVM),
        ("libsvm", LIBSVM),
        (None, LIBSVM),
    ],
)
def test_content_formats(content_type: str | None, expected: str) -> None:
    assert content_format(content_type, NEW) == expected


def test_unknown_content_type_message_new_style() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        content_format("application/JSON", NEW)
    assert str(caught.value) == (
        "application/JSON is not an accepted ContentType: csv, libsvm, parquet, recordio-protobuf, text/csv, "
        "text/libsvm, text/x-libsvm, application/x-parquet, application/x-recordio-protobuf."
    )


def test_unknown_content_type_message_old_styles() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        content_format("application/json", OLD)
    assert str(caught.value) == (
        "application/json is not an accepted ContentType: "
        "'csv', 'libsvm', 'text/csv', 'text/libsvm', 'text/x-libsvm'."
    )
    with pytest.raises(UnsupportedInput) as caught:
        content_format("application/json; x=1", V090)
    assert str(caught.value) == (
        "Content-type application/json not supported. Supported content-type is text/csv, text/libsvm, "
        "application/x-recordio-protobuf"
    )
    assert content_format(None, V090) == CSV


def test_label_size_other_than_one_is_refused() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        content_format("text/csv;label_size=2", NEW)
    assert str(caught.value) == (
        "text/csv;label_size=2 is not an accepted csv ContentType. "
        "Optional parameter label_size must be equal to 1"
    )


def test_parquet_is_accepted_as_a_type_but_not_decoded() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        decode(b"x", "application/x-parquet", NEW)
    assert str(caught.value) == "Content-type application/x-parquet is not supported."


def test_csv_parsing_strips_and_fills_nan() -> None:
    parsed = parse_csv("1,,3\n4,5,6")
    assert parsed.dtype == np.float64
    assert np.isnan(parsed[0, 1])
    assert parsed[1].tolist() == [4.0, 5.0, 6.0]
    assert parse_csv("1;2;3").tolist() == [[1.0, 2.0, 3.0]]
    features = decode(b"\n 1\t2\t3 \n", "text/csv", NEW)
    assert features.num_columns == 3


def test_csv_failure_message() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        decode(b"1,2,abc", "text/csv", NEW)
    assert str(caught.value) == (
        "Loading csv data failed with Exception, please ensure data is in csv format:\n"
        " <class 'ValueError'>\n could not convert string to float: 'abc'"
    )


@pytest.mark.parametrize("body", [b"\x00", b"\x00" * 64, b"1,2\x003,4", b"\x00\n\x00"])
def test_csv_with_nul_bytes_is_refused(body: bytes) -> None:
    """A body of NUL bytes sniffs NUL as the delimiter: it must not read as a row of NaNs."""
    with pytest.raises(UnsupportedInput) as caught:
        decode(body, "text/csv", NEW)
    assert str(caught.value) == (
        "Loading csv data failed with Exception, please ensure data is in csv format:\n"
        " <class '_csv.Error'>\n line contains NUL"
    )


def test_sniff_fast_path_agrees_with_csv_sniffer() -> None:
    rng = random.Random(7)
    alphabet = "0123456789.-+eE ,;:\t|abnN"
    for _ in range(3000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))).strip()
        if not line:
            continue
        try:
            expected = csv.Sniffer().sniff(line[:512]).delimiter
            expected = "," if expected.isalnum() else expected
        except csv.Error:
            with pytest.raises(csv.Error):
                sniff_delimiter(line)
            continue
        assert sniff_delimiter(line) == expected, line


def test_libsvm_parsing_old_and_new() -> None:
    text = "1 1:0.5 3:2.0\n0 2:1.5"
    shifted = parse_libsvm(text, zero_based_shift=True)
    assert shifted.shape == (2, 3)
    assert shifted.toarray().tolist() == [[0.5, 0.0, 2.0], [0.0, 1.5, 0.0]]
    as_is = parse_libsvm(text, zero_based_shift=False)
    assert as_is.shape == (2, 4)
    assert parse_libsvm("0:1 2:3", zero_based_shift=True).shape == (1, 3)


def test_libsvm_failure_message() -> None:
    with pytest.raises(UnsupportedInput) as caught:
        decode(b"1 a:b", "text/libsvm", NEW)
    assert str(caught.value).startswith(
        "Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n"
        " <class 'ValueError'>\n"
    )
