"""Where the CLI finds the server and builds its clients — the one place that does.

Each connection option falls back in order:

- ``--endpoint-url``: ``MODELPORT_URL``, ``AWS_ENDPOINT_URL``, the chosen profile's
  ``endpoint_url``, ``http://127.0.0.1:8790`` (boto3's own order, with ``MODELPORT_URL`` first);
- ``--profile``: ``AWS_PROFILE`` (left to botocore), the ``modelport`` profile the server
  writes (``MODELPORT_PROFILE`` renames it) when it exists and no ``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY`` pair is exported, then boto3's default chain;
- ``--region``: the profile's or ``AWS_DEFAULT_REGION``, then ``us-east-1``.

Clients always get an explicit ``endpoint_url``: the CLI never talks to AWS itself. They are
botocore's clients, which are what boto3 hands out too, made without importing boto3.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import click

from modelport.cli.failures import NoServer
from modelport.core.config import DEFAULT_DATA_DIR, DEFAULT_PORT
from modelport.launcher import is_running

if TYPE_CHECKING:
    import botocore.session
    from botocore.config import Config

DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
DEFAULT_REGION = "us-east-1"
PROFILE = "modelport"

F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def client_config() -> Config:
    """Built on first use: botocore is imported only by commands that call the server."""
    from botocore.config import Config

    # Invocations may take the server's full 60 s timeout; connecting should be instant.
    return Config(connect_timeout=5, read_timeout=70, retries={"max_attempts": 2, "mode": "standard"})


@dataclass(frozen=True)
class ConnectionOptions:
    """The connection flags as given on the command line (None: not given)."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Connection:
    endpoint_url: str
    region: str
    # botocore's session, not boto3's: boto3 makes the very same clients, and importing it
    # (s3transfer with it) costs ~90 ms of every command (docs/benchmarks.md, "CLI start-up").
    session: botocore.session.Session
    # The profile the CLI named itself (--profile, or the server's profile it fell back to);
    # None when botocore chose (AWS_PROFILE, exported keys). Printed hints must name it too.
    profile: str | None = None

    def client(self, service: str, config: Config | None = None) -> Any:
        """A client of ``service`` aimed at the server (``client_config()`` unless told)."""
        return self.session.create_client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            config=config if config is not None else client_config(),
        )

    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    def runtime(self) -> Any:
        return self.client("sagemaker-runtime")


def connection_options(command: F) -> F:
    """Add ``--endpoint-url``, ``--profile`` and ``--region``, collected as ``connection``."""

    @click.option(
        "--endpoint-url",
        default=None,
        metavar="URL",
        help=f"Server URL (default: MODELPORT_URL, AWS_ENDPOINT_URL, the profile's endpoint_url, {DEFAULT_URL}).",
    )
    @click.option(
        "--profile",
        default=None,
        help=f"AWS profile (default: AWS_PROFILE, else '{PROFILE}' if it exists, else boto3's chain).",
    )
    @click.option(
        "--region", default=None, help=f"Region to sign for (default: the profile's, else {DEFAULT_REGION})."
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any, endpoint_url: str | None, profile: str | None, region: str | None, **kwargs: Any
    ) -> Any:
        options = ConnectionOptions(endpoint_url=endpoint_url, profile=profile, region=region)
        return command(*args, connection=options, **kwargs)

    return wrapper  # type: ignore[return-value]


def connection_flags(options: ConnectionOptions) -> str:
    """The connection flags the user gave, for printed commands that must reach the same server."""
    words: list[str] = []
    for flag, value in (
        ("--endpoint-url", options.endpoint_url),
        ("--profile", options.profile),
        ("--region", options.region),
    ):
        if value:
            words += [flag, value]
    return (" " + shlex.join(words)) if words else ""


def data_dir_option(command: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"The CLI's and local server's data folder (default: MODELPORT_DATA_DIR, {DEFAULT_DATA_DIR}).",
    )(command)


def resolve_data_dir(data_dir: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    chosen = data_dir or Path(env.get("MODELPORT_DATA_DIR") or DEFAULT_DATA_DIR)
    return chosen.expanduser().resolve()


def choose_profile(explicit: str | None, environ: Mapping[str, str], available: list[str]) -> str | None:
    """The profile to name explicitly, or None to leave the choice to botocore.

    ``AWS_PROFILE`` is left to botocore on purpose: botocore then still prefers exported keys,
    as it would for the user's own code. Exported keys likewise win over the ``modelport``
    profile, because an explicitly named profile would hide them.
    """
    if explicit:
        return explicit
    if environ.get("AWS_PROFILE"):
        return None
    if environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"):
        return None
    name = environ.get("MODELPORT_PROFILE") or PROFILE
    return name if name in available else None


def choose_endpoint_url(
    explicit: str | None, environ: Mapping[str, str], profile_config: Mapping[str, Any]
) -> str:
    configured = profile_config.get("endpoint_url")
    url = (
        explicit
        or environ.get("MODELPORT_URL")
        or environ.get("AWS_ENDPOINT_URL")
        or (configured if isinstance(configured, str) else None)
    )
    url = (url or DEFAULT_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http:// or https:// URL", param_hint="'--endpoint-url'")
    return url


def connect(options: ConnectionOptions, environ: Mapping[str, str] | None = None) -> Connection:
    """Resolve the options into a session and URL. Reads the AWS config files afresh each call."""
    import botocore.session

    env = os.environ if environ is None else environ
    probe = botocore.session.Session()
    profile = choose_profile(options.profile, env, list(probe.available_profiles))
    core = botocore.session.Session(profile=profile)
    profile_config: Mapping[str, Any] = core.get_scoped_config()  # ProfileNotFound if misspelt
    url = choose_endpoint_url(options.endpoint_url, env, profile_config)
    region = options.region or core.get_config_variable("region") or DEFAULT_REGION
    return Connection(
        endpoint_url=url,
        region=region,
        session=core,
        profile=profile,
    )


def require_server(url: str) -> None:
    if not is_running(url, timeout_s=2.0):
        raise NoServer(url)


def is_local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost")


def invoke_url(endpoint_url: str, endpoint_name: str) -> str:
    return f"{endpoint_url}/endpoints/{endpoint_name}/invocations"
