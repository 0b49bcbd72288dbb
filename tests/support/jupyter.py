"""Driving a notebook instance's JupyterLab as its user's browser does: over Jupyter's REST API.

``open_lab`` follows a presigned URL to JupyterLab; ``upload`` puts a file into the instance's
home folder (what dragging a file into JupyterLab does); ``Kernel`` starts a kernel and runs
code over its websocket, returning what the cell printed and the error it raised, if any.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import websocket


@dataclass(frozen=True)
class Lab:
    """A JupyterLab reached through its presigned URL: its base URL and its token."""

    base: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, headers=self.headers)


def open_lab(sagemaker: Any, name: str) -> Lab:
    """Follow CreatePresignedNotebookInstanceUrl's URL to JupyterLab, checking the page is JupyterLab."""
    url = sagemaker.create_presigned_notebook_instance_url(NotebookInstanceName=name)["AuthorizedUrl"]
    redirect = httpx.get(url)
    assert redirect.status_code == 302, redirect.text
    target = httpx.URL(redirect.headers["location"])
    assert target.host == "127.0.0.1" and target.path == "/lab"
    assert "<title>JupyterLab</title>" in httpx.get(target).text
    return Lab(f"http://127.0.0.1:{target.port}", str(target.params["token"]))


def upload(lab: Lab, name: str, content: bytes) -> None:
    """Save ``content`` as ``name`` in the instance's home folder (the contents API, base64)."""
    body = {"type": "file", "format": "base64", "content": base64.b64encode(content).decode()}
    answer = httpx.put(f"{lab.base}/api/contents/{name}", headers=lab.headers, json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text


@dataclass
class CellResult:
    stdout: str = ""
    stderr: str = ""
    results: list[str] = field(default_factory=list)  # text/plain of execute_result outputs
    error: str | None = None  # "EName: evalue" when the cell raised
    traceback: str = ""


class Kernel:
    """A kernel of ``kernel_name`` started in JupyterLab; ``run`` executes one cell's code."""

    def __init__(self, lab: Lab, kernel_name: str = "conda_python3", timeout_s: float = 300) -> None:
        self.lab = lab
        started = httpx.post(
            lab.base + "/api/kernels", headers=lab.headers, json={"name": kernel_name}, timeout=60
        )
        assert started.status_code == 201, started.text
        self.kernel_id = str(started.json()["id"])
        self.session = uuid.uuid4().hex
        self.socket = websocket.create_connection(
            f"ws://{lab.base.removeprefix('http://')}/api/kernels/{self.kernel_id}/channels",
            header=[f"Authorization: token {lab.token}"],
            timeout=timeout_s,
        )

    def __enter__(self) -> Kernel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self, *, shut_down: bool = True) -> None:
        """Close the websocket and, unless ``shut_down`` is false, shut the kernel down."""
        self.socket.close()
        if shut_down:
            httpx.delete(
                f"{self.lab.base}/api/kernels/{self.kernel_id}", headers=self.lab.headers, timeout=30
            )

    def run(self, code: str) -> CellResult:
        msg_id = uuid.uuid4().hex
        self.socket.send(json.dumps(self._execute_request(msg_id, code)))
        result = CellResult()
        idle = replied = False
        while not (idle and replied):  # the shell's reply says how it ended; idle ends the output
            message = json.loads(self.socket.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "execute_reply":
                replied = True
                if content["status"] != "ok" and result.error is None:
                    result.error = (
                        f"{content.get('ename', 'the cell')}: {content.get('evalue', content['status'])}"
                    )
            elif kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
                else:
                    result.stderr += content["text"]
            elif kind == "execute_result":
                result.results.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                result.error = f"{content['ename']}: {content['evalue']}"
                result.traceback = "\n".join(content.get("traceback", []))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return result

    def _execute_request(self, msg_id: str, code: str) -> dict[str, Any]:
        return {
            "header": {
                "msg_id": msg_id,
                "username": "test",
                "session": self.session,
                "msg_type": "execute_request",
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
