"""Records and mini-batches (pure): how one input object becomes requests, and how the answers
become its ``.out`` object.

- ``SplitType`` ``None`` sends the whole object in one request; ``Line`` splits it on newlines
  (a ``\\r`` before the newline goes too, and so does the empty piece after a final newline).
- ``BatchStrategy`` ``MultiRecord`` packs as many whole records as fit in ``MaxPayloadInMB``
  into one request, joined by newlines; ``SingleRecord`` sends one record per request. A record
  larger than the payload limit fails its object, as on SageMaker.
- ``AssembleWith`` ``None`` concatenates the answers' bytes; ``Line`` ends each answer with a
  newline (unless it already ends with one). Answers keep the order of the records.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator

_READ = 1024 * 1024


class RecordsError(Exception):
    """An object that cannot be cut into requests; the message says why (it goes to the data log)."""


def decompress(data: bytes, compression: str, limit: int) -> bytes:
    """The object's bytes as the model sees them: gunzipped for ``Gzip``, at most ``limit`` bytes."""
    if compression != "Gzip":
        return data
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            while chunk := unpacked.read(_READ):
                out.write(chunk)
                if out.tell() > limit:
                    raise RecordsError(f"The object is larger than {limit} bytes once decompressed.")
    except (OSError, EOFError, zlib.error) as exc:
        raise RecordsError(f"The object is not valid gzip (CompressionType is Gzip): {exc}") from None
    return out.getvalue()


def split(data: bytes, split_type: str) -> list[bytes]:
    """The object's records."""
    if split_type == "None":
        return [data]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the object ended with a newline
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def mini_batches(records: list[bytes], strategy: str, max_bytes: int) -> Iterator[list[bytes]]:
    """Groups of records, one request each, in order."""
    batch: list[bytes] = []
    size = 0
    for record in records:
        if len(record) > max_bytes:
            raise RecordsError(
                f"Too much data for max payload size: a record of {len(record)} bytes is larger than "
                f"MaxPayloadInMB ({max_bytes // (1024 * 1024)} MB). Raise MaxPayloadInMB or split the "
                "records (SplitType)."
            )
        added = len(record) + (1 if batch else 0)
        if batch and (strategy == "SingleRecord" or size + added > max_bytes):
            yield batch
            batch, size, added = [], 0, len(record)
        batch.append(record)
        size += added
    if batch:
        yield batch


def request_body(batch: list[bytes]) -> bytes:
    return b"\n".join(batch)


def answer_records(answer: bytes, expected: int) -> list[bytes]:
    """One answer cut back into its records' answers (one line each), for joins and output filters."""
    lines = split(answer, "Line")
    if len(lines) != expected:
        raise RecordsError(
            f"The model answered {len(lines)} lines for {expected} records, so its answers cannot be "
            "matched with the records (DataProcessing needs one answer line per record)."
        )
    return lines


def assemble(answers: list[bytes], assemble_with: str) -> bytes:
    """The ``.out`` object's bytes."""
    if assemble_with != "Line":
        return b"".join(answers)
    return b"".join(answer if answer.endswith(b"\n") else answer + b"\n" for answer in answers)
