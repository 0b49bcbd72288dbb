"""Data capture: SageMaker's JSONL records of what an endpoint received and answered.

The request path only decides (exactly, by counting) whether a request is sampled and appends
the raw bytes to an in-memory buffer; a background task turns the buffer into records and
writes them at least every ``FLUSH_INTERVAL_S``. A process killed with SIGKILL therefore loses
at most the records of its last second; a clean stop flushes everything.

One record per sampled request, one line of JSON (the layout ``sagemaker.model_monitor`` reads)::

    {"captureData": {"endpointInput": {"observedContentType", "mode": "INPUT", "data", "encoding"},
                     "endpointOutput": {... "mode": "OUTPUT" ...}},
     "eventMetadata": {"eventId", "inferenceTime"}, "eventVersion": "0"}

``encoding`` is ``CSV`` or ``JSON`` when the observed content type is listed in the config's
``CaptureContentTypeHeader`` (the data is then the text itself), else ``BASE64``. Each flush
writes one new object per endpoint, variant and hour under
``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl``, to S3 (the
server's configured S3) for ``s3://`` destinations or to a folder for ``file://`` ones.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from modelport.core.config import Settings
from modelport.core.errors import InvalidRequest

FLUSH_INTERVAL_S = 1.0
SCHEMES = ("s3", "file")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureConfig:
    destination: str  # without a trailing slash
    percentage: int
    capture_input: bool
    capture_output: bool
    csv_types: frozenset[str]
    json_types: frozenset[str]

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> CaptureConfig | None:
        """The config of a ``DataCaptureConfig`` member, None when capture is off."""
        if not params or not params.get("EnableCapture", True):
            return None
        header = params.get("CaptureContentTypeHeader") or {}
        modes = {str(o.get("CaptureMode", "")).lower() for o in params.get("CaptureOptions") or []}
        return cls(
            destination=str(params["DestinationS3Uri"]).rstrip("/"),
            percentage=int(params["InitialSamplingPercentage"]),
            capture_input="input" in modes,
            capture_output="output" in modes,
            csv_types=frozenset(t.lower() for t in header.get("CsvContentTypes") or []),
            json_types=frozenset(t.lower() for t in header.get("JsonContentTypes") or []),
        )


def validate(params: dict[str, Any]) -> None:
    """Refuse a ``DataCaptureConfig`` this server could not honour, saying what to fix."""
    destination = str(params.get("DestinationS3Uri") or "")
    parsed = urlparse(destination)
    if parsed.scheme not in SCHEMES or not (parsed.netloc or parsed.path.strip("/")):
        raise InvalidRequest(
            f"DataCaptureConfig.DestinationS3Uri {destination!r} must be an s3://bucket/prefix URI "
            "or, on modelport, a file:///absolute/folder URI."
        )
    percentage = params.get("InitialSamplingPercentage")
    if not isinstance(percentage, int) or not 0 <= percentage <= 100:
        raise InvalidRequest(
            f"DataCaptureConfig.InitialSamplingPercentage {percentage!r} must be a whole number from 0 to 100."
        )
    options = params.get("CaptureOptions") or []
    modes = [str(o.get("CaptureMode", "")) for o in options]
    if not modes or any(m not in ("Input", "Output", "InputAndOutput") for m in modes):
        raise InvalidRequest(
            'DataCaptureConfig.CaptureOptions must list at least one {"CaptureMode": "Input"} or '
            '{"CaptureMode": "Output"}.'
        )
    if "InputAndOutput" in modes:
        params["CaptureOptions"] = [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]


def capture_summary(params: dict[str, Any]) -> dict[str, Any]:
    """DescribeEndpoint's ``DataCaptureConfig`` (a DataCaptureConfigSummary) for a snapshot's config."""
    enabled = bool(params.get("EnableCapture", True))
    return {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": int(params.get("InitialSamplingPercentage", 0)),
        "DestinationS3Uri": str(params.get("DestinationS3Uri", "")),
        **({"KmsKeyId": params["KmsKeyId"]} if params.get("KmsKeyId") else {}),
    }


class Sampler:
    """Exact sampling: after ``n`` requests, exactly ``floor(n * percentage / 100)`` were taken.

    Deterministic on purpose: the count of captured records is checkable, and the sampled
    requests are spread evenly instead of bunched by chance.
    """

    def __init__(self, percentage: int) -> None:
        self.percentage = percentage
        self.seen = 0
        self.sampled = 0

    def take(self) -> bool:
        self.seen += 1
        if self.seen * self.percentage // 100 > self.sampled:
            self.sampled += 1
            return True
        return False


def encoding_for(content_type: str | None, config: CaptureConfig) -> str:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind and kind in config.csv_types:
        return "CSV"
    if kind and kind in config.json_types:
        return "JSON"
    return "BASE64"


def encoded(mode: str, data: bytes, content_type: str | None, config: CaptureConfig) -> dict[str, str]:
    encoding = encoding_for(content_type, config)
    text = data.decode("utf-8", "replace") if encoding != "BASE64" else base64.b64encode(data).decode()
    return {
        "observedContentType": content_type or "",
        "mode": mode,
        "data": text,
        "encoding": encoding,
    }


@dataclass(frozen=True)
class Observation:
    """One sampled request, as the request path hands it over (no work done on it yet)."""

    config: CaptureConfig
    endpoint: str
    variant: str
    when: datetime
    request: bytes
    request_type: str | None
    response: bytes
    response_type: str | None
    event_id: str


def capture_record(o: Observation) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if o.config.capture_input:
        data["endpointInput"] = encoded("INPUT", o.request, o.request_type, o.config)
    if o.config.capture_output:
        data["endpointOutput"] = encoded("OUTPUT", o.response, o.response_type, o.config)
    return {
        "captureData": data,
        "eventMetadata": {"eventId": o.event_id, "inferenceTime": o.when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "eventVersion": "0",
    }


def object_uri(destination: str, endpoint: str, variant: str, when: datetime, token: str) -> str:
    """SageMaker's key layout for a capture file written at ``when``."""
    hour = when.strftime("%Y/%m/%d/%H")
    name = f"{when.strftime('%M-%S')}-{when.microsecond // 1000:03d}-{token}.jsonl"
    return f"{destination.rstrip('/')}/{endpoint}/{variant}/{hour}/{name}"


