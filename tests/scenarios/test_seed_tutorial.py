"""The seed tutorial's deployment notebook, unchanged in substance, against a real server.

Train XGBoost on iris, joblib.dump, Booster.save_model, tar, upload to S3 (SeaweedFS), then
boto3 create_model with a real XGBoost image URI and an ``https://s3-<region>...`` URL,
create_endpoint_config, create_endpoint, poll describe_endpoint, invoke_endpoint with
test_point.csv — the body must equal the local model's predictions in the container's format.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest

from modelport import seed
from support.modelport_server import ModelportServer, deploy, wait_in_service
from support.processes import children_of
from support.s3server import S3Endpoint

pytestmark = [pytest.mark.e2e, pytest.mark.s3]


def csv_rows_1_3_style(probabilities: np.ndarray) -> bytes:
    """XGBoost container 1.3-1+ text/csv: one row per line, float32 values as Python floats."""
    return b"".join(
        (",".join(repr(float(np.float32(p))) for p in row) + "\n").encode() for row in probabilities
    )


def csv_rows_0_90_style(probabilities: np.ndarray) -> bytes:
    """XGBoost container 0.90-1 text/csv: each row as a Python list, rows comma-joined."""
    return ",".join(str([float(np.float32(p)) for p in row]) for row in probabilities).encode()


def local_probabilities(model: Any) -> np.ndarray:
    points = np.array([[float(v) for v in row.split(",")] for row in seed.test_points()])
    return np.asarray(model.predict_proba(points), dtype=np.float32)


def test_the_2023_notebook_over_s3_https_url(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, model_archive: Path
) -> None:
    s3_client = s3.client()
    s3_client.create_bucket(Bucket="iris-deployment")
    s3_client.upload_file(str(model_archive), "iris-deployment", "model/model.tar.gz")
    url = "https://s3-us-east-1.amazonaws.com/iris-deployment/model/model.tar.gz"
    sagemaker = s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")

    deploy(sagemaker, "iris-2023", url)
    assert sagemaker.describe_endpoint(EndpointName="iris-2023")["EndpointStatus"] in {
        "Creating",
        "InService",
    }
    description = wait_in_service(sagemaker, "iris-2023")
    assert description["ProductionVariants"][0]["CurrentInstanceCount"] == 1

    response = runtime.invoke_endpoint(
        EndpointName="iris-2023", ContentType="text/csv", Body=seed.test_points_csv()
    )
    assert response["ContentType"] == "text/csv; charset=utf-8"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert response["Body"].read() == csv_rows_1_3_style(local_probabilities(iris_model))

    # The tutorial's Lambda handler logic, applied to the fifth row: Setosa.
    body = runtime.invoke_endpoint(EndpointName="iris-2023", ContentType="text/csv", Body="5.1,3.3,1.7,0.5")[
        "Body"
    ].read()
    scores = [float(v) for v in body.decode().strip().split(",")]
    assert seed.CLASSES[scores.index(max(scores))] == "Setosa"


def test_the_2021_variant_pickle_tarred_directly_on_0_90_1(
    s3_server: ModelportServer, s3: S3Endpoint, iris_model: Any, tmp_path: Path
) -> None:
    pickled = tmp_path / "xgboost-model"
    joblib.dump(iris_model, pickled)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(pickled, arcname="xgboost-model")
    s3_client = s3.client()
    s3_client.create_bucket(Bucket="iris-2021")
    s3_client.put_object(Bucket="iris-2021", Key="model.tar.gz", Body=buffer.getvalue())
    sagemaker = s3_server.client("sagemaker")

    deploy(sagemaker, "iris-2021", "s3://iris-2021/model.tar.gz", image=seed.XGBOOST_IMAGE_2021)
    wait_in_service(sagemaker, "iris-2021")
    body = (
        s3_server.client("sagemaker-runtime")
        .invoke_endpoint(EndpointName="iris-2021", ContentType="text/csv", Body=seed.test_points_csv())[
            "Body"
        ]
        .read()
    )
    assert body == csv_rows_0_90_style(local_probabilities(iris_model))


def test_two_instances_both_serve(s3_server: ModelportServer, iris_model: Any, model_archive: Path) -> None:
    sagemaker = s3_server.client("sagemaker")
    runtime = s3_server.client("sagemaker-runtime")
    deploy(sagemaker, "iris-two", str(model_archive), instances=2)
    description = wait_in_service(sagemaker, "iris-two")
    variant = description["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)

    expected = csv_rows_1_3_style(local_probabilities(iris_model))
    for _ in range(20):
        body = runtime.invoke_endpoint(
            EndpointName="iris-two", ContentType="text/csv", Body=seed.test_points_csv()
        )
        assert body["Body"].read() == expected
    # Both instances answered: each wrote its model-load line and neither is idle in the logs.
    logs = sorted((s3_server.data_dir / "logs" / "iris-two").glob("AllTraffic-*.log"))
    assert [p.name for p in logs] == ["AllTraffic-0.log", "AllTraffic-1.log"]
    assert all("loaded 1 XGBoost model" in p.read_text() for p in logs)


def test_cleanup_leaves_nothing(s3_server: ModelportServer) -> None:
    sagemaker = s3_server.client("sagemaker")
    for endpoint in sagemaker.list_endpoints(MaxResults=100)["Endpoints"]:
        sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
        sagemaker.get_waiter("endpoint_deleted").wait(
            EndpointName=endpoint["EndpointName"], WaiterConfig={"Delay": 0.05, "MaxAttempts": 600}
        )
    for config in sagemaker.list_endpoint_configs(MaxResults=100)["EndpointConfigs"]:
        sagemaker.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
    for model in sagemaker.list_models(MaxResults=100)["Models"]:
        sagemaker.delete_model(ModelName=model["ModelName"])
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_models()["Models"] == []
    # Only the warm XGBoost spares remain (2 by default).
    assert len(children_of(s3_server.pid)) <= 2
