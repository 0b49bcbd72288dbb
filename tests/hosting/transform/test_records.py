"""records.py: splitting, mini-batches, assembling (pure)."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelport.hosting.transform import records

MB = 1024 * 1024


def test_line_splitting_drops_the_final_newline_and_carriage_returns() -> None:
    assert records.split(b"a,1\r\nb,2\n\nc,3\n", "Line") == [b"a,1", b"b,2", b"", b"c,3"]
    assert records.split(b"a,1", "Line") == [b"a,1"]
    assert records.split(b"", "Line") == []
    assert records.split(b"whole\nobject\n", "None") == [b"whole\nobject\n"]


def test_multi_record_packs_whole_records_up_to_the_payload_limit() -> None:
    lines = [b"x" * 4, b"y" * 4, b"z" * 4]
    # 4 + 1 + 4 = 9 bytes fit in 9; the third would make 14.
    assert list(records.mini_batches(lines, "MultiRecord", 9)) == [[b"xxxx", b"yyyy"], [b"zzzz"]]
    assert list(records.mini_batches(lines, "MultiRecord", 8)) == [[b"xxxx"], [b"yyyy"], [b"zzzz"]]
    assert list(records.mini_batches(lines, "SingleRecord", MB)) == [[b"xxxx"], [b"yyyy"], [b"zzzz"]]
    assert list(records.mini_batches([], "MultiRecord", MB)) == []


def test_a_record_larger_than_the_payload_limit_fails_with_what_to_change() -> None:
    with pytest.raises(records.RecordsError, match="Raise MaxPayloadInMB or split the records"):
        list(records.mini_batches([b"x" * (MB + 1)], "MultiRecord", MB))


@given(
    st.lists(st.binary(min_size=0, max_size=20).filter(lambda b: b"\n" not in b), max_size=40),
    st.integers(min_value=20, max_value=200),
    st.sampled_from(["MultiRecord", "SingleRecord"]),
)
def test_mini_batches_keep_every_record_in_order_within_the_limit(
    lines: list[bytes], limit: int, strategy: str
) -> None:
    batches = list(records.mini_batches(lines, strategy, limit))
    assert [record for batch in batches for record in batch] == lines
    assert all(len(records.request_body(batch)) <= limit for batch in batches)
    if strategy == "SingleRecord":
        assert all(len(batch) == 1 for batch in batches)


def test_assembling_with_lines_ends_each_answer_with_one_newline() -> None:
    assert records.assemble([b"1\n2\n", b"3"], "Line") == b"1\n2\n3\n"
    assert records.assemble([b"1\n2\n", b"3"], "None") == b"1\n2\n3"
    assert records.assemble([], "Line") == b""


def test_answers_are_cut_back_into_one_line_per_record() -> None:
    assert records.answer_records(b"0.1\n0.2\n", 2) == [b"0.1", b"0.2"]
    with pytest.raises(records.RecordsError, match="answered 1 lines for 2 records"):
        records.answer_records(b"0.1\n", 2)


def test_gzip_is_unpacked_within_its_limit() -> None:
    packed = gzip.compress(b"a,1\n" * 1000)
    assert records.decompress(packed, "Gzip", 4000) == b"a,1\n" * 1000
    assert records.decompress(b"plain", "None", 1) == b"plain"
    with pytest.raises(records.RecordsError, match="larger than 3999 bytes once decompressed"):
        records.decompress(packed, "Gzip", 3999)
    with pytest.raises(records.RecordsError, match="not valid gzip"):
        records.decompress(b"not gzip", "Gzip", 4000)
