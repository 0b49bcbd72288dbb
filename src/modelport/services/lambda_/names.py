"""Function names as Lambda accepts them, and the lookup every operation starts with.

``FunctionName`` may be a name (``my-function``), a name with a qualifier (``my-function:v1``),
a partial ARN (``123456789012:function:my-function``) or a full ARN
(``arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier]``). Only ``$LATEST``
exists here, so any other qualifier names a version that is not found.
"""

from __future__ import annotations

import re

from modelport.core.arns import lambda_function_arn
from modelport.core.errors import InvalidRequest, ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.lambda_.host import KIND
from modelport.store.base import Resource

_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_ARN = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):function:)?"
    r"(?P<name>[^:]+)(?::(?P<qualifier>[^:]+))?"
)
LATEST = "$LATEST"


def function_arn(ctx: ServiceContext, name: str, qualifier: str | None = None) -> str:
    arn = lambda_function_arn(ctx.settings.region, ctx.settings.account_id, name)
    return f"{arn}:{qualifier}" if qualifier else arn


def split_function_name(ctx: ServiceContext, value: str) -> tuple[str, str | None]:
    """``(name, qualifier)`` of any accepted form; ``InvalidRequest`` for anything else."""
    found = _ARN.fullmatch(value)
    if found is None or not _NAME.fullmatch(found["name"]):
        raise InvalidRequest(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must be a function name (letters, digits, - and _, at most 64) "
            "or a function ARN"
        )
    account = found["account"]
    if account is not None and account != ctx.settings.account_id:
        raise ResourceNotFound(f"Function not found: {value}")
    return found["name"], found["qualifier"]


def find_function(
    ctx: ServiceContext, value: str, qualifier: str | None = None, *, shared: bool = False
) -> Resource:
    """The stored function named by ``value`` (and ``Qualifier``), or ``ResourceNotFound``.

    ``shared``: the store's cached record (``Store.get_shared``), for callers that only read it
    (Invoke, the gateway's permission check); anything that writes the record back must not.
    """
    name, in_name = split_function_name(ctx, value)
    if in_name and qualifier and in_name != qualifier:
        raise InvalidRequest(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    wanted = in_name or qualifier
    record = ctx.store.get_shared(KIND, name) if shared else ctx.store.get(KIND, name)
    if record is None or record.name != name or (wanted and wanted != LATEST):
        raise ResourceNotFound(f"Function not found: {function_arn(ctx, name, wanted)}")
    return record
