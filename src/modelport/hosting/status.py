"""Endpoint statuses with AWS's values, and the groups of them the service layer asks about.

Which status follows which is decided where the move is made: the service layer writes
``Creating``, ``Updating`` and ``Deleting`` (refusing calls while one is ``IN_PROGRESS``), the
controller ``InService``, ``Failed``, ``RollingBack`` and ``UpdateRollbackFailed``
(``controller._create`` and ``restore``, ``updates/run.py`` and ``updates/rolling.py``).
docs/hosting.md draws the moves.
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

# Statuses in which the endpoint answers invocations (the old fleet serves during an update and
# its rollback; after a failed rollback, what runs of both fleets serves).
SERVING = frozenset({S.IN_SERVICE, S.UPDATING, S.ROLLING_BACK, S.UPDATE_ROLLBACK_FAILED})

# Statuses in which UpdateEndpoint and DeleteEndpoint are refused as "in progress".
IN_PROGRESS = frozenset({S.CREATING, S.UPDATING, S.ROLLING_BACK, S.DELETING})
