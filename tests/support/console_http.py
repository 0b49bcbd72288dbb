"""The console over plain HTTP (httpx), for tests that check its answers rather than click:
the door (sessions, CSRF), escaping, secrets in page source (a pytest plugin:
``tests/conftest.py`` loads it).

- ``console_http``: a fixture whose value makes clients of ``<server>/console``, closed when the
  test ends: ``anonymous(server)``, ``sign_in(server, **form fields)`` (an access key pair, or
  ``method="password"``, ``user_name``, ``password``), ``root(server)``.
- ``csrf(client, path)``: the session's CSRF token, read from a page's form, for POSTs.
- ``signin_token(client)``: the sign-in form's token (and, in the client's jar, its cookie).

Clients do not follow redirects, so a test sees the 303 of POST-redirect-GET and its location.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from support.modelport_server import ModelportServer


class ConsoleClients:
    """Makes console clients and closes them all at the end."""

    def __init__(self) -> None:
        self._open: list[httpx.Client] = []

    def anonymous(self, server: ModelportServer) -> httpx.Client:
        client = httpx.Client(base_url=f"{server.url}/console", follow_redirects=False, timeout=30)
        self._open.append(client)
        return client

    def sign_in(self, server: ModelportServer, **fields: str) -> httpx.Client:
        """A client signed in with ``fields``, posted as the sign-in form posts them."""
        client = self.anonymous(server)
        answer = client.post("/signin", data={"signin_token": signin_token(client), **fields})
        assert answer.status_code == 303, answer.text
        return client

    def root(self, server: ModelportServer) -> httpx.Client:
        return self.sign_in(server, access_key_id=server.access_key, secret_access_key=server.secret_key)

    def close(self) -> None:
        while self._open:
            self._open.pop().close()


def signin_token(client: httpx.Client) -> str:
    found = re.search(r'name="signin_token" value="([^"]+)"', client.get("/signin").text)
    assert found is not None, "no sign-in form"
    return found.group(1)


def csrf(client: httpx.Client, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None, f"no form with a CSRF token at {path}"
    return found.group(1)


@pytest.fixture
def console_http() -> Iterator[ConsoleClients]:
    clients = ConsoleClients()
    yield clients
    clients.close()
