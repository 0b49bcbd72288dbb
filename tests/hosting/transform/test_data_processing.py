"""DataProcessing: the JSONPath subset, joins, and CreateTransformJob's checks, record by record."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelport.core.errors import InvalidRequest
from modelport.hosting.transform.data_processing import RecordError, RecordFilter, check_data_processing

CSV = "text/csv"
JSON = "application/json"
JSONL = "application/jsonlines"


def csv_filter(**data_processing: str) -> RecordFilter:
    return RecordFilter(data_processing, content_type=CSV, accept=CSV)


def json_filter(content_type: str = JSONL, **data_processing: str) -> RecordFilter:
    return RecordFilter(data_processing, content_type=content_type, accept=content_type)


def check(data_processing: dict[str, Any], **overrides: Any) -> None:
    settings: dict[str, Any] = {
        "content_type": CSV,
        "accept": CSV,
        "split_type": "Line",
        "assemble_with": "Line",
    }
    check_data_processing(data_processing, **{**settings, **overrides})


# --- which records need work ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data_processing",
    [
        {},
        {"InputFilter": "$", "OutputFilter": "$", "JoinSource": "None"},
        {"InputFilter": "", "OutputFilter": ""},
    ],
)
def test_defaults_are_inactive(data_processing: dict[str, str]) -> None:
    record_filter = RecordFilter(data_processing, content_type="application/x-recordio-protobuf", accept=None)
    assert not record_filter.active
    assert not record_filter.needs_outputs_per_record
    assert record_filter.input(b"\x00\xff raw") == b"\x00\xff raw"


def test_an_input_filter_alone_needs_no_outputs_per_record() -> None:
    record_filter = csv_filter(InputFilter="$[1:]")
    assert record_filter.active
    assert not record_filter.needs_outputs_per_record


@pytest.mark.parametrize("data_processing", [{"JoinSource": "Input"}, {"OutputFilter": "$[0]"}])
def test_a_join_or_an_output_filter_needs_outputs_per_record(data_processing: dict[str, str]) -> None:
    record_filter = csv_filter(**data_processing)
    assert record_filter.active
    assert record_filter.needs_outputs_per_record


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", b"id7,1.5,2,3,x"),
        ("$[0]", b"id7"),
        ("$[-1]", b"x"),
        ("$[1,3]", b"1.5,3"),
        ("$[0,-1]", b"id7,x"),
        ("$[1:]", b"1.5,2,3,x"),
        ("$[:2]", b"id7,1.5"),
        ("$[1:-1]", b"1.5,2,3"),
        ("$[2:4]", b"2,3"),
        ("$[-2:]", b"3,x"),
        ("$[0,3:]", b"id7,3,x"),
        ("$[ 0 , 3: ]", b"id7,3,x"),
        ("$[3:100]", b"3,x"),
        ("$[*]", b"id7,1.5,2,3,x"),
        ("$[:]", b"id7,1.5,2,3,x"),
        ("$[4:1]", b""),
    ],
)
def test_csv_input_filter_selects_fields(path: str, expected: bytes) -> None:
    assert csv_filter(InputFilter=path).input(b"id7,1.5,2,3,x") == expected


def test_csv_input_filter_drops_the_trailing_newline() -> None:
    assert csv_filter(InputFilter="$[1:]").input(b"1,2,3\r\n") == b"2,3"


def test_csv_quoted_fields_keep_their_commas_and_quotes() -> None:
    record = b'7,"Smith, J.","say ""hi""",4'
    assert csv_filter(InputFilter="$[1:]").input(record) == b'"Smith, J.","say ""hi""",4'
    assert csv_filter(InputFilter="$[2]").input(record) == b'"say ""hi"""'


def test_csv_join_appends_output_fields_to_the_record_as_read() -> None:
    # AWS's example: record [1,2,3] with label [1] gives [1,2,3,1].
    record_filter = csv_filter(InputFilter="$[1:]", JoinSource="Input")
    assert record_filter.input(b"1,2,3\n") == b"2,3"
    assert record_filter.output(b"1,2,3\n", b"1\n") == b"1,2,3,1"


def test_aws_csv_example_id_column_dropped_on_input_and_kept_in_output() -> None:
    record_filter = csv_filter(InputFilter="$[1:]", JoinSource="Input", OutputFilter="$[0,-1]")
    row = b"id-42,0.1,0.2,0.3,0.4"
    assert record_filter.input(row) == b"0.1,0.2,0.3,0.4"
    assert record_filter.output(row, b"0.93\n") == b"id-42,0.93"


def test_csv_output_filter_without_join_selects_from_the_output() -> None:
    assert csv_filter(OutputFilter="$[1]").output(b"ignored", b"0.2,0.8\n") == b"0.8"


def test_csv_join_with_several_output_columns() -> None:
    record_filter = csv_filter(JoinSource="Input", OutputFilter="$[0,5:]")
    assert record_filter.output(b"a,1,2,3,4", b"p,q") == b"a,p,q"


