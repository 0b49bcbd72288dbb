"""The seed tutorial's console steps in a real browser (headless Chromium) against the shared
server: with the iris endpoint deployed by boto3 (steps 1–4 are the notebook's), a user creates
the role with the seed's policy (step 5), the function with the seed's handler and
``ENDPOINT_NAME`` (step 6), ``POST /irisprediction`` with a Lambda integration deployed to stage
``test`` (step 7), reads the invoke URL from the page, and Postman's plain POST answers
``"Setosa"`` (step 8); then the clean-up, through the console. The screenshots are the
walk-through in docs/console.md.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import joblib
import pytest
from botocore.exceptions import ClientError

from modelport import seed
from support.browser import screenshot
from support.modelport_server import ModelportServer, deploy, wait_in_service
from support.seed_handler import SEED_HANDLER

pytestmark = pytest.mark.e2e

ENDPOINT = "console-tutorial-iris"
ROLE = "console-tutorial-lambda-role"
FUNCTION = "console-tutorial-iris"
API = "console-tutorial-api"

# Step 5's policy, as the seed prints it.
SEED_POLICY = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "VisualEditor0",
            "Effect": "Allow",
            "Action": "sagemaker:InvokeEndpoint",
            "Resource": "*"
        }
    ]
}"""

SAMPLE = '{"data": "5.1,3.3,1.7,0.5"}'


