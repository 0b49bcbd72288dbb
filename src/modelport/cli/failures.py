"""Why a CLI command stops: errors that ``cli.errors.run_cleanly`` prints as one ``error:`` line.

ModelportError                (modelport.core.errors)
└── CommandFailed             a command cannot go on; the message says what to do instead
    ├── NoServer              nothing answers /health at the URL
    └── UnknownFramework      detection could not tell xgboost from sklearn
"""

from __future__ import annotations

from modelport.core.errors import ModelportError


class CommandFailed(ModelportError):
    """A CLI command cannot go on; ``message`` is the whole line shown after ``error:``."""


class NoServer(CommandFailed):
    def __init__(self, url: str) -> None:
        super().__init__(f"no modelport server at {url}; start one with: modelport server")
        self.url = url


class UnknownFramework(CommandFailed):
    """Framework detection found nothing it trusts; the user must say ``--framework``."""
