"""How the S3 front hands a verified request on: re-signed for the S3 in use, body streamed.

- Headers: the client's, minus its signature (``Authorization``, ``X-Amz-Security-Token``,
  ``X-Amz-Date``), ``Host`` and hop-by-hop headers; then signed with SigV4 by the key modelport
  holds for the S3 (the root key for the embedded SeaweedFS, ``MODELPORT_S3_ACCESS_KEY_ID`` for an
  external one). Every ``x-amz-*`` header, ``content-md5`` and ``content-type`` are signed.
- Payload: ``UNSIGNED-PAYLOAD``, a hex digest and ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` go on
  as declared (the aws-chunked body unchanged). A hex digest is checked as the body streams
  through: the last piece is held back until the digest matches, so a body that does not match
  never completes upstream. Signed chunks (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD``) have each
  signature checked (a chunk is held until it is), are decoded and forwarded plain, as ``UNSIGNED-PAYLOAD`` with ``Content-Length`` set to
  ``x-amz-decoded-content-length``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

from modelport.aws.auth.canonical import canonical_request, signing_key
from modelport.aws.auth.sigv4 import (
    ALGORITHM,
    STREAMING_SIGNED_PAYLOADS,
    UNSIGNED_PAYLOAD,
    ChunkSigning,
    format_timestamp,
)
from modelport.core.errors import InvalidRequest, InvalidSignature

# Headers that describe the client's hop or its signature, never forwarded.
_DROPPED = frozenset(
    {
        "host", "authorization", "x-amz-security-token", "x-amz-date", "connection",
        "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade",
        "transfer-encoding", "expect",
    }
)  # fmt: skip
_PRESIGN = frozenset(
    {
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
    }
)  # fmt: skip
MAX_CHUNK_HEADER_BYTES = 4096  # "<hex size>;chunk-signature=<64 hex>\r\n" is about 90


class ContentMismatch(InvalidRequest):
    """The body does not match its ``x-amz-content-sha256`` (S3: XAmzContentSHA256Mismatch)."""


class IncompleteBody(InvalidRequest):
    """An aws-chunked body that ends early or is malformed (S3: IncompleteBody)."""


@dataclass(frozen=True)
class Upstream:
    """The S3 in use: its URL, and the key modelport signs with (None: forward unsigned)."""

    endpoint_url: str
    access_key_id: str | None
    secret_access_key: str | None
    region: str


@dataclass(frozen=True)
class Forward:
    """A request ready for httpx: URL, headers, and whether the body is decoded or checked."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    decode_chunks: bool
    check_sha256: str | None  # the declared digest to check the streamed body against


def prepare(
    upstream: Upstream,
    method: str,
    path: str,
    query_string: str,
    headers: list[tuple[str, str]],
    *,
    now: float,
) -> Forward:
    """The forwarded request for a client request to ``path`` (path style, still encoded)."""
    split = urlsplit(upstream.endpoint_url)
    base = split.path.rstrip("/")
    raw_path = f"{base}{path}"
    query = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k not in _PRESIGN]
    kept = [(name.lower(), value) for name, value in headers if name.lower() not in _DROPPED]
    values = dict(kept)
    declared = values.get("x-amz-content-sha256", UNSIGNED_PAYLOAD)
    decode = declared in STREAMING_SIGNED_PAYLOADS
    if decode:
        kept = _decoded_headers(kept, values)
        declared = UNSIGNED_PAYLOAD
    check = declared if len(declared) == 64 else None
    timestamp = format_timestamp(now)
    kept = [(n, v) for n, v in kept if n != "x-amz-content-sha256"]
    kept += [("host", split.netloc), ("x-amz-content-sha256", declared), ("x-amz-date", timestamp)]
    if upstream.access_key_id and upstream.secret_access_key:
        kept.append(
            ("authorization", _authorization(upstream, method, raw_path, query, kept, declared, timestamp))
        )
    query_text = "&".join(f"{_q(k)}={_q(v)}" for k, v in query)
    url = f"{split.scheme}://{split.netloc}{raw_path}" + (f"?{query_text}" if query_text else "")
    return Forward(method, url, kept, decode, check)


def _q(text: str) -> str:
    return quote(text, safe="-_.~")


