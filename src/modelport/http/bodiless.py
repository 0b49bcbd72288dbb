"""HTTP's rule that a 1xx, 204 or 304 response carries no body (RFC 9110 §6.4.1, §15.3.5, §15.4.5).

Every writer of a response passes through ``strip_body``: an operation whose model answers 204
(Lambda's DeleteFunction, RemovePermission, ...) or a stage whose integration response maps to
204 or 304 must not send the serializer's ``{}`` — h11 refuses it with "Response content longer
than Content-Length" after the status line has gone out, which leaves a traceback in the log.
"""

from __future__ import annotations

from collections.abc import Mapping

_NO_BODY_STATUSES = frozenset({204, 304})
_ENTITY_HEADERS = frozenset({"content-length", "content-type"})


def is_bodiless(status: int) -> bool:
    return status < 200 or status in _NO_BODY_STATUSES


def strip_body(status: int, headers: Mapping[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    """``headers`` and ``body`` as they may be sent with ``status``: no body, no Content-* for 204/304."""
    if not is_bodiless(status):
        return dict(headers), body
    return {k: v for k, v in headers.items() if k.lower() not in _ENTITY_HEADERS}, b""
