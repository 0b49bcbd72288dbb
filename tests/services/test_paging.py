"""Filtering, sorting and paging of List* results."""

from __future__ import annotations

import datetime as dt

import pytest

from modelport.core.errors import InvalidRequest
from modelport.services.paging import cut, paginate

ITEMS = [{"Name": f"model-{i:02d}", "CreationTime": 1000.0 + i} for i in range(25)]
SORT = {"Name": "Name", "CreationTime": "CreationTime"}


def names(params: dict[str, object]) -> tuple[list[str], str | None]:
    page = paginate(ITEMS, params, name_field="Name", sort_fields=SORT)
    return [item["Name"] for item in page.items], page.next_token


def test_default_is_newest_first_ten_at_a_time() -> None:
    first, token = names({})
    assert first == [f"model-{i:02d}" for i in range(24, 14, -1)]
    assert token is not None


def test_paging_visits_every_item_once() -> None:
    seen: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, object] = {"MaxResults": 7, "SortBy": "Name", "SortOrder": "Ascending"}
        if token:
            params["NextToken"] = token
        page, token = names(params)
        seen += page
        if token is None:
            break
    assert seen == [item["Name"] for item in ITEMS]


def test_filters() -> None:
    found, _ = names({"NameContains": "MODEL-1", "MaxResults": 100})
    assert sorted(found) == [f"model-{i}" for i in range(10, 20)]
    bound = dt.datetime.fromtimestamp(1020.0, tz=dt.UTC)
    after, _ = names({"CreationTimeAfter": bound, "MaxResults": 100})
    assert sorted(after) == [f"model-{i}" for i in range(21, 25)]
    before, _ = names({"CreationTimeBefore": 1002.0, "MaxResults": 100})
    assert sorted(before) == ["model-00", "model-01"]


def test_a_token_from_another_query_is_refused() -> None:
    _, token = names({"SortBy": "Name"})
    with pytest.raises(InvalidRequest, match="other parameters"):
        names({"SortBy": "CreationTime", "NextToken": token})
    with pytest.raises(InvalidRequest, match="not one this server issued"):
        names({"NextToken": "garbage!"})


def test_one_cursor_codec_pages_by_offset_or_by_key() -> None:
    letters = list("abcdefg")
    first, cursor = cut(letters, None, limit=3, invalid="bad")
    second, cursor = cut(letters, cursor, limit=3, invalid="bad")
    third, end = cut(letters, cursor, limit=3, invalid="bad")
    assert (first, second, third, end) == (list("abc"), list("def"), ["g"], None)
    by_key, cursor = cut(letters, None, limit=3, key=str, invalid="bad")
    after_a_delete, _ = cut([x for x in letters if x != "b"], cursor, limit=3, key=str, invalid="bad")
    assert by_key == list("abc") and after_a_delete == list("def")  # no item skipped


def test_a_cursor_of_the_other_kind_or_another_query_is_refused() -> None:
    _, by_offset = cut(list("abcd"), None, limit=1, invalid="bad", query="q")
    _, by_key = cut(list("abcd"), None, limit=1, key=str, invalid="bad", query="q")
    with pytest.raises(InvalidRequest, match="bad"):
        cut(list("abcd"), by_offset, limit=1, key=str, invalid="bad", query="q")
    with pytest.raises(InvalidRequest, match="bad"):
        cut(list("abcd"), by_key, limit=1, invalid="bad", query="q")
    with pytest.raises(InvalidRequest, match="other"):
        cut(list("abcd"), by_offset, limit=1, invalid="bad", query="r", other_query="other")
