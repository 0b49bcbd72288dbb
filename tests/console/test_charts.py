"""The console's SVG line charts: gaps for missing minutes, a dot for a lone datapoint, escaping."""

from __future__ import annotations

from modelport.console.charts import line_chart, minute_slots


def test_minutes_land_in_their_slots() -> None:
    assert minute_slots([60.0, 180.0, 9999.0], [1.0, 3.0, 5.0], start=60.0, minutes=4) == [
        1.0,
        None,
        3.0,
        None,
    ]


def test_a_gap_splits_the_line_and_the_peak_is_written() -> None:
    svg = str(line_chart("t", [1.0, 2.0, None, 4.0, 2.0], " µs"))
    assert svg.count("<path") == 2
    assert "max 4 µs" in svg


def test_a_lone_point_is_a_dot_and_nothing_is_no_data() -> None:
    assert "<circle" in str(line_chart("t", [None, 3.0, None]))
    assert "no data" in str(line_chart("t", [None, None]))


def test_the_title_is_escaped() -> None:
    svg = str(line_chart("<script>", [1.0]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
