"""IAM: the operation table the front door serves, and role credentials for other services.

The operations live by entity: ``iam_roles`` (roles, their inline and attached policies),
``iam_policies`` (managed policies; the AWS managed ones are ``iam_aws_policies``' data), ``iam_users`` (users and access keys),
``iam_login_profiles`` (users' console passwords); ``iam_entities``
holds what they share. Handlers take and return botocore's member names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelport.aws.auth.keys import AccessKey, new_access_key_id, new_secret_access_key, new_session_token
from modelport.aws.auth.principal import PrincipalKind
from modelport.core.errors import ResourceNotFound
from modelport.services.context import ServiceContext
from modelport.services.iam import login_profiles as iam_login_profiles
from modelport.services.iam import policies as iam_policies
from modelport.services.iam import roles as iam_roles
from modelport.services.iam import users as iam_users

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]

OPERATIONS: dict[str, Handler] = {
    "CreateRole": iam_roles.create_role,
    "GetRole": iam_roles.get_role,
    "ListRoles": iam_roles.list_roles,
    "DeleteRole": iam_roles.delete_role,
    "PutRolePolicy": iam_roles.put_role_policy,
    "GetRolePolicy": iam_roles.get_role_policy,
    "DeleteRolePolicy": iam_roles.delete_role_policy,
    "ListRolePolicies": iam_roles.list_role_policies,
    "AttachRolePolicy": iam_roles.attach_role_policy,
    "DetachRolePolicy": iam_roles.detach_role_policy,
    "ListAttachedRolePolicies": iam_roles.list_attached_role_policies,
    "CreatePolicy": iam_policies.create_policy,
    "GetPolicy": iam_policies.get_policy,
    "GetPolicyVersion": iam_policies.get_policy_version,
    "ListPolicies": iam_policies.list_policies,
    "DeletePolicy": iam_policies.delete_policy,
    "CreateUser": iam_users.create_user,
    "GetUser": iam_users.get_user,
    "ListUsers": iam_users.list_users,
    "DeleteUser": iam_users.delete_user,
    "AttachUserPolicy": iam_users.attach_user_policy,
    "DetachUserPolicy": iam_users.detach_user_policy,
    "ListAttachedUserPolicies": iam_users.list_attached_user_policies,
    "PutUserPolicy": iam_users.put_user_policy,
    "GetUserPolicy": iam_users.get_user_policy,
    "DeleteUserPolicy": iam_users.delete_user_policy,
    "ListUserPolicies": iam_users.list_user_policies,
    "CreateAccessKey": iam_users.create_access_key,
    "ListAccessKeys": iam_users.list_access_keys,
    "DeleteAccessKey": iam_users.delete_access_key,
    "CreateLoginProfile": iam_login_profiles.create_login_profile,
    "GetLoginProfile": iam_login_profiles.get_login_profile,
    "UpdateLoginProfile": iam_login_profiles.update_login_profile,
    "DeleteLoginProfile": iam_login_profiles.delete_login_profile,
    "ChangePassword": iam_login_profiles.change_password,
}


def issue_role_credentials(
    ctx: ServiceContext, role_arn: str, session_name: str, duration_s: int = 3600
) -> dict[str, Any]:
    """Temporary credentials for a session of the role ``role_arn``, stored so that they
    authenticate until they expire; the ``Credentials`` structure STS returns.

    No trust check here: STS's AssumeRole makes it for callers, and a service that runs code as
    a role (Lambda) was given the role by someone allowed to pass it.
    """
    role = iam_roles.role_by_arn(ctx, role_arn)
    if role is None:
        raise ResourceNotFound(f"The role with ARN {role_arn} cannot be found.")
    now = ctx.clock.now()
    key = AccessKey(
        new_access_key_id(temporary=True),
        new_secret_access_key(),
        PrincipalKind.ROLE,
        f"{role.name}/{session_name}",
        created=now,
        session_token=new_session_token(),
        expires=now + duration_s,
    )
    ctx.keys.put(key)
    return {
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
        "SessionToken": key.session_token,
        "Expiration": key.expires,
    }
