"""Application Auto Scaling's operation table (botocore's ``application-autoscaling``; JSON 1.1,
target ``AnyScaleFrontendService``, signing name ``application-autoscaling``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelport.services.application_autoscaling import activities, policies, targets
from modelport.services.context import ServiceContext

OPERATIONS: dict[str, Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]] = {
    "RegisterScalableTarget": targets.register_scalable_target,
    "DescribeScalableTargets": targets.describe_scalable_targets,
    "DeregisterScalableTarget": targets.deregister_scalable_target,
    "PutScalingPolicy": policies.put_scaling_policy,
    "DescribeScalingPolicies": policies.describe_scaling_policies,
    "DeleteScalingPolicy": policies.delete_scaling_policy,
    "DescribeScalingActivities": activities.describe_scaling_activities,
}
