"""The console's door, over plain HTTP against the shared server: no session, no page; no CSRF
token, no action; a read-only user sees lists but is refused changes, with AWS's AccessDenied;
secrets never come back in a page; names and tags holding ``<script>`` are shown as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from support.console_http import ConsoleClients, csrf, signin_token
from support.modelport_server import ModelportServer

pytestmark = pytest.mark.e2e

READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
    }
)


@pytest.fixture
def http(console_http: ConsoleClients) -> ConsoleClients:
    return console_http


@pytest.fixture(scope="module")
def reader(server: ModelportServer) -> Iterator[dict[str, str]]:
    """An IAM user allowed only iam:Get* and iam:List*, with an access key and a password."""
    iam = server.client("iam")
    iam.create_user(UserName="console-reader")
    iam.put_user_policy(UserName="console-reader", PolicyName="read-only", PolicyDocument=READ_ONLY)
    key = iam.create_access_key(UserName="console-reader")["AccessKey"]
    iam.create_login_profile(UserName="console-reader", Password="Reader-pass-1")
    yield {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    iam.delete_login_profile(UserName="console-reader")
    iam.delete_access_key(UserName="console-reader", AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName="console-reader", PolicyName="read-only")
    iam.delete_user(UserName="console-reader")


def test_no_session_no_page_and_no_action(http: ConsoleClients, server: ModelportServer) -> None:
    client = http.anonymous(server)
    for path in ("/", "/iam/roles", "/iam/users/x", "/sagemaker/endpoints"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/signin?next=")
    answer = client.post("/iam/roles/create", data={"use_case": "lambda", "name": "console-nosession"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/signin")
    assert "console-nosession" not in [r["RoleName"] for r in server.client("iam").list_roles()["Roles"]]
    forged = http.anonymous(server)
    forged.cookies.set("modelport_console", "made-up", path="/console")
    assert forged.get("/iam/roles").status_code == 303


def test_browser_at_root_is_sent_to_the_console_and_api_clients_are_not(
    http: ConsoleClients, server: ModelportServer
) -> None:
    browser = httpx.get(f"{server.url}/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert (browser.status_code, browser.headers["location"]) == (303, "/console/")
    api = httpx.get(f"{server.url}/")  # what boto3 never sends, but curl does
    assert api.status_code == 400 and "UnknownOperation" in api.text


def test_sign_in_cookie_and_sign_out(http: ConsoleClients, server: ModelportServer) -> None:
    client = http.anonymous(server)
    token = signin_token(client)
    wrong = client.post(
        "/signin",
        data={"signin_token": token, "access_key_id": server.access_key, "secret_access_key": "x"},
    )
    assert wrong.status_code == 401 and "not valid" in wrong.text
    no_token = http.anonymous(server).post(
        "/signin", data={"access_key_id": server.access_key, "secret_access_key": server.secret_key}
    )
    assert no_token.status_code == 403  # a cross-site sign-in post has no sign-in cookie

    signed = http.root(server)
    answer = signed.get("/")
    assert answer.status_code == 200
    set_cookie = http.anonymous(server)
    posted = set_cookie.post(
        "/signin",
        data={
            "signin_token": signin_token(set_cookie),
            "access_key_id": server.access_key,
            "secret_access_key": server.secret_key,
        },
    )
    header = next(h for h in posted.headers.get_list("set-cookie") if h.startswith("modelport_console="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/console" in header
    assert "Max-Age=43200" in header
    out = signed.post("/signout", data={"csrf_token": csrf(signed, "/iam/roles")})
    assert (out.status_code, out.headers["location"]) == (303, "/console/signin")
    assert signed.get("/iam/roles").status_code == 303


def test_post_needs_the_sessions_csrf_token(http: ConsoleClients, server: ModelportServer) -> None:
    client = http.root(server)
    for data in ({}, {"csrf_token": "wrong"}, {"csrf_token": ""}):
        answer = client.post("/iam/users/create", data={"name": "console-csrf", **data})
        assert answer.status_code == 403 and "CSRF" in answer.text
    other = http.root(server)  # another session's token is not this one's
    answer = client.post(
        "/iam/users/create", data={"name": "console-csrf", "csrf_token": csrf(other, "/iam/roles")}
    )
    assert answer.status_code == 403
    assert "console-csrf" not in [u["UserName"] for u in server.client("iam").list_users()["Users"]]


def test_read_only_user_sees_lists_but_changes_are_denied(
    http: ConsoleClients, server: ModelportServer, reader: dict[str, str]
) -> None:
    client = http.sign_in(
        server, access_key_id=reader["AccessKeyId"], secret_access_key=reader["SecretAccessKey"]
    )
    assert client.get("/iam/roles").status_code == 200
    assert "console-reader" in client.get("/iam/users").text
    answer = client.post(
        "/iam/roles/create",
        data={"csrf_token": csrf(client, "/iam/roles"), "use_case": "lambda", "name": "console-denied"},
    )
    assert answer.status_code == 400
    assert "AccessDenied" in answer.text
    assert (
        "User: arn:aws:iam::123456789012:user/console-reader is not authorized to perform: iam:CreateRole"
        in answer.text
    )
    answer = client.post(
        "/iam/users/console-reader/delete",
        data={"csrf_token": csrf(client, "/iam/roles")},
        follow_redirects=True,
    )
    assert "is not authorized to perform: iam:DeleteAccessKey" in answer.text
    assert server.client("iam").get_user(UserName="console-reader")


def test_password_sign_in(http: ConsoleClients, server: ModelportServer, reader: dict[str, str]) -> None:
    client = http.sign_in(server, method="password", user_name="console-reader", password="Reader-pass-1")
    assert "console-reader" in client.get("/").text
    bad = http.anonymous(server)
    token = signin_token(bad)
    answer = bad.post(
        "/signin",
        data={
            "signin_token": token,
            "method": "password",
            "user_name": "console-reader",
            "password": "nope",
        },
    )
    assert answer.status_code == 401


def test_secrets_never_in_pages_and_names_are_text(http: ConsoleClients, server: ModelportServer) -> None:
    iam = server.client("iam")
    client = http.root(server)
    for path in ("/", "/iam/roles", "/iam/users", "/iam/policies"):
        assert server.secret_key not in client.get(path).text
    client.post(
        "/iam/users/create", data={"csrf_token": csrf(client, "/iam/roles"), "name": "console-secrets"}
    )
    created = client.post("/iam/users/console-secrets/keys", data={"csrf_token": csrf(client, "/iam/roles")})
    secret = re.search(r'id="new-key-secret">([^<]+)<', created.text)
    assert secret is not None  # shown once, on the answer to the POST that made it
    again = client.get("/iam/users/console-secrets").text
    assert secret.group(1) not in again
    assert "new-key-secret" not in again
    client.post(
        "/iam/users/console-secrets/password",
        data={"csrf_token": csrf(client, "/iam/roles"), "password": "Secret-pass-9"},
    )
    page = client.get("/iam/users/console-secrets").text
    assert "Secret-pass-9" not in page and "Console password: set" in page
    assert (
        client.post(
            "/iam/users/console-secrets/delete", data={"csrf_token": csrf(client, "/iam/roles")}
        ).status_code
        == 303
    )

    iam.create_role(
        RoleName="console-xss",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        Description="<script>alert('x')</script>",  # IAM's patterns keep < out of names and tags
    )
    try:
        for path in ("/iam/roles", "/iam/roles/console-xss"):
            text = client.get(path).text
            assert "<script>alert" not in text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    finally:
        iam.delete_role(RoleName="console-xss")


def test_sign_in_returns_to_the_page_asked_for_and_nowhere_else(
    http: ConsoleClients, server: ModelportServer
) -> None:
    asked = http.anonymous(server).get("/iam/users?x=1")
    assert asked.headers["location"] == "/console/signin?next=%2Fiam%2Fusers%3Fx%3D1"
    for wanted, landing in (("/iam/users?x=1", "/console/iam/users?x=1"), ("//evil.example/", "/console/")):
        client = http.anonymous(server)
        token = signin_token(client)
        answer = client.post(
            "/signin",
            data={
                "signin_token": token,
                "next": wanted,
                "access_key_id": server.access_key,
                "secret_access_key": server.secret_key,
            },
        )
        assert answer.headers["location"] == landing


def test_strangers_cannot_send_big_forms(http: ConsoleClients, server: ModelportServer) -> None:
    big = {"name": "x" * (64 * 1024)}
    assert http.anonymous(server).post("/signin", data=big).status_code == 413
    assert http.anonymous(server).post("/iam/users/create", data=big).status_code == 303  # never read


def test_a_session_ends_with_its_key_and_temporary_keys_cannot_sign_in(
    http: ConsoleClients, server: ModelportServer
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="console-ephemeral")
    key = iam.create_access_key(UserName="console-ephemeral")["AccessKey"]
    client = http.sign_in(server, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    assert client.get("/").status_code == 200
    iam.delete_access_key(UserName="console-ephemeral", AccessKeyId=key["AccessKeyId"])
    assert client.get("/").status_code == 303  # the session went with the key
    iam.delete_user(UserName="console-ephemeral")

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="console-assumed", AssumeRolePolicyDocument=json.dumps(trust))
    try:
        temporary = server.client("sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/console-assumed", RoleSessionName="console"
        )["Credentials"]
        stranger = http.anonymous(server)
        token = signin_token(stranger)
        answer = stranger.post(
            "/signin",
            data={
                "signin_token": token,
                "access_key_id": temporary["AccessKeyId"],
                "secret_access_key": temporary["SecretAccessKey"],
            },
        )
        assert answer.status_code == 401
    finally:
        iam.delete_role(RoleName="console-assumed")


def test_bad_input_is_the_apis_error_with_the_form_kept(
    http: ConsoleClients, server: ModelportServer
) -> None:
    client = http.root(server)
    answer = client.post(
        "/iam/roles/create",
        data={
            "csrf_token": csrf(client, "/iam/roles"),
            "use_case": "lambda",
            "name": "not a valid name!",
            "description": "kept",
        },
    )
    assert answer.status_code == 400
    assert "ValidationError" in answer.text and "roleName" in answer.text
    assert 'value="not a valid name!"' in answer.text and 'value="kept"' in answer.text
    answer = client.post(
        "/iam/roles/create",
        data={"csrf_token": csrf(client, "/iam/roles"), "use_case": "ec2", "name": "console-ec2"},
    )
    assert answer.status_code == 400 and "Choose a use case" in answer.text


def test_policies_create_view_delete(http: ConsoleClients, server: ModelportServer) -> None:
    client = http.root(server)
    bad = client.post(
        "/iam/policies/create",
        data={
            "csrf_token": csrf(client, "/iam/roles"),
            "name": "console-policy",
            "document": '{"Version": "2012-10-17"}',
        },
    )
    assert bad.status_code == 400 and "MalformedPolicyDocument" in bad.text
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    )
    made = client.post(
        "/iam/policies/create",
        data={
            "csrf_token": csrf(client, "/iam/roles"),
            "name": "console-policy",
            "description": "<b>bold</b>",
            "document": document,
        },
    )
    assert made.status_code == 303
    arn = "arn:aws:iam::123456789012:policy/console-policy"
    page = client.get(made.headers["location"].removeprefix("/console"))
    assert "logs:*" in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text
    assert "?arn=" + quote(arn, safe="") in client.get("/iam/policies?scope=Local").text
    gone = client.post("/iam/policies/delete", data={"csrf_token": csrf(client, "/iam/roles"), "arn": arn})
    assert gone.status_code == 303
    listed = client.get("/iam/policies?scope=Local").text
    assert f"Policy {arn} deleted." in listed and "?arn=" + quote(arn, safe="") not in listed


def test_edit_an_inline_policy(http: ConsoleClients, server: ModelportServer) -> None:
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
    iam.create_role(RoleName="console-edit", AssumeRolePolicyDocument=json.dumps(trust))
    first = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="console-edit", PolicyName="p", PolicyDocument=json.dumps(first))
    try:
        client = http.root(server)
        form = client.get("/iam/roles/console-edit/inline?policy=p").text
        assert "Edit inline policy p of console-edit" in form and "logs:*" in form
        second = json.dumps(
            {**first, "Statement": [{**first["Statement"][0], "Action": "sagemaker:InvokeEndpoint"}]}
        )
        saved = client.post(
            "/iam/roles/console-edit/inline",
            data={
                "csrf_token": csrf(client, "/iam/roles"),
                "editing": "1",
                "policy_name": "p",
                "document": second,
            },
        )
        assert saved.status_code == 303
        got = iam.get_role_policy(RoleName="console-edit", PolicyName="p")["PolicyDocument"]
        assert got["Statement"][0]["Action"] == "sagemaker:InvokeEndpoint"
        assert client.get("/iam/roles/console-edit/inline?policy=missing").status_code == 303
    finally:
        iam.delete_role_policy(RoleName="console-edit", PolicyName="p")
        iam.delete_role(RoleName="console-edit")


def test_user_inline_policy_is_added_enforced_and_removed_in_the_users_page(
    http: ConsoleClients, server: ModelportServer
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="console-inline")
    key = iam.create_access_key(UserName="console-inline")["AccessKey"]
    try:
        as_user = server.client("iam", credentials=key)
        with pytest.raises(Exception, match="AccessDenied"):
            as_user.list_roles()
        client = http.root(server)
        assert (
            "Create inline policy for console-inline" in client.get("/iam/users/console-inline/inline").text
        )
        bad = client.post(
            "/iam/users/console-inline/inline",
            data={"csrf_token": csrf(client), "policy_name": "bad", "document": "{not json"},
        )
        assert bad.status_code == 400 and "MalformedPolicyDocument" in bad.text and "{not json" in bad.text
        saved = client.post(
            "/iam/users/console-inline/inline",
            data={"csrf_token": csrf(client), "policy_name": "read-only", "document": READ_ONLY},
        )
        assert saved.status_code == 303
        assert iam.list_user_policies(UserName="console-inline")["PolicyNames"] == ["read-only"]
        got = iam.get_user_policy(UserName="console-inline", PolicyName="read-only")
        assert got["PolicyDocument"]["Statement"][0]["Action"] == ["iam:Get*", "iam:List*"]
        as_user.list_roles()  # the inline policy is evaluated at once
        page = client.get("/iam/users/console-inline").text
        assert "read-only" in page and "Inline" in page
        gone = client.post(
            "/iam/users/console-inline/inline/read-only/delete", data={"csrf_token": csrf(client)}
        )
        assert gone.status_code == 303
        assert iam.list_user_policies(UserName="console-inline")["PolicyNames"] == []
        with pytest.raises(iam.exceptions.NoSuchEntityException, match="user policy with name read-only"):
            iam.get_user_policy(UserName="console-inline", PolicyName="read-only")
        iam.put_user_policy(UserName="console-inline", PolicyName="again", PolicyDocument=READ_ONLY)
        deleted = client.post("/iam/users/console-inline/delete", data={"csrf_token": csrf(client)})
        assert deleted.status_code == 303 and deleted.headers["location"] == "/console/iam/users"
        assert "console-inline" not in [u["UserName"] for u in iam.list_users()["Users"]]
    finally:
        if "console-inline" in [u["UserName"] for u in iam.list_users()["Users"]]:
            for name in iam.list_user_policies(UserName="console-inline")["PolicyNames"]:
                iam.delete_user_policy(UserName="console-inline", PolicyName=name)
            for k in iam.list_access_keys(UserName="console-inline")["AccessKeyMetadata"]:
                iam.delete_access_key(UserName="console-inline", AccessKeyId=k["AccessKeyId"])
            iam.delete_user(UserName="console-inline")


def test_password_reset_required_means_a_new_password_before_the_session(
    http: ConsoleClients, server: ModelportServer
) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="console-reset")
    iam.create_login_profile(UserName="console-reset", Password="First-pass-1", PasswordResetRequired=True)
    try:
        client = http.anonymous(server)
        first = {"method": "password", "user_name": "console-reset", "password": "First-pass-1"}
        asked = client.post("/signin", data={"signin_token": signin_token(client), **first})
        assert asked.status_code == 200 and "choose a new password" in asked.text
        assert "First-pass-1" not in asked.text
        assert client.get("/").status_code == 303  # no session yet
        change = {**first, "method": "change", "new_password": "Second-pass-2"}
        mismatch = client.post(
            "/signin", data={"signin_token": signin_token(client), **change, "confirm_password": "x"}
        )
        assert mismatch.status_code == 400 and "do not match" in mismatch.text
        weak = client.post(
            "/signin",
            data={
                "signin_token": signin_token(client),
                **change,
                "new_password": "short",
                "confirm_password": "short",
            },
        )
        assert weak.status_code == 400 and "at least 8 characters" in weak.text
        done = client.post(
            "/signin",
            data={"signin_token": signin_token(client), **change, "confirm_password": "Second-pass-2"},
        )
        assert done.status_code == 303
        assert client.get("/").status_code == 200
        profile = iam.get_login_profile(UserName="console-reset")["LoginProfile"]
        assert profile["PasswordResetRequired"] is False
        http.sign_in(server, method="password", user_name="console-reset", password="Second-pass-2")

        # The API: a user changes its own password with its own key; others cannot.
        key = iam.create_access_key(UserName="console-reset")["AccessKey"]
        iam.put_user_policy(
            UserName="console-reset",
            PolicyName="own-password",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "iam:ChangePassword",
                            "Resource": "arn:aws:iam::*:user/console-reset",
                        }
                    ],
                }
            ),
        )
        as_user = server.client("iam", credentials=key)
        with pytest.raises(Exception, match="old password is incorrect"):
            as_user.change_password(OldPassword="wrong-Pass-9", NewPassword="Third-pass-3")
        as_user.change_password(OldPassword="Second-pass-2", NewPassword="Third-pass-3")
        http.sign_in(server, method="password", user_name="console-reset", password="Third-pass-3")
        with pytest.raises(Exception, match="Only an IAM user"):
            iam.change_password(OldPassword="Third-pass-3", NewPassword="Fourth-pass-4")
        iam.delete_access_key(UserName="console-reset", AccessKeyId=key["AccessKeyId"])
        iam.delete_user_policy(UserName="console-reset", PolicyName="own-password")
    finally:
        iam.delete_login_profile(UserName="console-reset")
        iam.delete_user(UserName="console-reset")
