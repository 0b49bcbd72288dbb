"""``modelport deploy PATH``: detect, package, create model + config + endpoint, wait, explain.

Each deploy creates a model and an endpoint config named ``<name>-<stamp>``; the endpoint is
``<name>``. Deploying onto an existing endpoint updates it to the new config; once the endpoint
runs it, the superseded config, its models and their packages are deleted (unless another
endpoint still uses them). A deploy that started a background server and then fails stops it.
"""

from __future__ import annotations

import re
import shlex
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from modelport.cli import output
from modelport.cli.background import DetachedServer, start_detached, stop_process
from modelport.cli.client import (
    Connection,
    ConnectionOptions,
    connect,
    connection_flags,
    connection_options,
    data_dir_option,
    invoke_url,
    is_local,
    resolve_data_dir,
)
from modelport.cli.failures import CommandFailed, NoServer
from modelport.cli.output import escape
from modelport.cli.sagemaker.detect import FRAMEWORKS, IMAGES, detect_framework
from modelport.cli.sagemaker.leftovers import (
    configs_in_use,
    delete_package,
    delete_superseded,
    ignore_missing,
    model_package,
)
from modelport.cli.sagemaker.packaging import package
from modelport.launcher import is_running

if TYPE_CHECKING:
    from rich.console import Console

VARIANT = "AllTraffic"
POLL_S = 0.25
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_STAMP_FORMAT = "%Y%m%d-%H%M%S"
_STAMP_LENGTH = len("20240101-120000")


def reserve_stamp(packages: Path, name: str, now: datetime | None = None) -> tuple[str, Path]:
    """The ``<stamp>`` of this deploy's ``<name>-<stamp>``: the current second, or the first later
    one whose package name is free, reserved by creating the (empty) package file; and that file.

    A deploy can take less than a second. Two deploys of one name in the same second would
    otherwise share one package and one model name: the second would overwrite the package the
    first model reads, fail on the model name, and then delete the package as its own.
    """
    packages.mkdir(parents=True, exist_ok=True)
    when = (now or datetime.now()).replace(microsecond=0)
    while True:
        stamp = when.strftime(_STAMP_FORMAT)
        reserved = packages / f"{name}-{stamp}.tar.gz"
        try:
            reserved.open("xb").close()
        except FileExistsError:
            when += timedelta(seconds=1)
            continue
        return stamp, reserved


def name_from_path(path: Path) -> str:
    """A valid endpoint name from a file or folder name: ``iris_model.joblib`` → ``iris-model``."""
    stem = path.resolve().name
    for suffix in (
        ".tar.gz",
        ".tgz",
        ".joblib",
        ".pkl",
        ".pickle",
        ".sav",
        ".json",
        ".ubj",
        ".model",
        ".bst",
    ):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem.lower() == "model":  # model.tar.gz says nothing; its folder often does
        stem = path.resolve().parent.name or stem
    cleaned = re.sub(r"[^a-zA-Z0-9]+", "-", stem).strip("-")[:63].strip("-")
    return cleaned or "model"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise click.BadParameter(
            f"{name!r} is not a valid endpoint name: use letters, digits and hyphens, "
            "start with a letter or digit, at most 63 characters",
            param_hint="'--name'",
        )
    return name


def check_instance_type(instance_type: str) -> str:
    if not _INSTANCE_TYPE.match(instance_type):
        raise click.BadParameter(
            f"{instance_type!r} is not an instance type like ml.m5.large", param_hint="'--instance-type'"
        )
    return instance_type


