"""Re-signing and body decoding of the S3 front (pure; no sockets)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from modelport.aws.auth.sigv4 import ChunkSigning
from modelport.core.errors import InvalidSignature
from modelport.http.s3.forward import ContentMismatch, IncompleteBody, Upstream, checked, dechunked, prepare

UPSTREAM = Upstream("http://127.0.0.1:9000", "ROOTKEY", "rootsecret", "us-east-1")


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def collect(body: AsyncIterator[bytes]) -> bytes:
    async def run() -> bytes:
        return b"".join([piece async for piece in body])

    return asyncio.run(run())


@pytest.mark.parametrize("size", [1, 7, 100, 10_000])
def test_signed_chunks_decode_whatever_the_read_sizes(size: int) -> None:
    data = bytes(range(256)) * 40
    chunks = [data[:4000], data[4000:], b""]
    wire = b"".join(f"{len(c):x};chunk-signature={'a' * 64}\r\n".encode() + c + b"\r\n" for c in chunks)
    assert collect(dechunked(pieces(wire + b"x-amz-checksum-crc32:AAAA\r\n\r\n", size))) == data


def test_chunk_signatures_are_checked_before_a_chunk_goes_on() -> None:
    signing = ChunkSigning(b"k" * 32, "20261207T000000Z", "20261207/us-east-1/s3/aws4_request", "seed")
    chunks = [b"first", b"second", b""]
    previous, signatures = signing.seed, []
    for chunk in chunks:
        previous = signing.expected(previous, hashlib.sha256(chunk).hexdigest())
        signatures.append(previous)

    def wire(sigs: list[str]) -> bytes:
        return b"".join(
            f"{len(c):x};chunk-signature={s}\r\n".encode() + c + b"\r\n"
            for c, s in zip(chunks, sigs, strict=True)
        )

    assert collect(dechunked(pieces(wire(signatures), 3), signing)) == b"firstsecond"
    seen: list[bytes] = []

    async def run(body: bytes) -> None:
        async for piece in dechunked(pieces(body, 3), signing):
            seen.append(piece)

    with pytest.raises(InvalidSignature):
        asyncio.run(run(wire([signatures[0], "0" * 64, signatures[2]])))
    assert seen == [b"fir", b"st"]  # the first chunk, checked; nothing of the forged second
    with pytest.raises(IncompleteBody, match="limit"):
        collect(dechunked(pieces(wire(signatures), 3), signing, max_chunk=5))


def test_a_truncated_chunked_body_is_refused() -> None:
    with pytest.raises(IncompleteBody):
        collect(dechunked(pieces(b"10;chunk-signature=0\r\nshort", 4)))
    with pytest.raises(IncompleteBody):
        collect(dechunked(pieces(b"zz\r\n", 4)))


def test_a_digest_mismatch_holds_back_the_last_piece() -> None:
    seen: list[bytes] = []

    async def run() -> None:
        async for piece in checked(pieces(b"abcdef", 2), hashlib.sha256(b"other").hexdigest()):
            seen.append(piece)

    with pytest.raises(ContentMismatch):
        asyncio.run(run())
    assert seen == [b"ab", b"cd"]  # "ef" never went out
    assert collect(checked(pieces(b"abcdef", 2), hashlib.sha256(b"abcdef").hexdigest())) == b"abcdef"


def test_the_forwarded_request_carries_a_signature_botocore_agrees_with() -> None:
    client_headers = [
        ("Host", "bucket.s3.us-east-1.amazonaws.com"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=ASIA.../s3/aws4_request, ..."),
        ("X-Amz-Security-Token", "token"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ("x-amz-meta-owner", "me"),
        ("Content-Type", "text/plain"),
    ]
    forward = prepare(UPSTREAM, "PUT", "/bucket/a%20b", "x-id=PutObject", client_headers, now=1_700_000_000)
    headers = dict(forward.headers)
    assert "x-amz-security-token" not in headers and headers["host"] == "127.0.0.1:9000"
    assert forward.url == "http://127.0.0.1:9000/bucket/a%20b?x-id=PutObject"
    request = AWSRequest(
        "PUT", forward.url, headers={k: v for k, v in headers.items() if k != "authorization"}
    )
    request.context["timestamp"] = headers["x-amz-date"]
    auth = S3SigV4Auth(Credentials("ROOTKEY", "rootsecret"), "s3", "us-east-1")
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    assert headers["authorization"].endswith(f"Signature={expected}")


def test_signed_chunks_are_forwarded_plain() -> None:
    headers = [
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("content-encoding", "aws-chunked"),
        ("content-length", "200"),
        ("x-amz-decoded-content-length", "120"),
    ]
    forward = prepare(UPSTREAM, "PUT", "/b/k", "", headers, now=1_700_000_000)
    values = dict(forward.headers)
    assert forward.decode_chunks and values["content-length"] == "120"
    assert values["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD" and "content-encoding" not in values
