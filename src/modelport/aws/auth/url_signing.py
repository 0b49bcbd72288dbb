"""Signed URLs that a plain, unsigned HTTP GET may use until they expire.

S3 answers GetFunction's ``Code.Location`` with a presigned URL; modelport's equivalent carries
an expiry (seconds since the epoch) and a token, HMAC-SHA256 over the URL's path and that expiry.
The key is derived from a server secret and a purpose label, so the secret itself never signs a
URL and a token made for one purpose is worth nothing for another.
"""

from __future__ import annotations

import hashlib
import hmac


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose: HMAC-SHA256 of ``purpose`` under the secret."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def url_token(key: bytes, path: str, expires: int) -> str:
    """The token of ``path`` until ``expires``: lower-case hex of HMAC-SHA256."""
    return hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def token_matches(key: bytes, path: str, expires: int, token: str) -> bool:
    """Whether ``token`` is the token of ``path`` until ``expires`` (compared in constant time)."""
    return token.isascii() and hmac.compare_digest(url_token(key, path, expires), token)
