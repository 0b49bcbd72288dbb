"""A real worker takes batches: concurrent requests through the router's gatherer are answered
byte for byte as each is answered alone, bad requests included."""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
from pathlib import Path
from typing import Any

import joblib
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from modelport.hosting.batching import BatchPolicy, Gatherer
from modelport.hosting.worker_client import WorkerBroken, WorkerClient, WorkerResponse
from modelport.sandboxes.runtimes.base import Invocation, InvocationResult
from modelport.sandboxes.worker.batch_wire import (
    decode_answers,
    decode_invocations,
    encode_answers,
    encode_invocations,
)

XGBOOST_REQUESTS = [
    (b"5.1,3.5,1.4,0.2", "text/csv"),
    (b"6.7,3.0,5.2,2.3\n5.9,3.0,4.2,1.5", "text/csv"),
    (b"0:5.1 1:3.5 2:1.4 3:0.2", "text/libsvm"),
    (b"1 0:6.7 2:5.2", "libsvm"),
    (b"1,2,3", "text/csv"),  # the pickled model's feature check: 400
    (b"a,b,c,d", "text/csv"),  # 415
    (b"5.1,3.5,1.4,0.2", "application/json"),  # 415
    (b"", "text/csv"),  # 204
]
SKLEARN_REQUESTS = [
    (b"[[5.1, 3.5, 1.4, 0.2]]", "application/json"),
    (b"[[6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]", "application/json"),
    (b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3", "text/csv"),
    (b"5.1,3.5,1.4,0.2", "text/csv"),  # one CSV row squeezes to 1-D: the container's 500
    (b"[1, 2", "application/json"),
]
ACCEPTS = [None, "*/*", "text/csv", "application/json", "application/jsonlines", "text/html"]


@pytest.fixture(scope="module")
def forest_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    features, target = load_iris(return_X_y=True)
    model_dir = tmp_path_factory.mktemp("forest")
    joblib.dump(
        RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target),
        model_dir / "model.joblib",
    )
    return model_dir


def _headers(content_type: str, accept: str | None) -> dict[str, str]:
    return {"Content-Type": content_type} | ({"Accept": accept} if accept else {})


def _key(response: WorkerResponse) -> tuple[int, bytes, str | None]:
    return response.status, response.body, response.headers.get("content-type")


async def _compare(port: int, requests: list[tuple[bytes, str]], *, framed: bool = False) -> int:
    """Send every request alone, then 200 at once through a gatherer; return how many were batched.
    ``framed``: over the worker's Unix socket in frames (the router's way), else HTTP."""
    client = WorkerClient("127.0.0.1", port, timeout_s=30, max_idle=64, framed=framed)
    cases = [(body, _headers(ct, accept)) for body, ct in requests for accept in ACCEPTS]
    alone = [_key(await client.invoke(body, headers)) for body, headers in cases]
    gatherer = Gatherer(client, BatchPolicy(max_size=16, max_wait_s=0.05, max_bytes=6 * 1024 * 1024))
    await gatherer.invoke(*cases[0])
    assert gatherer.enabled
    batched = 0
    original = gatherer._call_batch

    async def counting(invocations: list[Invocation]) -> list[WorkerResponse]:
        nonlocal batched
        batched += len(invocations)
        return await original(invocations)

    gatherer._call_batch = counting  # type: ignore[method-assign]
    rng = random.Random(7)
    picks = [rng.randrange(len(cases)) for _ in range(200)]
    answers = await asyncio.gather(*(gatherer.invoke(*cases[i]) for i in picks))
    for index, answer in zip(picks, answers, strict=True):
        assert _key(answer) == alone[index], cases[index]
    await client.aclose()
    return batched


@pytest.mark.parametrize("framed", [False, True], ids=["http", "frames"])
def test_a_real_xgboost_worker_answers_batches_as_alone(
    start_worker: Any, iris_model_dir: Path, framed: bool
) -> None:
    worker = start_worker(iris_model_dir)
    from sandboxes.worker.worker_harness import wait_for_ping

    wait_for_ping(worker.base_url)
    port = int(worker.base_url.rsplit(":", 1)[1])
    batched = asyncio.run(_compare(port, XGBOOST_REQUESTS, framed=framed))
    assert batched > 50  # most of the 200 went in batches


def test_a_real_sklearn_worker_answers_batches_as_alone(start_worker: Any, forest_model_dir: Path) -> None:
    worker = start_worker(forest_model_dir, runtime="sklearn", version="1.2-1")
    from sandboxes.worker.worker_harness import wait_for_ping

    wait_for_ping(worker.base_url)
    assert asyncio.run(_compare(int(worker.base_url.rsplit(":", 1)[1]), SKLEARN_REQUESTS)) > 50


KILLER = """
import os
import signal

import joblib


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def predict_fn(data, model):
    if (data == 99).any():
        os.kill(os.getpid(), signal.SIGKILL)
    return model.predict(data)
"""


def test_a_worker_killed_mid_batch_fails_that_batch_only(
    start_worker: Any, forest_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Script mode opted in; its predict_fn kills the process when a batch holds a 99."""
    model_dir = tmp_path / "model"
    shutil.copytree(forest_model_dir, model_dir)
    (model_dir / "code").mkdir()
    (model_dir / "code" / "inference.py").write_text(KILLER)
    monkeypatch.setenv("MODELPORT_BATCHING", "on")
    worker = start_worker(model_dir, runtime="sklearn", version="1.2-1")
    from sandboxes.worker.worker_harness import wait_for_ping

    wait_for_ping(worker.base_url)

    async def test() -> None:
        client = WorkerClient("127.0.0.1", int(worker.base_url.rsplit(":", 1)[1]), timeout_s=30, max_idle=16)
        # A long max wait: the batch goes when the first request's call ends, not beside it.
        gatherer = Gatherer(client, BatchPolicy(max_size=16, max_wait_s=60, max_bytes=6 * 1024 * 1024))
        headers = {"Content-Type": "application/json"}
        assert (await gatherer.invoke(b"[[5.1, 3.5, 1.4, 0.2]]", headers)).status == 200
        bodies = [b"[[5.1, 3.5, 1.4, 0.2]]"] * 5 + [b"[[99, 99, 99, 99]]"]
        results = await asyncio.gather(*(gatherer.invoke(b, headers) for b in bodies), return_exceptions=True)
        await client.aclose()
        # The first went alone (nothing was in flight) and was answered; the batch after it died with the worker.
        assert isinstance(results[0], WorkerResponse) and results[0].status == 200
        assert all(isinstance(r, WorkerBroken) for r in results[1:]), results

    asyncio.run(test())
    worker.process.wait(timeout=10)
    assert worker.process.returncode == -signal.SIGKILL


texts = st.none() | st.text(st.characters(max_codepoint=255), max_size=20)


@given(st.lists(st.builds(Invocation, st.binary(max_size=50), texts, texts, texts), max_size=8))
def test_request_frames_round_trip(invocations: list[Invocation]) -> None:
    assert decode_invocations(encode_invocations(invocations)) == invocations


@given(
    st.lists(
        st.builds(InvocationResult, st.integers(100, 599), st.binary(max_size=50), texts, texts), max_size=8
    )
)
def test_answer_frames_round_trip(answers: list[InvocationResult]) -> None:
    assert decode_answers(encode_answers(answers)) == answers
