"""One seam where every error a CLI command can meet becomes one clear line."""

from __future__ import annotations

import sys
from typing import Any

import click

from modelport.core.errors import ModelportError


def run_cleanly(command: click.Group) -> None:
    try:
        command.main(standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        message = botocore_message(exc)
        if message is None and isinstance(exc, (ModelportError, OSError)):
            message = str(exc)
        if message is None:
            raise
        _fail(message)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def botocore_message(exc: Exception) -> str | None:
    """The line for a botocore error; None for any other exception."""
    if "botocore.exceptions" not in sys.modules:
        # No command imported botocore (it is imported where it is used, to start fast),
        # so nothing raised can be one of its errors.
        return None
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return (
            "no credentials: start the server once (it writes the 'modelport' AWS profile) and "
            "export AWS_PROFILE=modelport, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, ClientError):
        error: dict[str, Any] = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return None


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
