from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import joblib
import numpy as np
import xgboost as xgb

from sandboxes.worker.worker_harness import listening_socket, wait_for_ping, worker_env
from support.waiting import wait_until

ROW = b"5.1,3.5,1.4,0.2"


def test_serves_invocations_with_exact_bytes(start_worker: Any, iris_model_dir: Path) -> None:
    worker = start_worker(iris_model_dir)
    ping = wait_for_ping(worker.base_url)
    assert (ping.status_code, ping.content) == (200, b"")
    classifier = joblib.load(iris_model_dir / "xgboost-model")
    expected = (
        ",".join(map(str, classifier.predict_proba(np.array([[5.1, 3.5, 1.4, 0.2]]))[0].tolist())) + "\n"
    )
    with httpx.Client(base_url=worker.base_url) as client:
        response = client.post("/invocations", content=ROW, headers={"Content-Type": "text/csv"})
        assert response.status_code == 200
        assert response.content == expected.encode()
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "x-amzn-sagemaker-custom-attributes" not in response.headers
        refused = client.post("/invocations", content=b"{}", headers={"Content-Type": "application/json"})
        assert refused.status_code == 415
        empty = client.post("/invocations", content=b"", headers={"Content-Type": "text/csv"})
        assert (empty.status_code, empty.content) == (204, b"")
        assert client.get("/nope").status_code == 404


def test_failed_load_reports_reason_on_ping(start_worker: Any, tmp_path: Path) -> None:
    model_dir = tmp_path / "bad"
    model_dir.mkdir()
    (model_dir / "xgboost-model").write_bytes(b"cnosuchpkg.models\nThing\n)\x81.")
    worker = start_worker(model_dir)
    ping = wait_for_ping(worker.base_url)
    assert ping.status_code == 500
    assert ping.text.startswith(f"Model {model_dir / 'xgboost-model'} cannot be loaded: ")
    assert "nosuchpkg" in ping.text
    invoke = httpx.post(f"{worker.base_url}/invocations", content=ROW, headers={"Content-Type": "text/csv"})
    assert invoke.status_code == 500 and invoke.text.startswith("Unable to load model: ")


def test_sigterm_exits_zero_promptly(start_worker: Any, iris_model_dir: Path) -> None:
    """An idle keep-alive connection does not hold the shutdown: the worker exits while the client
    still holds it, and uvicorn never waits out its graceful-shutdown timeout (which it would log)."""
    worker = start_worker(iris_model_dir)
    wait_for_ping(worker.base_url)
    with httpx.Client(base_url=worker.base_url) as client:  # an idle keep-alive connection stays open
        client.post("/invocations", content=ROW, headers={"Content-Type": "text/csv"})
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(timeout=10) == 0
    worker.log.flush()
    assert "timeout graceful shutdown exceeded" not in Path(worker.log.name).read_text()


def test_sigterm_during_load_exits_zero(start_worker: Any, iris_model_dir: Path) -> None:
    worker = start_worker(iris_model_dir)
    # The worker catches SIGTERM from its first lines on, long before its model is loaded.
    wait_until(lambda: _catches_sigterm(worker.process.pid), "the worker never installed its SIGTERM handler")
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(timeout=10) == 0


def test_worker_dies_with_its_parent(iris_model_dir: Path, tmp_path: Path) -> None:
    sock = listening_socket()
    port = sock.getsockname()[1]
    pid_file = tmp_path / "worker.pid"
    launcher = (
        "import subprocess, sys, os, time\n"
        f"fd = {sock.fileno()}\n"
        "p = subprocess.Popen([sys.executable, '-m', 'modelport.sandboxes.worker'], pass_fds=[fd],\n"
        "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", launcher],
        env=worker_env(iris_model_dir, sock.fileno()),
        pass_fds=[sock.fileno()],
    )
    sock.close()
    try:
        wait_for_ping(f"http://127.0.0.1:{port}")
        worker_pid = int(pid_file.read_text())
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(worker_pid):
            assert time.monotonic() < deadline, "worker survived its parent"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has a handler for SIGTERM (``SigCgt`` in /proc/<pid>/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie re-parented to init is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sklearn_worker(start_worker: Any, tmp_path: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    features, target = load_iris(return_X_y=True)
    joblib.dump(DecisionTreeClassifier(random_state=0).fit(features, target), tmp_path / "model.joblib")
    worker = start_worker(tmp_path, runtime="sklearn", version="1.2-1")
    assert wait_for_ping(worker.base_url).status_code == 200
    response = httpx.post(
        f"{worker.base_url}/invocations",
        content=b"[[5.1,3.5,1.4,0.2]]",
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.content) == (200, b"[0]")
    assert response.headers["content-type"] == "application/json"


def test_xgboost_predictions_match_across_process_boundary(start_worker: Any, tmp_path: Path) -> None:
    features = np.random.default_rng(0).normal(size=(50, 3))
    booster = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(features, label=features[:, 0]), 3)
    (tmp_path / "xgboost-model").write_bytes(booster.save_raw("ubj"))
    worker = start_worker(tmp_path, version="0.90-2")
    wait_for_ping(worker.base_url)
    body = b"\n".join(b",".join(str(v).encode() for v in row) for row in features[:3])
    response = httpx.post(
        f"{worker.base_url}/invocations", content=body, headers={"Content-Type": "text/csv"}
    )
    expected = ",".join(map(str, booster.predict(xgb.DMatrix(features[:3])).tolist()))
    assert response.content == expected.encode()
