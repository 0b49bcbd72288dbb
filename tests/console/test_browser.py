"""The console in a real browser (headless Chromium), against the shared server: sign-in, the
IAM pages the tutorial clicks through, and the screenshots docs/console.md shows.

Kept to a few tests that each walk a whole flow: one browser and one server serve them all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from support.browser import new_page, screenshot, sign_in
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

SEED_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}],
    },
    indent=4,
)


def test_sign_in_page_and_a_wrong_secret(browser: Any, server: ModelportServer) -> None:
    page = new_page(browser)
    page.goto(f"{server.url}/")  # a browser at the server's address lands on the sign-in page
    assert page.url.startswith(f"{server.url}/console/signin")
    screenshot(page, "signin")
    sign_in(page, server, server.access_key, "not-the-secret")
    page.wait_for_selector(".flash.error")
    assert "not valid" in page.inner_text(".flash.error")
    assert "/console/signin" in page.url
    page.context.close()


def test_tutorial_role_for_lambda_with_an_inline_policy(
    signed_in_page: Callable[[ModelportServer], Any], server: ModelportServer
) -> None:
    """Step 5 of the seed: a role for the Lambda use case, then the inline InvokeEndpoint policy."""
    page = signed_in_page(server)
    assert page.inner_text(".who").endswith("root")
    screenshot(page, "home")
    page.click("nav >> text=Roles")
    page.click("text=Create role")
    page.check("input[name=use_case][value=lambda]")
    page.check(
        "input[name=policy_arn][value='arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']"
    )
    page.fill("input[name=name]", "console-browser-lambda-role")
    page.fill("input[name=description]", "Runs the iris function <script>alert(1)</script>")
    screenshot(page, "iam-role-create")
    page.click("button:has-text('Create role')")
    page.wait_for_selector(".flash.success")
    assert "Role console-browser-lambda-role created." in page.inner_text(".flash.success")
    assert "lambda.amazonaws.com" in page.inner_text("#trust-policy")
    assert "AWSLambdaBasicExecutionRole" in page.inner_text("#attached")
    assert "<script>alert(1)</script>" in page.inner_text("main")  # shown as text

    page.click("text=Create inline policy")
    page.fill("input[name=policy_name]", "invoke-endpoint")
    page.fill("textarea[name=document]", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    page.click("button:has-text('Create policy')")
    error = page.inner_text(".flash.error")
    assert error.startswith("MalformedPolicyDocument"), error
    screenshot(page, "iam-inline-policy-error")
    page.fill("textarea[name=document]", SEED_POLICY)
    page.click("button:has-text('Create policy')")
    page.wait_for_selector(".flash.success")
    assert "sagemaker:InvokeEndpoint" in page.inner_text("#attached")
    screenshot(page, "iam-role")

    role = server.client("iam").get_role_policy(
        RoleName="console-browser-lambda-role", PolicyName="invoke-endpoint"
    )
    assert role["PolicyDocument"]["Statement"][0]["Action"] == "sagemaker:InvokeEndpoint"

    page.click("nav >> text=Roles")
    assert "console-browser-lambda-role" in page.inner_text("#roles")
    screenshot(page, "iam-roles")
    page.click("text=console-browser-lambda-role")
    page.click("button:has-text('Delete')")
    page.wait_for_selector(".flash.success")
    assert "Role console-browser-lambda-role deleted." in page.inner_text(".flash.success")
    assert "console-browser-lambda-role" not in page.inner_text("#roles")


def test_user_with_a_key_and_a_console_password(
    browser: Any, signed_in_page: Callable[[ModelportServer], Any], server: ModelportServer
) -> None:
    """IAM → Users: a user, an access key whose secret is shown once, a console password; then
    that user signs in with it and is refused what its (no) policies do not allow."""
    page = signed_in_page(server)
    page.click("nav >> text=Users")
    page.fill("input[name=name]", "console-browser-user")
    page.click("button:has-text('Create user')")
    page.wait_for_selector(".flash.success")
    page.click("button:has-text('Create access key')")
    key_id = page.inner_text("#new-key-id")
    secret = page.inner_text("#new-key-secret")
    assert len(secret) == 40
    page.fill("input[name=password]", "too-short")
    page.click("button:has-text('Enable console access')")
    assert "PasswordPolicyViolation" in page.inner_text(".flash.error")
    assert secret not in page.content()  # the next page no longer shows it
    assert key_id in page.inner_text("#access-keys")
    page.fill("input[name=password]", "Browser-pass-7")
    page.click("button:has-text('Enable console access')")
    page.wait_for_selector(".flash.success")
    assert "Console password: set" in page.inner_text("#console-access")
    screenshot(page, "iam-user")
    page.click("nav >> text=Policies")
    screenshot(page, "iam-policies")

    user = new_page(browser)
    user.goto(f"{server.url}/console/signin?method=password")
    user.fill("input[name=user_name]", "console-browser-user")
    user.fill("input[name=password]", "Browser-pass-7")
    user.click("button[type=submit]")
    user.wait_for_url(f"{server.url}/console/**")
    assert user.inner_text(".who").endswith("console-browser-user")
    user.click("nav >> text=Roles")
    assert "is not authorized to perform: iam:ListRoles" in user.inner_text(".flash.error")
    user.goto(f"{server.url}/console/iam/roles/create")
    user.check("input[name=use_case][value=sagemaker]")
    user.fill("input[name=name]", "console-browser-denied")
    user.click("button:has-text('Create role')")
    denied = user.inner_text(".flash.error")
    assert denied.startswith("AccessDenied"), denied
    assert "user/console-browser-user is not authorized to perform: iam:CreateRole" in denied
    screenshot(user, "access-denied")
    user.context.close()

    page.goto(f"{server.url}/console/iam/users/console-browser-user")
    page.click("button:has-text('Delete')")
    page.wait_for_selector(".flash.success")
    assert "console-browser-user" not in page.inner_text("#users")
