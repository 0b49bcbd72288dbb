"""The one-line error of a failed ``modelport deploy``: the endpoint's FailureReason, the logs hint once."""

from __future__ import annotations

from modelport.cli.sagemaker.deploy import failure_message

HEALTH_CHECK_REASON = (
    "The primary container for production variant AllTraffic did not pass the ping health check: "
    "The instance exited with code 1 while loading the model: boom See the instance log with: modelport logs iris"
)


def test_a_reason_that_names_the_logs_command_is_not_followed_by_it_again() -> None:
    message = failure_message("iris", "Failed", HEALTH_CHECK_REASON)
    assert message == f"endpoint iris failed: {HEALTH_CHECK_REASON}"
    assert message.count("modelport logs iris") == 1


def test_a_reason_without_the_hint_gets_it() -> None:
    message = failure_message("iris", "InService", "Update failed; still serving the previous configuration.")
    assert message == (
        "endpoint iris kept its previous config: Update failed; still serving the previous configuration. "
        "(see: modelport logs iris)"
    )


def test_no_reason() -> None:
    assert (
        failure_message("iris", "Failed", None)
        == "endpoint iris failed: no reason given (see: modelport logs iris)"
    )
