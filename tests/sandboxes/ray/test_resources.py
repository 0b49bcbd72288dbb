"""What an instance asks Ray for (pure: no Ray needed), and the backend settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from modelport.cli.main import cli
from modelport.core.config import Settings
from modelport.sandboxes.ray.cluster import actor_name, owner_tag
from modelport.sandboxes.ray.resources import GIB, INSTANCE_TYPES, resources_for, vcpus_and_memory


def test_the_seed_type_asks_for_a_quarter_by_default() -> None:
    need = resources_for("ml.m4.xlarge", Settings().ray_resource_scale)
    assert need.num_cpus == 1
    assert need.memory_bytes == 4 * GIB


def test_a_scale_of_one_asks_for_the_real_size() -> None:
    for instance_type, (vcpus, gib) in INSTANCE_TYPES.items():
        need = resources_for(instance_type, 1.0)
        assert (need.num_cpus, need.memory_bytes) == (vcpus, gib * GIB)


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [("ml.c6i.large", (2, 8)), ("ml.m7i.8xlarge", (32, 128)), ("ml.t3.medium", (1, 4)), ("", (1, 2))],
)
def test_an_unlisted_type_is_sized_from_its_suffix(instance_type: str, expected: tuple[int, int]) -> None:
    assert vcpus_and_memory(instance_type) == expected


def test_a_tiny_scale_still_asks_for_something() -> None:
    need = resources_for("ml.t2.medium", 0.001)
    assert need.num_cpus > 0
    assert need.memory_bytes > 0


def test_backend_settings() -> None:
    assert Settings().backend == "local"
    settings = Settings.from_env({"MODELPORT_BACKEND": "Ray", "MODELPORT_RAY_ADDRESS": "ray://head:10001"})
    assert (settings.backend, settings.ray_address) == ("ray", "ray://head:10001")
    with pytest.raises(ValueError, match="MODELPORT_BACKEND must be one of local, ray"):
        Settings.from_env({"MODELPORT_BACKEND": "k8s"})


def test_actor_names_are_readable_and_owned() -> None:
    owner = owner_tag(Path("/data/a"))
    assert owner != owner_tag(Path("/data/b"))
    assert actor_name("iris/AllTraffic/0-3", owner) == f"modelport:iris/AllTraffic/0-3@{owner}"


def test_a_bad_backend_is_a_usage_error_not_a_traceback() -> None:
    result = CliRunner().invoke(cli, ["server", "--port", "0"], env={"MODELPORT_BACKEND": "k8s"})
    assert result.exit_code == 2
    assert "MODELPORT_BACKEND must be one of local, ray, not 'k8s'." in result.output
