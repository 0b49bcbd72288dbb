"""The ``Handler`` setting: ``file.function`` or ``pkg/mod.function`` (standard library only).

Both sides use it: the server validates at create time, the runner resolves it at init.
Like ``awslambdaric``, the name is split on its last ``.`` and ``/`` in the module part is read
as ``.``.
"""

from __future__ import annotations

MAX_HANDLER_LENGTH = 128


class MalformedHandler(ValueError):
    """The handler string is not ``module.function``; the message says why."""


def parse_handler(handler: str) -> tuple[str, str]:
    """Return ``(dotted module name, function name)`` or raise ``MalformedHandler``."""
    if not handler or len(handler) > MAX_HANDLER_LENGTH:
        raise MalformedHandler(f"Bad handler '{handler}': it must be 1 to {MAX_HANDLER_LENGTH} characters")
    if any(ch.isspace() for ch in handler):
        raise MalformedHandler(f"Bad handler '{handler}': it must not contain whitespace")
    path, dot, function = handler.rpartition(".")
    if not dot or not path:
        raise MalformedHandler(f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)")
    if not function.isidentifier():
        raise MalformedHandler(f"Bad handler '{handler}': '{function}' is not a function name")
    if path.startswith("/") or "\\" in path:
        raise MalformedHandler(f"Bad handler '{handler}': the module path must be relative")
    parts = path.split("/")
    for part in parts:
        for piece in part.split("."):
            if not piece.isidentifier():
                raise MalformedHandler(f"Bad handler '{handler}': '{piece}' in '{path}' is not a module name")
    return ".".join(parts), function
