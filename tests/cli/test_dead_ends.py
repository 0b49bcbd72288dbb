"""A new user's dead ends with the CLI (issue 11, item 4), each as a user meets it.

Every hint the CLI prints is run here as printed, in ``bash``, with ``modelport`` on the PATH:
the server's first-start banner, ``deploy``'s curl lines in the profile flow (no key exported),
and ``demo --keep``'s lines. The server is real; each CLI call is a fresh process.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cli.harness import ACCESS_KEY, SECRET_KEY, SERVER_ENV, cli_env, indented_block, ok, one_error_line, run
from modelport import seed
from modelport.launcher import free_port, is_running
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def model_file(workdir: Path) -> Path:
    import joblib

    path = workdir / "iris-model.joblib"
    joblib.dump(seed.train_iris_model(), path)
    return path


def profile_env(workdir: Path) -> dict[str, str]:
    """A user's shell after the server's first start: AWS files in ``workdir``, no keys exported."""
    env = {
        k: v for k, v in cli_env(workdir).items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    return {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def modelport(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modelport", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def profile_server(module_servers: ServerPool, workdir: Path) -> ModelportServer:
    """A server that writes the ``modelport`` profile into the module's AWS files, as by default."""
    env = {
        "MODELPORT_WRITE_PROFILE": "1",
        "AWS_CONFIG_FILE": str(workdir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "aws-credentials"),
    }
    return module_servers.start(env=env, data_dir=workdir / "profile-data")


# -- credentials without exported keys ---------------------------------------------------------


def test_the_banner_says_how_to_get_the_secret_and_its_hints_run(
    profile_server: ModelportServer, workdir: Path
) -> None:
    banner = profile_server.log()
    assert "The secret key is in" in banner
    command = re.search(r"with: (modelport credentials --profile modelport)", banner)
    assert command, banner
    result = bash(
        f'eval "$({command.group(1)})"\n'
        'test "$AWS_SECRET_ACCESS_KEY" = "$EXPECTED"\n'
        "export AWS_PROFILE=modelport\n"  # the banner's other hint
        "modelport ls\n",
        {**profile_env(workdir), "EXPECTED": profile_server.secret_key},
        workdir,
    )
    assert result.returncode == 0, result.stderr
    assert "No endpoints." in result.stdout


def test_credentials_prints_export_lines(profile_server: ModelportServer, workdir: Path) -> None:
    out = ok(modelport(profile_env(workdir), "credentials"))
    assert f"export AWS_ACCESS_KEY_ID={profile_server.access_key}" in out
    assert f"export AWS_SECRET_ACCESS_KEY={profile_server.secret_key}" in out
    assert f"export AWS_ENDPOINT_URL={profile_server.url}" in out


def test_credentials_without_a_profile_reads_the_data_folder(server: ModelportServer, workdir: Path) -> None:
    env = {**profile_env(workdir), "AWS_CONFIG_FILE": str(workdir / "none")}
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(workdir / "none")
    out = ok(modelport(env, "credentials", "--data-dir", str(server.data_dir), "--endpoint-url", server.url))
    assert f"export AWS_ACCESS_KEY_ID={ACCESS_KEY}" in out
    assert f"export AWS_SECRET_ACCESS_KEY={SECRET_KEY}" in out


def test_aws_endpoint_url_is_honoured(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "ls", env={"AWS_ENDPOINT_URL": server.url}))
    assert "No endpoints." in out or "Endpoints" in out


def test_aws_profile_is_honoured(profile_server: ModelportServer, workdir: Path) -> None:
    out = ok(modelport({**profile_env(workdir), "AWS_PROFILE": "modelport"}, "ls"))
    assert "No endpoints." in out or "Endpoints" in out


def test_modelport_url_still_wins_over_aws_endpoint_url(server: ModelportServer, workdir: Path) -> None:
    elsewhere = f"http://127.0.0.1:{free_port()}"
    line = one_error_line(
        run(workdir, "ls", env={"AWS_ENDPOINT_URL": server.url, "MODELPORT_URL": elsewhere})
    )
    assert elsewhere in line


def test_deploy_hint_runs_as_printed_in_the_profile_flow(
    profile_server: ModelportServer, workdir: Path, model_file: Path
) -> None:
    env = {**profile_env(workdir), "MODELPORT_DATA_DIR": str(workdir / "hint-data")}
    out = ok(modelport(env, "deploy", str(model_file), "--name", "hinted"))
    assert f"{profile_server.url}/endpoints/hinted/invocations" in out
    script = indented_block(out, "Invoke it with curl")
    cwd = workdir / "paste"
    cwd.mkdir(exist_ok=True)
    (cwd / "rows.csv").write_text(seed.test_points_csv())
    pasted = bash(script, env, cwd)
    assert pasted.returncode == 0, (script, pasted.stderr)
    rows = pasted.stdout.strip().splitlines()
    assert len(rows) == len(seed.test_points()), pasted.stdout
    assert all(len(row.split(",")) == 3 for row in rows)

    # The boto3 lines too, run on their own in the same shell (no keys exported, no AWS_PROFILE).
    snippet = indented_block(out, "or with boto3")
    ran = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, (snippet, ran.stderr)
    assert ran.stdout.strip().splitlines() == rows


# -- status and stop ----------------------------------------------------------------------------


