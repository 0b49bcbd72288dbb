"""Settings from the environment and flags."""

from __future__ import annotations

from pathlib import Path

from modelport.core.config import Settings


def test_defaults_are_safe() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.auth_enabled
    assert settings.limits.max_payload_bytes == 6 * 1024 * 1024
    assert settings.limits.invocation_timeout_s == 60.0


def test_environment_then_flags(tmp_path: Path) -> None:
    env = {
        "MODELPORT_PORT": "9000",
        "MODELPORT_REGION": "eu-west-1",
        "MODELPORT_AUTH": "0",
        "MODELPORT_DATA_DIR": str(tmp_path),
        "MODELPORT_MAX_IN_FLIGHT_PER_INSTANCE": "8",
        "MODELPORT_INVOCATION_TIMEOUT_S": "2.5",
    }
    settings = Settings.from_env(env, port=9100, host=None)
    assert settings.port == 9100  # a flag beats the environment
    assert settings.host == "127.0.0.1"  # an unset flag falls through
    assert settings.region == "eu-west-1"
    assert not settings.auth_enabled
    assert settings.data_dir == tmp_path.resolve()
    assert settings.limits.max_in_flight_per_instance == 8
    assert settings.limits.invocation_timeout_s == 2.5
