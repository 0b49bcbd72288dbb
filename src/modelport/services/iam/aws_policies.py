"""AWS managed policies: the built-in, read-only policies at ``arn:aws:iam::aws:policy/...``.

They are data shipped with the package (``modelport/data/aws_managed_policies.json``): each
one's name, path, description, dates, default version id and document, as AWS publishes them in
its managed policy reference. A fresh account sees them as the console leaves it: GetPolicy and
GetPolicyVersion answer for them, AttachRolePolicy and AttachUserPolicy accept them, and the
evaluator reads their documents like those of customer managed policies. Nobody can delete them
or change their documents (``refuse_change``).

Their documents keep AWS's actions for services modelport does not serve (``ecr:*``, ``glue:*``,
...); the evaluator only ever asks about actions it serves, so those statements simply never
match. AWS's documents may exceed the ``PolicySize`` quota of customer managed policies
(AmazonSageMakerFullAccess does), so they are parsed as ``PolicyKind.AWS_MANAGED``, which has none.
"""

from __future__ import annotations

import calendar
import functools
import json
import time
from importlib import resources

from modelport.core.errors import AccessDenied
from modelport.store.base import Resource

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
KIND = "iam_aws_policy"


def is_aws_managed(arn: str) -> bool:
    return arn.startswith(AWS_POLICY_PREFIX)


def _epoch(stamp: str) -> float:
    return float(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")))


@functools.cache
def _catalogue() -> dict[str, Resource]:
    """The shipped policies by ARN, as read-only ``Resource`` values shaped like the stored
    customer managed ones (``Path``, ``PolicyId``, ``PolicyDocument``, ``Description``)."""
    text = resources.files("modelport.data").joinpath("aws_managed_policies.json").read_text()
    catalogue: dict[str, Resource] = {}
    for entry in json.loads(text)["Policies"]:
        arn = f"arn:aws:iam::aws:policy{entry['Path']}{entry['PolicyName']}"
        body = {
            "Path": entry["Path"],
            "PolicyId": entry["PolicyId"],
            "PolicyDocument": json.dumps(entry["Document"], indent=4),
            "Description": entry["Description"],
            "DefaultVersionId": entry["DefaultVersionId"],
        }
        created, updated = _epoch(entry["CreateDate"]), _epoch(entry["UpdateDate"])
        catalogue[arn] = Resource(KIND, entry["PolicyName"], arn, created, updated, body)
    return catalogue


def aws_policy(arn: str) -> Resource | None:
    """The AWS managed policy at ``arn``, or None (modelport ships only some of AWS's)."""
    return _catalogue().get(arn)


def aws_policies() -> list[Resource]:
    return sorted(_catalogue().values(), key=lambda p: p.name.lower())


def refuse_change(arn: str, verb: str) -> None:
    """DeletePolicy, CreatePolicyVersion and the like on an AWS managed policy: IAM's
    ``AccessDenied``, as AWS answers for a policy outside the caller's account."""
    if is_aws_managed(arn):
        raise AccessDenied(
            f"Cannot {verb} policies outside your own account: {arn} is an AWS managed policy,"
            " which is read-only. Create a customer managed policy (CreatePolicy) to change it."
        )
