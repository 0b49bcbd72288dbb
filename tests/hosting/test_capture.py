"""Data capture records, sampling, key layout and batching (no server, no clock)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from modelport.core.config import Settings
from modelport.core.errors import InvalidRequest
from modelport.hosting.capture import (
    CaptureConfig,
    CaptureWriter,
    Observation,
    Sampler,
    capture_record,
    capture_summary,
    encoding_for,
    object_uri,
    validate,
)

WHEN = datetime(2026, 12, 7, 6, 5, 9, 123456, tzinfo=UTC)


def params(destination: str = "s3://bucket/capture", percentage: int = 100, **extra: Any) -> dict[str, Any]:
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": percentage,
        "DestinationS3Uri": destination,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        **extra,
    }


def config(**extra: Any) -> CaptureConfig:
    parsed = CaptureConfig.from_params(params(**extra))
    assert parsed is not None
    return parsed


def test_encoding_follows_the_content_type_lists() -> None:
    c = config(
        CaptureContentTypeHeader={"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}
    )
    assert encoding_for("text/csv", c) == "CSV"
    assert encoding_for("text/csv; charset=utf-8", c) == "CSV"
    assert encoding_for("Application/JSON", c) == "JSON"
    assert encoding_for("application/x-npy", c) == "BASE64"
    assert encoding_for(None, c) == "BASE64"


def test_without_a_content_type_header_everything_is_base64() -> None:
    assert encoding_for("text/csv", config()) == "BASE64"


def test_record_has_sagemakers_layout() -> None:
    c = config(CaptureContentTypeHeader={"CsvContentTypes": ["text/csv"]})
    o = Observation(
        c, "ep", "AllTraffic", WHEN, b"5.1,3.3", "text/csv", b"\x00\x01", "application/x-npy", "id-1"
    )
    assert capture_record(o) == {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": "5.1,3.3",
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "application/x-npy",
                "mode": "OUTPUT",
                "data": base64.b64encode(b"\x00\x01").decode(),
                "encoding": "BASE64",
            },
        },
        "eventMetadata": {"eventId": "id-1", "inferenceTime": "2026-12-07T06:05:09Z"},
        "eventVersion": "0",
    }


def test_capture_options_choose_input_or_output() -> None:
    c = CaptureConfig.from_params({**params(), "CaptureOptions": [{"CaptureMode": "Output"}]})
    assert c is not None
    o = Observation(c, "ep", "v", WHEN, b"in", None, b"out", None, "id")
    assert list(capture_record(o)["captureData"]) == ["endpointOutput"]


def test_key_layout_is_sagemakers() -> None:
    uri = object_uri("s3://bucket/capture/", "ep", "AllTraffic", WHEN, "abc")
    assert uri == "s3://bucket/capture/ep/AllTraffic/2026/12/07/06/05-09-123-abc.jsonl"


@pytest.mark.parametrize("percentage", [0, 1, 7, 33, 50, 99, 100])
def test_sampling_is_exact(percentage: int) -> None:
    sampler = Sampler(percentage)
    for n in range(1, 1001):
        sampler.take()
        assert sampler.sampled == n * percentage // 100


@pytest.mark.parametrize(
    "bad",
    [
        {"DestinationS3Uri": "http://x/y"},
        {"DestinationS3Uri": "s3://"},
        {"InitialSamplingPercentage": 101},
        {"CaptureOptions": []},
        {"CaptureOptions": [{"CaptureMode": "Both"}]},
    ],
)
def test_bad_configs_say_what_to_fix(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest, match="DataCaptureConfig"):
        validate({**params(), **bad})


def test_summary_is_describe_endpoints() -> None:
    assert capture_summary(params(percentage=20)) == {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 20,
        "DestinationS3Uri": "s3://bucket/capture",
    }


def test_writer_buffers_sampled_requests_and_flushes_one_file_per_variant_and_hour(tmp_path: Path) -> None:
    writer = CaptureWriter(Settings(), now=lambda: WHEN)
    p = params(
        f"file://{tmp_path}",
        percentage=50,
        CaptureContentTypeHeader={"JsonContentTypes": ["application/json"]},
    )
    taken = [
        writer.offer(p, "ep", "A", (b'{"x":1}', "application/json"), (b"[2]", "application/json"))
        for _ in range(9)
    ]
    assert taken.count(True) == 4
    assert not list(tmp_path.iterdir())  # nothing written on the request path
    writer.flush()
    files = list(tmp_path.glob("ep/A/2026/12/07/06/*.jsonl"))
    assert len(files) == 1
    records = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert len(records) == 4 == writer.written
    assert records[0]["captureData"]["endpointInput"]["data"] == '{"x":1}'
    assert len({r["eventMetadata"]["eventId"] for r in records}) == 4
    writer.flush()  # an empty buffer writes nothing
    assert len(list(tmp_path.rglob("*.jsonl"))) == 1


def test_endpoints_without_capture_are_not_sampled() -> None:
    writer = CaptureWriter(Settings(), now=lambda: WHEN)
    assert not writer.offer(None, "ep", "A", (b"", None), (b"", None))
    assert not writer.offer({**params(), "EnableCapture": False}, "ep", "A", (b"", None), (b"", None))


def test_stopping_the_flush_loop_writes_what_is_buffered(tmp_path: Path) -> None:

    async def scenario() -> None:
        writer = CaptureWriter(Settings(), now=lambda: WHEN)
        task = asyncio.create_task(writer.run())
        writer.offer(params(f"file://{tmp_path}"), "ep", "A", (b"1", None), (b"2", None))
        await asyncio.sleep(0)
        task.cancel()  # a clean stop: the loop's last flush still runs
        with pytest.raises(asyncio.CancelledError):
            await task
        assert writer.written == 1

    asyncio.run(scenario())
    assert len(list(tmp_path.rglob("*.jsonl"))) == 1


def test_a_destination_that_cannot_be_written_is_counted_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    writer = CaptureWriter(Settings(), now=lambda: WHEN)
    writer.offer(params(f"file://{blocker}"), "ep", "A", (b"1", None), (b"2", None))
    writer.flush()
    assert (writer.written, writer.failed_writes) == (0, 1)
