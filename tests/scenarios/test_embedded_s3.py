"""The embedded S3: ``modelport server`` with defaults runs SeaweedFS and reads s3:// model data from it.

One server (embedded S3 on, as by default) is shared: weed runs bound to loopback with its data
under the data folder; boto3 with the server's root keys uploads the seed model and an endpoint
with ``s3://`` model data goes InService and predicts; a kill -9 of the server leaves no weed
process and a restart still serves the objects. A server given an external S3 starts no weed.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelport import seed
from modelport.launcher import free_port
from support.fixtures import ServerPool
from support.modelport_server import ModelportServer, deploy, run_modelport, wait_in_service
from support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

BUCKET = "models"
KEY = "iris/model.tar.gz"


@pytest.fixture(scope="module")
def server(module_servers: ServerPool) -> ModelportServer:
    """Killed and restarted below: the module's own server, with the embedded S3 on.

    Its S3 port is a free one named explicitly, so that another server's embedded S3 on the
    default port (another test run on the machine) cannot move it across the restart.
    """
    return module_servers.start(
        env={"MODELPORT_EMBEDDED_S3": "1", "MODELPORT_EMBEDDED_S3_PORT": str(free_port())}
    )


def recorded_s3_url(server: ModelportServer) -> str | None:
    document = json.loads((server.data_dir / "server.json").read_text())
    url: str | None = document["s3_endpoint_url"]
    return url


def s3_client(server: ModelportServer, endpoint_url: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key, region_name="us-east-1"
    ).client("s3", endpoint_url=endpoint_url, config=Config(s3={"addressing_style": "path"}))


def weed_children(pid: int) -> set[int]:
    """Running ``weed`` processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        is_weed = bool(command) and Path(command[0].decode()).name == "weed"
        if is_weed and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_weed_runs_on_loopback_with_data_under_the_data_folder(server: ModelportServer) -> None:
    assert server.process is not None
    url = recorded_s3_url(server)
    assert url is not None and url.startswith("http://127.0.0.1:")
    (weed,) = weed_children(server.pid)
    command = Path(f"/proc/{weed}/cmdline").read_bytes().decode().split("\0")
    assert "-ip.bind=127.0.0.1" in command
    assert f"-dir={server.data_dir / 's3' / 'data'}" in command
    port = int(url.rsplit(":", 1)[1])
    addresses = wait_until(
        lambda: listening_addresses(port), "timed out waiting for the S3 port to listen", timeout_s=60
    )
    assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only
    assert f"Embedded S3 at {url}" in status_output(server)


def status_output(server: ModelportServer) -> str:
    result = run_modelport(server, "status", "--data-dir", str(server.data_dir))
    return result.stdout + result.stderr


def test_model_data_from_the_embedded_s3_deploys_and_predicts(
    server: ModelportServer, model_archive: Path
) -> None:
    url = recorded_s3_url(server)
    assert url is not None
    s3 = s3_client(server, url)
    wait_until(lambda: _answers(s3), "timed out waiting for the embedded S3 to answer", timeout_s=60)
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(model_archive), BUCKET, KEY)
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, "iris-embedded", f"s3://{BUCKET}/{KEY}")
    assert wait_in_service(sagemaker, "iris-embedded")["EndpointStatus"] == "InService"
    response = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="iris-embedded", ContentType="text/csv", Body=seed.test_points_csv()
    )
    assert len(response["Body"].read().decode().strip().splitlines()) == len(seed.test_points())


def test_the_embedded_s3_takes_many_buckets(server: ModelportServer) -> None:
    """SeaweedFS grew 7 volumes per new bucket and allows free disk ÷ volume size of them: the
    tenth bucket's first write failed (``InternalError``) on a disk with 70 GB free. Now a new
    bucket takes one 256 MiB volume."""
    url = recorded_s3_url(server)
    assert url is not None
    s3 = s3_client(server, url)
    wait_until(lambda: _answers(s3), "timed out waiting for the embedded S3 to answer", timeout_s=60)
    for number in range(30):
        s3.create_bucket(Bucket=f"many-{number}")
        s3.put_object(Bucket=f"many-{number}", Key="first", Body=b"written")
    assert s3.get_object(Bucket="many-29", Key="first")["Body"].read() == b"written"


def test_kill_9_leaves_no_weed_and_a_restart_keeps_the_objects(server: ModelportServer) -> None:
    assert server.process is not None
    (weed,) = weed_children(server.pid)
    url_before = recorded_s3_url(server)
    server.kill()
    try:
        wait_until(
            lambda: not Path(f"/proc/{weed}").exists(),
            f"timed out waiting for weed (pid {weed}) to exit",
            timeout_s=30,
        )
    except AssertionError:
        os.kill(weed, signal.SIGKILL)  # leave no orphan behind a failed test
        raise

    server.start()
    url = recorded_s3_url(server)
    assert url is not None
    assert url == url_before  # a stable port: an exported AWS_ENDPOINT_URL_S3 still works
    s3 = s3_client(server, url)
    wait_until(
        lambda: _answers(s3), "timed out waiting for the restarted embedded S3 to answer", timeout_s=60
    )
    head = wait_until(
        lambda: _head(s3), "timed out waiting for the uploaded object after the restart", timeout_s=60
    )
    assert head["ContentLength"] > 0


def test_a_configured_external_s3_replaces_the_embedded_one(
    server: ModelportServer, servers: ServerPool
) -> None:
    external = recorded_s3_url(server)  # the shared server's S3 stands in for an external one
    assert external is not None
    env = {
        "MODELPORT_EMBEDDED_S3": "1",
        "MODELPORT_S3_ENDPOINT_URL": external,
        "MODELPORT_S3_ACCESS_KEY_ID": server.access_key,
        "MODELPORT_S3_SECRET_ACCESS_KEY": server.secret_key,
    }
    other = servers.start(env=env)
    assert weed_children(other.pid) == set()
    assert recorded_s3_url(other) is None
    assert not (other.data_dir / "s3").exists()


def _answers(s3: Any) -> bool:
    try:
        s3.list_buckets()
        return True
    except (BotoCoreError, ClientError):
        return False


def _head(s3: Any) -> dict[str, Any] | None:
    try:
        head: dict[str, Any] = s3.head_object(Bucket=BUCKET, Key=KEY)
        return head
    except (BotoCoreError, ClientError):
        return None


def test_a_clean_stop_stops_weed(server: ModelportServer) -> None:
    assert server.process is not None
    (weed,) = weed_children(server.pid)
    assert server.process.stop() == 0
    assert not Path(f"/proc/{weed}").exists()  # stopped and reaped before the server exited