@pytest.mark.parametrize("path", ["$[5]", "$[-6]", "$[0,5]"])
def test_csv_index_out_of_range_is_a_record_error(path: str) -> None:
    with pytest.raises(RecordError, match=r"index -?\d+ is out of range for a record of 5 elements"):
        csv_filter(InputFilter=path).input(b"a,b,c,d,e")


def test_csv_with_broken_quoting_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="not a CSV row"):
        csv_filter(InputFilter="$[0]").input(b'"ab')


# --- JSON and JSON Lines -------------------------------------------------------------------------

RECORD = b'{"id":3,"features":[0.5,1,2,3],"meta":{"a":{"b":"deep"},"tag":"t"}}'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", RECORD),
        ("$.id", b"3"),
        ("$['id']", b"3"),
        ('$["id"]', b"3"),
        ("$.features", b"[0.5,1,2,3]"),
        ("$.features[1:]", b"[1,2,3]"),
        ("$.features[-1]", b"3"),
        ("$.features[0,-1]", b"[0.5,3]"),
        ("$.features[1:-1]", b"[1,2]"),
        ("$.features[0,2:]", b"[0.5,2,3]"),
        ("$.meta.a.b", b'"deep"'),
        ("$.meta['a'].b", b'"deep"'),
        ("$['id','meta']", b'{"id":3,"meta":{"a":{"b":"deep"},"tag":"t"}}'),
        ("$.meta.['tag','a']", b'{"tag":"t","a":{"b":"deep"}}'),
        ("$['id', 'missing']", b'{"id":3}'),
        ("$.meta.*", b'[{"b":"deep"},"t"]'),
        ("$.features[*]", b"[0.5,1,2,3]"),
    ],
)
def test_json_input_filter(path: str, expected: bytes) -> None:
    assert json_filter(InputFilter=path).input(RECORD) == expected


def test_json_array_records_take_indexes() -> None:
    record_filter = json_filter(JSON, InputFilter="$[1:]")
    assert record_filter.input(b"[1, 2, 3]\n") == b"[2,3]"
    assert json_filter(JSON, InputFilter="$[0]").input(b'["\xc3\xa9", 2]') == '"é"'.encode()


def test_json_join_puts_the_output_under_sagemaker_output() -> None:
    # AWS's example: {"key":1} with result {"label":1}.
    record_filter = json_filter(JoinSource="Input")
    assert (
        record_filter.output(b'{"key":1}\n', b'{"label":1}\n') == b'{"key":1,"SageMakerOutput":{"label":1}}'
    )


def test_json_join_keeps_a_non_json_output_as_a_string() -> None:
    assert (
        json_filter(JoinSource="Input").output(b'{"key":1}', b"cat") == b'{"key":1,"SageMakerOutput":"cat"}'
    )


def test_json_join_with_a_non_object_input_makes_a_new_object() -> None:
    assert (
        json_filter(JSON, JoinSource="Input").output(b"[1,2]", b"[0.7]")
        == b'{"SageMakerInput":[1,2],"SageMakerOutput":[0.7]}'
    )


def test_aws_json_example_features_in_id_and_output_out() -> None:
    record_filter = json_filter(
        InputFilter="$.features", JoinSource="Input", OutputFilter="$['id','SageMakerOutput']"
    )
    record = b'{"id":"r1","features":[1,2,3],"extra":true}'
    assert record_filter.input(record) == b"[1,2,3]"
    assert record_filter.output(record, b'{"score":0.4}') == b'{"id":"r1","SageMakerOutput":{"score":0.4}}'


def test_json_output_filter_without_join_selects_from_the_output() -> None:
    assert json_filter(OutputFilter="$.scores[0]").output(b"{}", b'{"scores":[0.9,0.1]}') == b"0.9"


@pytest.mark.parametrize(
    ("path", "record", "message"),
    [
        ("$.features[9]", RECORD, "index 9 is out of range for a record of 4 elements"),
        ("$.nope", RECORD, "the record has no key 'nope'"),
        ("$.id[0]", RECORD, "an index selects from an array, got int"),
        ("$.features.x", RECORD, "a name selects from an object, got list"),
        ("$.id.*", RECORD, r"\* needs an object or an array, got int"),
        ("$.id", b'{"id":', "not valid JSON"),
        ("$.id", b'{"id":"\xff"}', "not UTF-8"),
    ],
)
def test_json_record_errors(path: str, record: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        json_filter(InputFilter=path).input(record)


def test_a_join_with_bad_json_input_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="input record is not valid JSON"):
        json_filter(JoinSource="Input").output(b"{oops", b"1")


def test_content_type_parameters_and_case_are_ignored() -> None:
    record_filter = RecordFilter(
        {"InputFilter": "$.a"}, content_type="Application/JSON; charset=utf-8", accept=None
    )
    assert record_filter.input(b'{"a":1}') == b"1"


