"""The floor: a raw ASGI app on uvicorn that answers every request with fixed bytes, no model.

What one Python HTTP server on one core can do at all; every other system in the pinned run is
read against it. Runs as a subprocess: ``python -m benchmarks.floor_app PORT``, or
``python -m benchmarks.floor_app one-write PORT`` on the front door's protocol
(``modelport.http.one_write``), to measure what that protocol saves (``benchmarks.hot_path``).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]

ANSWER = b"0.9,0.05,0.05\n"
_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/csv"), (b"content-length", str(len(ANSWER)).encode())],
}
_BODY: Message = {"type": "http.response.body", "body": ANSWER}


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    message = await receive()
    while message.get("more_body"):
        message = await receive()
    await send(_START)
    await send(_BODY)


def main(argv: list[str]) -> int:
    import uvicorn

    http: Any = "auto"
    if argv[0] == "one-write":
        from modelport.http.one_write import OneWriteHttpTools

        http, argv = OneWriteHttpTools, argv[1:]
    uvicorn.run(app, host="127.0.0.1", port=int(argv[0]), http=http, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
