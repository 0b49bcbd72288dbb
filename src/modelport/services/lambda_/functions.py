"""Lambda functions: CreateFunction, GetFunction(Configuration), ListFunctions, Update*, Delete.
(Resource policies — AddPermission, RemovePermission, GetPolicy — are ``functions_policy``'s.)

Records live in the Store as kind ``lambda_function``; their body is the stored part of the
FunctionConfiguration plus ``CodeShaHex`` (the code folder's name). Only ``$LATEST`` exists: no
versions or aliases. A function is ``Active`` as soon as CreateFunction returns (Lambda reports
``Pending`` briefly while it prepares the environment; here the environment starts lazily on the
first Invoke, so there is nothing to wait for). Invoke is in ``functions_invoke``; the pools and
the files on disk are ``functions_host``'s.

Every handler takes the operation's input members (botocore's names) and returns its output
members; ``OPERATIONS`` maps operation names to them for the front door.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from modelport.core.errors import InvalidRequest, ResourceAlreadyExists
from modelport.sandboxes.lambda_.code import handler_location
from modelport.sandboxes.lambda_.spec import RESERVED
from modelport.services.context import ServiceContext
from modelport.services.lambda_.code_url import code_location
from modelport.services.lambda_.host import KIND, check_role, function_dir, store_code
from modelport.services.lambda_.invoke import invoke
from modelport.services.lambda_.names import find_function, function_arn, split_function_name
from modelport.services.lambda_.permissions import OPERATIONS as POLICY_OPERATIONS
from modelport.services.paging import cut
from modelport.store.base import Resource

Handler = Callable[[ServiceContext, dict[str, Any]], Awaitable[dict[str, Any]]]

SUPPORTED_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
ROLE_ARN = re.compile(r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
DEFAULT_TIMEOUT, MAX_TIMEOUT = 3, 900
DEFAULT_MEMORY, MIN_MEMORY, MAX_MEMORY = 128, 128, 10240
INVALID_MARKER = "Marker is not a marker this server returned."
DEFAULT_PAGE, MAX_PAGE = 50, 10000
MAX_ENVIRONMENT_BYTES = 4096  # all of Environment.Variables together


# What Lambda's Create/Update responses say while it prepares the function. modelport is ready
# when it answers, so Get* (and boto3's function_active_v2 / function_updated_v2 waiters) see
# Active / Successful at once. Lambda reuses the creation texts for updates.
CREATING = {
    "State": "Pending",
    "StateReason": "The function is being created.",
    "StateReasonCode": "Creating",
    "LastUpdateStatus": "InProgress",
    "LastUpdateStatusReason": "The function is being created.",
    "LastUpdateStatusReasonCode": "Creating",
}
UPDATING = {
    "LastUpdateStatus": "InProgress",
    "LastUpdateStatusReason": "The function is being created.",
    "LastUpdateStatusReasonCode": "Creating",
}


async def create_function(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = split_function_name(ctx, params["FunctionName"])
    if qualifier is not None:
        raise InvalidRequest("FunctionName must not include a version or alias qualifier in CreateFunction.")
    if params.get("PackageType", "Zip") != "Zip":
        raise InvalidRequest("modelport supports only PackageType Zip.")
    if ctx.store.get(KIND, name) is not None:
        raise ResourceAlreadyExists(f"Function already exist: {name}")
    if "Runtime" not in params or "Handler" not in params:
        raise InvalidRequest(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages."
        )
    zip_bytes = _zip_from_code(params.get("Code") or {})
    config = _validated({"Timeout": DEFAULT_TIMEOUT, "MemorySize": DEFAULT_MEMORY, "Description": ""}, params)
    check_role(ctx, config["Role"])
    body = {**config, **_code_fields(ctx, name, config["Handler"], zip_bytes)}
    now = ctx.clock.now()
    record = Resource(
        kind=KIND,
        name=name,
        arn=function_arn(ctx, name),
        creation_time=now,
        last_modified_time=now,
        body=body,
        status="Active",
    )
    if not ctx.store.insert(record):
        raise ResourceAlreadyExists(f"Function already exist: {name}")
    if tags := params.get("Tags"):
        ctx.store.put_tags(record.arn, dict(tags))
    ctx.functions.spares.warm_up()  # its first Invoke can then skip boto3's import
    return {**configuration(ctx, record), **CREATING}


async def get_function(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"))
    answer: dict[str, Any] = {
        "Configuration": configuration(ctx, record),
        "Code": {"RepositoryType": "S3", "Location": code_location(ctx, record)},
    }
    if tags := ctx.store.get_tags(record.arn):
        answer["Tags"] = tags
    return answer


async def get_function_configuration(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    return configuration(ctx, find_function(ctx, params["FunctionName"], params.get("Qualifier")))


async def list_functions(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sorted by name; ``NextMarker`` points at the name the next page starts at."""
    size = int(params.get("MaxItems") or DEFAULT_PAGE)
    if not 1 <= size <= MAX_PAGE:
        raise InvalidRequest(f"MaxItems must be between 1 and {MAX_PAGE}.")
    records = sorted(ctx.store.list(KIND), key=lambda r: r.name)
    page, marker = cut(
        records, params.get("Marker"), limit=size, key=lambda r: r.name, invalid=INVALID_MARKER
    )
    answer: dict[str, Any] = {"Functions": [configuration(ctx, r) for r in page]}
    if marker:
        answer["NextMarker"] = marker
    return answer


