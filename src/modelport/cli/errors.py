"""One seam where every error a CLI command can meet becomes one clear line."""

from __future__ import annotations

import sys
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

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
    except NoCredentialsError:
        _fail(
            "no credentials: start the server once (it writes the 'modelport' AWS profile) and "
            "export AWS_PROFILE=modelport, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    except ClientError as exc:
        error: dict[str, Any] = exc.response.get("Error", {})
        _fail(f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}")
    except BotoCoreError as exc:
        _fail(str(exc))
    except (ModelportError, OSError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", 130)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
