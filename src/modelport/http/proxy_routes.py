"""Which AWS host names the HTTPS proxy serves, and where each one goes (pure, no I/O).

One table, :data:`HOSTS`: a service modelport adds later is one more line. Host names of
modelport's own APIs go to its front door (the same ASGI app as the plain port, with the
``Host`` header untouched, so a SigV4 signature made for the AWS host name verifies); S3 host
names go to the S3 in use. Every other host is refused, with its name in the answer.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+"


class Backend(enum.Enum):
    MODELPORT = "modelport"  # the front door, in process
    S3 = "s3"  # the S3 in use


# (what it is, host-name pattern, backend). Patterns match the whole name, lower case.
HOSTS: tuple[tuple[str, str, Backend], ...] = (
    ("STS", rf"sts(?:\.{_REGION})?\.amazonaws\.com", Backend.MODELPORT),
    ("SageMaker", rf"(?:api\.)?sagemaker\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("SageMaker runtime", rf"runtime\.sagemaker\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("Lambda", rf"lambda\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("API Gateway", rf"apigateway\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("API Gateway invoke URL", rf"[a-z0-9]+\.execute-api\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("IAM", r"iam\.amazonaws\.com", Backend.MODELPORT),
    ("CloudWatch Logs", rf"logs\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("Application Auto Scaling", rf"application-autoscaling\.{_REGION}\.amazonaws\.com", Backend.MODELPORT),
    ("S3", rf"(?:[a-z0-9][a-z0-9.-]*\.)?s3(?:[.-]{_REGION})?\.amazonaws\.com", Backend.S3),
    ("S3 dual-stack", rf"(?:[a-z0-9][a-z0-9.-]*\.)?s3\.dualstack\.{_REGION}\.amazonaws\.com", Backend.S3),
)
_COMPILED = tuple((what, re.compile(pattern), backend) for what, pattern, backend in HOSTS)
_PATH_STYLE = re.compile(rf"s3(?:\.dualstack)?(?:[.-]{_REGION})?\.amazonaws\.com")
_S3_REGION = re.compile(rf"(?:^|\.)s3(?:\.dualstack)?[.-](?P<region>{_REGION})\.amazonaws\.com$")


@dataclass(frozen=True)
class Route:
    host: str
    backend: Backend | None  # None: refused
    refusal: str = ""  # why, naming the host, when refused


def route(host: str, *, region: str, s3_available: bool) -> Route:
    """Where a ``CONNECT host:port`` goes, for a server in ``region``."""
    name = host.lower().rstrip(".")
    for _, pattern, backend in _COMPILED:
        if not pattern.fullmatch(name):
            continue
        if backend is Backend.S3:
            if not s3_available:
                return Route(
                    name,
                    None,
                    f"{name} is S3: the proxy routes S3 host names to the embedded S3 only, "
                    "and this server uses an external S3 (MODELPORT_S3_ENDPOINT_URL) or none; "
                    "point S3 clients at it with AWS_ENDPOINT_URL_S3",
                )
            found = _S3_REGION.search(name)
            if found is not None and found["region"] != region and not is_path_style(name):
                return Route(
                    name,
                    None,
                    f"{name} is S3 in region {found['region']}; modelport's S3 serves "
                    f"virtual-hosted buckets in {region} only (path style works in any region)",
                )
        return Route(name, backend)
    return Route(
        name,
        None,
        f"modelport does not serve {name}: it is not an AWS host name of a service "
        "modelport serves, and the proxy never connects to the internet",
    )


def is_path_style(host: str) -> bool:
    """True when an S3 host name carries no bucket (``s3.<region>.amazonaws.com`` and kin)."""
    return _PATH_STYLE.fullmatch(host) is not None


def s3_domain_names(region: str) -> list[str]:
    """The host suffixes under which the S3 server must read ``<bucket>.<suffix>`` as a bucket."""
    return [
        f"s3.{region}.amazonaws.com",
        f"s3-{region}.amazonaws.com",
        f"s3.dualstack.{region}.amazonaws.com",
        "s3.amazonaws.com",
    ]