def _decoded_headers(kept: list[tuple[str, str]], values: dict[str, str]) -> list[tuple[str, str]]:
    length = values.get("x-amz-decoded-content-length", "")
    if not length.isdigit():
        raise IncompleteBody(
            "A STREAMING-AWS4-HMAC-SHA256-PAYLOAD request needs x-amz-decoded-content-length."
        )
    out = []
    for name, value in kept:
        if name in ("content-length", "x-amz-decoded-content-length", "x-amz-trailer"):
            continue
        if name == "content-encoding":
            value = ",".join(p.strip() for p in value.split(",") if p.strip() != "aws-chunked")
            if not value:
                continue
        out.append((name, value))
    return [*out, ("content-length", length)]


def _authorization(
    upstream: Upstream,
    method: str,
    raw_path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    payload: str,
    timestamp: str,
) -> str:
    assert upstream.access_key_id is not None and upstream.secret_access_key is not None
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    signed = ";".join(
        sorted(n for n in grouped if n in ("host", "content-md5", "content-type") or n.startswith("x-amz-"))
    )
    canonical = canonical_request(method, raw_path, query, grouped, signed, payload, "s3")
    date = timestamp[:8]
    scope = f"{date}/{upstream.region}/s3/aws4_request"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = signing_key(upstream.secret_access_key, date, upstream.region, "s3")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{ALGORITHM} Credential={upstream.access_key_id}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )


def _check_chunk(signing: ChunkSigning, previous: str, extension: bytes, chunk_sha256: str) -> str:
    name, _, value = extension.decode("latin-1").strip().partition("=")
    expected = signing.expected(previous, chunk_sha256)
    if name != "chunk-signature" or not hmac.compare_digest(value.strip(), expected):
        raise InvalidSignature(
            "The request signature we calculated does not match the signature you provided: "
            "an aws-chunked chunk's chunk-signature is wrong or missing."
        )
    return expected


async def checked(body: AsyncIterator[bytes], expected: str) -> AsyncIterator[bytes]:
    """``body``, with its last piece held back until the whole body's sha256 equals ``expected``."""
    digest = hashlib.sha256()
    pending = b""
    async for piece in body:
        digest.update(piece)
        if pending:
            yield pending
        pending = piece
    if not hmac.compare_digest(digest.hexdigest(), expected):
        raise ContentMismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
    if pending:
        yield pending


async def dechunked(
    body: AsyncIterator[bytes], signing: ChunkSigning | None = None, max_chunk: int = 16 * 1024 * 1024
) -> AsyncIterator[bytes]:
    """The data of an aws-chunked body (``<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n``...,
    ended by a zero-size chunk and optional trailers), streamed as it arrives.

    With ``signing``, each chunk (SDKs send 64 KiB) is held until its signature is checked, so
    no byte of a forged chunk goes on; a chunk larger than ``max_chunk`` is refused."""
    previous = signing.seed if signing is not None else ""
    buffer = bytearray()
    source = body.__aiter__()

    async def more() -> None:
        try:
            buffer.extend(await source.__anext__())
        except StopAsyncIteration:
            raise IncompleteBody("The aws-chunked body ended before its final zero-size chunk.") from None

    while True:
        while (end := buffer.find(b"\r\n")) < 0:
            if len(buffer) > MAX_CHUNK_HEADER_BYTES:
                raise IncompleteBody("An aws-chunked chunk header is too long.")
            await more()
        size_text, _, extension = bytes(buffer[:end]).partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise IncompleteBody(f"Bad aws-chunked chunk size {size_text[:20]!r}.") from None
        del buffer[: end + 2]
        if signing is not None and size > max_chunk:
            raise IncompleteBody(f"An aws-chunked chunk of {size} bytes is over the {max_chunk}-byte limit.")
        held: list[bytes] = []
        digest = hashlib.sha256()
        remaining = size
        while remaining > 0:
            if not buffer:
                await more()
            piece = bytes(buffer[:remaining])
            del buffer[: len(piece)]
            remaining -= len(piece)
            if signing is None:
                yield piece
            else:
                digest.update(piece)
                held.append(piece)
        if signing is not None:
            previous = _check_chunk(signing, previous, extension, digest.hexdigest())
            for piece in held:
                yield piece
        if size == 0:
            return  # trailers (checksums) follow; the plain body is complete
        while len(buffer) < 2:
            await more()
        if buffer[:2] != b"\r\n":
            raise IncompleteBody("An aws-chunked chunk does not end with CRLF.")
        del buffer[:2]
