"""What an instance asks Ray for: CPUs and memory from its ``ml.*`` instance type (pure).

The table holds the instance types' real vCPUs and memory (GiB), as AWS lists them. An actor
asks for those figures times ``scale`` (``MODELPORT_RAY_RESOURCE_SCALE``, 0.25 by default), so a
laptop's Ray can place a few ``ml.m5.xlarge`` instances (1 CPU and 4 GiB each) and a cluster can
ask for the real sizes with a scale of 1. A type missing from the table is sized from its suffix
(``large`` = 2 vCPUs, ``Nxlarge`` = 4N) with 4 GiB per vCPU; a serverless variant (no type) is
sized as ``SERVERLESS``, 1 vCPU and 2 GiB. The table is documented in docs/ray.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GIB = 1024**3
MIN_CPUS = 0.1  # Ray needs a positive request to count the actor against a node

# ml.* type -> (vCPUs, memory in GiB), from AWS's SageMaker instance type list.
INSTANCE_TYPES: dict[str, tuple[int, int]] = {
    "ml.t2.medium": (2, 4),
    "ml.t2.large": (2, 8),
    "ml.t2.xlarge": (4, 16),
    "ml.t2.2xlarge": (8, 32),
    "ml.m4.xlarge": (4, 16),
    "ml.m4.2xlarge": (8, 32),
    "ml.m4.4xlarge": (16, 64),
    "ml.m5.large": (2, 8),
    "ml.m5.xlarge": (4, 16),
    "ml.m5.2xlarge": (8, 32),
    "ml.m5.4xlarge": (16, 64),
    "ml.c5.large": (2, 4),
    "ml.c5.xlarge": (4, 8),
    "ml.c5.2xlarge": (8, 16),
    "ml.c5.4xlarge": (16, 32),
    "ml.r5.large": (2, 16),
    "ml.r5.xlarge": (4, 32),
    "ml.r5.2xlarge": (8, 64),
    "ml.g4dn.xlarge": (4, 16),
    "ml.g5.xlarge": (4, 16),
}
SERVERLESS = (1, 2)  # a serverless variant has no instance type


@dataclass(frozen=True)
class Resources:
    num_cpus: float
    memory_bytes: int


def vcpus_and_memory(instance_type: str) -> tuple[int, int]:
    """The type's vCPUs and GiB: from the table, else from its size suffix."""
    if not instance_type:
        return SERVERLESS
    known = INSTANCE_TYPES.get(instance_type.lower())
    if known is not None:
        return known
    size = instance_type.lower().rsplit(".", 1)[-1]
    match = re.fullmatch(r"(\d*)xlarge", size)
    if match:
        vcpus = 4 * int(match.group(1) or 1)
    elif size == "large":
        vcpus = 2
    else:
        vcpus = 1  # medium, small, anything else
    return vcpus, 4 * vcpus


def resources_for(instance_type: str, scale: float) -> Resources:
    """What one instance of ``instance_type`` asks Ray for, scaled down by ``scale``."""
    vcpus, gib = vcpus_and_memory(instance_type)
    return Resources(
        num_cpus=max(MIN_CPUS, round(vcpus * scale, 2)),
        memory_bytes=max(64 * 1024**2, int(gib * GIB * scale)),
    )
