"""The endpoint status groups the service layer asks about."""

from __future__ import annotations

from modelport.hosting.status import IN_PROGRESS, SERVING, EndpointStatus

S = EndpointStatus


def test_serving_and_in_progress_sets() -> None:
    # A rollback serves from the old fleet; a failed one from what runs of both.
    assert {S.IN_SERVICE, S.UPDATING, S.ROLLING_BACK, S.UPDATE_ROLLBACK_FAILED} == SERVING
    assert {S.CREATING, S.UPDATING, S.ROLLING_BACK, S.DELETING} == IN_PROGRESS
    assert {s.value for s in S} >= {"Creating", "InService", "Updating", "Deleting", "Failed"}
