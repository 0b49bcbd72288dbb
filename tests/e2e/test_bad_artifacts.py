"""Model data that must never deploy: unsafe, corrupt or unloadable archives, and missing files.

Every case is one CreateModel + CreateEndpointConfig + CreateEndpoint; all endpoints are created
at once (the controller works on them concurrently) and each must end ``Failed`` with a
FailureReason naming the cause, while the server stays healthy and nothing is written outside
the folder the archive is unpacked into. The S3 cases read from a real SeaweedFS server.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from e2e.conftest import GOOD_ROW, Deployed
from e2e.wire import ACCOUNT, Keys, error_of, invocation
from modelport import seed
from support.modelport_server import ModelportServer, deploy
from support.s3server import S3Endpoint

pytestmark = pytest.mark.e2e

MARK = secrets.token_hex(4)  # makes every file an escaping member might create easy to find
BUCKET = "e2e-bad-artifacts"  # on the session's SeaweedFS, which other tests share
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


Member = tuple[tarfile.TarInfo, bytes]


def member(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE, link: str = "") -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def tar_gz(*members: Member) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def foreign_pickle() -> bytes:
    """A pickle of ``Thing`` from a module that exists nowhere."""
    return b"\x80\x02cno_such_module_" + MARK.encode() + b"\nThing\nq\x00)\x81q\x01."


def old_sklearn_pickle() -> bytes:
    """A scikit-learn 0.20 pickle: ``sklearn.linear_model.logistic`` was removed in 0.24."""
    return (
        b"\x80\x02csklearn.linear_model.logistic\nLogisticRegression\n)\x81}(X\x10\x00\x00\x00_sklearn_version"
        b"X\x06\x00\x00\x000.20.0ub."
    )


@dataclass(frozen=True)
class Case:
    id: str
    reason: str  # substring of FailureReason
    archive: bytes | None = None  # written to <case>/model.tar.gz; None: the URL is used as given
    file_name: str = "model.tar.gz"
    url: str | None = None
    image: str = seed.XGBOOST_IMAGE
    s3: bool = False


NOT_A_MODEL = bytes(range(256)) * 2  # neither a pickle nor an XGBoost model
REFUSED = 'Refused archive member "'
CORRUPT = "is corrupt, truncated or not a tar archive"
DOWNLOAD = 'Failed to download model data for container "container_1" from URL: "'

CASES = [
    Case(
        "dotdot-member",
        f'{REFUSED}../evil-{MARK}": path escapes the model folder.',
        tar_gz(member(f"../evil-{MARK}")),
    ),
    Case("nested-dotdot-member", "path escapes the model folder", tar_gz(member(f"model/../../evil-{MARK}"))),
    Case(
        "dotdot-after-good-member",
        "path escapes the model folder",
        tar_gz(member("xgboost-model"), member(f"../../evil-{MARK}")),
    ),
    Case("absolute-member", "absolute paths are not allowed", tar_gz(member(f"/tmp/evil-{MARK}"))),
    Case(
        "symlink-out",
        'links are not allowed (it points to "/etc/passwd")',
        tar_gz(member("xgboost-model", kind=tarfile.SYMTYPE, link="/etc/passwd")),
    ),
    Case(
        "symlink-then-write-through",
        "links are not allowed",
        tar_gz(member("out", kind=tarfile.SYMTYPE, link="/tmp"), member(f"out/evil-{MARK}")),
    ),
    Case(
        "hardlink",
        "links are not allowed",
        tar_gz(member("xgboost-model", kind=tarfile.LNKTYPE, link="/etc/passwd")),
    ),
    Case("fifo-member", "FIFOs are not allowed", tar_gz(member("pipe", kind=tarfile.FIFOTYPE))),
    Case("char-device-member", "device files are not allowed", tar_gz(member("null", kind=tarfile.CHRTYPE))),
    Case("block-device-member", "device files are not allowed", tar_gz(member("sda", kind=tarfile.BLKTYPE))),
    Case(
        "file-then-dir-clash",
        "a path component is a file, not a directory",
        tar_gz(member("xgboost-model"), member("xgboost-model/inner")),
    ),
    Case("truncated-tar-gz", CORRUPT, tar_gz(member("xgboost-model", secrets.token_bytes(200_000)))[:5000]),
    Case("not-a-tar", CORRUPT, b"this is a model, honest\n" * 20),
    Case("empty-file", f"{CORRUPT}: empty file", b""),
    Case("empty-tar", "is empty: it holds no files", tar_gz()),
    Case(
        "corrupt-xgboost-model",
        "model/xgboost-model cannot be loaded: Pickle load error=",
        tar_gz(member("xgboost-model", NOT_A_MODEL)),
    ),
    Case(
        "extra-file-beside-model", "model/README.txt cannot be loaded", None
    ),  # built by the fixture: a real model plus README.txt
    Case("foreign-pickle", f"no_such_module_{MARK}", tar_gz(member("xgboost-model", foreign_pickle()))),
    Case(
        "old-sklearn-pickle",
        "pickle was written with scikit-learn 0.20.0",
        tar_gz(member("model.joblib", old_sklearn_pickle())),
        image=SKLEARN_IMAGE,
    ),
    Case(
        "plain-corrupt-model-file",
        "cannot be loaded: Pickle load error=",  # then XGBoost's own complaint, which depends on the bytes
        bytes(range(256)),
        file_name="xgboost-model",
    ),
    Case("missing-local-file", DOWNLOAD, url=f"/nonexistent-{MARK}/model.tar.gz"),
    Case("missing-file-url", DOWNLOAD, url=f"file:///nonexistent-{MARK}/model.tar.gz"),
    Case("missing-s3-object", "NoSuchKey", url=f"s3://{BUCKET}/missing/model.tar.gz", s3=True),
    Case("missing-s3-bucket", "NoSuchBucket", url="s3://no-such-bucket/model.tar.gz", s3=True),
    Case("missing-s3-prefix", "(no objects under the prefix)", url=f"s3://{BUCKET}/nothing-here/", s3=True),
    Case("s3-dotdot-member", "path escapes the model folder", tar_gz(member(f"../evil-{MARK}")), s3=True),
]


def settle(sm: Any, names: list[str], timeout_s: float = 60.0) -> dict[str, dict[str, Any]]:
    """DescribeEndpoint of every endpoint once none is Creating any more."""
    deadline = time.monotonic() + timeout_s
    while True:
        described = {n: sm.describe_endpoint(EndpointName=n) for n in names}
        if all(d["EndpointStatus"] != "Creating" for d in described.values()) or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


def write_sources(cases: list[Case], folder: Path, iris_archive: Path) -> dict[str, bytes | None]:
    sources: dict[str, bytes | None] = {}
    for case in cases:
        data = case.archive
        if case.id == "extra-file-beside-model":
            with tarfile.open(iris_archive) as tar:
                model_bytes = tar.extractfile("xgboost-model").read()  # type: ignore[union-attr]
            data = tar_gz(
                member("xgboost-model", model_bytes), member("README.txt", b"how to use this model\n")
            )
        sources[case.id] = data
    return sources


@pytest.fixture(scope="module")
def local_outcomes(
    sm: Any, iris: Deployed, model_archive: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bad-artifacts")
    cases = [c for c in CASES if not c.s3]
    sources = write_sources(cases, folder, model_archive)
    for case in cases:
        url = case.url
        if url is None:
            path = folder / case.id / case.file_name
            path.parent.mkdir()
            path.write_bytes(sources[case.id] or b"")
            url = str(path)
        deploy(sm, f"bad-{case.id}", url, image=case.image)
    return settle(sm, [f"bad-{c.id}" for c in cases])


@pytest.fixture(scope="module")
def s3_outcomes(s3: S3Endpoint, s3_server: ModelportServer) -> dict[str, dict[str, Any]]:
    """The S3 cases, on the shared server that reads model data from SeaweedFS."""
    sm = s3_server.client("sagemaker")
    s3.client().create_bucket(Bucket=BUCKET)
    cases = [c for c in CASES if c.s3]
    for case in cases:
        url = case.url
        if url is None:
            url = f"s3://{BUCKET}/{case.id}/{case.file_name}"
            s3.client().put_object(Bucket=BUCKET, Key=f"{case.id}/{case.file_name}", Body=case.archive or b"")
        deploy(sm, f"bad-{case.id}", url, image=case.image)
    return settle(sm, [f"bad-{c.id}" for c in cases])


def escaped_files(*roots: Path) -> list[Path]:
    """Anything an escaping member may have written, anywhere it could have gone."""
    found: list[Path] = []
    for root in roots:
        found += root.rglob(f"*evil-{MARK}*")
    return found + list(Path("/tmp").glob(f"*evil-{MARK}*")) + list(Path("/").glob(f"evil-{MARK}*"))


def check_failed(described: dict[str, Any], case: Case) -> None:
    assert described["EndpointStatus"] == "Failed", described
    reason = described.get("FailureReason", "")
    assert case.reason in reason
    assert "Traceback" not in reason and len(reason) <= 1024


LOCAL = [c for c in CASES if not c.s3]
REMOTE = [c for c in CASES if c.s3]


@pytest.mark.parametrize("case", LOCAL, ids=[c.id for c in LOCAL])
def test_bad_model_data(
    case: Case,
    local_outcomes: dict[str, dict[str, Any]],
    server: ModelportServer,
    keys: Keys,
    healthy: Callable[[], None],
) -> None:
    name = f"bad-{case.id}"
    check_failed(local_outcomes[name], case)
    # A Failed endpoint does not serve, and says why instead of hanging or pretending.
    response = invocation(server.url, keys, name, GOOD_ROW, {"Content-Type": "text/csv"})
    assert error_of(response) == (
        "ValidationError",
        f"Endpoint {name} of account {ACCOUNT} is in status Failed "
        "and cannot serve invocations; it serves in InService, Updating, RollingBack and UpdateRollbackFailed.",
    )
    assert escaped_files(server.data_dir.parent) == []
    healthy()


@pytest.mark.s3
@pytest.mark.parametrize("case", REMOTE, ids=[c.id for c in REMOTE])
def test_bad_model_data_on_s3(
    case: Case, s3_outcomes: dict[str, dict[str, Any]], s3_server: ModelportServer
) -> None:
    check_failed(s3_outcomes[f"bad-{case.id}"], case)
    assert escaped_files(s3_server.data_dir.parent) == []
    assert s3_server.alive()


def test_update_of_failed_endpoint_is_refused(
    local_outcomes: dict[str, dict[str, Any]], sm: Any, iris: Deployed, healthy: Callable[[], None]
) -> None:
    name = "bad-missing-local-file"
    with pytest.raises(ClientError) as caught:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=iris.config)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "because it is in Failed status; delete it and create it again." in error["Message"]
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Failed"
    healthy()
