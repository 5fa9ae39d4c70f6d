"""The trained model behind the drawing page (and the layers page's star): warmed up once, its feature
bank of training images with the 'unlike the training images' threshold, the bundled models' records."""
from __future__ import annotations

import json

import streamlit as st

from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.inside import explain as ex
from ui.kit import checkpoints
from ui.kit.common import dataset

BUNDLED_NAMES = {"cnn": "CNN (drawings)", "mlp": "MLP (photos only)"}
DRAWING = "sketch_input28"  # session key of the last drawing as the model saw it (uint8 28x28), for page 7


@st.cache_resource(show_spinner=False, max_entries=8)
def _warmed(path: str, content: str) -> bool:
    model, meta = checkpoints.load(path)
    ex.warm_up(model, tuple(meta["normalization"]))
    return True


def warm_model(choice: ex.ModelChoice):
    """(model, meta) of the chosen model, run once on every path so no student waits for torch's set-up;
    an error and st.stop() when the file cannot be read."""
    model, meta = checkpoints.load_or_stop(choice)
    _warmed(str(choice.path), checkpoints.digest(choice.path))
    return model, meta


@st.cache_resource(show_spinner=False, max_entries=4)
def _bank(path: str, content: str, source: str) -> ex.FeatureBank:
    model, meta = checkpoints.load(path)
    data = dataset()
    return ex.build_feature_bank(model, data.train_images, data.train_labels, tuple(meta["normalization"]),
                                 calibration=ex.calibration_images(data.test_images))


def feature_bank(choice: ex.ModelChoice, data: FashionMNIST) -> ex.FeatureBank:
    """Training images in the model's feature space and its 'unlike the training images' threshold, once per
    model content and dataset, shared by the drawing and layers pages."""
    return _bank(str(choice.path), checkpoints.digest(choice.path), data.source)


@st.cache_data(show_spinner=False)
def _manifest() -> dict:
    f = ex.ASSETS / "models.json"
    return json.loads(f.read_text()) if f.is_file() else {}


def drawing_accuracy() -> dict[str, dict[str, float | None]]:
    """{model name: {"photos", "outline", "silhouette": test accuracy}} recorded for the bundled models."""
    rows = {}
    for key, m in _manifest().items():
        if isinstance(m, dict) and "test_accuracy" in m:
            d = m.get("drawing_eval", {})
            rows[BUNDLED_NAMES.get(key, key)] = {"photos": m["test_accuracy"], "outline": d.get("outline"),
                                                 "silhouette": d.get("silhouette")}
    return rows
