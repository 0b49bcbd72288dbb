"""Which built-in runtime serves a container image, and at which framework version.

Real SageMaker image URIs of any account and region map onto the built-in runtimes
(``<acct>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:1.7-1``), and so do short names
(``xgboost:1.7-1``, ``sklearn``). Anything else is refused at CreateModel with a message that
lists what is supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelport.core.errors import InvalidRequest

XGBOOST_VERSIONS = ("0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1", "3.0-5")
SKLEARN_VERSIONS = ("0.20.0", "0.23-1", "1.0-1", "1.2-1", "1.4-2")
DEFAULT_VERSION = {"xgboost": "1.7-1", "sklearn": "1.2-1"}

# Repository name (after any registry host) -> runtime.
_REPOSITORIES = {
    "sagemaker-xgboost": "xgboost",
    "xgboost": "xgboost",
    "sagemaker-scikit-learn": "sklearn",
    "scikit-learn": "sklearn",
    "sklearn": "sklearn",
}

_ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
# A tag is a version optionally followed by -cpu-py3 / -cpu-py2 etc.; "1" and "latest" are
# the first-generation XGBoost algorithm's tags.
_TAG = re.compile(r"^(?P<version>\d+(\.\d+)*(-\d+)?)(-(cpu|gpu)(-py\d+)?)?$")


@dataclass(frozen=True)
class RuntimeImage:
    """The resolved meaning of a container ``Image``."""

    runtime: str  # "xgboost" | "sklearn"
    version: str  # framework version as in the image tag, e.g. "1.7-1"
    specified: str  # the Image as the caller wrote it


def supported_images() -> str:
    """A sentence listing what CreateModel accepts, for error messages and docs."""
    return (
        "Supported images: SageMaker's XGBoost images "
        f"(<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-xgboost:<version>, versions "
        f"{', '.join(XGBOOST_VERSIONS)}) and scikit-learn images "
        f"(.../sagemaker-scikit-learn:<version>-cpu-py3, versions {', '.join(SKLEARN_VERSIONS)}), "
        "or the short names xgboost[:<version>] and sklearn[:<version>]."
    )


def resolve_image(image: str) -> RuntimeImage:
    """Map an image URI or short name to a built-in runtime, or raise InvalidRequest."""
    reference = image.strip()
    if "@" in reference:  # repo@sha256:digest: the digest says nothing about the version
        reference = reference.split("@", 1)[0]
    host, _, path = reference.rpartition("/")
    if host and not _ECR_HOST.match(host.split("/")[0]):
        raise InvalidRequest(f"Image '{image}' is not a supported image. {supported_images()}")
    repository, _, tag = path.partition(":")
    runtime = _REPOSITORIES.get(repository.lower())
    if runtime is None:
        raise InvalidRequest(f"Image '{image}' is not a supported image. {supported_images()}")
    return RuntimeImage(runtime=runtime, version=_version_from_tag(runtime, tag, image), specified=image)


def _version_from_tag(runtime: str, tag: str, image: str) -> str:
    if tag in ("", "latest", "1"):
        # The first-generation XGBoost algorithm image (tag "1") serves like 0.90-1.
        return "0.90-1" if runtime == "xgboost" and tag == "1" else DEFAULT_VERSION[runtime]
    match = _TAG.match(tag)
    if match is None:
        raise InvalidRequest(f"Image '{image}' has a tag modelport cannot read. {supported_images()}")
    version = match.group("version")
    known = XGBOOST_VERSIONS if runtime == "xgboost" else SKLEARN_VERSIONS
    if version not in known and not _is_newer(version, known[-1]):
        raise InvalidRequest(
            f"Image '{image}' names {runtime} version {version}, which modelport does not serve. "
            f"{supported_images()}"
        )
    return version


def _is_newer(version: str, than: str) -> bool:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.split(r"[.-]", v) if p.isdigit())

    return key(version) > key(than)
