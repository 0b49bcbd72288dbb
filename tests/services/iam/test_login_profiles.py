"""Console passwords (login profiles) over a real store: IAM's codes and messages, the default
password policy, and the check the console's sign-in makes."""

from __future__ import annotations

import pytest

from modelport.core.errors import (
    InvalidState,
    PasswordPolicyViolation,
    ResourceAlreadyExists,
    ResourceNotFound,
)
from modelport.services.context import ServiceContext
from modelport.services.iam.login_profiles import check_password, has_login_profile, password_problems
from services.iam_fixtures import call


def test_create_check_update_delete(ctx: ServiceContext) -> None:
    call(ctx, "CreateUser", UserName="alice")
    created = call(ctx, "CreateLoginProfile", UserName="alice", Password="Correct-Horse-9")
    assert created["LoginProfile"]["UserName"] == "alice"
    assert created["LoginProfile"]["PasswordResetRequired"] is False
    stored = ctx.store.get("iam_user", "alice")
    assert stored is not None and "Correct-Horse-9" not in str(stored.body)
    assert check_password(ctx, "alice", "Correct-Horse-9") == "alice"
    assert check_password(ctx, "alice", "correct-horse-9") is None
    assert check_password(ctx, "bob", "Correct-Horse-9") is None

    with pytest.raises(ResourceAlreadyExists, match="Login Profile for user alice already exists"):
        call(ctx, "CreateLoginProfile", UserName="alice", Password="Correct-Horse-9")
    with pytest.raises(InvalidState, match="must delete login profile first"):
        call(ctx, "DeleteUser", UserName="alice")

    call(ctx, "UpdateLoginProfile", UserName="alice", Password="Battery-Staple-8", PasswordResetRequired=True)
    assert check_password(ctx, "alice", "Correct-Horse-9") is None
    assert check_password(ctx, "alice", "Battery-Staple-8") == "alice"
    assert call(ctx, "GetLoginProfile", UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True

    call(ctx, "DeleteLoginProfile", UserName="alice")
    assert not has_login_profile(ctx, "alice")
    assert check_password(ctx, "alice", "Battery-Staple-8") is None
    with pytest.raises(ResourceNotFound, match="Login Profile for User alice cannot be found"):
        call(ctx, "GetLoginProfile", UserName="alice")
    call(ctx, "DeleteUser", UserName="alice")


def test_unknown_user(ctx: ServiceContext) -> None:
    with pytest.raises(ResourceNotFound, match="The user with name nobody cannot be found"):
        call(ctx, "CreateLoginProfile", UserName="nobody", Password="Correct-Horse-9")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Sh0rt!", "at least 8 characters"),
        ("alllowercase", "at least three of"),
        ("ALLUPPER123", "at least three of"),
        ("x" * 120 + "Aa1!" * 3, "at most 128 characters"),
    ],
)
def test_password_policy(ctx: ServiceContext, password: str, problem: str) -> None:
    assert any(problem in found for found in password_problems(password))
    call(ctx, "CreateUser", UserName="carol")
    with pytest.raises(PasswordPolicyViolation, match=problem):
        call(ctx, "CreateLoginProfile", UserName="carol", Password=password)


def test_acceptable_passwords() -> None:
    # Non-ASCII letters count as symbols, as on AWS.
    for password in ("Correct-Horse-9", "abcDEF123", "abc def 12", "ÄÖÜäöü12a"):
        assert password_problems(password) == [], password
