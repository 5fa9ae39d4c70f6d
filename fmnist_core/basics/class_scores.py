"""A classifier's scores for one Fashion-MNIST image, as the softmax lesson shows them: the logits z,
softmax at a temperature T (and at T = 1, where cross-entropy is the training loss), the one-hot target."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fmnist_core.fashion.dataset import normalize
from fmnist_core.nn.losses import Softmax, one_hot, softmax


def logits(model: torch.nn.Module, normalization: tuple[float, float], image: torch.Tensor) -> np.ndarray:
    """Logits (10,) in float64 of a CPU model in eval mode for one uint8 image (28, 28)."""
    with torch.no_grad():
        return model(normalize(image.cpu()[None], *normalization))[0].double().numpy()


@dataclass(frozen=True)
class ClassScores:
    label: int  # the true class
    logits: np.ndarray  # (10,) float64
    soft: Softmax  # at the chosen temperature
    soft_t1: Softmax  # at T = 1
    target: np.ndarray  # one-hot (10,)


def class_scores(model: torch.nn.Module, normalization: tuple[float, float], image: torch.Tensor, label: int,
                 temperature: float = 1.0) -> ClassScores:
    """Logits, softmax at `temperature` and at 1, and the one-hot target of one image (28, 28) of class `label`."""
    z = logits(model, normalization, image)
    return ClassScores(int(label), z, softmax(z, temperature), softmax(z), one_hot(int(label), len(z)))
