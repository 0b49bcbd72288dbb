"""Imports point downward; each AWS service is one folder; processes run in islands (ARCHITECTURE.md).

cli, server, http  →  bootstrap  →  services/<service>  →  hosting, aws, store  →  core
sandboxes: start processes; the worker, the runtimes and the Lambda runner import nothing of the
control plane (they run inside model and function processes)

An *area* is a top-level module or folder of ``modelport`` (``core``, ``hosting``, ``bootstrap``),
or one folder or module below ``aws``, ``services`` and ``sandboxes`` (``services.iam``,
``sandboxes.worker``, ``services.context``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "modelport"
SPLIT = {"aws", "services", "sandboxes"}  # folders whose sub-folders are areas of their own

# Top-level area -> the top-level areas it may import besides itself.
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "store": {"core"},
    "aws": {"core"},
    "sandboxes": {"core"},
    "hosting": {"core", "store", "sandboxes"},
    "services": {"core", "aws", "hosting", "store"},
    "bootstrap": {"core", "aws", "store", "hosting", "sandboxes", "services"},
    "http": {"core", "aws", "services", "hosting", "store", "bootstrap", "console"},
    # The web console: pages over the use cases; the front door hands it the operation tables.
    "console": {"core", "aws", "services", "store", "bootstrap"},
    # sandboxes: the embedded S3; server_record: server.json and the root key, which the CLI
    # reads without importing the server
    "server": {"core", "aws", "bootstrap", "http", "store", "sandboxes", "server_record"},
    "server_record": {"core", "aws"},
    "launcher": set(),
    "seed": set(),
    "demo_chain": set(),
    "demo": {"launcher", "seed", "demo_chain"},
    # aws: the served services (env)
    "cli": {"core", "aws", "launcher", "demo", "server", "server_record", "seed"},
    "__main__": {"cli"},
    "__init__": set(),
}

# The services, and the other services each may use (the declared seams). Every service may use
# the shared ``services.context`` and ``services.paging``.
SERVICES: dict[str, set[str]] = {
    "sagemaker": {"iam", "sts"},  # a notebook instance's role and its kernels' credentials
    "iam": set(),
    "s3": set(),  # tells S3 requests apart; the S3 front (http) authorizes and forwards them
    "sts": {"iam"},  # AssumeRole reads roles and issues their credentials
    "lambda_": {"iam"},  # a function's execution role
    "apigateway": {"iam", "lambda_", "sagemaker"},  # integrations call functions and endpoints
    "logs": set(),  # CloudWatch Logs: producers reach it through ServiceContext.logs
    "cloudwatch": set(),  # CloudWatch metrics: reads hosting/metrics through ServiceContext.metrics
    # Scaling goes through UpdateEndpointWeightsAndCapacities; managed alarms and alarm actions
    # through CloudWatch's alarms.
    "application_autoscaling": {"sagemaker", "cloudwatch"},
}
SHARED_SERVICE_MODULES = {"services.context", "services.paging", "services.__init__"}
# Seams across areas, area -> areas: the Lambda service drives its execution environments; the
# shared context names the Lambda service's function host as a typed field (for type checking only).
SEAMS: dict[str, set[str]] = {
    "services.lambda_": {"sandboxes.lambda_"},
    "services.sagemaker": {"sandboxes.notebooks"},  # notebook instances' JupyterLab servers
    "services.context": {"services.lambda_", "services.sts", "services.logs", "sandboxes.notebooks"},
    # The Ray backend's actors start the same worker, with the same environments, on their node.
    "sandboxes.ray": {"sandboxes.supervisor", "sandboxes.model_environments"},
}

# Islands: run inside model processes; import nothing of modelport but these.
ISLANDS: dict[str, set[str]] = {
    "sandboxes.worker": {"sandboxes.runtimes", "sandboxes.lifeline"},
    "sandboxes.runtimes": set(),
    "sandboxes.supervisor": {"sandboxes.model_environments", "sandboxes.spares"},
    "sandboxes.model_environments": set(),
    "sandboxes.lifeline": set(),  # die_with_parent, shared by the worker and the Lambda runner
    "sandboxes.notebook_kernel": {"sandboxes.lifeline"},  # runs in a notebook instance's kernel
}


def area_of_path(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[0] in SPLIT and len(parts) > 1:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def area_of_module(module: str) -> str:
    parts = module.split(".")[1:]
    if parts[0] in SPLIT and len(parts) > 1:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "modelport" or node.module in {
                "modelport.aws",
                "modelport.services",
                "modelport.sandboxes",
            }:
                found.update(
                    f"{node.module}.{alias.name}" for alias in node.names
                )  # from modelport import seed
            elif node.module.startswith("modelport."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("modelport."))
    return found


def allowed(source: str, target: str) -> bool:
    if source == target:
        return True
    if source in ISLANDS:
        return target in ISLANDS[source]
    if target in SEAMS.get(source, set()):
        return True
    top, target_top = source.split(".")[0], target.split(".")[0]
    if top == target_top:
        if top == "services":
            if target in SHARED_SERVICE_MODULES:
                return True
            service = source.split(".")[1]
            return service in SERVICES and target.split(".")[1] in SERVICES[service]
        # No area imports an island, but every sandbox may use the shared lifeline.
        return top != "sandboxes" or target not in ISLANDS or target == "sandboxes.lifeline"
    return target_top in LAYERS[top]


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_downward(path: Path) -> None:
    source = area_of_path(path)
    wrong = sorted({m for m in imported_modules(path) if not allowed(source, area_of_module(m))})
    assert wrong == [], f"{path.relative_to(PACKAGE)} ({source}) imports beyond its layer: {wrong}"


def test_every_area_is_placed_in_a_layer() -> None:
    tops = {area_of_path(p).split(".")[0] for p in python_files()}
    assert tops - {"data"} <= set(LAYERS)
    services = {p.name for p in (PACKAGE / "services").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert services == set(SERVICES), "a new service folder needs a line in SERVICES"


def test_no_service_module_outside_a_service_folder() -> None:
    loose = {f"services.{p.stem}" for p in (PACKAGE / "services").glob("*.py")}
    assert loose <= SHARED_SERVICE_MODULES


def test_the_package_does_not_import_the_benchmark() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in python_files()
        if "import benchmarks" in p.read_text() or "from benchmarks" in p.read_text()
    ]
    assert offenders == []


def test_the_benchmark_uses_the_server_as_a_user_does() -> None:
    """``benchmarks/`` (outside the wheel) may start the server and reuse the demo's data, and
    measure pieces of the path on their own: the wire layer's cost (``aws.protocol``), the
    worker's answer (``sandboxes.worker``, ``sandboxes.runtimes``) and the front door's HTTP
    protocol (``http.one_write``, served under the floor app)."""
    pieces = {"sandboxes.runtimes", "sandboxes.worker"}
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        modules = set(imported_modules(path)) - {"modelport.http.one_write"}
        used = {area_of_module(m) for m in modules}
        assert used <= {"launcher", "seed", "demo_chain", "aws.protocol", *pieces}, path.name
