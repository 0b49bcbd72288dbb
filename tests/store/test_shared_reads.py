"""``SqliteStore.get_shared``: the cached read the gateway and Invoke use, and what ends it.

Every write of the kind through the store, and any commit through another connection to the
same file, must be seen by the very next ``get_shared``; a read inside an open transaction is
never kept.
"""

from __future__ import annotations

from pathlib import Path

from modelport.store.base import Resource
from modelport.store.sqlite import SqliteStore


def resource(name: str, value: int, kind: str = "function") -> Resource:
    return Resource(kind, name, f"arn:{kind}:{name}", 1.0, 1.0, {"value": value})


def test_shared_reads_are_one_object_until_a_write_of_the_kind(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    assert store.get_shared("function", "f") is None
    assert store.insert(resource("f", 1))
    first = store.get_shared("function", "F")  # names are case-insensitive, as in get
    assert first is not None and first.body == {"value": 1}
    assert store.get_shared("function", "f") is first
    assert store.get("function", "f") is not first  # get still reads a copy of its own
    store.insert(resource("other", 0, kind="rest_api"))  # another kind: the cache stays
    assert store.get_shared("function", "f") is first
    store.update(resource("f", 2))
    assert store.get_shared("function", "f").body == {"value": 2}  # type: ignore[union-attr]
    store.delete("function", "f")
    assert store.get_shared("function", "f") is None
    store.insert(resource("f", 3))
    assert store.get_shared("function", "f").body == {"value": 3}  # type: ignore[union-attr]


def test_another_connections_commit_is_seen(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    other = SqliteStore(tmp_path / "store.sqlite3")
    store.insert(resource("f", 1))
    assert store.get_shared("function", "f").body == {"value": 1}  # type: ignore[union-attr]
    other.update(resource("f", 2))
    assert store.get_shared("function", "f").body == {"value": 2}  # type: ignore[union-attr]
    other.delete("function", "f")
    assert store.get_shared("function", "f") is None


def test_reads_inside_a_transaction_are_not_kept(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "store.sqlite3")
    store.insert(resource("f", 1))
    store.connection.execute("BEGIN")
    store.connection.execute("UPDATE resources SET body = '{\"value\": 9}' WHERE name_key = 'f'")
    assert store.get_shared("function", "f").body == {"value": 9}  # type: ignore[union-attr]
    store.connection.execute("ROLLBACK")
    assert store.get_shared("function", "f").body == {"value": 1}  # type: ignore[union-attr]
