"""Errors the Lambda sandbox raises on purpose, placed in modelport's one error tree.

InvalidRequest (modelport.core.errors)
├── InvalidZip          a deployment package that cannot be unpacked safely
└── InvalidHandler      a ``Handler`` value that is not ``file.function``
Throttled (modelport.core.errors)
└── TooManyRequests     every allowed environment of the function is busy
"""

from __future__ import annotations

from modelport.core.errors import InvalidRequest, Throttled

UNZIP_FAILED = "Could not unzip uploaded file. Please check your file, then try to upload again."


class InvalidZip(InvalidRequest):
    """Lambda answers these with ``InvalidParameterValueException``."""


class InvalidHandler(InvalidRequest):
    """Lambda answers these with ``InvalidParameterValueException`` (at create time)."""


class TooManyRequests(Throttled):
    """Lambda's ``TooManyRequestsException`` (429). ``reason`` is its ``Reason`` field."""

    def __init__(
        self,
        message: str = "Rate Exceeded.",
        *,
        reason: str = "ReservedFunctionConcurrentInvocationLimitExceeded",
    ) -> None:
        super().__init__(message)
        self.reason = reason
