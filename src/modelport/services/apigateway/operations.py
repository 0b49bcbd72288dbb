"""API Gateway's operation table: the control plane (``apis.py`` with its stages and keys) and
TestInvokeMethod, which runs a method through the data plane (``trial_invoke.py``)."""

from __future__ import annotations

from modelport.services.apigateway import apis, trial_invoke
from modelport.services.apigateway.stages import Handler

OPERATIONS: dict[str, Handler] = {
    **apis.OPERATIONS,
    "TestInvokeMethod": trial_invoke.test_invoke_method,
}
