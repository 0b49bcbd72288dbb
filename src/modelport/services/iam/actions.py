"""Which IAM action, on which resource ARN, each modelport operation is checked against.

The table follows AWS's Service Authorization Reference ("Actions, resources, and condition keys
for Amazon SageMaker / AWS Lambda / Amazon API Gateway / IAM / STS / CloudWatch Logs") as remembered, not as
fetched; places where the reference is unclear or modelport simplifies say so. Operations are
keyed by botocore's service name and operation name, and ``params`` are the request members
under their wire names (``EndpointName``, ``FunctionName``, ``restApiId``, ...).

Simplifications, all toward checking *one* permission per call:

- AWS also checks ``iam:PassRole`` on the role given to CreateModel and CreateFunction, and
  CreateEndpoint also needs ``sagemaker:CreateEndpointConfig``'s resource type on the config;
  modelport checks only the primary resource.
- A role's ARN carries its path (``role/service-role/x``). Only CreateRole has it in the
  request; for the other role operations the caller may put the stored ``Path`` into
  ``params``, and the ARN is built with ``/`` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelport.core.arns import (
    apigateway_arn,
    execute_api_arn,
    iam_arn,
    lambda_function_arn,
    sagemaker_arn_prefix,
)
from modelport.core.errors import InvalidRequest, UnknownOperation


@dataclass(frozen=True)
class Permission:
    """What a call needs: ``action`` on ``resource``. ``always_allowed`` calls skip the check
    (``sts:GetCallerIdentity`` works even under an explicit deny, as in AWS)."""

    action: str
    resource: str
    always_allowed: bool = False


@dataclass(frozen=True)
class _Rule:
    action: str
    arn: Callable[[Mapping[str, Any], str, str], str]  # (params, region, account) -> ARN


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name} is required.")
    return value


def _any(params: Mapping[str, Any], region: str, account: str) -> str:
    return "*"


# --- SageMaker -------------------------------------------------------------------------------


def _sagemaker(kind: str, member: str) -> Callable[[Mapping[str, Any], str, str], str]:
    def arn(params: Mapping[str, Any], region: str, account: str) -> str:
        # SageMaker lower-cases the name in every ARN it returns (spec §2), and IAM compares ARNs
        # case-sensitively: a policy naming "endpoint/Iris" never matches, as in AWS.
        return sagemaker_arn_prefix(region, account) + f"{kind}/{_param(params, member).lower()}"

    return arn


def _resource_arn(params: Mapping[str, Any], region: str, account: str) -> str:
    return _param(params, "ResourceArn")


_MODEL = _sagemaker("model", "ModelName")
_CONFIG = _sagemaker("endpoint-config", "EndpointConfigName")
_ENDPOINT = _sagemaker("endpoint", "EndpointName")
_NOTEBOOK = _sagemaker("notebook-instance", "NotebookInstanceName")
_LIFECYCLE = _sagemaker("notebook-instance-lifecycle-config", "NotebookInstanceLifecycleConfigName")
_TRANSFORM_JOB = _sagemaker("transform-job", "TransformJobName")

SAGEMAKER: dict[str, _Rule] = {
    "CreateModel": _Rule("sagemaker:CreateModel", _MODEL),
    "DescribeModel": _Rule("sagemaker:DescribeModel", _MODEL),
    "ListModels": _Rule("sagemaker:ListModels", _any),
    "DeleteModel": _Rule("sagemaker:DeleteModel", _MODEL),
    "CreateEndpointConfig": _Rule("sagemaker:CreateEndpointConfig", _CONFIG),
    "DescribeEndpointConfig": _Rule("sagemaker:DescribeEndpointConfig", _CONFIG),
    "ListEndpointConfigs": _Rule("sagemaker:ListEndpointConfigs", _any),
    "DeleteEndpointConfig": _Rule("sagemaker:DeleteEndpointConfig", _CONFIG),
    "CreateEndpoint": _Rule("sagemaker:CreateEndpoint", _ENDPOINT),
    "DescribeEndpoint": _Rule("sagemaker:DescribeEndpoint", _ENDPOINT),
    "ListEndpoints": _Rule("sagemaker:ListEndpoints", _any),
    "UpdateEndpoint": _Rule("sagemaker:UpdateEndpoint", _ENDPOINT),
    "UpdateEndpointWeightsAndCapacities": _Rule("sagemaker:UpdateEndpointWeightsAndCapacities", _ENDPOINT),
    "DeleteEndpoint": _Rule("sagemaker:DeleteEndpoint", _ENDPOINT),
    "CreateNotebookInstance": _Rule("sagemaker:CreateNotebookInstance", _NOTEBOOK),
    "DescribeNotebookInstance": _Rule("sagemaker:DescribeNotebookInstance", _NOTEBOOK),
    "UpdateNotebookInstance": _Rule("sagemaker:UpdateNotebookInstance", _NOTEBOOK),
    "StartNotebookInstance": _Rule("sagemaker:StartNotebookInstance", _NOTEBOOK),
    "StopNotebookInstance": _Rule("sagemaker:StopNotebookInstance", _NOTEBOOK),
    "DeleteNotebookInstance": _Rule("sagemaker:DeleteNotebookInstance", _NOTEBOOK),
    "CreatePresignedNotebookInstanceUrl": _Rule("sagemaker:CreatePresignedNotebookInstanceUrl", _NOTEBOOK),
    "ListNotebookInstances": _Rule("sagemaker:ListNotebookInstances", _any),
    "CreateNotebookInstanceLifecycleConfig": _Rule(
        "sagemaker:CreateNotebookInstanceLifecycleConfig", _LIFECYCLE
    ),
    "DescribeNotebookInstanceLifecycleConfig": _Rule(
        "sagemaker:DescribeNotebookInstanceLifecycleConfig", _LIFECYCLE
    ),
    "UpdateNotebookInstanceLifecycleConfig": _Rule(
        "sagemaker:UpdateNotebookInstanceLifecycleConfig", _LIFECYCLE
    ),
    "DeleteNotebookInstanceLifecycleConfig": _Rule(
        "sagemaker:DeleteNotebookInstanceLifecycleConfig", _LIFECYCLE
    ),
    "ListNotebookInstanceLifecycleConfigs": _Rule("sagemaker:ListNotebookInstanceLifecycleConfigs", _any),
    "CreateTransformJob": _Rule("sagemaker:CreateTransformJob", _TRANSFORM_JOB),
    "DescribeTransformJob": _Rule("sagemaker:DescribeTransformJob", _TRANSFORM_JOB),
    "ListTransformJobs": _Rule("sagemaker:ListTransformJobs", _any),
    "StopTransformJob": _Rule("sagemaker:StopTransformJob", _TRANSFORM_JOB),
    "AddTags": _Rule("sagemaker:AddTags", _resource_arn),
    "ListTags": _Rule("sagemaker:ListTags", _resource_arn),
    "DeleteTags": _Rule("sagemaker:DeleteTags", _resource_arn),
}

SAGEMAKER_RUNTIME: dict[str, _Rule] = {
    "InvokeEndpoint": _Rule("sagemaker:InvokeEndpoint", _ENDPOINT),
    "InvokeEndpointAsync": _Rule("sagemaker:InvokeEndpointAsync", _ENDPOINT),
}

# --- Lambda ----------------------------------------------------------------------------------

_PARTIAL_FUNCTION_ARN = re.compile(r"\d{12}:function:.+")


def function_arn(function_name: str, qualifier: str | None, *, region: str, account_id: str) -> str:
    """The ARN Lambda checks for ``FunctionName`` (a name, a partial or a full ARN, maybe with a
    ``:qualifier``) and ``Qualifier``. A qualified call is checked on the qualified ARN, so a
    policy on ``function:f`` does not cover ``function:f:prod``; ``function:f*`` covers both."""
    if function_name.startswith("arn:"):
        arn = function_name
    elif _PARTIAL_FUNCTION_ARN.fullmatch(function_name):
        arn = f"arn:aws:lambda:{region}:{function_name}"
    else:
        arn = lambda_function_arn(region, account_id, function_name)
    if qualifier and arn.count(":") == 6:  # not yet qualified: arn:aws:lambda:r:a:function:name
        arn = f"{arn}:{qualifier}"
    return arn


def _function(params: Mapping[str, Any], region: str, account: str) -> str:
    qualifier = params.get("Qualifier")
    return function_arn(
        _param(params, "FunctionName"),
        qualifier if isinstance(qualifier, str) else None,
        region=region,
        account_id=account,
    )


LAMBDA: dict[str, _Rule] = {
    "CreateFunction": _Rule("lambda:CreateFunction", _function),
    "GetFunction": _Rule("lambda:GetFunction", _function),
    "GetFunctionConfiguration": _Rule("lambda:GetFunctionConfiguration", _function),
    "ListFunctions": _Rule("lambda:ListFunctions", _any),
    "UpdateFunctionCode": _Rule("lambda:UpdateFunctionCode", _function),
    "UpdateFunctionConfiguration": _Rule("lambda:UpdateFunctionConfiguration", _function),
    "DeleteFunction": _Rule("lambda:DeleteFunction", _function),
    "Invoke": _Rule("lambda:InvokeFunction", _function),
    "AddPermission": _Rule("lambda:AddPermission", _function),
    "RemovePermission": _Rule("lambda:RemovePermission", _function),
    "GetPolicy": _Rule("lambda:GetPolicy", _function),
}

# --- API Gateway (REST APIs, v1) -------------------------------------------------------------

# Control-plane calls are authorised by HTTP verb on the request path:
# apigateway:<VERB> on arn:aws:apigateway:<region>::<path>. Path members use botocore's names.
APIGATEWAY_ROUTES: dict[str, tuple[str, str]] = {
    "CreateRestApi": ("POST", "/restapis"),
    "GetRestApis": ("GET", "/restapis"),
    "GetRestApi": ("GET", "/restapis/{restApiId}"),
    "UpdateRestApi": ("PATCH", "/restapis/{restApiId}"),
    "DeleteRestApi": ("DELETE", "/restapis/{restApiId}"),
    "GetResources": ("GET", "/restapis/{restApiId}/resources"),
    "GetResource": ("GET", "/restapis/{restApiId}/resources/{resourceId}"),
    "CreateResource": ("POST", "/restapis/{restApiId}/resources/{parentId}"),
    "DeleteResource": ("DELETE", "/restapis/{restApiId}/resources/{resourceId}"),
    "PutMethod": ("PUT", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "GetMethod": ("GET", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "DeleteMethod": ("DELETE", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "UpdateMethod": ("PATCH", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "TestInvokeMethod": ("POST", "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"),
    "PutMethodResponse": (
        "PUT",
        "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/responses/{statusCode}",
    ),
    "PutIntegration": (
        "PUT",
        "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration",
    ),
    "GetIntegration": (
        "GET",
        "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration",
    ),
    "UpdateIntegration": (
        "PATCH",
        "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration",
    ),
    "PutIntegrationResponse": (
        "PUT",
        "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration/responses/{statusCode}",
    ),
    "CreateDeployment": ("POST", "/restapis/{restApiId}/deployments"),
    "GetDeployments": ("GET", "/restapis/{restApiId}/deployments"),
    "GetDeployment": ("GET", "/restapis/{restApiId}/deployments/{deploymentId}"),
    "DeleteDeployment": ("DELETE", "/restapis/{restApiId}/deployments/{deploymentId}"),
    "CreateStage": ("POST", "/restapis/{restApiId}/stages"),
    "GetStages": ("GET", "/restapis/{restApiId}/stages"),
    "GetStage": ("GET", "/restapis/{restApiId}/stages/{stageName}"),
    "UpdateStage": ("PATCH", "/restapis/{restApiId}/stages/{stageName}"),
    "DeleteStage": ("DELETE", "/restapis/{restApiId}/stages/{stageName}"),
}

_PATH_MEMBER = re.compile(r"\{(\w+)\}")


def _apigateway_rule(verb: str, template: str) -> _Rule:
    def arn(params: Mapping[str, Any], region: str, account: str) -> str:
        path = _PATH_MEMBER.sub(lambda m: _param(params, m.group(1)), template)
        return apigateway_arn(region, path)

    return _Rule(f"apigateway:{verb}", arn)


APIGATEWAY: dict[str, _Rule] = {op: _apigateway_rule(*route) for op, route in APIGATEWAY_ROUTES.items()}


def _execute_api(params: Mapping[str, Any], region: str, account: str) -> str:
    # arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<resource path>
    method = _param(params, "Method").upper()
    path = str(params.get("Path", "/")).lstrip("/")
    return execute_api_arn(region, account, _param(params, "ApiId"), _param(params, "Stage"), method, path)


# Not a botocore service: calling a deployed API (``/restapis/<id>/<stage>/_user_request_/...``)
# is checked as execute-api:Invoke when the method's authorizationType is AWS_IAM.
EXECUTE_API: dict[str, _Rule] = {"Invoke": _Rule("execute-api:Invoke", _execute_api)}

# --- IAM and STS -----------------------------------------------------------------------------


def _iam(kind: str, member: str) -> Callable[[Mapping[str, Any], str, str], str]:
    def arn(params: Mapping[str, Any], region: str, account: str) -> str:
        path = params.get("Path") or "/"  # IAM paths start and end with "/"
        return iam_arn(account, kind, _param(params, member), path)

    return arn


def _own_user(params: Mapping[str, Any], region: str, account: str) -> str:
    name = params.get("UserName")
    return iam_arn(account, "user", name, "/") if isinstance(name, str) and name else "*"


def _policy_arn(params: Mapping[str, Any], region: str, account: str) -> str:
    return _param(params, "PolicyArn")


def _role_arn(params: Mapping[str, Any], region: str, account: str) -> str:
    return _param(params, "RoleArn")


_ROLE = _iam("role", "RoleName")

IAM: dict[str, _Rule] = {
    "CreateRole": _Rule("iam:CreateRole", _ROLE),
    "GetRole": _Rule("iam:GetRole", _ROLE),
    "DeleteRole": _Rule("iam:DeleteRole", _ROLE),
    "ListRoles": _Rule("iam:ListRoles", _any),
    "UpdateAssumeRolePolicy": _Rule("iam:UpdateAssumeRolePolicy", _ROLE),
    "PutRolePolicy": _Rule("iam:PutRolePolicy", _ROLE),
    "GetRolePolicy": _Rule("iam:GetRolePolicy", _ROLE),
    "DeleteRolePolicy": _Rule("iam:DeleteRolePolicy", _ROLE),
    "ListRolePolicies": _Rule("iam:ListRolePolicies", _ROLE),
    "AttachRolePolicy": _Rule("iam:AttachRolePolicy", _ROLE),
    "DetachRolePolicy": _Rule("iam:DetachRolePolicy", _ROLE),
    "ListAttachedRolePolicies": _Rule("iam:ListAttachedRolePolicies", _ROLE),
    "CreatePolicy": _Rule("iam:CreatePolicy", _iam("policy", "PolicyName")),
    "GetPolicy": _Rule("iam:GetPolicy", _policy_arn),
    "DeletePolicy": _Rule("iam:DeletePolicy", _policy_arn),
    "ListPolicies": _Rule("iam:ListPolicies", _any),
    "CreatePolicyVersion": _Rule("iam:CreatePolicyVersion", _policy_arn),
    "GetPolicyVersion": _Rule("iam:GetPolicyVersion", _policy_arn),
    "ListPolicyVersions": _Rule("iam:ListPolicyVersions", _policy_arn),
    "DeletePolicyVersion": _Rule("iam:DeletePolicyVersion", _policy_arn),
    # Users. A key call without UserName acts on the caller's own user in IAM; here it must
    # name the user (checked against user/<name>), which root callers never need to.
    "CreateUser": _Rule("iam:CreateUser", _iam("user", "UserName")),
    "GetUser": _Rule("iam:GetUser", _iam("user", "UserName")),
    "DeleteUser": _Rule("iam:DeleteUser", _iam("user", "UserName")),
    "ListUsers": _Rule("iam:ListUsers", _any),
    "CreateAccessKey": _Rule("iam:CreateAccessKey", _iam("user", "UserName")),
    "DeleteAccessKey": _Rule("iam:DeleteAccessKey", _iam("user", "UserName")),
    "ListAccessKeys": _Rule("iam:ListAccessKeys", _iam("user", "UserName")),
    "AttachUserPolicy": _Rule("iam:AttachUserPolicy", _iam("user", "UserName")),
    "DetachUserPolicy": _Rule("iam:DetachUserPolicy", _iam("user", "UserName")),
    "PutUserPolicy": _Rule("iam:PutUserPolicy", _iam("user", "UserName")),
    "GetUserPolicy": _Rule("iam:GetUserPolicy", _iam("user", "UserName")),
    "DeleteUserPolicy": _Rule("iam:DeleteUserPolicy", _iam("user", "UserName")),
    "ListUserPolicies": _Rule("iam:ListUserPolicies", _iam("user", "UserName")),
    "ListAttachedUserPolicies": _Rule("iam:ListAttachedUserPolicies", _iam("user", "UserName")),
    "CreateLoginProfile": _Rule("iam:CreateLoginProfile", _iam("user", "UserName")),
    "GetLoginProfile": _Rule("iam:GetLoginProfile", _iam("user", "UserName")),
    "UpdateLoginProfile": _Rule("iam:UpdateLoginProfile", _iam("user", "UserName")),
    "DeleteLoginProfile": _Rule("iam:DeleteLoginProfile", _iam("user", "UserName")),
    # ChangePassword acts on the caller's own user; authorization supplies UserName from it.
    "ChangePassword": _Rule("iam:ChangePassword", _own_user),
}

STS: dict[str, _Rule] = {
    "AssumeRole": _Rule("sts:AssumeRole", _role_arn),
    "GetCallerIdentity": _Rule("sts:GetCallerIdentity", _any),
}

# --- S3 (the S3 front forwards these; services/s3/requests.py tells them apart) ---------------
# Bucket operations act on arn:aws:s3:::<bucket>, object operations on arn:aws:s3:::<bucket>/<key>.
# DeleteObjects is checked once, on <bucket>/*, since the keys are in its body (AWS checks each).


def _bucket(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:s3:::{_param(params, 'Bucket')}"


def _object(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:s3:::{_param(params, 'Bucket')}/{_param(params, 'Key')}"


def _objects(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:s3:::{_param(params, 'Bucket')}/*"


S3: dict[str, _Rule] = {
    "ListBuckets": _Rule("s3:ListAllMyBuckets", _any),
    "CreateBucket": _Rule("s3:CreateBucket", _bucket),
    "DeleteBucket": _Rule("s3:DeleteBucket", _bucket),
    "HeadBucket": _Rule("s3:ListBucket", _bucket),
    "ListObjects": _Rule("s3:ListBucket", _bucket),
    "ListObjectsV2": _Rule("s3:ListBucket", _bucket),
    "GetBucketLocation": _Rule("s3:GetBucketLocation", _bucket),
    "GetBucketVersioning": _Rule("s3:GetBucketVersioning", _bucket),
    "PutBucketVersioning": _Rule("s3:PutBucketVersioning", _bucket),
    "ListObjectVersions": _Rule("s3:ListBucketVersions", _bucket),
    "ListMultipartUploads": _Rule("s3:ListBucketMultipartUploads", _bucket),
    "GetBucketTagging": _Rule("s3:GetBucketTagging", _bucket),
    "PutBucketTagging": _Rule("s3:PutBucketTagging", _bucket),
    "DeleteBucketTagging": _Rule("s3:PutBucketTagging", _bucket),
    "GetBucketPolicy": _Rule("s3:GetBucketPolicy", _bucket),
    "PutBucketPolicy": _Rule("s3:PutBucketPolicy", _bucket),
    "DeleteBucketPolicy": _Rule("s3:DeleteBucketPolicy", _bucket),
    "GetBucketAcl": _Rule("s3:GetBucketAcl", _bucket),
    "DeleteObjects": _Rule("s3:DeleteObject", _objects),
    "GetObject": _Rule("s3:GetObject", _object),
    "HeadObject": _Rule("s3:GetObject", _object),
    "PutObject": _Rule("s3:PutObject", _object),
    "CopyObject": _Rule("s3:PutObject", _object),
    "DeleteObject": _Rule("s3:DeleteObject", _object),
    "CreateMultipartUpload": _Rule("s3:PutObject", _object),
    "UploadPart": _Rule("s3:PutObject", _object),
    "UploadPartCopy": _Rule("s3:PutObject", _object),
    "CompleteMultipartUpload": _Rule("s3:PutObject", _object),
    "AbortMultipartUpload": _Rule("s3:AbortMultipartUpload", _object),
    "ListParts": _Rule("s3:ListMultipartUploadParts", _object),
    "GetObjectTagging": _Rule("s3:GetObjectTagging", _object),
    "PutObjectTagging": _Rule("s3:PutObjectTagging", _object),
    "DeleteObjectTagging": _Rule("s3:DeleteObjectTagging", _object),
    "GetObjectAcl": _Rule("s3:GetObjectAcl", _object),
}

# --- CloudWatch Logs --------------------------------------------------------------------------
# Group operations are checked on the group's ARN as DescribeLogGroups' ``arn`` shows it (with
# ``:*``), stream operations on ``log-group:<group>:log-stream:<stream>``; so the policy AWS's
# Lambda console writes (``log-group:/aws/lambda/<name>:*``) covers both. DescribeLogGroups is
# checked on ``log-group:*``.


def _log_group_name(params: Mapping[str, Any]) -> str:
    identifier = params.get("logGroupIdentifier")
    if isinstance(identifier, str) and identifier:
        if identifier.startswith("arn:"):
            return identifier.partition(":log-group:")[2].removesuffix(":*")
        return identifier
    return _param(params, "logGroupName")


def _log_group(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{_log_group_name(params)}:*"


def _log_stream(params: Mapping[str, Any], region: str, account: str) -> str:
    group = _log_group_name(params)
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{_param(params, 'logStreamName')}"


def _log_groups(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:*"


LOGS: dict[str, _Rule] = {
    "CreateLogGroup": _Rule("logs:CreateLogGroup", _log_group),
    "DescribeLogGroups": _Rule("logs:DescribeLogGroups", _log_groups),
    "DeleteLogGroup": _Rule("logs:DeleteLogGroup", _log_group),
    "PutRetentionPolicy": _Rule("logs:PutRetentionPolicy", _log_group),
    "DeleteRetentionPolicy": _Rule("logs:DeleteRetentionPolicy", _log_group),
    "CreateLogStream": _Rule("logs:CreateLogStream", _log_stream),
    "DescribeLogStreams": _Rule("logs:DescribeLogStreams", _log_group),
    "PutLogEvents": _Rule("logs:PutLogEvents", _log_stream),
    "GetLogEvents": _Rule("logs:GetLogEvents", _log_stream),
    "FilterLogEvents": _Rule("logs:FilterLogEvents", _log_group),
}


def _alarm(params: Mapping[str, Any], region: str, account: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{_param(params, 'AlarmName')}"


# CloudWatch's metric reads (and DescribeAlarms, DeleteAlarms of several alarms) are authorized on "*".
CLOUDWATCH: dict[str, _Rule] = {
    "GetMetricStatistics": _Rule("cloudwatch:GetMetricStatistics", _any),
    "GetMetricData": _Rule("cloudwatch:GetMetricData", _any),
    "ListMetrics": _Rule("cloudwatch:ListMetrics", _any),
    "PutMetricAlarm": _Rule("cloudwatch:PutMetricAlarm", _alarm),
    "DescribeAlarms": _Rule("cloudwatch:DescribeAlarms", _any),
    "DeleteAlarms": _Rule("cloudwatch:DeleteAlarms", _any),
}

# Application Auto Scaling's actions take no resource-level permissions here: the resource is "*".
APPLICATION_AUTOSCALING: dict[str, _Rule] = {
    name: _Rule(f"application-autoscaling:{name}", _any)
    for name in (
        "RegisterScalableTarget",
        "DescribeScalableTargets",
        "DeregisterScalableTarget",
        "PutScalingPolicy",
        "DescribeScalingPolicies",
        "DeleteScalingPolicy",
        "DescribeScalingActivities",
    )
}

# GetCallerIdentity needs no permission: "No permissions are required to perform this
# operation. If an administrator attaches a policy that explicitly denies access to
# sts:GetCallerIdentity, you can still perform this operation" (STS API reference).
ALWAYS_ALLOWED = frozenset({("sts", "GetCallerIdentity")})

CATALOGUE: Mapping[str, Mapping[str, _Rule]] = {
    "sagemaker": SAGEMAKER,
    "sagemaker-runtime": SAGEMAKER_RUNTIME,
    "lambda": LAMBDA,
    "apigateway": APIGATEWAY,
    "execute-api": EXECUTE_API,
    "iam": IAM,
    "sts": STS,
    "s3": S3,
    "logs": LOGS,
    "cloudwatch": CLOUDWATCH,
    "application-autoscaling": APPLICATION_AUTOSCALING,
}


def required_permission(
    service: str, operation: str, params: Mapping[str, Any], *, region: str, account_id: str
) -> Permission:
    """The permission ``operation`` of ``service`` needs, given the request's ``params``.

    Raises ``UnknownOperation`` for an operation not in the catalogue (so an operation added
    without a rule fails closed) and ``InvalidRequest`` when a member the ARN is built from is
    missing.
    """
    rule = CATALOGUE.get(service, {}).get(operation)
    if rule is None:
        raise UnknownOperation(f"modelport has no IAM action for {service} operation {operation}.")
    return Permission(
        action=rule.action,
        resource=rule.arn(params, region, account_id),
        always_allowed=(service, operation) in ALWAYS_ALLOWED,
    )
