"""Endpoint statuses with AWS's values, and the table of transitions modelport makes.

The table is the only place that says which status may follow which; the controller asks it
before every change, so an illegal move is a bug caught at once rather than a corrupt record.
"""

from __future__ import annotations

from enum import StrEnum


class EndpointStatus(StrEnum):
    OUT_OF_SERVICE = "OutOfService"
    CREATING = "Creating"
    UPDATING = "Updating"
    SYSTEM_UPDATING = "SystemUpdating"
    ROLLING_BACK = "RollingBack"
    IN_SERVICE = "InService"
    DELETING = "Deleting"
    FAILED = "Failed"
    UPDATE_ROLLBACK_FAILED = "UpdateRollbackFailed"


S = EndpointStatus

TRANSITIONS: dict[EndpointStatus, frozenset[EndpointStatus]] = {
    S.CREATING: frozenset({S.IN_SERVICE, S.FAILED, S.DELETING}),
    # A failed update returns to InService on the old config, with FailureReason set.
    S.UPDATING: frozenset({S.IN_SERVICE, S.DELETING}),
    S.IN_SERVICE: frozenset({S.UPDATING, S.DELETING}),
    S.FAILED: frozenset({S.DELETING}),
    S.DELETING: frozenset(),
}

# Statuses in which the endpoint answers invocations (the old fleet serves during an update).
SERVING = frozenset({S.IN_SERVICE, S.UPDATING})

# Statuses in which UpdateEndpoint and DeleteEndpoint are refused as "in progress".
IN_PROGRESS = frozenset({S.CREATING, S.UPDATING, S.DELETING})


def can_move(current: EndpointStatus, new: EndpointStatus) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
