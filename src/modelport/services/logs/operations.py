"""CloudWatch Logs' operation table: operation name -> use case (``logs``, JSON 1.1).

Where the events come from (Lambda functions, endpoint instances, notebook instances) is the
``LogWriter``'s business (``writer.py``); these are the API's use cases, which the web console
calls too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelport.services.context import ServiceContext
from modelport.services.logs import events, groups

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]

OPERATIONS: dict[str, Handler] = {
    "CreateLogGroup": groups.create_log_group,
    "DescribeLogGroups": groups.describe_log_groups,
    "DeleteLogGroup": groups.delete_log_group,
    "PutRetentionPolicy": groups.put_retention_policy,
    "DeleteRetentionPolicy": groups.delete_retention_policy,
    "CreateLogStream": groups.create_log_stream,
    "DescribeLogStreams": groups.describe_log_streams,
    "PutLogEvents": events.put_log_events,
    "GetLogEvents": events.get_log_events,
    "FilterLogEvents": events.filter_log_events,
}
