"""The supervisor with real worker processes: instances from its warm pool, or cold when they must.

One module-wide supervisor with one XGBoost spare keeps this to three worker processes.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import joblib
import pytest
import xgboost as xgb
from sklearn.datasets import load_iris

from modelport.sandboxes.supervisor import InstanceSpec, Supervisor
from support.waiting import wait_until


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    features, target = load_iris(return_X_y=True)
    folder = tmp_path_factory.mktemp("iris")
    joblib.dump(
        xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(features, target), folder / "xgboost-model"
    )
    return folder


def test_instances_take_warm_spares_unless_their_variables_are_read_at_start(
    model_dir: Path, tmp_path: Path
) -> None:
    def spec(name: str, environment: dict[str, str]) -> InstanceSpec:
        return InstanceSpec(
            instance_id=name,
            runtime="xgboost",
            framework_version="1.7-1",
            model_dir=model_dir,
            environment=environment,
            log_path=tmp_path / f"{name}.log",
        )

    async def scenario() -> tuple[int, set[int], int, set[int], int, list[int]]:
        supervisor = Supervisor(
            startup_timeout_s=60, ping_timeout_s=2, warm_per_runtime=1, pool_log_dir=tmp_path / "warm"
        )
        supervisor.fill_pool()
        await asyncio.sleep(0)  # the pool starts its spares on the loop
        spares_before = {spare.process.pid for spare in supervisor.spares.spares("xgboost")}
        warm = await supervisor.start(spec("warm", {"COLOUR": "blue"}))
        spares_between = {spare.process.pid for spare in supervisor.spares.spares("xgboost")}
        cold = await supervisor.start(spec("cold", {"OMP_NUM_THREADS": "2"}))
        left = supervisor.spares.ready("xgboost")
        pids = [warm.process.pid, cold.process.pid, *spares_between]
        supervisor.kill_all()
        return warm.process.pid, spares_before, cold.process.pid, spares_between, left, pids

    warm_pid, spares_before, cold_pid, spares_between, left, pids = asyncio.run(scenario())
    assert warm_pid in spares_before  # the instance is the spare that was waiting
    assert len(spares_between) == 1 and warm_pid not in spares_between  # and it was replaced
    assert cold_pid not in spares_between  # OMP_NUM_THREADS: a fresh process
    assert left == 1  # the spare stayed for the next instance
    assert (tmp_path / "cold.log").exists()
    wait_until(lambda: all(_gone(pid) for pid in pids), "kill_all should stop every process", timeout_s=10)
