"""The fragile tests' shared pieces: the bundled models three ways, and a balanced set of test images."""
from __future__ import annotations

import pytest

from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.fragile.pixels import PixelModel, balanced_subset, to_pixels
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def models():
    """{name: (plain model, norm, PixelModel)} for the bundled MLP and CNN."""
    out = {}
    for name in ("mlp", "cnn"):
        model, meta = load_checkpoint(ROOT / "assets" / f"{name}.pt")
        norm = tuple(meta["normalization"])
        out[name] = (model, norm, PixelModel(model, norm))
    return out


def balanced_test_set(fmnist, n: int):
    """n test images, n // 10 per class: (uint8 (N, 28, 28), pixels (N, 1, 28, 28), labels)."""
    idx = balanced_subset(fmnist.test_labels, n)
    raw = fmnist.test_images[idx]
    return raw, to_pixels(raw), fmnist.test_labels[idx]
