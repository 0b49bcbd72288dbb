"""The endpoint status table."""

from __future__ import annotations

from modelport.hosting.status import IN_PROGRESS, SERVING, TRANSITIONS, EndpointStatus, can_move

S = EndpointStatus


def test_transitions_follow_sagemaker() -> None:
    assert can_move(S.CREATING, S.IN_SERVICE)
    assert can_move(S.CREATING, S.FAILED)
    assert can_move(S.IN_SERVICE, S.UPDATING)
    assert can_move(S.UPDATING, S.IN_SERVICE)  # also after a failed update, on the old config
    assert can_move(S.FAILED, S.DELETING)
    assert not can_move(S.FAILED, S.UPDATING)
    assert not can_move(S.DELETING, S.IN_SERVICE)
    assert not TRANSITIONS[S.DELETING]


def test_serving_and_in_progress_sets() -> None:
    assert {S.IN_SERVICE, S.UPDATING} == SERVING
    assert {S.CREATING, S.UPDATING, S.DELETING} == IN_PROGRESS
    assert {s.value for s in S} >= {"Creating", "InService", "Updating", "Deleting", "Failed"}
