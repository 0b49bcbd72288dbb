"""The ``modelport`` command: a thin boto3 client of the server, plus ``server`` and ``demo``.

Every command but ``server`` talks to a running server through boto3's clients (made with
botocore alone, ``cli/client.py``), exactly as a user's own code would. Errors are one clear
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from modelport.cli.errors import run_cleanly
from modelport.core.config import DEFAULT_PORT


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelport")
def cli() -> None:
    """Self-hosted model hosting that speaks SageMaker's APIs."""


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; MODELPORT_HOST).")
@click.option("--port", type=int, default=None, help=f"Port (default {DEFAULT_PORT}; MODELPORT_PORT).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the SQLite store, artifacts and logs (default ~/.modelport; MODELPORT_DATA_DIR).",
)
@click.option(
    "--region", default=None, help="Region in ARNs and signatures (default us-east-1; MODELPORT_REGION)."
)
@click.option(
    "--s3-endpoint-url", default=None, help="S3 endpoint for model data (MODELPORT_S3_ENDPOINT_URL)."
)
@click.option(
    "--backend",
    type=click.Choice(["local", "ray"]),
    default=None,
    help="Where endpoint instances run: local processes or Ray actors (default local; MODELPORT_BACKEND).",
)
def server(
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    region: str | None,
    s3_endpoint_url: str | None,
    backend: str | None,
) -> None:
    """Run the modelport server in the foreground (Ctrl-C or SIGTERM stops it cleanly)."""
    from modelport.core.config import Settings
    from modelport.server import run_server

    try:
        settings = Settings.from_env(
            host=host,
            port=port,
            data_dir=data_dir,
            region=region,
            s3_endpoint_url=s3_endpoint_url,
            backend=backend,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if settings.backend == "ray" and importlib.util.find_spec("ray") is None:
        raise click.UsageError('MODELPORT_BACKEND=ray needs Ray: pip install "modelport[ray]" (docs/ray.md).')
    run_server(settings)


@cli.command()
@click.option("--keep", is_flag=True, help="Leave the endpoint and server running instead of cleaning up.")
def demo(keep: bool) -> None:
    """The seed tutorial end to end: train iris XGBoost, deploy, invoke test_point.csv, clean up."""
    from modelport.demo import run_demo

    run_demo(keep=keep)


def main() -> None:
    run_cleanly(cli)


def _register_commands() -> None:
    from modelport.cli import env, local, notebook
    from modelport.cli.sagemaker import endpoints, metrics

    for command in [
        *endpoints.COMMANDS,
        *metrics.COMMANDS,
        *notebook.COMMANDS,
        *local.COMMANDS,
        *env.COMMANDS,
    ]:
        cli.add_command(command)


_register_commands()
