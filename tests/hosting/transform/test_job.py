"""job.py: a job's plan, and the precedence of its execution values."""

from __future__ import annotations

from typing import Any

from modelport.hosting.transform.job import MB, Execution, JobPlan, log_stream

MODEL = {"ModelKey": "m-1", "Runtime": "xgboost", "FrameworkVersion": "1.7-1", "Environment": {}}


def request(**extra: Any) -> dict[str, Any]:
    return {
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}},
        "TransformOutput": {"S3OutputPath": "s3://b/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        **extra,
    }


def test_the_jobs_values_come_first_then_the_containers_then_the_defaults() -> None:
    container = {"MaxConcurrentTransforms": 8, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 2}
    unset = JobPlan.from_request("j", request(), MODEL)
    assert Execution.resolve(unset, None) == Execution(1, 6 * MB, "MultiRecord")
    assert Execution.resolve(unset, container) == Execution(8, 2 * MB, "SingleRecord")
    assert Execution.resolve(unset, {"MaxConcurrentTransforms": True, "MaxPayloadInMB": -1}) == Execution(
        1, 6 * MB, "MultiRecord"
    )
    chosen = JobPlan.from_request(
        "j", request(MaxConcurrentTransforms=3, MaxPayloadInMB=10, BatchStrategy="MultiRecord"), MODEL
    )
    assert Execution.resolve(chosen, container) == Execution(3, 10 * MB, "MultiRecord")
    assert Execution.resolve(chosen, None).log_line() == (
        "MaxConcurrentTransforms=3, MaxPayloadInMB=10, BatchStrategy=MULTI_RECORD"
    )


def test_the_container_is_told_batch_mode_and_only_the_values_the_job_sets() -> None:
    unset = JobPlan.from_request("j", request(Environment={"A": "1"}), MODEL)
    assert unset.container_environment() == {"A": "1", "SAGEMAKER_BATCH": "true"}
    chosen = JobPlan.from_request("j", request(MaxPayloadInMB=1, BatchStrategy="SingleRecord"), MODEL)
    assert chosen.container_environment() == {
        "SAGEMAKER_BATCH": "true",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1",
        "SAGEMAKER_BATCH_STRATEGY": "SINGLE_RECORD",
    }


def test_defaults_of_a_minimal_request() -> None:
    plan = JobPlan.from_request("nightly", request(), MODEL)
    assert (plan.split_type, plan.compression, plan.assemble_with) == ("None", "None", "None")
    assert (plan.invocation_timeout_s, plan.max_retries) == (600.0, 3)
    assert log_stream("transform-job:nightly/0") == "nightly/i-0"
