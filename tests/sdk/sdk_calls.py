"""The SageMaker Python SDK 2.x calls the tests make, run as a user's script (a subprocess).

``python sdk_calls.py SCENARIO... WORKDIR`` prints, on a line after ``MARK``, a JSON object with
each scenario's result (or ``{"error": traceback}``). The environment is what
``modelport env`` prints (plus the SeaweedFS S3's URL), nothing else: no endpoint URL here.
The SDK sleeps ``poll`` (30 s) before its first DescribeEndpoint; the tests shorten that client-side
wait (``FAST_POLL``), which changes no call the SDK makes. Scenarios:

- ``seed``: the seed notebook's image-URI calls and its region;
- ``role``, ``bucket``: ``get_execution_role()`` and ``Session().default_bucket()`` (they call STS
  at ``https://sts.<region>.amazonaws.com``: they need the transparent proxy);
- ``model``: ``Model(image_uri, model_data, role).deploy`` → ``Predictor.predict`` (CSV) beside a
  boto3 InvokeEndpoint of the same rows → ``delete_model``, ``delete_endpoint``;
- ``frameworks``: ``SKLearnModel`` and ``XGBoostModel`` with ``entry_point`` (script mode; the SDK
  packs and uploads the code), each deployed, invoked and deleted;
- ``transform``: ``Model.transformer(...).transform(..., wait=True, logs=True)`` over a CSV in
  S3 (batch transform), what the SDK printed while it waited, and the ``.out`` object;
- ``async_inference``: ``Model.deploy(async_inference_config=AsyncInferenceConfig())`` →
  ``AsyncPredictor.predict`` (uploads the rows, invokes, waits for the answer in S3 with the SDK's
  default waiter: 15 s between polls) and ``predict_async(...).get_result()`` → deletes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tarfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import sagemaker
from sagemaker import image_uris
from sagemaker.session_settings import SessionSettings

ROLE = "arn:aws:iam::123456789012:role/sdk-execution"
BUCKET = "sdk-models"
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
CSV = "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3"
FAST_POLL = 1
MARK = "sdk-result: "
XGBOOST_VERSIONS = ["0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1"]
SKLEARN_VERSIONS = ["0.20.0", "0.23-1", "1.0-1", "1.2-1", "1.4-2"]


def seed() -> dict[str, Any]:
    from sagemaker.amazon.amazon_estimator import get_image_uri

    region = boto3.Session().region_name
    return {
        "region": region,
        "images": [
            get_image_uri(region, "xgboost", "0.90-1"),  # the seed's call (2021)
            get_image_uri(region, "xgboost"),  # the first-generation algorithm, tag "1"
            *(image_uris.retrieve("xgboost", region, v) for v in XGBOOST_VERSIONS),
            *(image_uris.retrieve("sklearn", region, v) for v in SKLEARN_VERSIONS),
        ],
    }


def role() -> dict[str, Any]:
    from sagemaker import get_execution_role

    return {"role": get_execution_role()}


def bucket() -> dict[str, Any]:
    return {"bucket": sagemaker.Session().default_bucket()}


def _describe_counter(session: sagemaker.Session) -> list[str]:
    calls: list[str] = []
    session.sagemaker_client.meta.events.register(
        "before-call.sagemaker.DescribeEndpoint", lambda **_: calls.append("DescribeEndpoint")
    )
    return calls


def _upload(local: Path, key: str) -> str:
    s3 = boto3.Session().resource("s3")  # as the seed uploads model.tar.gz
    with contextlib.suppress(s3.meta.client.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET)
    s3.Bucket(BUCKET).upload_file(str(local), key)
    return f"s3://{BUCKET}/{key}"


def model(workdir: Path) -> dict[str, Any]:
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    from modelport import seed as tutorial

    workdir = workdir / "model"
    archive = tutorial.package_model(tutorial.train_iris_model(), workdir / "iris")
    model_data = _upload(archive, "iris/model.tar.gz")
    session = sagemaker.Session()
    describes = _describe_counter(session)
    image = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    deployed = Model(image_uri=image, model_data=model_data, role=ROLE, sagemaker_session=session)
    returned = deployed.deploy(initial_instance_count=1, instance_type="ml.m5.large")
    name = deployed.endpoint_name
    predictor = Predictor(name, serializer=CSVSerializer())
    sdk_answer = predictor.predict(ROWS).decode()
    runtime = boto3.client("runtime.sagemaker")
    boto3_answer = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=CSV)
    predictor.delete_model()
    predictor.delete_endpoint()
    return {
        "deploy_returned": repr(returned),
        "endpoint": name,
        "model": deployed.name,
        "describe_calls_while_deploying": len(describes),
        "sdk": sdk_answer,
        "boto3": boto3_answer["Body"].read().decode(),
    }


def transform(workdir: Path) -> dict[str, Any]:
    import io

    from sagemaker.model import Model

    from modelport import seed as tutorial

    archive = tutorial.package_model(tutorial.train_iris_model(), workdir / "transform" / "iris")
    model_data = _upload(archive, "iris-batch/model.tar.gz")
    session = sagemaker.Session()
    session.upload_string_as_file_body(CSV, BUCKET, "batch/in/points.csv")
    image = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    batch_model = Model(image_uri=image, model_data=model_data, role=ROLE, sagemaker_session=session)
    transformer = batch_model.transformer(
        instance_count=1,
        instance_type="ml.m5.large",
        strategy="MultiRecord",
        assemble_with="Line",
        accept="text/csv",
        output_path=f"s3://{BUCKET}/batch/out",
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        transformer.transform(
            f"s3://{BUCKET}/batch/in", content_type="text/csv", split_type="Line", wait=True, logs=True
        )
    job = session.sagemaker_client.describe_transform_job(
        TransformJobName=transformer.latest_transform_job.name
    )
    output = boto3.client("s3").get_object(Bucket=BUCKET, Key="batch/out/points.csv.out")["Body"].read()
    transformer.delete_model()
    return {"status": job["TransformJobStatus"], "printed": printed.getvalue(), "output": output.decode()}


def async_inference(workdir: Path) -> dict[str, Any]:
    import time

    from sagemaker.async_inference import AsyncInferenceConfig
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.predictor_async import AsyncPredictor
    from sagemaker.serializers import CSVSerializer

    from modelport import seed as tutorial

    archive = tutorial.package_model(tutorial.train_iris_model(), workdir / "async" / "iris")
    model_data = _upload(archive, "iris-async/model.tar.gz")
    session = sagemaker.Session()
    image = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    deployed = Model(image_uri=image, model_data=model_data, role=ROLE, sagemaker_session=session)
    deployed.deploy(
        initial_instance_count=1, instance_type="ml.m5.large", async_inference_config=AsyncInferenceConfig()
    )
    predictor = AsyncPredictor(Predictor(deployed.endpoint_name, serializer=CSVSerializer()))
    began = time.monotonic()
    answer = predictor.predict(ROWS)
    waited_s = time.monotonic() - began
    response = predictor.predict_async(ROWS)
    later = response.get_result()
    config = session.sagemaker_client.describe_endpoint(EndpointName=deployed.endpoint_name)[
        "AsyncInferenceConfig"
    ]
    predictor.delete_model()  # first: it reads the endpoint config, which delete_endpoint deletes
    predictor.delete_endpoint()
    return {
        "answer": answer.decode(),
        "later": later.decode(),
        "waited_s": waited_s,
        "output_path": response.output_path,
        "config": config,
    }


SKLEARN_SCRIPT = """\
import json
import os

