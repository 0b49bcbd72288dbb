"""The endpoint status groups the service layer asks about."""

from __future__ import annotations

from modelport.hosting.status import IN_PROGRESS, SERVING, EndpointStatus

S = EndpointStatus


def test_serving_and_in_progress_sets() -> None:
    assert {S.IN_SERVICE, S.UPDATING} == SERVING
    assert {S.CREATING, S.UPDATING, S.DELETING} == IN_PROGRESS
    assert {s.value for s in S} >= {"Creating", "InService", "Updating", "Deleting", "Failed"}