class CaptureWriter:
    """The buffer the request path fills and the loop that writes it out."""

    def __init__(self, settings: Settings, now: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.now = now or (lambda: datetime.now(UTC))
        self._samplers: dict[tuple[str, str, int], Sampler] = {}
        self._buffer: list[Observation] = []
        # A snapshot's DataCaptureConfig parsed once, keyed by the snapshot dict's identity.
        self._configs: dict[int, tuple[dict[str, Any], CaptureConfig | None]] = {}
        self._lock = threading.Lock()  # flush runs in a thread; appends run in the event loop
        self.written = 0
        self.failed_writes = 0

    def offer(
        self,
        params: dict[str, Any] | None,
        endpoint: str,
        variant: str,
        request: tuple[bytes, str | None],
        response: tuple[bytes, str | None],
    ) -> bool:
        """Buffer one request if its endpoint captures and the sampler takes it."""
        config = self._config(params)
        if config is None:
            return False
        key = (endpoint, variant.lower(), config.percentage)
        sampler = self._samplers.get(key)
        if sampler is None:
            sampler = self._samplers[key] = Sampler(config.percentage)
        if not sampler.take():
            return False
        observation = Observation(
            config, endpoint, variant, self.now(), *request, *response, event_id=str(uuid.uuid4())
        )
        with self._lock:
            self._buffer.append(observation)
        return True

    def _config(self, params: dict[str, Any] | None) -> CaptureConfig | None:
        if not params:
            return None
        cached = self._configs.get(id(params))
        if cached is not None and cached[0] is params:
            return cached[1]
        config = CaptureConfig.from_params(params)
        if len(self._configs) > 1024:
            self._configs.clear()
        self._configs[id(params)] = (params, config)
        return config

    async def run(self) -> None:
        """Flush every ``FLUSH_INTERVAL_S`` until cancelled (then once more)."""
        try:
            while True:
                await asyncio.sleep(FLUSH_INTERVAL_S)
                await asyncio.to_thread(self.flush)
        finally:
            await asyncio.to_thread(self.flush)

    def flush(self) -> None:
        with self._lock:
            pending, self._buffer = self._buffer, []
        groups: dict[tuple[str, str, str, str], list[Observation]] = {}
        for o in pending:
            groups.setdefault(
                (o.config.destination, o.endpoint, o.variant, o.when.strftime("%Y%m%d%H")), []
            ).append(o)
        for (destination, endpoint, variant, _), observations in groups.items():
            uri = object_uri(destination, endpoint, variant, observations[0].when, uuid.uuid4().hex)
            body = "".join(json.dumps(capture_record(o), separators=(",", ":")) + "\n" for o in observations)
            try:
                self._write(uri, body.encode())
                self.written += len(observations)
            except Exception:  # a destination gone bad must not stop later flushes
                self.failed_writes += 1
                log.exception("data capture: writing %d records to %s failed", len(observations), uri)

    def _write(self, uri: str, body: bytes) -> None:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path))
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_bytes(body)
            partial.replace(path)  # readers never see half a file
            return
        from modelport.hosting.artifacts.fetch import s3_client

        s3_client(self.settings).put_object(
            Bucket=parsed.netloc, Key=parsed.path.lstrip("/"), Body=body, ContentType="application/jsonl"
        )
