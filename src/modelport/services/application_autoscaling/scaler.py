"""The autoscaler: the loop that reads each policy's datapoints and alarms and changes a variant's
desired instance count through UpdateEndpointWeightsAndCapacities.

Every round (each second, or each ``autoscaling_period_s`` if shorter) it brings capacities
outside their target's bounds back within them and runs step policies whose alarms are in
ALARM; every ``autoscaling_period_s`` it also reads one datapoint per target-tracking policy and
asks ``decisions.target_tracking``. Several policies on one variant: the largest scale-out wins;
without one, the smallest scale-in. A change runs as UpdateEndpointWeightsAndCapacities does
(healthy instances are not restarted), one at a time per variant, recorded as a scaling
activity (after a failed one, the variant is left alone for ``RETRY_S`` or a period); a policy's change starts its cooldown when it has settled (a change that brings the
capacity back within new bounds starts none). The variant's datapoints from before a
change are forgotten after it. An endpoint that is not InService (being updated, or gone) is
left alone until it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import defaultdict
from typing import Any

from modelport.core.errors import ModelportError
from modelport.hosting.status import EndpointStatus
from modelport.services.application_autoscaling import activities, alarm_actions, datapoints, records
from modelport.services.application_autoscaling.decisions import Scaling, step_scaling, target_tracking
from modelport.services.context import ServiceContext
from modelport.services.sagemaker.endpoint_updates import update_endpoint_weights_and_capacities
from modelport.store.base import Resource

log = logging.getLogger(__name__)
ROUND_S = 1.0
RETRY_S = 10.0  # after a failed change, the variant is left alone this long (or a period, if longer)

Proposal = tuple[int, str]  # capacity, cause


class Autoscaler:
    def __init__(self, ctx: ServiceContext) -> None:
        limits = ctx.settings.limits
        self.ctx = ctx
        self.period_s = limits.autoscaling_period_s
        self.out_points = limits.autoscaling_scale_out_periods
        self.in_points = limits.autoscaling_scale_in_periods
        self.datapoints = datapoints.Datapoints(ctx.metrics, keep=max(self.out_points, self.in_points))
        self.changing: dict[str, asyncio.Task[None]] = {}  # ResourceId -> its change in progress
        self._alarm_runs: dict[tuple[str, str], tuple[float, Any]] = {}  # -> (monotonic, state time)
        self._failed: dict[str, float] = {}  # ResourceId -> when its last change failed (monotonic)

    async def run(self) -> None:
        """The loop; it never dies of one failed round."""
        self._abandon_unfinished()
        clock = self.ctx.clock
        next_sample = clock.monotonic() + self.period_s
        while True:
            await asyncio.sleep(min(ROUND_S, self.period_s))
            try:
                sampled = clock.monotonic() >= next_sample
                if sampled:
                    next_sample = clock.monotonic() + self.period_s
                self.round(sampled=sampled)
            except Exception:
                log.exception("autoscaling: a round failed; the next one will try again")

    async def close(self) -> None:
        for task in list(self.changing.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def round(self, *, sampled: bool) -> None:
        store = self.ctx.store
        targets = store.list(records.TARGET_KIND)
        if not targets:
            return
        policies: dict[str, list[Resource]] = defaultdict(list)
        for policy in store.list(records.POLICY_KIND):
            policies[policy.body["ResourceId"]].append(policy)
        if sampled:
            self.datapoints.sample(self._tracked(policies), self.ctx.clock.monotonic())
        firing: dict[str, list[tuple[Resource, Resource]]] = defaultdict(list)
        for alarm, policy in alarm_actions.firing(self.ctx):
            if self._due(alarm, policy):
                firing[policy.body["ResourceId"]].append((alarm, policy))
        for target in targets:
            rid = target.name
            failed = self._failed.get(rid)
            if rid in self.changing or (
                failed is not None and self.ctx.clock.monotonic() - failed < max(RETRY_S, self.period_s)
            ):
                continue
            decided = self._decide(target, policies[rid], firing[rid], sampled=sampled)
            if decided is not None:
                task = asyncio.get_running_loop().create_task(self._change(target, *decided))
                self.changing[rid] = task

    def _tracked(self, policies: dict[str, list[Resource]]) -> dict[str, datapoints.Series]:
        return {
            p.name: datapoints.series_of(p.body["TargetTrackingScalingPolicyConfiguration"], rid)
            for rid, found in policies.items()
            for p in found
            if p.body["PolicyType"] == "TargetTrackingScaling"
        }

    def _due(self, alarm: Resource, policy: Resource) -> bool:
        """An alarm runs a policy when it enters ALARM, then once a period while it stays there."""
        key = (alarm.name, policy.name)
        now = self.ctx.clock.monotonic()
        entered = alarm.body.get("StateUpdatedTimestamp")
        last = self._alarm_runs.get(key)
        if last is not None and last[1] == entered and now - last[0] < self.period_s:
            return False
        self._alarm_runs[key] = (now, entered)
        return True

    def _decide(
        self,
        target: Resource,
        policies: list[Resource],
        firing: list[tuple[Resource, Resource]],
        *,
        sampled: bool,
    ) -> tuple[int, str, int] | None:
        """(new capacity, cause, current capacity), or None to leave the variant as it is."""
        body = target.body
        variant = records.variant_of(body)
        endpoint = self.ctx.store.get("endpoint", variant.endpoint)
        if endpoint is None or endpoint.status != EndpointStatus.IN_SERVICE:
            return None
        found = [v for v in endpoint.body["Deployment"]["Variants"] if v["VariantName"] == variant.variant]
        if not found:
            return None
        suspended = body.get("SuspendedState") or {}
        scaling = Scaling(
            current=int(found[0]["InstanceCount"]),
            min_capacity=int(body["MinCapacity"]),
            max_capacity=int(body["MaxCapacity"]),
            now=self.ctx.clock.now(),
            last_scale_out=body.get("LastScaleOut"),
            last_scale_in=body.get("LastScaleIn"),
            disable_scale_in=bool(suspended.get("DynamicScalingInSuspended")),
            disable_scale_out=bool(suspended.get("DynamicScalingOutSuspended")),
        )
        fixed = scaling.out_of_bounds()
        if fixed is not None:
            which = "maximum" if scaling.current > scaling.max_capacity else "minimum"
            return fixed, f"{which} capacity was set to {fixed}", scaling.current
        proposals: list[Proposal] = []
        for policy in policies:
            config = policy.body.get("TargetTrackingScalingPolicyConfiguration")
            if config is None or not sampled:
                continue
            tracking = dataclasses.replace(
                scaling,
                scale_out_cooldown=config["ScaleOutCooldown"],
                scale_in_cooldown=config["ScaleInCooldown"],
                disable_scale_in=scaling.disable_scale_in or config["DisableScaleIn"],
            )
            values = self.datapoints.values(policy.name)
            capacity = target_tracking(
                values,
                float(config["TargetValue"]),
                tracking,
                scale_out_points=self.out_points,
                scale_in_points=self.in_points,
            )
            if capacity is not None:
                proposals.append((capacity, _tracking_cause(policy, capacity > scaling.current)))
        for alarm, policy in firing:
            config = policy.body["StepScalingPolicyConfiguration"]
            cooldown = config["Cooldown"]
            stepping = dataclasses.replace(scaling, scale_out_cooldown=cooldown, scale_in_cooldown=cooldown)
            capacity = step_scaling(config, alarm_actions.breach(self.ctx, alarm), stepping)
            if capacity is not None:
                proposals.append((capacity, _cause(alarm.name, policy)))
        chosen = _chosen(proposals, scaling.current)
        return None if chosen is None else (*chosen, scaling.current)

    async def _change(self, target: Resource, capacity: int, cause: str, was: int) -> None:
        rid = target.name
        variant = records.variant_of(target.body)
        activity = activities.start(self.ctx, rid, capacity, cause)
        failure: str | None = None
        try:
            await update_endpoint_weights_and_capacities(
                self.ctx,
                {
                    "EndpointName": variant.endpoint,
                    "DesiredWeightsAndCapacities": [
                        {"VariantName": variant.variant, "DesiredInstanceCount": capacity}
                    ],
                },
            )
            failure = await self._settled(variant)
        except ModelportError as error:
            failure = error.message
        except Exception as error:  # never leave an activity InProgress for a bug
            log.exception("autoscaling: changing %s failed", rid)
            failure = f"internal error ({type(error).__name__})"
        finally:
            self.changing.pop(rid, None)
        activities.finish(self.ctx, activity, capacity=capacity, failure=failure)
        if failure is None:
            self._failed.pop(rid, None)
        else:
            self._failed[rid] = self.ctx.clock.monotonic()
        for policy in records.policies_of(self.ctx, rid):
            self.datapoints.history.pop(policy.name, None)
        current = self.ctx.store.get(records.TARGET_KIND, rid)
        if failure is None and current is not None and cause.startswith("monitor alarm"):
            stamp = "LastScaleOut" if capacity >= was else "LastScaleIn"
            body = dict(current.body, **{stamp: self.ctx.clock.now()})
            self.ctx.store.update(current.evolve(body=body))

    async def _settled(self, variant: records.Variant) -> str | None:
        """None once the endpoint is InService again; else why the change did not happen."""
        timeout = self.ctx.settings.limits.startup_timeout_s
        await self.ctx.engine.settled(variant.endpoint, timeout)
        endpoint = self.ctx.store.get("endpoint", variant.endpoint)
        if endpoint is None:
            return f"endpoint {variant.endpoint} was deleted."
        if endpoint.status != EndpointStatus.IN_SERVICE:
            return f"endpoint {variant.endpoint} is {endpoint.status} after {timeout:g} s."
        reason = endpoint.body.get("FailureReason")
        return str(reason) if reason else None

    def _abandon_unfinished(self) -> None:
        """Activities a stopped server left InProgress end as Failed."""
        for activity in self.ctx.store.list(records.ACTIVITY_KIND):
            if activity.status == "InProgress":
                capacity = int(activity.body["Description"].split()[-1].rstrip("."))
                failure = "the server stopped before the change was confirmed."
                activities.finish(self.ctx, activity, capacity=capacity, failure=failure)


def _tracking_cause(policy: Resource, out: bool) -> str:
    which = "AlarmHigh" if out else "AlarmLow"
    alarms = [a["AlarmName"] for a in policy.body.get("Alarms") or [] if f"-{which}-" in a["AlarmName"]]
    return _cause(alarms[0] if alarms else which, policy)


def _cause(alarm: str, policy: Resource) -> str:
    return f"monitor alarm {alarm} in state ALARM triggered policy {policy.body['PolicyName']}"


def _chosen(proposals: list[Proposal], current: int) -> Proposal | None:
    """The largest scale-out, else the smallest scale-in (the largest capacity below current)."""
    up = [p for p in proposals if p[0] > current]
    if up:
        return max(up, key=lambda p: p[0])
    down = [p for p in proposals if p[0] < current]
    return max(down, key=lambda p: p[0]) if down else None
