"""Notebook instances end to end, with boto3 against one real server: each InService instance is a
real JupyterLab. Starts are slow (seconds), so the module starts JupyterLab three times only:
create, start after stop, and the restore after a ``kill -9`` of the server.

The tests run in order and share the instance ``nb``.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from cli.harness import indented_block
from support.jupyter import Kernel, Lab, open_lab, upload
from support.modelport_server import ModelportServer, running_server
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

NAME = "nb"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ON_CREATE = "#!/bin/bash\nset -e\necho created >> created.txt\n"
ON_START = "#!/bin/bash\nset -e\necho started >> starts.txt\n"
FIRST_POLL = {"Delay": 1, "MaxAttempts": 1}  # the waiter's first poll must already match


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelportServer]:
    with running_server(tmp_path_factory.mktemp("notebooks")) as running:
        yield running


@pytest.fixture(scope="module")
def role_arn(server: ModelportServer) -> str:
    iam = server.client("iam")
    role = iam.create_role(RoleName="notebook-role", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    return str(role["Arn"])


def _script(text: str) -> list[dict[str, str]]:
    return [{"Content": base64.b64encode(text.encode()).decode()}]


def _open(server: ModelportServer, name: str = NAME) -> Lab:
    return open_lab(server.client("sagemaker"), name)


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_is_in_service_at_the_first_poll_and_opens_only_with_its_token(
    server: ModelportServer, role_arn: str
) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="marks", OnCreate=_script(ON_CREATE), OnStart=_script(ON_START)
    )
    arn = sagemaker.create_notebook_instance(
        NotebookInstanceName=NAME,
        InstanceType="ml.t3.medium",
        RoleArn=role_arn,
        LifecycleConfigName="marks",
        Tags=[{"Key": "team", "Value": "ml"}],
    )["NotebookInstanceArn"]
    sagemaker.get_waiter("notebook_instance_in_service").wait(
        NotebookInstanceName=NAME, WaiterConfig=FIRST_POLL
    )
    described = sagemaker.describe_notebook_instance(NotebookInstanceName=NAME)
    assert (
        described["NotebookInstanceArn"]
        == arn
        == f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{NAME}"
    )
    assert described["RoleArn"] == role_arn
    assert described["NotebookInstanceLifecycleConfigName"] == "marks"
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    listed = sagemaker.list_notebook_instances(StatusEquals="InService", NameContains="n")[
        "NotebookInstances"
    ]
    assert [n["NotebookInstanceName"] for n in listed] == [NAME]

    lab = _open(server)
    assert lab.get("/api/status").status_code == 200
    assert httpx.get(lab.base + "/api/status").status_code == 403
    assert Lab(lab.base, "not-the-token").get("/api/status").status_code == 403
    kernels = lab.get("/api/kernelspecs").json()["kernelspecs"]
    assert "conda_python3" in kernels
    upload(lab, "kept.txt", b"still here")
    streams = server.client("logs").describe_log_streams(logGroupName="/aws/sagemaker/NotebookInstances")
    assert f"{NAME}/jupyter.log" in [s["logStreamName"] for s in streams["logStreams"]]


def test_a_conda_python3_kernel_runs_as_the_instance_role(server: ModelportServer) -> None:
    lab = _open(server)
    code = "import boto3\nprint(boto3.client('sts').get_caller_identity()['Arn'])"
    assert _run_in_kernel(lab, code) == "arn:aws:sts::123456789012:assumed-role/notebook-role/SageMaker"
    environment = json.loads(
        _run_in_kernel(
            lab,
            "import json, os\nprint(json.dumps({k: os.environ.get(k) for k in "
            "('MODELPORT_ROOT_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL_SAGEMAKER', 'AWS_REGION', 'HOME')}))",
        )
    )
    assert environment == {
        "MODELPORT_ROOT_SECRET_ACCESS_KEY": None,  # the server's secrets stay out
        "AWS_ENDPOINT_URL_SAGEMAKER": server.url,
        "AWS_REGION": "us-east-1",
        "HOME": str(server.data_dir / "notebooks" / NAME / "home"),
    }


def test_bad_input_is_refused_with_sagemakers_errors(server: ModelportServer, role_arn: str) -> None:
    sagemaker = server.client("sagemaker")
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/{NAME}"
    create = sagemaker.create_notebook_instance
    assert _error(create, NotebookInstanceName=NAME, InstanceType="ml.t3.medium", RoleArn=role_arn) == (
        "ValidationException",
        f"Cannot create a duplicate Notebook Instance ({arn})",
    )
    code, message = _error(
        create, NotebookInstanceName="other", InstanceType="ml.t3.medium", RoleArn=role_arn + "-missing"
    )
    assert code == "ValidationException" and "Could not assume role" in message
    assert _error(sagemaker.delete_notebook_instance, NotebookInstanceName=NAME) == (
        "ValidationException",
        f"Status (InService) not in ([Stopped, Failed]). Unable to transition to (Deleting) for Notebook Instance ({arn}).",
    )
    assert _error(sagemaker.describe_notebook_instance, NotebookInstanceName="nope") == (
        "ValidationException",
        "RecordNotFound",
    )
    assert _error(sagemaker.update_notebook_instance, NotebookInstanceName=NAME, VolumeSizeInGB=10) == (
        "ValidationException",
        f"Status (InService) not in ([Stopped, Failed]). Unable to transition to (Updating) for Notebook Instance ({arn}).",
    )
    lifecycle_arn = "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance-lifecycle-config/nope"
    assert _error(
        sagemaker.describe_notebook_instance_lifecycle_config, NotebookInstanceLifecycleConfigName="nope"
    ) == (
        "ValidationException",
        f"Unable to describe Notebook Instance Lifecycle Config '{lifecycle_arn}'. "
        "(Details: Notebook Instance Lifecycle Config does not exist.)",
    )
    code, message = _error(
        sagemaker.create_notebook_instance_lifecycle_config,
        NotebookInstanceLifecycleConfigName="bad",
        OnStart=[{"Content": "not base64!"}],
    )
    assert code == "ValidationException" and "base64" in message


def test_a_caller_without_permission_is_refused(server: ModelportServer) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="no-notebooks")
    key = iam.create_access_key(UserName="no-notebooks")["AccessKey"]
    sagemaker = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    ).client("sagemaker", endpoint_url=server.url)
    code, message = _error(sagemaker.create_presigned_notebook_instance_url, NotebookInstanceName=NAME)
    assert code == "AccessDeniedException"
    assert "sagemaker:CreatePresignedNotebookInstanceUrl" in message
    assert f"notebook-instance/{NAME}" in message


def test_a_failing_lifecycle_script_leaves_the_instance_failed(
    server: ModelportServer, role_arn: str
) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="broken", OnCreate=_script("echo no such thing >&2\nexit 3\n")
    )
    sagemaker.create_notebook_instance(
        NotebookInstanceName="broken",
        InstanceType="ml.t3.medium",
        RoleArn=role_arn,
        LifecycleConfigName="broken",
    )
    described = sagemaker.describe_notebook_instance(NotebookInstanceName="broken")
    assert described["NotebookInstanceStatus"] == "Failed"
    assert "on-create failed with exit code 3" in described["FailureReason"]
    assert "no such thing" in described["FailureReason"]
    found = server.client("logs").filter_log_events(
        logGroupName="/aws/sagemaker/NotebookInstances",
        logStreamNames=["broken/jupyter.log"],
        filterPattern='"no such thing"',
    )
    assert len(found["events"]) == 1
    first = sagemaker.list_notebook_instances(MaxResults=1, SortBy="Name", SortOrder="Ascending")
    second = sagemaker.list_notebook_instances(
        MaxResults=1, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    names = [n["NotebookInstanceName"] for n in first["NotebookInstances"] + second["NotebookInstances"]]
    assert names == ["broken", NAME] and "NextToken" not in second
    failed = sagemaker.list_notebook_instances(StatusEquals="Failed")["NotebookInstances"]
    assert [n["NotebookInstanceName"] for n in failed] == ["broken"]
    sagemaker.delete_notebook_instance(NotebookInstanceName="broken")
    sagemaker.get_waiter("notebook_instance_deleted").wait(
        NotebookInstanceName="broken", WaiterConfig=FIRST_POLL
    )


def test_stop_and_start_keep_the_home_folder(server: ModelportServer) -> None:
    sagemaker = server.client("sagemaker")
    sagemaker.stop_notebook_instance(NotebookInstanceName=NAME)
    sagemaker.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName=NAME, WaiterConfig=FIRST_POLL)
    code, _ = _error(sagemaker.create_presigned_notebook_instance_url, NotebookInstanceName=NAME)
    assert code == "ValidationException"
    sagemaker.update_notebook_instance(NotebookInstanceName=NAME, VolumeSizeInGB=10)
    described = sagemaker.describe_notebook_instance(NotebookInstanceName=NAME)
    assert (described["NotebookInstanceStatus"], described["VolumeSizeInGB"]) == ("Stopped", 10)
    new_start = _script(ON_START.replace("started", "started"))
    sagemaker.update_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="marks", OnStart=new_start
    )
    assert (
        sagemaker.describe_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName="marks")[
            "OnStart"
        ]
        == new_start
    )
    sagemaker.start_notebook_instance(NotebookInstanceName=NAME)
    sagemaker.get_waiter("notebook_instance_in_service").wait(
        NotebookInstanceName=NAME, WaiterConfig=FIRST_POLL
    )
    lab = _open(server)
    assert lab.get("/api/contents/kept.txt?content=1").json()["content"] == "still here"
    assert lab.get("/api/contents/created.txt?content=1").json()["content"] == "created\n"
    assert lab.get("/api/contents/starts.txt?content=1").json()["content"] == "started\nstarted\n"


def test_kill_9_leaves_no_jupyter_and_a_restart_serves_it_again(server: ModelportServer) -> None:
    lab = _open(server)
    kernel = Kernel(lab)  # a kernel runs too, and stays
    assert kernel.run("x = 1").error is None
    kernel.close(shut_down=False)
    assert server.process is not None
    processes = _jupyter_processes(server.data_dir)
    assert len(processes) >= 2, processes  # JupyterLab and the kernel
    server.kill()
    try:
        wait_until(lambda: not _jupyter_processes(server.data_dir), "Jupyter processes outlived the server")
    finally:
        for pid in _jupyter_processes(server.data_dir):
            os.kill(pid, signal.SIGKILL)  # leave no orphan behind a failed test

    server.start()
    sagemaker = server.client("sagemaker")
    sagemaker.get_waiter("notebook_instance_in_service").wait(
        NotebookInstanceName=NAME, WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    lab = _open(server)
    assert lab.get("/api/contents/kept.txt").status_code == 200

    # A JupyterLab that dies by itself leaves the instance Failed, and Start brings it back.
    (lab_pid,) = [pid for pid in _jupyter_processes(server.data_dir) if "jupyterlab" in _command(pid)]
    os.kill(lab_pid, signal.SIGKILL)
    failed = wait_until(
        lambda: (
            (d := sagemaker.describe_notebook_instance(NotebookInstanceName=NAME))["NotebookInstanceStatus"]
            == "Failed"
            and d
        ),
        "the instance did not become Failed after its JupyterLab was killed",
    )
    assert failed["FailureReason"] == "JupyterLab exited with code -9; start the notebook instance again."
    sagemaker.start_notebook_instance(NotebookInstanceName=NAME)
    sagemaker.get_waiter("notebook_instance_in_service").wait(
        NotebookInstanceName=NAME, WaiterConfig=FIRST_POLL
    )


def test_the_cli_stops_starts_opens_and_removes(server: ModelportServer, tmp_path: Path) -> None:
    def cli(*args: str, code: int = 0) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_"))}
        env.update(
            AWS_ACCESS_KEY_ID=server.access_key,
            AWS_SECRET_ACCESS_KEY=server.secret_key,
            AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
            MODELPORT_URL=server.url,
            COLUMNS="200",
        )
        done = subprocess.run(
            [sys.executable, "-m", "modelport", *args], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == code, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout if code == 0 else done.stderr

    failed = cli(
        "notebook", "create", "cli-broken", "--role", "notebook-role", "--lifecycle-config", "broken", code=1
    )
    assert failed.startswith("error: notebook instance cli-broken is Failed: ") and "exit code 3" in failed
    assert "no role named 'nosuch'" in cli("notebook", "create", "cli-x", "--role", "nosuch", code=1)
    assert "Deleted notebook instance cli-broken." in cli("notebook", "rm", "cli-broken")
    assert "Notebook instance nb is Stopped." in cli("notebook", "stop", NAME)
    started = cli("notebook", "start", NAME)
    hint = indented_block(started, "Notebook instance nb is InService.")
    assert hint == "modelport notebook open nb\n"
    url = cli(*shlex.split(hint)[1:], "--no-browser").strip()
    assert httpx.get(url).status_code == 302
    assert "InService" in cli("notebook", "ls")
    assert "Deleted notebook instance nb." in cli("notebook", "rm", NAME)
    assert not (server.data_dir / "notebooks" / NAME).exists()
    assert not _jupyter_processes(server.data_dir)
    assert "No notebook instances." in cli("notebook", "ls")


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _jupyter_processes(data_dir: Path) -> list[int]:
    """Processes whose command line names the data folder: JupyterLab (root dir) and kernels (connection file)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(data_dir) in command and ("jupyterlab" in command or "notebook_kernel" in command):
            found.append(int(entry.name))
    return found


def _run_in_kernel(lab: Lab, code: str) -> str:
    """Start a conda_python3 kernel through Jupyter's REST API, run ``code`` over its websocket, return stdout."""
    with Kernel(lab) as kernel:
        cell = kernel.run(code)
    assert cell.error is None, cell.traceback
    return cell.stdout.strip()
