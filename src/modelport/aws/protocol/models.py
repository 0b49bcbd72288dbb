"""botocore service models, loaded once, with a per-operation plan for reading and writing.

``ServiceProtocol.load("sagemaker")`` reads the model that ships with botocore and is cached for
the life of the process (the models are immutable data). Each operation's ``OperationPlan``
(input reader, output writer) is built when the model is loaded, so no request pays for it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from botocore.loaders import create_loader
from botocore.model import OperationModel, ServiceModel, Shape

from modelport.aws.protocol.inputs import Reader, StructureReader, build_reader
from modelport.aws.protocol.outputs import StructureWriter, Writer, build_writer
from modelport.core.errors import UnknownOperation


class ParsedRequest(NamedTuple):
    """What a handler gets: the operation's name and its input members (botocore's names)."""

    operation: str
    params: dict[str, Any]


class WireResponse(NamedTuple):
    """What the HTTP layer sends: status, headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes


_EMPTY_INPUT = StructureReader()


@dataclass(frozen=True, slots=True)
class OperationPlan:
    name: str
    model: OperationModel
    reader: StructureReader
    writer: StructureWriter | None


class ServiceProtocol:
    """One botocore service model and everything precomputed from it."""

    def __init__(self, service_model: ServiceModel) -> None:
        self.model = service_model
        self.name: str = service_model.service_name
        # The protocol botocore speaks, from the model's ``protocols`` in botocore's order of
        # preference (CloudWatch lists smithy-rpc-v2-cbor first, but botocore sends JSON 1.0).
        self.protocol: str = service_model.resolved_protocol
        self.target_prefix: str | None = service_model.metadata.get("targetPrefix")
        self.json_version: str = service_model.metadata.get("jsonVersion", "1.0")
        self.operation_names: tuple[str, ...] = tuple(service_model.operation_names)
        self.targets: dict[str, str] = (
            {f"{self.target_prefix}.{op}": op for op in self.operation_names} if self.target_prefix else {}
        )
        # Modeled error shapes (code -> the member that carries the message, if any).
        self.error_message_members: dict[str, str | None] = {}
        for shape_name in service_model.shape_names:
            shape = service_model.shape_for(shape_name)
            if shape.metadata.get("exception"):
                code = shape.metadata.get("error", {}).get("code", shape_name)
                members = getattr(shape, "members", {})
                message = next((m for m in members if m.lower() == "message"), None)
                self.error_message_members[code] = message
        self._readers: dict[str, Reader] = {}
        self._writers: dict[str, Writer] = {}
        self._plans: dict[str, OperationPlan] = {}
        self._derived: dict[str, Any] = {}
        self._lock = threading.RLock()

    @classmethod
    def load(cls, service_name: str) -> ServiceProtocol:
        """The protocol for a botocore service name ("sagemaker", "sagemaker-runtime", ...)."""
        return _load(service_name)

    def plan(self, operation: str) -> OperationPlan:
        """The plan for ``operation``; ``UnknownOperation`` if the model has no such operation."""
        plan = self._plans.get(operation)
        if plan is None:
            if operation not in self.operation_names:
                raise UnknownOperation(f"Unknown operation {operation}")
            with self._lock:
                plan = self._plans.get(operation) or self._build_plan(operation)
                self._plans[operation] = plan
        return plan

    def writer_for(self, shape: Shape) -> Writer:
        """The output writer of any shape of this model (shared cache with the plans)."""
        with self._lock:
            return build_writer(shape, self._writers)

    def derived(self, key: str, build: Callable[[ServiceProtocol], Any]) -> Any:
        """A protocol-specific value computed once from this model (e.g. rest-json routes)."""
        found = self._derived.get(key)
        if found is None:
            with self._lock:
                found = self._derived.get(key)
                if found is None:
                    found = self._derived[key] = build(self)
        return found

    def warm(self, operations: set[str] | frozenset[str] | None = None) -> None:
        """Build plans now rather than on first request."""
        for operation in operations if operations is not None else self.operation_names:
            self.plan(operation)

    def _build_plan(self, operation: str) -> OperationPlan:
        model = self.model.operation_model(operation)
        reader: Reader = _EMPTY_INPUT
        if model.input_shape is not None:
            reader = build_reader(model.input_shape, self._readers)
        writer: Writer = None
        if model.output_shape is not None:
            writer = build_writer(model.output_shape, self._writers)
        assert isinstance(reader, StructureReader)
        assert writer is None or isinstance(writer, StructureWriter)
        return OperationPlan(operation, model, reader, writer)


@functools.cache
def _load(service_name: str) -> ServiceProtocol:
    data = create_loader().load_service_model(service_name, "service-2")
    proto = ServiceProtocol(ServiceModel(data, service_name=service_name))
    proto.warm()  # every plan now (~0.2 s for SageMaker's 400+ operations), none on the request path
    return proto
