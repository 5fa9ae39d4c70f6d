"""What page 9 computes once per checkpoint and shares between sessions: the model seen from pixel space,
the test images it works on, and the robustness curves and knock-out studies its background jobs fill in."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from fmnist_core.fragile import dreams as dr
from fmnist_core.fragile import knockout as ko
from fmnist_core.fragile.pixels import PixelModel, balanced_subset, to_pixels
from fmnist_core.inside import explain as ex
from ui.kit import checkpoints
from ui.kit.common import require_dataset


@st.cache_resource(show_spinner=False, max_entries=8)
def _pixel_model(path: str, content: str) -> PixelModel:
    model, meta = checkpoints.load(path)
    return PixelModel(model, tuple(meta["normalization"]))


def pixel_model(choice: ex.ModelChoice) -> PixelModel:
    """The chosen model taking images in [0, 1]: frozen, in eval mode, one copy per file content."""
    checkpoints.load_or_stop(choice)  # a damaged file: its error and st.stop()
    return _pixel_model(str(choice.path), checkpoints.digest(choice.path))


@st.cache_resource(show_spinner=False, max_entries=4)
def test_subset(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n test images (n // 10 of each class, the same ones every time) as pixel floats, and their labels."""
    data = require_dataset()
    idx = balanced_subset(data.test_labels, n)
    return to_pixels(data.test_images[idx]), data.test_labels[idx].clone()


@st.cache_resource(show_spinner=False)
def class_means() -> np.ndarray:
    """(10, 28, 28) in [0, 1]: each class's mean training image."""
    data = require_dataset()
    return dr.class_means(data.train_images, data.train_labels)


@st.cache_resource(show_spinner=False)
def store() -> dict:
    """Curves and knock-out studies shared by every session, filled by background jobs: (what, ...) -> result."""
    return {}


@st.cache_data(show_spinner=False, max_entries=64)
def _knock_out(path: str, content: str, layer: str, units: tuple[int, ...]) -> np.ndarray:
    x, y = test_subset(ko.EVAL_IMAGES)
    return ko.knock_out(_pixel_model(path, content), layer, units, x, y)


def knock_out(choice: ex.ModelChoice, layer: str, units: tuple[int, ...]) -> np.ndarray:
    """(10,) per-class accuracy on EVAL_IMAGES test images with `units` off (cached per model, layer and units)."""
    return _knock_out(str(choice.path), checkpoints.digest(choice.path), layer, tuple(sorted(units)))


@st.cache_data(show_spinner=False, max_entries=128)
def _dream(path: str, content: str, index: int, layer: str | None, start: str, drawing: bytes | None) -> dr.Dream:
    img = None if drawing is None else np.frombuffer(drawing, np.uint8).reshape(28, 28)
    return dr.dream(_pixel_model(path, content), dr.DreamTarget(index, layer), dr.start_image(start, img))


def dream(choice: ex.ModelChoice, index: int, layer: str | None, start: str, drawing: np.ndarray | None) -> dr.Dream:
    """The dream of class `index` (layer None) or of unit `index` of `layer`, from `start`; cached per model."""
    raw = None if drawing is None else np.asarray(drawing, np.uint8).tobytes()
    return _dream(str(choice.path), checkpoints.digest(choice.path), index, layer, start, raw)


def curve_models(chosen: ex.ModelChoice, menu: dict[str, ex.ModelChoice]) -> dict[str, ex.ModelChoice]:
    """The models on the robustness curve: the bundled MLP and CNN, and the chosen one if it is a saved run."""
    out = {k: menu[k] for k in ex.BUNDLED if k in menu}
    if chosen.key not in out:
        out[chosen.key.removeprefix("run:").removesuffix(".pt")] = chosen
    return out


def curve_key(models: dict[str, ex.ModelChoice]) -> tuple:
    return ("curve",) + tuple((name, checkpoints.digest(c.path)) for name, c in models.items())
