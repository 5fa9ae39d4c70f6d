"""Knock-out ("neuron surgery"): switch hidden units (MLP) or channels (CNN) off and measure what each
class loses. A unit is switched off by setting its output (after the activation) to zero, with a forward
hook on a private copy of the model, so the copy other sessions share is never touched.
"""
from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from fmnist_core.fragile.pixels import PixelModel
from fmnist_core.inside.layers import Layer, model_layers

STUDY_IMAGES = 1000  # test images per knock-out in the study (100 per class)
EVAL_IMAGES = 2000  # test images for the interactive per-class accuracy (200 per class)


class Surgeon:
    """A private copy of a model whose units in one layer can be switched off: `set_off(units)`."""

    def __init__(self, model: PixelModel, layer_key: str):
        self.model = copy.deepcopy(model)
        self.layer: Layer | None = next((lay for lay in model_layers(self.model.model) if lay.key == layer_key), None)
        if self.layer is None:
            raise ValueError(f"this model has no layer {layer_key!r}")
        self.mask = torch.ones(self.layer.units)
        self.layer.module.register_forward_hook(self._apply)

    def _apply(self, _m, _i, out: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (out.dim() - 2)
        return out * self.mask.view(shape)

    def set_off(self, units: Sequence[int]) -> None:
        self.mask = torch.ones(self.layer.units)
        if len(units):
            self.mask[torch.as_tensor(list(units), dtype=torch.long)] = 0.0

    def per_class_accuracy(self, images: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
        """(10,) accuracy of each class on pixel images (N, 1, 28, 28), with the current units off."""
        right = (self.model.predict(images) == labels).float()
        return np.array([right[labels == c].mean().item() for c in range(10)])


def knock_out(model: PixelModel, layer_key: str, units: Sequence[int], images: torch.Tensor,
              labels: torch.Tensor) -> np.ndarray:
    """(10,) per-class accuracy with `units` of `layer_key` switched off."""
    s = Surgeon(model, layer_key)
    s.set_off(units)
    return s.per_class_accuracy(images, labels)


def most_important(importance: np.ndarray, k: int) -> list[int]:
    """The k units with the highest importance, most important first."""
    return [int(i) for i in np.argsort(-np.asarray(importance), kind="stable")[:k]]


def switched_off(importance: np.ndarray, top: int, picked: Sequence[int | str] = ()) -> list[int]:
    """The units off, sorted: the `top` most important, and those picked one by one."""
    return sorted(set(most_important(importance, top)) | {int(u) for u in picked})


@dataclass
class Study:
    layer: str
    baseline: np.ndarray  # (10,) per-class accuracy with every unit on
    drops: np.ndarray  # (units, 10): baseline - accuracy with that one unit off (NaN: not measured yet)
    seconds: float

    @property
    def importance(self) -> np.ndarray:
        """(units,) mean accuracy lost over the classes when the unit alone is off (NaN: not measured yet)."""
        with warnings.catch_warnings():  # a study stopped early: its unmeasured rows are all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.drops, 1)


def study(model: PixelModel, layer_key: str, images: torch.Tensor, labels: torch.Tensor,
          on_unit: Callable[[int, np.ndarray], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> Study:
    """Each unit of the layer switched off alone: what every class loses. `on_unit(unit, drop (10,))` as it goes."""
    t0 = time.perf_counter()
    s = Surgeon(model, layer_key)
    base = s.per_class_accuracy(images, labels)
    drops = np.full((s.layer.units, 10), np.nan)
    for u in range(s.layer.units):
        if should_stop is not None and should_stop():
            break
        s.set_off([u])
        drops[u] = base - s.per_class_accuracy(images, labels)
        if on_unit is not None:
            on_unit(u, drops[u])
    return Study(layer_key, base, drops, time.perf_counter() - t0)