def choose_image(path: Path, framework: str | None, image: str | None) -> tuple[str, str]:
    """The container image and a sentence on how it was chosen."""
    if image:
        return image, f"image {image} (--image)"
    if framework:
        return IMAGES[framework], f"{framework} (--framework)"
    detection = detect_framework(path)
    return detection.image, f"{detection.framework}, from {detection.reason}"


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--name", default=None, help="Endpoint name (default: from PATH's file or folder name).")
@click.option(
    "--framework",
    type=click.Choice(FRAMEWORKS),
    default=None,
    help="Skip detection: serve with the xgboost (xgboost:1.7-1) or sklearn (sklearn:1.2-1) image.",
)
@click.option("--instances", type=click.IntRange(min=1), default=1, show_default=True, help="Instance count.")
@click.option(
    "--instance-type", default="ml.m5.large", show_default=True, help="Instance type of the variant."
)
@click.option("--image", default=None, help="Container image, e.g. xgboost:1.5-1 (overrides --framework).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for InService.",
)
@data_dir_option
@connection_options
def deploy(
    path: Path,
    name: str | None,
    framework: str | None,
    instances: int,
    instance_type: str,
    image: str | None,
    timeout: float,
    data_dir: Path | None,
    connection: ConnectionOptions,
) -> None:
    """Deploy a model file, folder or model.tar.gz as an endpoint and print how to invoke it.

    The framework is detected from file names and pickle contents (nothing is unpickled);
    pass --framework when it cannot be. The model is packaged into
    <data-dir>/packages/<name>-<stamp>.tar.gz, which the server reads in place. When no server
    answers at a local URL, one is started in the background.
    """
    name = check_name(name or name_from_path(path))
    check_instance_type(instance_type)
    out = output.stdout()
    chosen_image, how = choose_image(path, framework, image)
    out.print(f"Framework: {escape(how)}")

    folder = resolve_data_dir(data_dir)
    stamp, reserved = reserve_stamp(folder / "packages", name)
    resource_name = f"{name[: 63 - _STAMP_LENGTH - 1]}-{stamp}"
    try:
        archive = _package_with_progress(path, folder, f"{name}-{stamp}", out)
    except BaseException:
        reserved.unlink(missing_ok=True)
        raise
    out.print(f"Packaged:  {escape(str(archive))}")

    started_server: DetachedServer | None = None
    created: list[str] = []
    try:
        conn, started_server = _connect_starting_server(connection, folder, data_dir, out)
        logs_hint = shlex.join(["modelport", "logs", name]) + connection_flags(connection)
        _deploy(
            conn,
            name,
            resource_name,
            chosen_image,
            archive,
            instances,
            instance_type,
            timeout,
            out,
            created,
            logs_hint,
        )
    except BaseException:
        if not created:  # no model reads the package
            archive.unlink(missing_ok=True)
        if started_server is not None:
            stop_process(started_server.pid)
            out.print(f"Stopped the server this deploy started (pid {started_server.pid}).")
        raise
    url = invoke_url(conn.endpoint_url, name)
    out.print(f"Invoke URL: {escape(url)}\n")
    out.print(
        escape(
            output.usage_examples(
                url=url,
                endpoint_url=conn.endpoint_url,
                endpoint_name=name,
                region=conn.region,
                credentials_command=credentials_command(conn.endpoint_url, connection, data_dir),
                profile=conn.profile,
            )
        ),
        end="",
    )


def credentials_command(endpoint_url: str, options: ConnectionOptions, data_dir: Path | None) -> str:
    """The ``modelport credentials`` line that prints the keys this deploy signed with."""
    words = ["modelport", "credentials", "--endpoint-url", endpoint_url]
    if options.profile:
        words += ["--profile", options.profile]
    if options.region:
        words += ["--region", options.region]
    if data_dir is not None:
        words += ["--data-dir", str(data_dir)]
    return shlex.join(words)


def _package_with_progress(path: Path, folder: Path, stem: str, out: Console) -> Path:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("Packaging"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("package", total=None)
        return package(
            path,
            folder / "packages",
            stem,
            lambda done, total: progress.update(task, completed=done, total=total),
        )


def _deploy(
    conn: Connection,
    name: str,
    resource_name: str,
    image: str,
    archive: Path,
    instances: int,
    instance_type: str,
    timeout: float,
    out: Console,
    created: list[str],
    logs_hint: str,
) -> None:
    """Create the model and config, create or update the endpoint, wait; ``created`` gets the model."""
    sm = conn.sagemaker()
    started = time.monotonic()
    sm.create_model(ModelName=resource_name, PrimaryContainer={"Image": image, "ModelDataUrl": str(archive)})
    created.append(resource_name)
    try:
        previous = _create_or_update(sm, name, resource_name, instances, instance_type, out)
        _wait_in_service(sm, name, resource_name, timeout, out, logs_hint)
    except BaseException:
        _delete_unused(sm, resource_name)
        raise
    out.print(f"[green]Endpoint {escape(name)} is InService[/] ({time.monotonic() - started:.1f} s).")
    if previous and previous != resource_name:
        for line in delete_superseded(sm, previous):
            out.print(escape(line))


def _create_or_update(
    sm: Any, name: str, resource_name: str, instances: int, instance_type: str, out: Console
) -> str | None:
    """Create the config, then create the endpoint or update it; the config it ran before, if any."""
    sm.create_endpoint_config(
        EndpointConfigName=resource_name,
        ProductionVariants=[
            {
                "VariantName": VARIANT,
                "ModelName": resource_name,
                "InitialInstanceCount": instances,
                "InstanceType": instance_type,
            }
        ],
    )
    if not _endpoint_exists(sm, name):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=resource_name)
        return None
    previous: str | None = sm.describe_endpoint(EndpointName=name).get("EndpointConfigName")
    sm.update_endpoint(EndpointName=name, EndpointConfigName=resource_name)
    out.print(f"Updating endpoint {escape(name)} to config {escape(resource_name)} ...")
    return previous


def _delete_unused(sm: Any, resource_name: str) -> None:
    """After a failed deploy: remove its new config, model and package unless an endpoint runs them."""
    try:
        delete_superseded(sm, resource_name)
        if resource_name not in configs_in_use(sm):
            package_path = model_package(sm, resource_name)
            if ignore_missing(sm.delete_model, ModelName=resource_name) and package_path is not None:
                delete_package(package_path)
    except Exception:  # the deploy's own error is the one to show
        pass


def _connect_starting_server(
    options: ConnectionOptions, folder: Path, data_dir: Path | None, out: Console
) -> tuple[Connection, DetachedServer | None]:
    url = connect(options).endpoint_url
    if is_running(url, timeout_s=2.0):
        return connect(options), None
    if not is_local(url):
        raise NoServer(url)
    with out.status(f"No server at {escape(url)}; starting one ..."):
        server = start_detached(url, folder)
    stop_command = "modelport stop" + (f" --data-dir {shlex.quote(str(data_dir))}" if data_dir else "")
    out.print(
        f"Started a modelport server at {escape(url)} in the background "
        f"(pid {server.pid}, log {escape(str(server.log_path))}; stop it with: {escape(stop_command)})."
    )
    # Connect again: a server's first start writes the profile that holds its keys.
    return connect(options), server


def _endpoint_exists(sm: Any, name: str) -> bool:
    for page in sm.get_paginator("list_endpoints").paginate(NameContains=name):
        if any(endpoint["EndpointName"] == name for endpoint in page["Endpoints"]):
            return True
    return False


def failure_message(name: str, status: str, reason: str | None, logs_hint: str | None = None) -> str:
    """The one-line error for a failed deploy: the FailureReason, with the logs hint said once.

    ``logs_hint`` is the runnable command (with the connection flags the user gave); the
    controller's FailureReason already ends with the plain ``modelport logs NAME`` for a failed
    health check, and then no second hint is added.
    """
    hint = logs_hint or f"modelport logs {name}"
    outcome = "failed" if status == "Failed" else "kept its previous config"
    text = f"endpoint {name} {outcome}: {reason or 'no reason given'}"
    return text if f"modelport logs {name}" in text else f"{text} (see: {hint})"


def _wait_in_service(
    sm: Any, name: str, config_name: str, timeout: float, out: Console, logs_hint: str
) -> None:
    deadline = time.monotonic() + timeout
    status = "?"
    with out.status(f"Waiting for endpoint {escape(name)} ...") as spinner:
        while time.monotonic() < deadline:
            described = sm.describe_endpoint(EndpointName=name)
            status = described["EndpointStatus"]
            spinner.update(f"Endpoint {escape(name)}: {escape(status)} ...")
            if status == "InService" and described.get("EndpointConfigName") == config_name:
                return
            if status == "Failed" or (status == "InService" and "FailureReason" in described):
                raise CommandFailed(failure_message(name, status, described.get("FailureReason"), logs_hint))
            time.sleep(POLL_S)
    raise CommandFailed(f"endpoint {name} is still {status} after {timeout:.0f} s (see: {logs_hint})")
