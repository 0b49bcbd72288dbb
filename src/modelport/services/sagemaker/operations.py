"""The SageMaker control plane's operation table: operation name -> use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from modelport.services.context import ServiceContext
from modelport.services.sagemaker import endpoint_configs, endpoints, models, tags

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]

OPERATIONS: dict[str, Handler] = {
    "CreateModel": models.create_model,
    "DescribeModel": models.describe_model,
    "ListModels": models.list_models,
    "DeleteModel": models.delete_model,
    "CreateEndpointConfig": endpoint_configs.create_endpoint_config,
    "DescribeEndpointConfig": endpoint_configs.describe_endpoint_config,
    "ListEndpointConfigs": endpoint_configs.list_endpoint_configs,
    "DeleteEndpointConfig": endpoint_configs.delete_endpoint_config,
    "CreateEndpoint": endpoints.create_endpoint,
    "DescribeEndpoint": endpoints.describe_endpoint,
    "ListEndpoints": endpoints.list_endpoints,
    "UpdateEndpoint": endpoints.update_endpoint,
    "DeleteEndpoint": endpoints.delete_endpoint,
    "AddTags": tags.add_tags,
    "ListTags": tags.list_tags,
    "DeleteTags": tags.delete_tags,
}
