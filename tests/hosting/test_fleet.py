"""``blend``: the fleet served while traffic moves, checked as a property over weights and shares."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from modelport.hosting.fleet import Fleet, VariantFleet, blend


def fleet(weights: list[float], prefix: str) -> Fleet:
    variants = [
        VariantFleet(name=f"{prefix}{k}", weight=w, desired_count=1, snapshot={})
        for k, w in enumerate(weights)
    ]
    return Fleet(endpoint_name="ep", deployment={"Variants": []}, variants=variants)


weights = st.lists(st.floats(0.0, 100.0), min_size=1, max_size=5)


@given(blue_weights=weights, green_weights=weights, share=st.floats(0.0, 1.0))
def test_each_fleet_gets_its_share_split_by_its_own_weights(
    blue_weights: list[float], green_weights: list[float], share: float
) -> None:
    blue, green = fleet(blue_weights, "b"), fleet(green_weights, "g")
    mixed = blend(blue, green, share)
    on_blue = mixed.variants[: len(blue_weights)]
    on_green = mixed.variants[len(blue_weights) :]
    assert math.isclose(sum(v.weight for v in on_green), share, abs_tol=1e-9)
    assert math.isclose(sum(v.weight for v in on_blue), 1.0 - share, abs_tol=1e-9)
    for original, view in zip(blue.variants + green.variants, mixed.variants, strict=True):
        assert view.instances is original.instances  # one list: a replaced instance is seen by both
        assert view.name == original.name
