"""Notebook instances: Create, Describe, List, Update, Start, Stop and Delete (the URL: ``notebook_urls``).

An ``InService`` instance is a JupyterLab server on loopback (``sandboxes/notebooks.py``) whose
kernels run as the instance's role. SageMaker's states and transitions:

    Pending ──▶ InService ──▶ Stopping ──▶ Stopped ──▶ Deleting ──▶ (gone)
       │                                    │  ▲
       └──▶ Failed ◀── (a lifecycle script or JupyterLab failed)   Start: Stopped/Failed ──▶ Pending

Like CreateEndpoint, Create, Start and Stop answer once the transition has settled, or after
``Limits.notebook_settle_timeout_s`` (45 s: JupyterLab takes seconds to start), so that a botocore waiter's first poll already sees ``InService``
or ``Stopped``; the answer itself is SageMaker's. A transition runs as a task of the
``NotebookHost``; a call that would change an instance in the middle of one is refused with
SageMaker's message for a state that does not allow it.

The kernels' environment is built in one place, ``kernel_environment``.
"""

from __future__ import annotations

import logging
from typing import Any

from modelport.aws.registry import endpoint_url_variables
from modelport.core.errors import (
    InvalidRequest,
    InvalidState,
    ResourceAlreadyExists,
    ResourceNotFound,
    ServiceUnavailable,
)
from modelport.core.transparent import ca_bundle_path, proxy_url, s3_front_url, transparent_environment
from modelport.sandboxes.notebooks import NotebookFolders, NotebookHost, NotebookStartFailed, remove_folders
from modelport.services.context import ServiceContext
from modelport.services.iam.roles import role_by_arn
from modelport.services.paging import paginate
from modelport.services.sagemaker import notebook_lifecycle, resources
from modelport.store.base import Resource

logger = logging.getLogger(__name__)

KIND = "notebook_instance"
CREDENTIALS_PATH = "/_modelport/credentials"  # http/role_credentials.PREFIX
CREDENTIALS_DURATION_S = 3600
PENDING, IN_SERVICE, STOPPING, STOPPED, FAILED, DELETING, UPDATING = (
    "Pending",
    "InService",
    "Stopping",
    "Stopped",
    "Failed",
    "Deleting",
    "Updating",
)
# Members CreateNotebookInstance takes and DescribeNotebookInstance echoes back.
_ECHOED = (
    "InstanceType",
    "SubnetId",
    "RoleArn",
    "KmsKeyId",
    "AcceleratorTypes",
    "DefaultCodeRepository",
    "AdditionalCodeRepositories",
    "PlatformIdentifier",
    "InstanceMetadataServiceConfiguration",
)
_DEFAULTS = {"DirectInternetAccess": "Enabled", "VolumeSizeInGB": 5, "RootAccess": "Enabled"}


async def create_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["NotebookInstanceName"]
    host = notebook_host(ctx)
    existing = ctx.store.get(KIND, name)
    if existing is not None:
        raise InvalidRequest(f"Cannot create a duplicate Notebook Instance ({existing.arn})")
    _check_role(params["RoleArn"])
    _check_role_exists(ctx, params["RoleArn"])
    if config := params.get("LifecycleConfigName"):
        notebook_lifecycle.get_lifecycle_config(ctx, config)
    body: dict[str, Any] = {key: params[key] for key in _ECHOED if key in params}
    body.update({key: params.get(key, default) for key, default in _DEFAULTS.items()})
    if config:
        body["NotebookInstanceLifecycleConfigName"] = config
    if groups := params.get("SecurityGroupIds"):
        body["SecurityGroups"] = list(groups)
    try:
        record = resources.create(ctx, KIND, name, body, params.get("Tags"), status=PENDING)
    except ResourceAlreadyExists:  # created by a concurrent call since the check above
        raise InvalidRequest(f"Cannot create a duplicate Notebook Instance ({ctx.arn(KIND, name)})") from None
    host.transition(record.name, _start(ctx, record.name, first=True))
    await host.settled(record.name, ctx.settings.limits.notebook_settle_timeout_s)
    return {"NotebookInstanceArn": record.arn}


