"""The SageMaker control plane's operation table: operation name -> use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from modelport.services.context import ServiceContext
from modelport.services.sagemaker import (
    endpoint_configs,
    endpoint_updates,
    endpoints,
    models,
    notebook_instances,
    notebook_lifecycle,
    notebook_urls,
    tags,
    transform_jobs,
)

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
    "UpdateEndpointWeightsAndCapacities": endpoint_updates.update_endpoint_weights_and_capacities,
    "DeleteEndpoint": endpoints.delete_endpoint,
    "CreateNotebookInstance": notebook_instances.create_notebook_instance,
    "DescribeNotebookInstance": notebook_instances.describe_notebook_instance,
    "ListNotebookInstances": notebook_instances.list_notebook_instances,
    "UpdateNotebookInstance": notebook_instances.update_notebook_instance,
    "StartNotebookInstance": notebook_instances.start_notebook_instance,
    "StopNotebookInstance": notebook_instances.stop_notebook_instance,
    "DeleteNotebookInstance": notebook_instances.delete_notebook_instance,
    "CreatePresignedNotebookInstanceUrl": notebook_urls.create_presigned_notebook_instance_url,
    "CreateNotebookInstanceLifecycleConfig": notebook_lifecycle.create_notebook_instance_lifecycle_config,
    "DescribeNotebookInstanceLifecycleConfig": notebook_lifecycle.describe_notebook_instance_lifecycle_config,
    "ListNotebookInstanceLifecycleConfigs": notebook_lifecycle.list_notebook_instance_lifecycle_configs,
    "UpdateNotebookInstanceLifecycleConfig": notebook_lifecycle.update_notebook_instance_lifecycle_config,
    "DeleteNotebookInstanceLifecycleConfig": notebook_lifecycle.delete_notebook_instance_lifecycle_config,
    "CreateTransformJob": transform_jobs.create_transform_job,
    "DescribeTransformJob": transform_jobs.describe_transform_job,
    "ListTransformJobs": transform_jobs.list_transform_jobs,
    "StopTransformJob": transform_jobs.stop_transform_job,
    "AddTags": tags.add_tags,
    "ListTags": tags.list_tags,
    "DeleteTags": tags.delete_tags,
}
