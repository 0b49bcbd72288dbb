"""Handler modules that misbehave on purpose, shared by the runner and pool tests (as code
folders) and by the end-to-end corpus (as zips sent through the Lambda API).

Each constant is the source of one module; ``harness.write`` dedents it, and
``textwrap.dedent`` does the same for a zip.
"""

from __future__ import annotations

# One handler that does what the event asks: sleep, allocate, exit or kill itself.
SLEEPER = """
    import os, time
    INITS = 0
    INITS += 1

    def lambda_handler(event, context):
        if event.get("sleep"):
            time.sleep(event["sleep"])
        if event.get("allocate_mb"):
            blob = bytearray(event["allocate_mb"] * 1024 * 1024)
        if event.get("exit") is not None:
            os._exit(event["exit"])
        if event.get("signal"):
            os.kill(os.getpid(), event["signal"])
        return {"pid": os.getpid(), "inits": INITS}
"""

# About 10 MB of output in one invocation; returns the length of its event.
CHATTY = """
    def lambda_handler(event, context):
        for i in range(100_000):
            print("x" * 100, i)
        return len(event)
"""

UNSERIALISABLE = "def lambda_handler(event, context):\n    return {'a': object()}\n"

# Modules that fail in the init phase, or lack the handler (module name -> source).
MISSING_DEPENDENCY = "import not_installed_anywhere\ndef h(e, c):\n    return 1\n"
SYNTAX_ERROR = "def h(event, context)\n    return 1\n"
NO_SUCH_HANDLER = "def h(event, context):\n    return 1\n"
RAISES_AT_IMPORT = "raise RuntimeError('init failed')\n"

# Answers a string of the event's "size" characters (its JSON encoding adds two quotes).
SIZED_ANSWER = """
    def lambda_handler(event, context):
        return "a" * event.get("size", 1)
"""
