"""Writing the server's root key as a named profile in the AWS shared config files.

After ``write_profile("modelport", ...)``, ``boto3.Session(profile_name="modelport")`` reaches
the server with no other argument: the credentials file holds the keys and the config file the
region and ``endpoint_url`` (honoured by botocore 1.31 and later). Other profiles are kept.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path


def write_profile(
    profile_name: str,
    access_key_id: str,
    secret: str,
    region: str,
    endpoint_url: str,
    *,
    credentials_file: Path | None = None,
    config_file: Path | None = None,
) -> str:
    """Create or update ``profile_name`` in both files and return how to use it, for printing.

    ``None`` paths follow ``AWS_SHARED_CREDENTIALS_FILE`` / ``AWS_CONFIG_FILE``, as botocore does,
    then ``~/.aws/credentials`` and ``~/.aws/config``.
    """
    credentials_path = credentials_file or _default_path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
    config_path = config_file or _default_path("AWS_CONFIG_FILE", "config")
    _update(
        credentials_path,
        profile_name,
        {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret},
    )
    # The config file names every profile but the default one "profile NAME".
    section = profile_name if profile_name == "default" else f"profile {profile_name}"
    _update(config_path, section, {"region": region, "endpoint_url": endpoint_url})
    return (
        f"Wrote AWS profile '{profile_name}' ({credentials_path}, {config_path}) for {endpoint_url}.\n"
        f"Use it with: export AWS_PROFILE={profile_name}\n"
        f'         or: boto3.Session(profile_name="{profile_name}").client("sagemaker-runtime")\n'
        f"The secret key is in {credentials_path} under [{profile_name}]; print the key pair as "
        f"export lines (for curl or other tools) with: modelport credentials --profile {profile_name}"
    )


def _default_path(variable: str, name: str) -> Path:
    configured = os.environ.get(variable)
    return Path(configured).expanduser() if configured else Path.home() / ".aws" / name


def _update(path: Path, section: str, values: dict[str, str]) -> None:
    # interpolation=None: secrets may contain '%'. Comments in the file are not preserved;
    # configparser drops them, which is the price of not writing our own INI parser.
    path = Path(os.path.realpath(path))  # update a symlinked file in place of the link
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    if path.exists():
        parser.read(path, encoding="utf-8")
    if not parser.has_section(section):
        parser.add_section(section)
    for key, value in values.items():
        parser.set(section, key, value)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Write a sibling then rename: a reader never sees half a file, and the mode is 0600 from birth.
    temporary = path.with_name(f".{path.name}.modelport-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            parser.write(handle)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