# --- CreateTransformJob checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data_processing",
    [
        {},
        {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
        {"InputFilter": "$", "JoinSource": "None", "OutputFilter": "$"},
        {"InputFilter": "$[" + "1," * 29 + "10]"},  # exactly 63 characters
    ],
)
def test_check_accepts_valid_csv_settings(data_processing: dict[str, str]) -> None:
    check(data_processing)


def test_check_accepts_a_json_join_without_line_splitting_and_a_missing_accept() -> None:
    check(
        {"InputFilter": "$.features", "JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"},
        content_type="application/json; charset=utf-8",
        accept=None,
        split_type="None",
        assemble_with="None",
    )


@pytest.mark.parametrize(
    ("data_processing", "overrides", "message"),
    [
        ({"InputFilter": "$[" + "1," * 30 + "1]"}, {}, "InputFilter must be at most 63 characters, got 64"),
        ({"OutputFilter": "id"}, {}, "OutputFilter 'id' must start with '\\$'"),
        ({"InputFilter": "$..id"}, {"content_type": JSON}, "not in the supported JSONPath subset at 1"),
        ({"InputFilter": "$[?(@.a)]"}, {"content_type": JSON}, "is not a list of quoted names or of indexes"),
        ({"InputFilter": "$[::2]"}, {}, "is not a list of quoted names or of indexes"),
        (
            {"InputFilter": "$[1:].a"},
            {"content_type": JSON},
            "cannot select past a slice, union, \\['a','b'\\] or \\* \\(at 5\\): end the path there",
        ),
        ({"InputFilter": "$.a"}, {}, "cannot apply to CSV: a CSV row is an array of fields"),
        ({"OutputFilter": "$['id']"}, {}, "cannot apply to CSV"),
        ({"InputFilter": "$[0][1]"}, {}, "cannot apply to CSV"),
        ({"InputFilter": 5}, {}, "InputFilter must be a JSONPath string"),
        ({"JoinSource": "Output"}, {}, "JoinSource must be Input or None, got 'Output'"),
        (
            {"InputFilter": "$[1:]"},
            {"content_type": "application/x-recordio-protobuf"},
            "InputFilter '\\$\\[1:\\]' needs records in one of text/csv, application/json, application/jsonlines",
        ),
        (
            {"OutputFilter": "$[0]"},
            {"content_type": None, "accept": None},
            "needs records in one of .*, not an unset content type",
        ),
        (
            {"JoinSource": "Input"},
            {"content_type": "image/png", "accept": "image/png"},
            "JoinSource=Input needs TransformInput.ContentType to be one of text/csv, application/json, "
            "application/jsonlines, got 'image/png'",
        ),
        (
            {"JoinSource": "Input"},
            {"accept": JSON},
            "JoinSource=Input needs TransformOutput.Accept equal to TransformInput.ContentType \\(text/csv\\), "
            "got 'application/json'",
        ),
        (
            {"JoinSource": "Input"},
            {"split_type": "None"},
            "needs TransformInput.SplitType=Line and TransformOutput.AssembleWith=Line, got SplitType=None",
        ),
        ({"JoinSource": "Input"}, {"assemble_with": "None"}, "got SplitType=Line and AssembleWith=None"),
    ],
)
def test_check_refuses(data_processing: dict[str, Any], overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        check(data_processing, **overrides)


def test_record_filter_refuses_what_the_check_refuses() -> None:
    with pytest.raises(InvalidRequest, match="cannot apply to CSV"):
        csv_filter(InputFilter="$.features")


# --- properties ----------------------------------------------------------------------------------

field = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=6)
rows = st.lists(field, min_size=1, max_size=8)
bounds = st.one_of(st.none(), st.integers(min_value=-10, max_value=10))


def to_csv(fields: list[str]) -> bytes:
    return RecordFilter({"InputFilter": "$[*]"}, content_type=CSV, accept=None).input(
        ",".join('"' + f.replace('"', '""') + '"' for f in fields).encode()
    )


@given(rows)
def test_csv_dollar_input_filter_is_identity(fields: list[str]) -> None:
    record = to_csv(fields)
    assert csv_filter(InputFilter="$").input(record) == record


@given(rows, bounds, bounds)
def test_csv_slices_match_python_slicing(fields: list[str], start: int | None, end: int | None) -> None:
    path = f"$[{'' if start is None else start}:{'' if end is None else end}]"
    selected = csv_filter(InputFilter=path).input(to_csv(fields)).decode()
    assert next(csv.reader([selected]), []) == fields[start:end]


def test_quoted_names_may_hold_commas_and_spaces() -> None:
    record_filter = json_filter(OutputFilter="$['a,b', \"c d\"]")
    assert record_filter.output(b"{}", b'{"a,b":1,"c d":2,"e":3}') == b'{"a,b":1,"c d":2}'
