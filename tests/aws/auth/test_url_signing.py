"""Tokens of presigned URLs: bound to the key, the path and the expiry."""

from __future__ import annotations

from modelport.aws.auth.url_signing import derive_key, token_matches, url_token


def test_a_token_is_bound_to_key_path_and_expiry() -> None:
    key = derive_key("secret", "purpose")
    token = url_token(key, "/a.zip", 100)
    assert len(key) == 32 and len(token) == 64
    assert token_matches(key, "/a.zip", 100, token)
    assert not token_matches(key, "/b.zip", 100, token)
    assert not token_matches(key, "/a.zip", 101, token)
    assert not token_matches(derive_key("secret", "another purpose"), "/a.zip", 100, token)
    assert not token_matches(derive_key("another secret", "purpose"), "/a.zip", 100, token)
    assert not token_matches(key, "/a.zip", 100, token[:-1])
    assert not token_matches(key, "/a.zip", 100, "é" * 64)
