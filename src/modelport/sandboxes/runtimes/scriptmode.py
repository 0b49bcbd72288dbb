"""Script mode (spec §8): user ``model_fn``/``input_fn``/``predict_fn``/``output_fn``/``transform_fn``
around the sagemaker-containers default handlers, with its encoders and error bodies.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import logging
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import numpy as np

from modelport.sandboxes.runtimes.base import Invocation, InvocationResult, ModelLoadError, Runtime
from modelport.sandboxes.runtimes.batch_predict import batching_choice, predict_together, row_stable

logger = logging.getLogger("modelport.worker")

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
UTF8_TYPES = (JSON, CSV)
CONTAINER_MODEL_DIR = PurePosixPath("/opt/ml/model")
_HOOKS = ("model_fn", "input_fn", "predict_fn", "output_fn")


class UnsupportedFormatError(Exception):
    def __init__(self, content_type: str) -> None:
        # sagemaker-containers' text, dedent-free as in the original (first line unindented).
        self.message = (
            f"Content type {content_type} is not supported by this framework.\n\n"
            "               Please implement input_fn to to deserialize the request data or an output_fn to"
            " serialize the\n               response. For more information: "
            "https://github.com/aws/sagemaker-python-sdk#input-processing"
        )
        super().__init__(self.message)


# -- sagemaker-containers encoders ---------------------------------------------------------


def decode(data: bytes | str, content_type: str) -> Any:
    if content_type == JSON:
        return np.array(json.loads(data))
    if content_type == CSV:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        reader = csv.reader(io.StringIO(text), delimiter=",", quotechar='"', doublequote=True, strict=True)
        return np.array(list(reader)).squeeze()
    if content_type == NPY:
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        return np.load(io.BytesIO(raw), allow_pickle=False)
    raise UnsupportedFormatError(content_type)


def encode(prediction: Any, accept: str) -> bytes:
    if accept == JSON:
        return json.dumps(prediction.tolist() if hasattr(prediction, "tolist") else prediction).encode()
    if accept == CSV:
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True)
        array = np.array(prediction)
        if array.ndim == 1:
            array = np.reshape(array, (array.shape[0], 1))
        writer.writerows(array.tolist())
        return stream.getvalue().encode()
    if accept == NPY:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(prediction))
        return buffer.getvalue()
    raise UnsupportedFormatError(accept)


def response_content_type(accept: str) -> str:
    # Flask adds a charset to text/* mimetypes.
    return f"{accept}; charset=utf-8" if accept.startswith("text/") else accept


def error_result(status: int, error: BaseException) -> InvocationResult:
    message = getattr(error, "message", None) or str(error)
    body = {
        "error": type(error).__name__,
        "error-message": message,
        "stack-trace": "".join(traceback.format_exception(error)),
    }
    return InvocationResult(status, json.dumps(body).encode(), JSON)


# -- user module ---------------------------------------------------------------------------


def script_requested(model_dir: Path, environ: Mapping[str, str]) -> bool:
    return bool(environ.get("SAGEMAKER_PROGRAM")) or (model_dir / "code" / "inference.py").is_file()


def submit_directory(model_dir: Path, submit: str) -> Path:
    """The local folder of ``SAGEMAKER_SUBMIT_DIRECTORY``.

    A path under ``/opt/ml/model`` (where the SageMaker Python SDK puts code it repacks into the
    model archive) means the same place in ``model_dir``; ``file://`` is stripped. An S3 URL
    left here was not fetched by the server (it replaces the ones it fetches with their local
    folder), so the default ``<model dir>/code`` is used, as before.
    """
    submit = submit.strip()
    if submit.startswith("file://"):
        submit = submit[len("file://") :]
    if not submit or "://" in submit:
        return model_dir / "code"
    path = PurePosixPath(submit)
    if path == CONTAINER_MODEL_DIR or CONTAINER_MODEL_DIR in path.parents:
        return model_dir.joinpath(*path.relative_to(CONTAINER_MODEL_DIR).parts)
    return Path(submit)


def import_user_module(model_dir: Path, environ: Mapping[str, str]) -> ModuleType:
    program = environ.get("SAGEMAKER_PROGRAM") or "inference.py"
    directory = submit_directory(model_dir, environ.get("SAGEMAKER_SUBMIT_DIRECTORY", ""))
    name = program[:-3] if program.endswith(".py") else program
    path = directory / f"{name}.py"
    if not path.is_file():
        raise ModelLoadError(f"Script {path} (SAGEMAKER_PROGRAM={program}) not found")
    sys.path.insert(0, str(directory))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"Script {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ModelLoadError(f"Script {path} failed to import: {type(error).__name__}: {error}") from error
    return module


@dataclass
class Defaults:
    """A framework's default handlers; ``model_fn`` None means the user must provide one."""

    model_fn: Callable[[str], Any] | None
    input_fn: Callable[[Any, str], Any]
    predict_fn: Callable[[Any, Any], Any]
    output_fn: Callable[[Any, str], Any]


