"""Auto-rollback on CloudWatch alarms (``AutoRollbackConfiguration.Alarms``): the pure decisions.

While a blue/green update shifts traffic and bakes, and while a rolling update bakes between
batches, the alarms its DeploymentConfig names are looked at every
``Limits.deployment_alarm_check_interval_s`` (SageMaker watches them throughout; one look a
second costs a flush of the metrics and one query per alarm). The first alarm found in ``ALARM``
rolls the update back, and the ``FailureReason`` names it. As on SageMaker:

- an alarm already in ``ALARM`` when the update starts trips it at the first look (an alarm on
  the whole endpoint also sees the old fleet's errors: watch the new variant to avoid that);
- a named alarm that does not exist is not watched (auto-rollback needs alarms to work);
- after the last bake (during ``TerminationWaitInSeconds``) the update has succeeded and no
  alarm rolls it back.

Alarms are evaluated by the CloudWatch service (``services/cloudwatch``) on the per-minute
endpoint metrics, the minute in progress included, so a breach shows within one look. ``hosting``
may not import ``services``: the controller is handed a function that evaluates named alarms
(``AlarmStates``, wired by ``bootstrap.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALARM = "ALARM"


@dataclass(frozen=True)
class AlarmState:
    value: str  # OK, ALARM or INSUFFICIENT_DATA
    reason: str = ""  # the alarm's StateReason


# Named alarms evaluated now, by name; an alarm that does not exist is left out.
AlarmStates = Callable[[Sequence[str]], Mapping[str, AlarmState]]


def watched_alarms(deployment_config: dict[str, Any] | None) -> tuple[str, ...]:
    """The alarm names of a DeploymentConfig's ``AutoRollbackConfiguration``, in order."""
    rollback = (deployment_config or {}).get("AutoRollbackConfiguration") or {}
    return tuple(alarm["AlarmName"] for alarm in rollback.get("Alarms") or [])


def tripped(names: Sequence[str], states: Mapping[str, AlarmState], prefix: str) -> str | None:
    """The FailureReason when one of ``names`` is in ALARM (the first listed), else None."""
    for name in names:
        state = states.get(name)
        if state is not None and state.value == ALARM:
            because = f" ({state.reason})" if state.reason else ""
            return f"{prefix} CloudWatch alarm {name} went into ALARM during the update{because}."
    return None


def next_look(now: float, until: float, interval_s: float) -> float:
    """When to look at the alarms again while waiting until ``until``: every ``interval_s``,
    and at ``until`` itself (so a bake never ends unchecked)."""
    return min(until, now + max(interval_s, 0.01))