def test_status_and_stop(workdir: Path, servers: ServerPool) -> None:
    data_dir = workdir / "status-data"
    server = servers.start(keys=(ACCESS_KEY, SECRET_KEY), data_dir=data_dir)
    assert server.process is not None
    out = ok(run(workdir, "status", "--data-dir", str(data_dir)))
    assert f"running at {server.url} (pid {server.pid}" in out
    assert "0 endpoint(s), 0 model(s), 0 function(s)" in out
    out = ok(run(workdir, "stop", "--data-dir", str(data_dir)))
    assert f"Stopped the modelport server at {server.url}" in out
    assert server.process.process.wait(timeout=30) == 0
    assert not (data_dir / "server.json").exists()
    stopped = run(workdir, "status", "--data-dir", str(data_dir))
    assert stopped.returncode == 3, stopped
    assert "No modelport server is running" in stopped.stdout
    # The hint starts a server for the folder asked about, not for ~/.modelport.
    assert f"Start one with: modelport server --data-dir {data_dir}" in stopped.stdout
    assert "No modelport server is running" in ok(run(workdir, "stop", "--data-dir", str(data_dir)))


# -- crashes and misleading output --------------------------------------------------------------


def unwritable_folder(workdir: Path) -> Path:
    if os.geteuid() == 0:
        return Path("/proc")  # exists, and not even root may create files in it
    folder = workdir / "read-only"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    return folder


def test_unwritable_data_folder_is_one_line(workdir: Path) -> None:
    folder = unwritable_folder(workdir)
    result = run(workdir, "server", "--data-dir", str(folder), "--port", str(free_port()))
    line = one_error_line(result)
    assert f"cannot write to the data folder {folder}" in line
    assert "--data-dir or MODELPORT_DATA_DIR" in line


def test_a_port_in_use_is_one_line_before_anything_else(workdir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(workdir, "server", "--data-dir", str(workdir / "port-data"), "--port", str(port))
    assert result.returncode == 1
    assert "listening on" not in result.stderr
    assert "Wrote AWS profile" not in result.stderr
    line = one_error_line(result)
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in line
    assert "--port or MODELPORT_PORT" in line


def test_a_failed_deploy_stops_the_server_it_started(workdir: Path) -> None:
    broken = workdir / "broken.json"
    broken.write_text("this is not a model")
    url = f"http://127.0.0.1:{free_port()}"
    data_dir = workdir / "failed-autostart"
    result = run(
        workdir, "deploy", str(broken), "--framework", "xgboost", "--timeout", "60",
        "--data-dir", str(data_dir), url=url, env=SERVER_ENV,
    )  # fmt: skip
    assert result.returncode == 1, result
    assert "Started a modelport server" in result.stdout
    assert "Stopped the server this deploy started" in result.stdout
    assert not is_running(url)
    assert not (data_dir / "server.json").exists()


# -- leftovers ----------------------------------------------------------------------------------


def names(workdir: Path, url: str) -> str:
    return ok(run(workdir, "ls", url=url))


def test_redeploy_removes_the_superseded_model_config_and_package(
    server: ModelportServer, workdir: Path, model_file: Path
) -> None:
    packages = workdir / "cli-data" / "packages"
    ok(run(workdir, "deploy", str(model_file), "--name", "again", url=server.url))
    first = {p.name for p in packages.glob("again-*.tar.gz")}
    out = ok(
        run(workdir, "deploy", str(model_file), "--name", "again", "--framework", "xgboost", url=server.url)
    )
    assert "Deleted endpoint config again-" in out and "Deleted model again-" in out
    listing = names(workdir, server.url)
    assert listing.count("again-2") == 2, listing  # one model and one config
    now = {p.name for p in packages.glob("again-*.tar.gz")}
    assert len(now) == 1 and not now & first
    ok(run(workdir, "invoke", "again", "--body", "5.1,3.5,1.4,0.2", url=server.url))


def test_rm_removes_config_model_and_package(server: ModelportServer, workdir: Path) -> None:
    out = ok(run(workdir, "rm", "again", url=server.url))
    assert "Deleted package" in out
    assert "again-2" not in names(workdir, server.url)
    assert not list((workdir / "cli-data" / "packages").glob("again-*.tar.gz"))


def test_cleanup_all_deletes_the_packages(server: ModelportServer, workdir: Path, model_file: Path) -> None:
    ok(run(workdir, "deploy", str(model_file), "--name", "swept", url=server.url))
    assert list((workdir / "cli-data" / "packages").glob("swept-*.tar.gz"))
    out = ok(run(workdir, "cleanup", "--all", "--yes", url=server.url))
    assert "1 package(s)" in out
    assert not list((workdir / "cli-data" / "packages").glob("*.tar.gz"))


# -- exit codes ---------------------------------------------------------------------------------


def test_exit_codes_are_the_documented_ones(server: ModelportServer, workdir: Path, model_file: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert run(workdir, "ls", "--no-such-option").returncode == 2
    assert "| 2 | a usage error" in doc
    ok(run(workdir, "deploy", str(model_file), "--name", "kept", url=server.url))
    declined = run(workdir, "cleanup", "--all", url=server.url, input="n\n")
    assert declined.returncode == 130
    assert "| 130 | aborted: a declined `cleanup` confirmation" in doc
    assert "exit code 1." not in doc
    ok(run(workdir, "cleanup", "--all", "--yes", url=server.url))


def test_role_create_help_names_options_as_options(workdir: Path) -> None:
    out = ok(run(workdir, "role", "create", "--help"))
    summary = out.split("Options:")[0]
    assert "--policy FILE" in summary and "--trust SERVICE" in summary
    assert "trusted by SERVICE" not in summary and "policy in FILE" not in summary
