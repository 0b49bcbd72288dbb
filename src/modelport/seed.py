"""The seed tutorial's model and data: XGBoost trained on iris, and its test_point.csv rows.

Shared by the main job (``modelport demo``), the end-to-end tests and the benchmark, so all
three deploy exactly the model the tutorial deploys.
"""

from __future__ import annotations

import io
import tarfile
from importlib import resources
from pathlib import Path
from typing import Any

CLASSES = ("Setosa", "Versicolor", "Virginica")
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
XGBOOST_IMAGE_2021 = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:0.90-1-cpu-py3"


def test_points_csv() -> str:
    """test_point.csv as shipped with the seed tutorial (five iris rows, no header)."""
    return resources.files("modelport.data").joinpath("test_point.csv").read_text()


def test_points() -> list[str]:
    return [line for line in test_points_csv().splitlines() if line.strip()]


def train_iris_model(random_state: int = 42) -> Any:
    """The tutorial's classifier: ``XGBClassifier`` fitted on iris (bundled with scikit-learn)."""
    import xgboost
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    features, labels = load_iris(return_X_y=True)
    x_train, _, y_train, _ = train_test_split(features, labels, test_size=0.2, random_state=random_state)
    model = xgboost.XGBClassifier(n_estimators=20, max_depth=3, random_state=random_state)
    model.fit(x_train, y_train)
    return model


def package_model(model: Any, folder: Path, *, style: str = "booster") -> Path:
    """Write ``model.tar.gz`` as the tutorial's deployment notebook does.

    ``booster`` (the 2023 notebook): joblib → ``Booster.save_model("xgboost-model")`` → tar.
    ``pickle`` (the 2021 variant): the joblib pickle itself tarred as ``xgboost-model``.
    """
    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    pickled = folder / "iris-model.joblib"
    joblib.dump(model, pickled)
    member = folder / "xgboost-model"
    if style == "booster":
        # The extension picks XGBoost's UBJSON format (its default); the training job names it xgboost-model.
        native = folder / "xgboost-model.ubj"
        joblib.load(pickled).get_booster().save_model(str(native))
        native.replace(member)
    elif style == "pickle":
        member.write_bytes(pickled.read_bytes())
    else:
        raise ValueError(f"unknown packaging style {style!r}")
    archive = folder / "model.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(member, arcname="xgboost-model")
    archive.write_bytes(buffer.getvalue())
    return archive