@pytest.fixture(scope="module")
def endpoint(
    server: ModelportServer, iris_model: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Steps 1–4, done in the notebooks with boto3: the seed's model, pickled with joblib and
    tarred as the 2021 notebook does, behind an endpoint of the XGBoost 0.90 image, whose JSON
    answer the seed's handler reads with ``json.loads``."""
    folder = tmp_path_factory.mktemp("console-tutorial")
    joblib.dump(iris_model, folder / "xgboost-model")
    with tarfile.open(folder / "model.tar.gz", "w:gz") as tar:
        tar.add(folder / "xgboost-model", arcname="xgboost-model")
    sagemaker = server.client("sagemaker")
    deploy(sagemaker, ENDPOINT, str(folder / "model.tar.gz"), image=seed.XGBOOST_IMAGE_2021)
    wait_in_service(sagemaker, ENDPOINT)
    yield ENDPOINT
    sagemaker.delete_endpoint(EndpointName=ENDPOINT)
    sagemaker.delete_endpoint_config(EndpointConfigName=ENDPOINT)
    sagemaker.delete_model(ModelName=ENDPOINT)


def _flash(page: Any) -> str:
    page.wait_for_selector(".flash.success, .flash.error")
    errors = page.query_selector_all(".flash.error")
    assert not errors, errors[0].inner_text()
    return str(page.inner_text(".flash.success"))


def _scroll_to(page: Any, selector: str) -> None:
    page.eval_on_selector(selector, "element => element.scrollIntoView()")


def _role_step(page: Any) -> None:
    """Step 5: a role for the Lambda use case, then the seed's inline policy."""
    page.click("nav >> text=Roles")
    page.click("text=Create role")
    page.check("input[name=use_case][value=lambda]")
    page.fill("input[name=name]", ROLE)
    page.click("button:has-text('Create role')")
    assert f"Role {ROLE} created." in _flash(page)
    page.click("text=Create inline policy")
    page.fill("input[name=policy_name]", "invoke-iris-endpoint")
    page.fill("textarea[name=document]", SEED_POLICY)
    page.click("button:has-text('Create policy')")
    _flash(page)
    assert "sagemaker:InvokeEndpoint" in page.inner_text("#attached")
    screenshot(page, "tutorial-role")


def _function_step(page: Any, endpoint: str) -> None:
    """Step 6: author from scratch with the role, paste the handler, Deploy, ENDPOINT_NAME."""
    page.click("nav >> text=Functions")
    page.click("text=Create function")
    page.fill("input[name=name]", FUNCTION)
    page.select_option("select[name=runtime]", "python3.8")
    page.select_option("select[name=role]", label=ROLE)
    screenshot(page, "lambda-create")
    page.click("button:has-text('Create function')")
    assert f"Successfully created the function {FUNCTION}" in _flash(page)
    assert "Hello from Lambda!" in page.input_value("textarea[name=source]")
    page.fill("textarea[name=source]", SEED_HANDLER)
    page.eval_on_selector(
        "textarea[name=source]", "editor => { editor.scrollTop = 0; window.scrollTo(0, 0); }"
    )
    screenshot(page, "lambda-code")
    page.click("button:has-text('Deploy')")
    assert f"Successfully updated the function {FUNCTION}" in _flash(page)
    assert "runtime.invoke_endpoint" in page.input_value("textarea[name=source]")

    page.click(".tabs >> text=Configuration")
    page.fill("input[aria-label='New key']", "ENDPOINT_NAME")
    page.fill("input[aria-label='New value']", endpoint)
    page.click("#environment button:has-text('Save')")
    _flash(page)
    assert page.input_value("#variables input[name=env_key] >> nth=0") == "ENDPOINT_NAME"
    screenshot(page, "lambda-environment")

    page.click(".tabs >> text=Test")
    page.fill("textarea[name=event]", SAMPLE)
    page.click("#test button:has-text('Test')")
    page.wait_for_selector("#test-result")
    assert page.inner_text("#test-status") == "Succeeded", page.inner_text("#test-result")
    assert page.inner_text("#test-response") == '"Setosa"'
    assert "Received event" in page.inner_text("#test-log")
    screenshot(page, "lambda-test")


def _api_step(page: Any) -> str:
    """Step 7: a REST API, resource irisprediction, POST with the Lambda integration, stage test."""
    page.click("nav >> text=APIs")
    page.click("text=Create API")
    page.fill("input[name=name]", API)
    page.click("button:has-text('Create API')")
    _flash(page)
    screenshot(page, "apigateway-api")
    page.fill("input[name=path_part]", "irisprediction")
    page.click("button:has-text('Create resource')")
    assert "Successfully created resource '/irisprediction'" in _flash(page)
    page.select_option("select[name=http_method]", "POST")
    page.check("input[name=integration_type][value=AWS]")
    page.fill("input[name=function]", FUNCTION)
    _scroll_to(page, "#create-method")
    screenshot(page, "apigateway-method")
    page.click("button:has-text('Create method')")
    assert "Successfully created method POST on /irisprediction" in _flash(page)
    assert "POST" in page.inner_text("#methods")
    page.select_option("#deploy select[name=stage]", "*new*")
    page.fill("input[name=new_stage_name]", "test")
    page.click("#deploy button:has-text('Deploy')")
    assert "Successfully deployed to stage 'test'" in _flash(page)
    page.click("#stages button[data-copy]")
    _scroll_to(page, "main")
    screenshot(page, "apigateway-stage")
    return str(page.inner_text("#invoke-url-test")).strip()


def test_the_tutorial_in_the_console(
    signed_in_page: Callable[[ModelportServer], Any], server: ModelportServer, endpoint: str
) -> None:
    page = signed_in_page(server)
    _role_step(page)
    _function_step(page, endpoint)
    invoke_url = _api_step(page)

    # Step 8: Postman's POST to the invoke URL with the resource name appended; no signature.
    answer = httpx.post(f"{invoke_url}/irisprediction", content=SAMPLE, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == "Setosa"

    page.fill("#test-call textarea[name=body]", SAMPLE)
    page.click("#test-call button:has-text('Test')")
    page.wait_for_selector("#test-call-body")
    assert page.inner_text("#test-call-status") == "200"
    assert page.inner_text("#test-call-body") == '"Setosa"'
    _scroll_to(page, "#test-call")
    screenshot(page, "apigateway-test-call")

    page.goto(f"{server.url}/console/lambda/functions/{FUNCTION}?tab=monitor")
    assert "/aws/lambda/" + FUNCTION in page.inner_text("#monitor")
    assert "Received event" in page.inner_text("#log-events")
    assert page.locator("#invocations tbody tr").count() >= 2  # the Test and the POST
    screenshot(page, "lambda-monitor")

    _clean_up(page, server)


def _clean_up(page: Any, server: ModelportServer) -> None:
    """The seed's clean-up list, in the console: the API, the function, the role (its inline
    policy first); the function's log group through the logs API until CloudWatch has pages."""
    page.click("nav >> text=APIs")
    screenshot(page, "apigateway-apis")
    page.click(f"#apis >> text={API}")
    page.click("button:has-text('Delete API')")
    assert "Successfully deleted REST API" in _flash(page)
    assert API not in page.inner_text("#apis")

    page.click("nav >> text=Functions")
    page.click(f"#functions >> text={FUNCTION}")
    page.click("button:has-text('Delete')")
    assert f"Successfully deleted function {FUNCTION}" in _flash(page)
    assert FUNCTION not in page.inner_text("#functions")

    page.click("nav >> text=Roles")
    page.click(f"#roles >> text={ROLE}")
    page.click("button:has-text('Delete')")
    assert f"Role {ROLE} deleted." in _flash(page)

    # CloudWatch → Log groups → the function's group → Delete, as the seed's clean-up does.
    logs = server.client("logs")
    group = f"/aws/lambda/{FUNCTION}"
    page.click("nav >> text=Log groups")
    page.get_by_role("link", name=group, exact=True).click()
    page.click("form[action$='/cloudwatch/log-groups/delete'] button")
    assert group in _flash(page)
    screenshot(page, "cloudwatch-clean-up")

    assert FUNCTION not in [f["FunctionName"] for f in server.client("lambda").list_functions()["Functions"]]
    assert API not in [a["name"] for a in server.client("apigateway").get_rest_apis()["items"]]
    with pytest.raises(ClientError, match="NoSuchEntity"):
        server.client("iam").get_role(RoleName=ROLE)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
