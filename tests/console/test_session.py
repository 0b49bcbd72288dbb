"""Console sessions in SQLite, with explicit times: expiry, sign-out, flash messages, and the
database never holding a usable cookie."""

from __future__ import annotations

import sqlite3

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.console.session import SessionStore, cookie_header, csrf_matches

ALICE = Principal(access_key_id="AKIAALICE", kind=PrincipalKind.USER, name="alice")


def test_open_get_expire_close() -> None:
    conn = sqlite3.connect(":memory:")
    store = SessionStore(conn)
    token, session = store.open(ALICE, now=1000.0, ttl_s=60.0)
    found = store.get(token, now=1059.0)
    assert found is not None and found.principal == ALICE and found.csrf_token == session.csrf_token
    assert store.get(token + "x", now=1000.0) is None
    assert store.get(token, now=1060.0) is None  # expired, and removed
    assert conn.execute("SELECT COUNT(*) FROM console_sessions").fetchone() == (0,)
    token, session = store.open(ALICE, now=2000.0, ttl_s=60.0)
    assert token not in str(conn.execute("SELECT * FROM console_sessions").fetchall())
    store.close(session.token_sha256)
    assert store.get(token, now=2000.0) is None


def test_flash_messages_are_shown_once() -> None:
    store = SessionStore(sqlite3.connect(":memory:"))
    token, session = store.open(ALICE, now=0.0, ttl_s=60.0)
    store.add_flash(session, "success", "Role created.")
    again = store.get(token, now=1.0)
    assert again is not None
    assert store.take_flash(again) == [{"kind": "success", "text": "Role created."}]
    later = store.get(token, now=2.0)
    assert later is not None and store.take_flash(later) == []


def test_csrf_and_cookie() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd") and not csrf_matches("abc", None) and not csrf_matches("abc", "")
    header = cookie_header("modelport_console", "t", 60)
    assert header == "modelport_console=t; Max-Age=60; Path=/console; HttpOnly; SameSite=Strict"
