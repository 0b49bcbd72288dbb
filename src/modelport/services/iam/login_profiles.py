"""IAM users' console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
DeleteLoginProfile, ChangePassword (a user's own password, which clears PasswordResetRequired),
and the check the console's sign-in makes.

A password is never stored: the user's body keeps a scrypt hash (``hashlib.scrypt``, a random
16-byte salt per password, n=2**14, r=8, p=1: about 16 MB and tens of milliseconds per check,
so a stolen database is slow to guess at). Passwords must meet IAM's default password policy —
at least 8 characters, at most 128, and three of the four kinds: upper-case letters, lower-case
letters, digits, symbols — or the call is ``PasswordPolicyViolation``, saying what is missing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import string
from typing import Any

from modelport.aws.auth.principal import PrincipalKind
from modelport.core.errors import (
    InvalidRequest,
    PasswordPolicyViolation,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.entities import USER, find_user, save_body
from modelport.store.base import Resource

LOGIN_PROFILE = "LoginProfile"
MIN_PASSWORD_LENGTH = 8  # IAM's default password policy
MAX_PASSWORD_LENGTH = 128
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_KINDS = {
    "upper-case letters": set(string.ascii_uppercase),
    "lower-case letters": set(string.ascii_lowercase),
    "digits": set(string.digits),
}
# A check for an unknown user still hashes, so its answer takes as long as a wrong password's.
_DUMMY = {"Salt": base64.b64encode(bytes(16)).decode(), "Hash": ""}


def create_login_profile(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user = find_user(ctx, params["UserName"])
    if LOGIN_PROFILE in user.body:
        raise ResourceAlreadyExists(f"Login Profile for user {user.name} already exists.")
    profile = _profile(ctx, params["Password"], bool(params.get("PasswordResetRequired", False)))
    save_body(ctx, user, {LOGIN_PROFILE: profile})
    return {"LoginProfile": _shape(user.name, profile)}


def get_login_profile(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user, profile = _existing(ctx, params["UserName"])
    return {"LoginProfile": _shape(user.name, profile)}


def update_login_profile(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user, profile = _existing(ctx, params["UserName"])
    reset = params.get("PasswordResetRequired")
    if params.get("Password") is not None:
        new = _profile(ctx, params["Password"], profile["PasswordResetRequired"] if reset is None else reset)
        profile = {**new, "CreateDate": profile["CreateDate"]}
    elif reset is not None:
        profile = {**profile, "PasswordResetRequired": bool(reset)}
    save_body(ctx, user, {LOGIN_PROFILE: profile})
    return {}


def delete_login_profile(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    user, _ = _existing(ctx, params["UserName"])
    ctx.store.update(
        user.evolve(
            body={k: v for k, v in user.body.items() if k != LOGIN_PROFILE},
            last_modified_time=ctx.clock.now(),
        )
    )
    return {}


def change_password(ctx: ServiceContext, params: dict[str, Any]) -> dict[str, Any]:
    """ChangePassword: the calling IAM user replaces its own console password, proving the old one."""
    principal = ctx.principal
    if principal is None or principal.kind is not PrincipalKind.USER:
        raise InvalidRequest(
            "Only an IAM user can change its own password: call ChangePassword with its credentials."
        )
    return set_own_password(ctx, principal.name, params["OldPassword"], params["NewPassword"])


def set_own_password(ctx: ServiceContext, user_name: str, old: str, new: str) -> dict[str, Any]:
    """Replace ``user_name``'s password once ``old`` matches it; the reset requirement is met."""
    user, profile = _existing(ctx, user_name)
    if check_password(ctx, user.name, old) is None:
        raise InvalidRequest("The old password is incorrect: give the password you signed in with.")
    if hmac.compare_digest(old.encode(), new.encode()):
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy: the new password must differ from the old one."
        )
    new_profile = {**_profile(ctx, new, False), "CreateDate": profile["CreateDate"]}
    save_body(ctx, user, {LOGIN_PROFILE: new_profile})
    return {}


def reset_required(ctx: ServiceContext, user_name: str) -> bool:
    """The user must choose a new password before using the console (PasswordResetRequired)."""
    user = ctx.store.get(USER, user_name)
    profile = user.body.get(LOGIN_PROFILE) if user is not None else None
    return bool(profile and profile.get("PasswordResetRequired"))


def check_password(ctx: ServiceContext, user_name: str, password: str) -> str | None:
    """The user's stored name if ``password`` is its console password, else None."""
    user = ctx.store.get(USER, user_name) if user_name else None
    profile = user.body.get(LOGIN_PROFILE) if user is not None else None
    stored = profile or _DUMMY
    digest = _hash(password, base64.b64decode(stored["Salt"]))
    if user is None or profile is None:
        return None
    return user.name if hmac.compare_digest(digest, stored["Hash"]) else None


def has_login_profile(ctx: ServiceContext, user_name: str) -> bool:
    user = ctx.store.get(USER, user_name)
    return user is not None and LOGIN_PROFILE in user.body


def password_problems(password: str) -> list[str]:
    """What the default password policy finds wrong with ``password`` (empty: acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"it must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"it must have at most {MAX_PASSWORD_LENGTH} characters")
    chars = set(password)
    kinds = [name for name, members in _KINDS.items() if chars & members]
    if chars - set().union(*_KINDS.values()):
        kinds.append("symbols")
    if len(kinds) < 3:
        problems.append(
            "it must contain at least three of: upper-case letters, lower-case letters, digits, symbols"
            f" (it has {', '.join(kinds) or 'none of them'})"
        )
    return problems


def _profile(ctx: ServiceContext, password: str, reset_required: bool) -> dict[str, Any]:
    problems = password_problems(password)
    if problems:
        raise PasswordPolicyViolation(
            "Password does not conform to the account password policy: " + "; ".join(problems) + "."
        )
    salt = os.urandom(16)
    return {
        "Salt": base64.b64encode(salt).decode(),
        "Hash": _hash(password, salt),
        "CreateDate": ctx.clock.now(),
        "PasswordResetRequired": reset_required,
    }


def _hash(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return base64.b64encode(digest).decode()


def _existing(ctx: ServiceContext, name: str) -> tuple[Resource, dict[str, Any]]:
    user = find_user(ctx, name)
    profile = user.body.get(LOGIN_PROFILE)
    if profile is None:
        raise ResourceNotFound(f"Login Profile for User {user.name} cannot be found.")
    return user, profile


def _shape(name: str, profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "UserName": name,
        "CreateDate": profile["CreateDate"],
        "PasswordResetRequired": profile["PasswordResetRequired"],
    }