async def update_function_code(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"])
    if "ZipFile" not in params:
        raise InvalidRequest(
            "modelport accepts function code only as ZipFile (S3 and image code are not supported)."
        )
    code = _code_fields(ctx, record.name, str(record.body["Handler"]), _checked_zip(params["ZipFile"]))
    if params.get("DryRun"):
        return configuration(ctx, record.evolve(body={**record.body, **code}))
    return _save(ctx, record, code)


async def update_function_configuration(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"])
    changes = _validated(record.body, params)
    if changes["Role"] != record.body["Role"]:
        check_role(ctx, changes["Role"])
    handler_location(changes["Handler"], function_dir(ctx, record.name) / str(record.body["CodeShaHex"]))
    return _save(ctx, record, changes)


async def delete_function(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = find_function(ctx, params["FunctionName"], params.get("Qualifier"))
    ctx.store.delete(KIND, record.name)
    ctx.store.delete_tags(record.arn)
    ctx.functions.retire(ctx, record.name, remove_code=True)
    return {"StatusCode": 204}


def configuration(ctx: ServiceContext, record: Resource) -> dict[str, Any]:
    """The FunctionConfiguration shape, as Lambda returns it."""
    body = record.body
    config: dict[str, Any] = {
        "FunctionName": record.name,
        "FunctionArn": record.arn,
        "Runtime": body["Runtime"],
        "Role": body["Role"],
        "Handler": body["Handler"],
        "CodeSize": body["CodeSize"],
        "Description": body.get("Description", ""),
        "Timeout": body["Timeout"],
        "MemorySize": body["MemorySize"],
        "LastModified": lambda_timestamp(record.last_modified_time),
        "CodeSha256": body["CodeSha256"],
        "Version": "$LATEST",
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": body["RevisionId"],
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{record.name}"},
    }
    if body.get("Environment"):
        config["Environment"] = body["Environment"]
    return config


def lambda_timestamp(seconds: float) -> str:
    """Lambda's ``LastModified`` text: ``2024-01-01T00:00:00.000+0000``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _save(ctx: ServiceContext, record: Resource, changes: dict[str, Any]) -> dict[str, Any]:
    body = {**record.body, **changes, "RevisionId": str(uuid.uuid4())}
    updated = record.evolve(body=body, last_modified_time=ctx.clock.now())
    ctx.store.update(updated)
    ctx.functions.retire(ctx, record.name)  # the next Invoke starts the new version
    return {**configuration(ctx, updated), **UPDATING}


def _validated(current: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The configuration members of ``current`` updated from ``params``, each checked."""
    config: dict[str, Any] = {
        key: current[key] for key in ("Runtime", "Role", "Handler", "Timeout", "MemorySize") if key in current
    }
    config["Description"] = current.get("Description", "")
    if "Environment" in current:
        config["Environment"] = current["Environment"]
    for key in ("Runtime", "Role", "Handler", "Timeout", "MemorySize", "Description"):
        if key in params:
            config[key] = params[key]
    if "Environment" in params:
        variables = dict((params["Environment"] or {}).get("Variables") or {})
        config["Environment"] = {"Variables": variables} if variables else None
    if config.get("Environment") is None:
        config.pop("Environment", None)
    runtime = config.get("Runtime")
    if runtime not in SUPPORTED_RUNTIMES:
        raise InvalidRequest(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: modelport runs Python "
            f"functions only; supported runtimes: {', '.join(SUPPORTED_RUNTIMES)}"
        )
    if not ROLE_ARN.fullmatch(str(config.get("Role", ""))):
        raise InvalidRequest(
            f"Value {config.get('Role')} at 'role' failed to satisfy constraint: Member must satisfy "
            f"regular expression pattern: {ROLE_ARN.pattern}"
        )
    if not 1 <= int(config["Timeout"]) <= MAX_TIMEOUT:
        raise InvalidRequest(f"Timeout must be between 1 and {MAX_TIMEOUT} seconds, not {config['Timeout']}.")
    if not MIN_MEMORY <= int(config["MemorySize"]) <= MAX_MEMORY:
        raise InvalidRequest(
            f"MemorySize must be between {MIN_MEMORY} and {MAX_MEMORY} MB, not {config['MemorySize']}."
        )
    variables = (config.get("Environment") or {}).get("Variables", {})
    reserved = sorted(set(variables) & RESERVED)
    if reserved:
        raise InvalidRequest(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    # Lambda measures the variables as one compact JSON object, keys included.
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidRequest(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )
    return config


def _zip_from_code(code: dict[str, Any]) -> bytes:
    if "ZipFile" not in code:
        raise InvalidRequest(
            "modelport accepts function code only as Code.ZipFile (S3 and image code are not supported)."
        )
    return _checked_zip(code["ZipFile"])


def _checked_zip(value: Any) -> bytes:
    if not isinstance(value, bytes | bytearray) or not value:
        raise InvalidRequest("ZipFile must be the non-empty bytes of a zip file.")
    return bytes(value)


def _code_fields(ctx: ServiceContext, name: str, handler: str, zip_bytes: bytes) -> dict[str, Any]:
    """Unpack the code (refusing a bad zip or handler) and describe it."""
    digest = hashlib.sha256(zip_bytes)
    code_dir = function_dir(ctx, name) / digest.hexdigest()
    handler_location(handler, code_dir)  # before unpacking: a bad handler leaves nothing behind
    store_code(ctx, name, digest.hexdigest(), zip_bytes)
    return {
        "CodeShaHex": digest.hexdigest(),
        "CodeSha256": base64.b64encode(digest.digest()).decode(),
        "CodeSize": len(zip_bytes),
        "RevisionId": str(uuid.uuid4()),
    }


OPERATIONS: dict[str, Handler] = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "Invoke": invoke,
    **POLICY_OPERATIONS,  # AddPermission, RemovePermission, GetPolicy
}
