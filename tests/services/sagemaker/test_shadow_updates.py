"""A rolling update is refused where a shadow variant runs (it would move production variants only)."""

from __future__ import annotations

import pytest

from modelport.core.errors import InvalidRequest
from modelport.services.sagemaker.endpoint_updates import refuse_rolling_with_shadows

ROLLING = {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1}}}
BLUE_GREEN = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}}
SHADOWED = {"Variants": [{}], "ShadowVariants": [{}]}
PLAIN = {"Variants": [{}]}


def test_rolling_is_refused_when_the_old_or_new_config_has_a_shadow() -> None:
    for deployments in ((SHADOWED, PLAIN), (PLAIN, SHADOWED)):
        with pytest.raises(InvalidRequest, match="use a BlueGreenUpdatePolicy"):
            refuse_rolling_with_shadows(ROLLING, *deployments)


def test_blue_green_and_plain_rolling_pass() -> None:
    refuse_rolling_with_shadows(BLUE_GREEN, SHADOWED)
    refuse_rolling_with_shadows(ROLLING, PLAIN, PLAIN)