class ScriptModeRuntime(Runtime):
    def __init__(self, defaults: Defaults, environ: Mapping[str, str], script: bool) -> None:
        self.defaults = defaults
        self.environ = environ
        self.script = script
        self.default_accept = environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or JSON
        self.model: Any = None
        self.transform_fn: Callable[..., Any] | None = None
        self.input_fn = defaults.input_fn
        self.predict_fn = defaults.predict_fn
        self.output_fn = defaults.output_fn
        self.batching_choice = batching_choice(environ)

    def load(self, model_dir: Path) -> None:
        model_fn = self.defaults.model_fn
        if self.script:
            module = import_user_module(model_dir, self.environ)
            transform_fn = getattr(module, "transform_fn", None)
            overridden = [hook for hook in _HOOKS[1:] if hasattr(module, hook)]
            if transform_fn is not None and overridden:
                raise ModelLoadError(
                    "Cannot use transform_fn implementation in conjunction with input_fn, predict_fn, "
                    f"and/or output_fn implementation (found {', '.join(overridden)})"
                )
            self.transform_fn = transform_fn
            model_fn = getattr(module, "model_fn", model_fn)
            self.input_fn = getattr(module, "input_fn", self.input_fn)
            self.predict_fn = getattr(module, "predict_fn", self.predict_fn)
            self.output_fn = getattr(module, "output_fn", self.output_fn)
        if model_fn is None:
            raise ModelLoadError("Please provide a model_fn implementation.")
        try:
            self.model = model_fn(str(model_dir))
        except ModelLoadError:
            raise
        except Exception as error:
            raise ModelLoadError(
                f"model_fn failed for {model_dir}: {type(error).__name__}: {error}"
            ) from error
        logger.info("loaded %s model from %s", type(self.model).__name__, model_dir)
        # User code never shares a predict unless the model opts in (docs/runtimes.md#batching).
        if self.batching_choice is not None:
            self.batching = self.batching_choice
        else:
            self.batching = not self.script and row_stable(self.model)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, custom_attributes: str | None
    ) -> InvocationResult:
        content_type = content_type or JSON
        if not accept or accept == "*/*":
            accept = self.default_accept
        data: Any = body.decode("utf-8") if content_type in UTF8_TYPES else body
        try:
            if self.transform_fn is not None:
                result = self.transform_fn(self.model, data, content_type, accept)
            else:
                prediction = self.predict_fn(self.input_fn(data, content_type), self.model)
                result = self.output_fn(prediction, accept)
        except UnsupportedFormatError as error:
            status = 415 if error.message.startswith(f"Content type {content_type} ") else 406
            return error_result(status, error)
        except Exception as error:
            logger.exception("user code failed")
            return error_result(500, error)
        return _to_result(result, accept)

    def invoke_many(self, invocations: Sequence[Invocation]) -> list[InvocationResult]:
        """2-D array inputs of one dtype and width share one ``predict_fn``; each is encoded alone."""
        if not self.batching or self.transform_fn is not None:
            return super().invoke_many(invocations)
        inputs = [self._batchable(invocation) for invocation in invocations]
        predictions = predict_together(
            inputs,
            key=lambda array: (array.dtype.str, array.shape[1:]),
            rows=len,
            stack=np.concatenate,
            predict=lambda array: self.predict_fn(array, self.model),
        )
        return [self._answer(i, p) for i, p in zip(invocations, predictions, strict=True)]

    def _batchable(self, invocation: Invocation) -> Any:
        content_type = invocation.content_type or JSON
        try:
            body = invocation.body
            data: Any = body.decode("utf-8") if content_type in UTF8_TYPES else body
            array = self.input_fn(data, content_type)
        except Exception:
            return None  # answered alone, with the error it gets alone
        return array if isinstance(array, np.ndarray) and array.ndim >= 2 else None

    def _answer(self, invocation: Invocation, prediction: Any) -> InvocationResult:
        if prediction is not None:
            accept = invocation.accept
            if not accept or accept == "*/*":
                accept = self.default_accept
            try:
                return _to_result(self.output_fn(prediction, accept), accept)
            except Exception:
                pass  # answered alone below, with the error it gets alone
        i = invocation
        return self.invoke(i.body, i.content_type, i.accept, i.custom_attributes)


def _to_result(result: Any, accept: str) -> InvocationResult:
    if isinstance(result, InvocationResult):
        return result
    mimetype = accept
    if isinstance(result, tuple) and len(result) == 2:
        result, mimetype = result
    if isinstance(result, str):
        result = result.encode("utf-8")
    elif not isinstance(result, bytes | bytearray):
        result = encode(result, accept) if hasattr(result, "tolist") else str(result).encode()
    return InvocationResult(200, bytes(result), response_content_type(mimetype))