import joblib


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def output_fn(prediction, accept):
    return json.dumps({"classes": prediction.tolist(), "by": __file__}), "application/json"
"""

XGBOOST_SCRIPT = """\
import os

import xgboost


def model_fn(model_dir):
    booster = xgboost.Booster()
    booster.load_model(os.path.join(model_dir, "xgboost-model"))
    return booster


def predict_fn(data, model):
    return model.predict(data).argmax(axis=1)
"""


def frameworks(workdir: Path) -> dict[str, Any]:
    import joblib
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.serializers import CSVSerializer
    from sagemaker.sklearn import SKLearnModel
    from sagemaker.xgboost import XGBoostModel
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from modelport import seed as tutorial

    workdir = workdir / "frameworks"
    workdir.mkdir()
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), workdir / "model.joblib")
    with tarfile.open(workdir / "sklearn.tar.gz", "w:gz") as tar:
        tar.add(workdir / "model.joblib", arcname="model.joblib")
    sklearn_data = _upload(workdir / "sklearn.tar.gz", "sklearn/model.tar.gz")
    xgboost_data = _upload(
        tutorial.package_model(tutorial.train_iris_model(), workdir / "xgb"), "xgb/model.tar.gz"
    )
    for folder, script in (("sklearn-code", SKLEARN_SCRIPT), ("xgboost-code", XGBOOST_SCRIPT)):
        (workdir / folder).mkdir()
        (workdir / folder / "inference.py").write_text(script)

    # The SDK uploads sourcedir.tar.gz with SSE-KMS unless told not to; SeaweedFS has no KMS.
    session = sagemaker.Session(settings=SessionSettings(encrypt_repacked_artifacts=False))
    code_location = f"s3://{BUCKET}/code"  # else the SDK asks STS for default_bucket()'s account
    answers: dict[str, Any] = {}
    for kind, model_class, data, version in (
        ("sklearn", SKLearnModel, sklearn_data, "1.2-1"),
        ("xgboost", XGBoostModel, xgboost_data, "1.7-1"),
    ):
        framework_model = model_class(
            model_data=data,
            role=ROLE,
            entry_point="inference.py",
            source_dir=str(workdir / f"{kind}-code"),
            framework_version=version,
            code_location=code_location,
            sagemaker_session=session,
        )
        predictor = framework_model.deploy(
            initial_instance_count=1,
            instance_type="ml.m5.large",
            serializer=CSVSerializer(),
            deserializer=JSONDeserializer(),
        )
        container = session.sagemaker_client.describe_model(ModelName=framework_model.name)[
            "PrimaryContainer"
        ]
        answers[kind] = {"answer": predictor.predict(ROWS), "environment": container["Environment"]}
        predictor.delete_model()
        predictor.delete_endpoint()
    return answers


def main() -> None:
    """Run the scenarios named on the command line in one process (the SDK imports slowly)."""
    *scenarios, workdir = sys.argv[1:]
    # The SDK's own wait before each DescribeEndpoint (30 s by default), shortened for the tests.
    sagemaker.Session.wait_for_endpoint.__defaults__ = (FAST_POLL, False)
    runs: dict[str, Callable[[], dict[str, Any]]] = {"seed": seed, "role": role, "bucket": bucket}
    runs |= {"model": lambda: model(Path(workdir)), "frameworks": lambda: frameworks(Path(workdir))}
    runs["transform"] = lambda: transform(Path(workdir))
    runs["async_inference"] = lambda: async_inference(Path(workdir))
    results: dict[str, Any] = {}
    for scenario in scenarios:
        try:
            results[scenario] = runs[scenario]()
        except Exception:
            results[scenario] = {"error": traceback.format_exc()}
    print(f"\n{MARK}{json.dumps(results)}", flush=True)  # the SDK prints progress dots without a newline
    # AsyncPredictor.predict leaves the thread that polls the failure location running after the
    # answer came (up to 60 polls 15 s apart), and Python waits for it at exit.
    os._exit(0)


if __name__ == "__main__":
    main()
