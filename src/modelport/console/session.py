"""Who is signed in to the console: sign-in, server-side sessions, CSRF tokens, sign-out.

Two ways in, as on AWS: an access key and its secret (the root key or an IAM user's long-term
key; temporary ``ASIA`` keys are refused, they need a session token), or an IAM user's name and
console password (its login profile, ``services/iam/login_profiles.py``). A session is a row in
the server's SQLite file holding the principal, a CSRF token and the flash messages waiting to be
shown; the browser holds only a random token in a cookie (``HttpOnly; SameSite=Strict;
Path=/console``), and the row is keyed by that token's SHA-256, so the database never holds a
usable cookie. A session ends at sign-out, after ``Limits.console_session_ttl_s``, or as soon as
the key it was opened with is deleted (or, for a password session, the login profile).

The sign-in form itself is protected from cross-site posts by a double-submit token: a random
value in a short-lived cookie that the form must repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass, field

from modelport.aws.auth.principal import Principal, PrincipalKind
from modelport.bootstrap import Platform
from modelport.services.iam import login_profiles

SESSION_COOKIE = "modelport_console"
SIGNIN_COOKIE = "modelport_console_signin"
COOKIE_PATH = "/console"

SCHEMA = """
CREATE TABLE IF NOT EXISTS console_sessions (
    token_sha256   TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    access_key_id  TEXT NOT NULL,
    csrf_token     TEXT NOT NULL,
    created        REAL NOT NULL,
    expires        REAL NOT NULL,
    flash          TEXT NOT NULL DEFAULT '[]'
)
"""


@dataclass
class Session:
    """One signed-in browser. ``access_key_id`` is empty for a password session."""

    token_sha256: str
    principal: Principal
    csrf_token: str = field(repr=False)
    expires: float
    flash: list[dict[str, str]] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        if self.principal.kind is PrincipalKind.ROOT:
            return "root"
        return self.principal.name


class SignInFailed(Exception):
    """The credentials did not match; the message is the same whichever part was wrong."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Console sessions in SQLite, on a connection the caller owns (the server's store)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        with conn:
            conn.execute(SCHEMA)

    def open(self, principal: Principal, *, now: float, ttl_s: float) -> tuple[str, Session]:
        """A new session for ``principal``: the cookie's token (shown only here) and the row."""
        token = secrets.token_urlsafe(32)
        session = Session(_digest(token), principal, secrets.token_urlsafe(32), now + ttl_s)
        with self._conn:
            self._conn.execute("DELETE FROM console_sessions WHERE expires <= ?", (now,))
            self._conn.execute(
                "INSERT INTO console_sessions VALUES (?, ?, ?, ?, ?, ?, ?, '[]')",
                (
                    session.token_sha256,
                    principal.kind.value,
                    principal.name,
                    principal.access_key_id,
                    session.csrf_token,
                    now,
                    session.expires,
                ),
            )
        return token, session

    def get(self, token: str, *, now: float) -> Session | None:
        row = self._conn.execute(
            "SELECT token_sha256, kind, name, access_key_id, csrf_token, expires, flash "
            "FROM console_sessions WHERE token_sha256 = ?",
            (_digest(token),),
        ).fetchone()
        if row is None:
            return None
        if row[5] <= now:
            self.close(row[0])
            return None
        principal = Principal(access_key_id=row[3], kind=PrincipalKind(row[1]), name=row[2])
        return Session(row[0], principal, row[4], row[5], json.loads(row[6]))

    def close(self, token_sha256: str) -> None:
        with self._conn:
            self._conn.execute("DELETE FROM console_sessions WHERE token_sha256 = ?", (token_sha256,))

    def add_flash(self, session: Session, kind: str, text: str) -> None:
        session.flash.append({"kind": kind, "text": text})
        self._save_flash(session)

    def take_flash(self, session: Session) -> list[dict[str, str]]:
        shown, session.flash = session.flash, []
        if shown:
            self._save_flash(session)
        return shown

    def _save_flash(self, session: Session) -> None:
        with self._conn:
            self._conn.execute(
                "UPDATE console_sessions SET flash = ? WHERE token_sha256 = ?",
                (json.dumps(session.flash), session.token_sha256),
            )


def sign_in_with_key(platform: Platform, access_key_id: str, secret: str) -> Principal:
    """The principal of a long-term access key whose secret is ``secret``; SignInFailed otherwise."""
    key = platform.keys.get(access_key_id.strip())
    if (
        key is None
        or key.session_token is not None
        or key.expires is not None
        or not hmac.compare_digest(key.secret_access_key.encode(), secret.encode())
    ):
        raise SignInFailed("The access key ID or the secret access key is not valid.")
    return key.principal


def sign_in_with_password(platform: Platform, user_name: str, password: str) -> Principal:
    """The IAM user ``user_name`` if ``password`` is its console password; SignInFailed otherwise."""
    name = login_profiles.check_password(platform.context, user_name.strip(), password)
    if name is None:
        raise SignInFailed("Your authentication information is incorrect. Please try again.")
    return Principal(access_key_id="", kind=PrincipalKind.USER, name=name)


def still_valid(platform: Platform, session: Session) -> bool:
    """Whatever opened the session still exists: its access key, or the user's login profile."""
    principal = session.principal
    if principal.access_key_id:
        key = platform.keys.get(principal.access_key_id)
        return key is not None and key.kind is principal.kind and key.name == principal.name
    return login_profiles.has_login_profile(platform.context, principal.name)


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(session_token.encode(), sent.encode())


def cookie_header(name: str, value: str, max_age: int) -> str:
    """A console cookie: never readable by scripts, never sent by another site, only under /console."""
    return f"{name}={value}; Max-Age={max_age}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict"
