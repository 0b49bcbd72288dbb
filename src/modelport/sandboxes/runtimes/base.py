"""The runtime interface: what the worker calls to load a model and answer an invocation.

A runtime never sees HTTP. It receives the request body and the three headers the SageMaker
container contract forwards, and returns the exact status, body bytes and Content-Type the real
container would produce.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class InvocationResult:
    status: int
    body: bytes
    content_type: str | None
    custom_attributes: str | None = None


@dataclass(frozen=True, slots=True)
class Invocation:
    """One request as a runtime sees it: the body and the three forwarded headers."""

    body: bytes
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None


class ModelLoadError(Exception):
    """The model could not be loaded; ``str(error)`` is the short, user-facing cause."""


class Runtime(ABC):
    # True when invoke_many predicts gathered requests together (``runtimes/batch_predict.py``);
    # the worker then tells the router it may gather requests for this instance.
    batching: bool = False

    @abstractmethod
    def load(self, model_dir: Path) -> None:
        """Load the model; raise :class:`ModelLoadError` with a precise reason on failure."""

    @abstractmethod
    def invoke(
        self,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        custom_attributes: str | None,
    ) -> InvocationResult: ...

    def invoke_many(self, invocations: Sequence[Invocation]) -> list[InvocationResult]:
        """One answer per invocation, each exactly what ``invoke`` would answer alone."""
        return [self.invoke(i.body, i.content_type, i.accept, i.custom_attributes) for i in invocations]


# Flask's default error responses (the XGBoost container is a Flask app).
FLASK_HTML = "text/html; charset=utf-8"
FLASK_500_BODY = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to "
    b"complete your request. Either the server is overloaded or there is an error in the application.</p>\n"
)


def text_result(status: int, text: str, content_type: str = FLASK_HTML) -> InvocationResult:
    return InvocationResult(status, text.encode("utf-8"), content_type)


def parse_header(value: str) -> tuple[str, dict[str, str]]:
    """``cgi.parse_header`` without the deprecated module: main value and lower-cased parameters."""
    parts = value.split(";")
    key = parts[0].strip()
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, val = part.partition("=")
        if not sep:
            continue
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1].replace("\\\\", "\\").replace('\\"', '"')
        params[name.strip().lower()] = val
    return key, params