def describe_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = observed_notebook_instance(ctx, params["NotebookInstanceName"])
    body = record.body
    answer: dict[str, Any] = {
        "NotebookInstanceArn": record.arn,
        "NotebookInstanceName": record.name,
        "NotebookInstanceStatus": record.status,
    }
    if reason := body.get("FailureReason"):
        answer["FailureReason"] = reason
    if url := body.get("Url"):
        answer["Url"] = url
    answer.update({key: body[key] for key in (*_ECHOED, "SecurityGroups") if key in body})
    answer["LastModifiedTime"] = record.last_modified_time
    answer["CreationTime"] = record.creation_time
    if config := body.get("NotebookInstanceLifecycleConfigName"):
        answer["NotebookInstanceLifecycleConfigName"] = config
    answer.update({key: body[key] for key in _DEFAULTS})
    return answer


def list_notebook_instances(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = {
        "NotebookInstanceLifecycleConfigNameContains": "NotebookInstanceLifecycleConfigName",
        "DefaultCodeRepositoryContains": "DefaultCodeRepository",
    }
    selected = [
        record
        for record in (_observe(ctx, r) for r in ctx.store.list(KIND))
        if all(
            str(params[p]).lower() in str(record.body.get(field, "")).lower()
            for p, field in filters.items()
            if params.get(p)
        )
        and (
            not params.get("AdditionalCodeRepositoryEquals")
            or params["AdditionalCodeRepositoryEquals"] in record.body.get("AdditionalCodeRepositories", [])
        )
    ]
    page = paginate(
        [_summary(record) for record in selected],
        params,
        name_field="NotebookInstanceName",
        sort_fields={
            "Name": "NotebookInstanceName",
            "CreationTime": "CreationTime",
            "Status": "NotebookInstanceStatus",
        },
        status_field="NotebookInstanceStatus",
    )
    return {"NotebookInstances": page.items, **({"NextToken": page.next_token} if page.next_token else {})}


def update_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = get_notebook_instance(ctx, params["NotebookInstanceName"])
    _refuse_unless(record, (STOPPED, FAILED), UPDATING)
    body = dict(record.body)
    if "RoleArn" in params:
        _check_role(params["RoleArn"])
        _check_role_exists(ctx, params["RoleArn"])
    if config := params.get("LifecycleConfigName"):
        notebook_lifecycle.get_lifecycle_config(ctx, config)
        body["NotebookInstanceLifecycleConfigName"] = config
    if params.get("DisassociateLifecycleConfig"):
        body.pop("NotebookInstanceLifecycleConfigName", None)
    for key in (
        "InstanceType",
        "RoleArn",
        "VolumeSizeInGB",
        "DefaultCodeRepository",
        "AdditionalCodeRepositories",
        "AcceleratorTypes",
        "RootAccess",
        "InstanceMetadataServiceConfiguration",
    ):
        if key in params:
            body[key] = params[key]
    for flag, key in (
        ("DisassociateDefaultCodeRepository", "DefaultCodeRepository"),
        ("DisassociateAdditionalCodeRepositories", "AdditionalCodeRepositories"),
        ("DisassociateAcceleratorTypes", "AcceleratorTypes"),
    ):
        if params.get(flag):
            body.pop(key, None)
    body.pop("FailureReason", None)
    # SageMaker passes through Updating to Stopped; nothing runs meanwhile, so here it is at once.
    ctx.store.update(record.evolve(status=STOPPED, body=body, last_modified_time=ctx.clock.now()))
    return {}


async def start_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = get_notebook_instance(ctx, params["NotebookInstanceName"])
    host = notebook_host(ctx)
    _refuse_unless(record, (STOPPED, FAILED), PENDING)
    _set_status(ctx, record, PENDING, drop=("FailureReason", "Url"))
    host.transition(record.name, _start(ctx, record.name, first=False))
    await host.settled(record.name, ctx.settings.limits.notebook_settle_timeout_s)
    return {}


async def stop_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = observed_notebook_instance(ctx, params["NotebookInstanceName"])
    host = notebook_host(ctx)
    _refuse_unless(record, (IN_SERVICE,), STOPPING)
    _set_status(ctx, record, STOPPING)
    host.transition(record.name, _stop(ctx, record.name))
    await host.settled(record.name, ctx.settings.limits.notebook_settle_timeout_s)
    return {}


async def delete_notebook_instance(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    record = get_notebook_instance(ctx, params["NotebookInstanceName"])
    host = notebook_host(ctx)
    _refuse_unless(record, (STOPPED, FAILED), DELETING)
    _set_status(ctx, record, DELETING)
    host.transition(record.name, _delete(ctx, record.name))
    await host.settled(record.name, ctx.settings.limits.notebook_settle_timeout_s)
    return {}


def get_notebook_instance(ctx: ServiceContext, name: str) -> Resource:
    record = ctx.store.get(KIND, name)
    if record is None:
        raise ResourceNotFound("RecordNotFound")
    return record


def observed_notebook_instance(ctx: ServiceContext, name: str) -> Resource:
    """The instance as it is: an ``InService`` one whose JupyterLab has exited becomes ``Failed``."""
    return _observe(ctx, get_notebook_instance(ctx, name))


def _observe(ctx: ServiceContext, record: Resource) -> Resource:
    host = ctx.notebooks
    if record.status != IN_SERVICE or host is None or host.busy(record.name):
        return record
    code = host.exit_code(record.name)
    if code is None:
        return record
    if ctx.role_tokens is not None and (token_id := record.body.get("CredentialsId")):
        ctx.role_tokens.forget(token_id)
    reason = f"JupyterLab exited with code {code}; start the notebook instance again."
    _set_status(ctx, record, FAILED, drop=("Url", "CredentialsId"), FailureReason=reason)
    return ctx.store.get(KIND, record.name) or record


def folders(ctx: ServiceContext, name: str) -> NotebookFolders:
    key = name.lower()
    return NotebookFolders(
        ctx.settings.data_dir / "notebooks" / key, ctx.settings.log_dir / "notebooks" / f"{key}.log"
    )


def kernel_environment(ctx: ServiceContext, credentials_path: str, credentials_token: str) -> dict[str, str]:
    """What a notebook instance's kernels (and terminals, and lifecycle scripts) run with.

    The one place that says it: every served service's ``AWS_ENDPOINT_URL_*`` (and the S3 front's, when
    an S3 is known), the region, the instance role's refreshable credentials from
    ``/_modelport/credentials`` (ECS's container-credentials variables) and, with the proxy on,
    the transparent-endpoint variables (``HTTPS_PROXY``, ``AWS_CA_BUNDLE``) for code that names AWS
    host names itself, as the SageMaker Python SDK does for STS — what ``modelport env --role
    --transparent`` prints. Nothing of the server's own AWS or modelport environment leaks in.
    """
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MODELPORT_", "JUPYTER"))}
    url = ctx.settings.url
    values = {**base, "MODELPORT_URL": url, **endpoint_url_variables(url)}
    if ctx.settings.s3_endpoint_url:
        # The role's credentials are modelport's: only the S3 front accepts them (and applies IAM).
        front = ctx.settings.s3_front
        values["AWS_ENDPOINT_URL_S3"] = (
            s3_front_url(ctx.settings.s3_front_port) if front else ctx.settings.s3_endpoint_url
        )
    values.update(
        {
            "AWS_REGION": ctx.settings.region,
            "AWS_DEFAULT_REGION": ctx.settings.region,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": url + credentials_path,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": credentials_token,
        }
    )
    if ctx.settings.proxy:
        values.update(
            transparent_environment(proxy_url(ctx.settings.proxy_port), ca_bundle_path(ctx.settings.data_dir))
        )
    return values


async def restore(ctx: ServiceContext) -> None:
    """At server start: instances that were running (or starting) start again; unfinished stops
    and deletes finish. Their processes died with the previous server."""
    host = ctx.notebooks
    if host is None:
        return
    for record in ctx.store.list(KIND):
        if record.status in (IN_SERVICE, PENDING):
            _set_status(ctx, record, PENDING, drop=("Url",))
            host.transition(record.name, _start(ctx, record.name, first=False))
        elif record.status == STOPPING:
            host.transition(record.name, _stop(ctx, record.name))
        elif record.status == DELETING:
            host.transition(record.name, _delete(ctx, record.name))


# --- transitions (run as NotebookHost tasks) -----------------------------------------------


async def _start(ctx: ServiceContext, name: str, *, first: bool) -> None:
    host, tokens = notebook_host(ctx), ctx.role_tokens
    record = get_notebook_instance(ctx, name)
    if tokens is None:
        raise ServiceUnavailable("This server has no role credentials service.")
    token_id, token = tokens.register_service(record.body["RoleArn"], CREDENTIALS_DURATION_S)
    environment = kernel_environment(ctx, f"{CREDENTIALS_PATH}/{token_id}", token)
    scripts: list[tuple[str, bytes]] = []
    if config_name := record.body.get("NotebookInstanceLifecycleConfigName"):
        config = ctx.store.get(notebook_lifecycle.KIND, config_name)
        if config is not None:
            if first:
                scripts += [("on-create", s) for s in notebook_lifecycle.scripts(config, "OnCreate")]
            scripts += [("on-start", s) for s in notebook_lifecycle.scripts(config, "OnStart")]
    try:
        running = await host.start(name, folders(ctx, name), environment, scripts)
    except NotebookStartFailed as failure:
        tokens.forget(token_id)
        _set_status(ctx, get_notebook_instance(ctx, name), FAILED, FailureReason=failure.reason)
        return
    except Exception as exc:  # e.g. the data folder's disk is full: Failed, never stuck in Pending
        tokens.forget(token_id)
        logger.exception("notebook instance %s failed to start", name)
        reason = f"The notebook instance could not be started: {type(exc).__name__}: {exc}"
        _set_status(ctx, get_notebook_instance(ctx, name), FAILED, FailureReason=reason)
        return
    except BaseException:
        tokens.forget(token_id)
        raise
    _set_status(
        ctx,
        get_notebook_instance(ctx, name),
        IN_SERVICE,
        Url=f"127.0.0.1:{running.port}",
        CredentialsId=token_id,
    )


async def _stop(ctx: ServiceContext, name: str) -> None:
    await notebook_host(ctx).stop(name)
    record = get_notebook_instance(ctx, name)
    if ctx.role_tokens is not None and (token_id := record.body.get("CredentialsId")):
        ctx.role_tokens.forget(token_id)
    _set_status(ctx, record, STOPPED, drop=("Url", "CredentialsId"))


async def _delete(ctx: ServiceContext, name: str) -> None:
    import asyncio

    await notebook_host(ctx).stop(name)
    record = get_notebook_instance(ctx, name)
    await asyncio.to_thread(remove_folders, folders(ctx, name))
    resources.remove(ctx, record)


# --- helpers --------------------------------------------------------------------------------


def _summary(record: Resource) -> dict[str, Any]:
    body = record.body
    summary: dict[str, Any] = {
        "NotebookInstanceName": record.name,
        "NotebookInstanceArn": record.arn,
        "NotebookInstanceStatus": record.status,
    }
    if url := body.get("Url"):
        summary["Url"] = url
    summary.update(
        {
            "InstanceType": body.get("InstanceType"),
            "CreationTime": record.creation_time,
            "LastModifiedTime": record.last_modified_time,
        }
    )
    for key in ("NotebookInstanceLifecycleConfigName", "DefaultCodeRepository", "AdditionalCodeRepositories"):
        if key in body:
            summary[key] = body[key]
    return summary


def _set_status(
    ctx: ServiceContext, record: Resource, status: str, *, drop: tuple[str, ...] = (), **values: Any
) -> None:
    body = {k: v for k, v in record.body.items() if k not in drop}
    body.update(values)
    ctx.store.update(record.evolve(status=status, body=body, last_modified_time=ctx.clock.now()))


def _refuse_unless(record: Resource, allowed: tuple[str, ...], target: str) -> None:
    if record.status not in allowed:
        raise InvalidState(
            f"Status ({record.status}) not in ([{', '.join(allowed)}]). Unable to transition to "
            f"({target}) for Notebook Instance ({record.arn})."
        )


def _check_role(role_arn: str) -> None:
    if ":role/" not in role_arn or not role_arn.startswith("arn:"):
        raise InvalidRequest(
            f"Value '{role_arn}' at 'roleArn' failed to satisfy constraint: Member must be an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)."
        )


def _check_role_exists(ctx: ServiceContext, role_arn: str) -> None:
    if role_by_arn(ctx, role_arn) is None:
        raise InvalidRequest(
            f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
            "'sagemaker.amazonaws.com' to assume the role."
        )


def notebook_host(ctx: ServiceContext) -> NotebookHost:
    if ctx.notebooks is None:
        raise ServiceUnavailable("Notebook instances are not available on this server.")
    return ctx.notebooks
