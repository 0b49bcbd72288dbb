"""The SageMaker and CloudWatch pages in a real browser (headless Chromium) against the shared
server: the seed's iris model, deployed with boto3, watched going InService, tested from the
endpoint's page, its logs read, then the clean-up clicked through, log group included; and the
screenshots docs/console.md shows.

One walk in one test: one browser (this module's) and the session's server serve it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.browser import screenshot
from support.modelport_server import ModelportServer, deploy
from support.waiting import wait_until

pytestmark = pytest.mark.e2e

NAME = "console-iris"


def test_deploy_watch_test_logs_and_clean_up(
    signed_in_page: Callable[[ModelportServer], Any], server: ModelportServer, model_archive: Path
) -> None:
    sagemaker, logs = server.client("sagemaker"), server.client("logs")
    page = signed_in_page(server)
    deploying = threading.Thread(target=deploy, args=(sagemaker, NAME, str(model_archive)))
    deploying.start()  # CreateEndpoint answers once the endpoint has settled; look before that
    wait_until(lambda: sagemaker.list_endpoints(NameContains=NAME)["Endpoints"], "never listed", timeout_s=60)
    page.click("nav >> text=Endpoints")
    # The list refreshes itself (data-live) while the endpoint is Creating, until it is InService.
    page.wait_for_selector(f"#endpoints tr:has-text('{NAME}') .status.InService", timeout=120_000)
    deploying.join()
    screenshot(page, "sagemaker-endpoints")

    page.click(f"#endpoints >> text={NAME}")
    assert page.inner_text("#endpoint-status") == "InService"
    variant = page.inner_text("#variants tbody tr")
    assert "AllTraffic" in variant and "ml.m5.large" in variant and NAME in variant
    page.fill("input[name=content_type]", "text/csv")
    page.fill("textarea[name=body]", "5.1,3.3,1.7,0.5")
    page.click("button:has-text('Send request')")
    page.wait_for_selector("#test-answer, #test-error")
    assert page.query_selector("#test-error") is None, page.inner_text("#test-error")
    answer = page.inner_text("#test-answer")
    probabilities = [float(p) for p in answer.strip("[]\n ").split(",")]
    assert len(probabilities) == 3 and probabilities.index(max(probabilities)) == 0  # Setosa
    assert page.input_value("textarea[name=body]") == "5.1,3.3,1.7,0.5"  # kept for the next try
    page.locator("#test-answer").scroll_into_view_if_needed()
    screenshot(page, "sagemaker-endpoint")

    group = f"/aws/sagemaker/Endpoints/{NAME}"
    page.click("#endpoint-logs")
    deadline = time.monotonic() + 30
    while page.query_selector("#log-streams a") is None:  # the instance's first lines arrive
        assert time.monotonic() < deadline, page.inner_text("main")
        time.sleep(0.5)
        page.reload()
    assert page.inner_text("h1") == group
    page.click("#log-streams a")
    page.wait_for_selector("#log-events")
    assert page.query_selector_all("#log-events pre.message")
    screenshot(page, "cloudwatch-log-events")

    page.goto(f"{server.url}/console/sagemaker/endpoints/{NAME}")
    page.click("button:has-text('Delete')")
    page.wait_for_selector(".flash.success")
    assert f"Endpoint {NAME} deleted." in page.inner_text(".flash.success")
    page.click("nav >> text=Endpoint configurations")
    page.click(f"#endpoint-configs >> text={NAME}")
    assert "ml.m5.large" in page.inner_text("#config-variants")
    page.click("button:has-text('Delete')")
    assert f"Endpoint configuration {NAME} deleted." in page.inner_text(".flash.success")
    page.click("nav >> text=Models")
    page.click(f"#models >> text={NAME}")
    assert str(model_archive) in page.inner_text("main")
    page.click("button:has-text('Delete')")
    assert f"Model {NAME} deleted." in page.inner_text(".flash.success")

    page.click("nav >> text=Log groups")
    page.fill("input[name=prefix]", "/aws/sagemaker/Endpoints/")
    page.click("button:has-text('Filter')")
    screenshot(page, "cloudwatch-log-groups")
    page.click(f'#log-groups >> text="{group}"')
    page.click("button:has-text('Delete')")
    assert f"Log group {group} deleted." in page.inner_text(".flash.success")
    assert not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert NAME not in [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
    assert not sagemaker.list_models(NameContains=NAME)["Models"]


def test_notebook_instance_create_open_stop_delete(
    signed_in_page: Callable[[ModelportServer], Any], server: ModelportServer
) -> None:
    """Step 3 of the seed: a notebook instance with a SageMaker role, opened in JupyterLab."""
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName="console-notebook-role", AssumeRolePolicyDocument=json.dumps(trust))
    page = signed_in_page(server)
    try:
        page.click("nav >> text=Notebook instances")
        page.click("text=Create notebook instance")
        page.fill("input[name=name]", "console-notebook")
        page.select_option("select[name=role_arn]", label="console-notebook-role")
        screenshot(page, "sagemaker-notebook-create")
        page.click("button:has-text('Create notebook instance')")
        assert "Notebook instance console-notebook created." in page.inner_text(".flash.success")
        row = "#notebooks tr:has-text('console-notebook')"
        page.wait_for_selector(f"{row} .status.InService", timeout=60_000)
        screenshot(page, "sagemaker-notebooks")
        with page.context.expect_page() as opened:
            page.click(f"{row} >> text=Open Jupyter")
        lab = opened.value
        lab.wait_for_load_state("domcontentloaded")
        assert "/lab" in lab.url, lab.url
        lab.close()

        page.click(f"{row} >> button:has-text('Stop')")
        assert "Notebook instance console-notebook stopping." in page.inner_text(".flash.success")
        page.wait_for_selector(f"{row} .status.Stopped", timeout=60_000)  # refreshed live
        page.click(f"{row} >> button:has-text('Delete')")
        assert "Notebook instance console-notebook deleted." in page.inner_text(".flash.success")
        assert "console-notebook" not in page.inner_text("#notebooks")
    finally:
        iam.delete_role(RoleName="console-notebook-role")
