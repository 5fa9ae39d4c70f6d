"""Losses as the lecture lists them, with their gradients written out; softmax with a temperature; one-hot.

`LOSSES[name]` is a `LossSpec`: label, formula, the loss of one prediction `value(y_hat, y)` and its
derivative `grad(y_hat, y)` = dL/dy_hat, for a prediction y_hat in (0, 1) and a target y in {0, 1}.
Over several outputs or points the loss is their mean (RMSE: the root of the mean square).

`curves(p)` gives each loss and its gradient against p, the predicted probability of the true class
(y = 1), both with respect to p and with respect to the logit z behind p = sigmoid(z), which is what
reaches the weights: cross-entropy gives p - 1 there (it keeps pushing when p is near 0), MSE gives
-2 (1 - p)^2 p (flat near 0: a confidently wrong sigmoid hardly learns).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LossSpec:
    name: str
    label: str
    formula: str  # LaTeX, for one point
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]  # per point
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]  # dL/dy_hat per point
    root: bool = False  # RMSE: the batch loss is sqrt(mean), not a mean


def _xlogp(y, p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(y == 0, 0.0, y * np.log(p))


def _safe_div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def _ce_value(p, y):
    # log(0) is -inf, as written: a saturated wrong output has an infinite loss (reported, never clamped)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(np.where(y > 0, y * np.log(p), 0.0) + np.where(y < 1, (1 - y) * np.log1p(-p), 0.0))


def _ce_grad(p, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (p - y) / (p * (1 - p))


LOSSES: dict[str, LossSpec] = {
    # One term of -sum_k y_k log p_k per output: only the true class (y_k = 1) counts.
    "cross_entropy": LossSpec("cross_entropy", "Categorical cross-entropy",
                              r"L = -\sum_k y_k \log \hat y_k = -\log p_{\text{true class}}",
                              lambda p, y: _xlogp(y, p), lambda p, y: _safe_div(-y, p)),
    "bce": LossSpec("bce", "Binary cross-entropy", r"L = -[\,y \log \hat y + (1-y)\log(1-\hat y)\,]",
                    _ce_value, _ce_grad),
    "mse": LossSpec("mse", "Mean squared error (MSE)", r"L = (\hat y - y)^2",
                    lambda p, y: (p - y) ** 2, lambda p, y: 2 * (p - y)),
    "rmse": LossSpec("rmse", "Root mean squared error (RMSE)", r"L = \sqrt{\mathrm{mean}\,(\hat y - y)^2}",
                     lambda p, y: np.abs(p - y), lambda p, y: np.sign(p - y), root=True),
}
BINARY_LOSSES = ("bce", "mse", "rmse")  # for one sigmoid output (categorical CE on 2 classes is exactly BCE)
TRAIN_LOSSES = ("cross_entropy", "mse")  # the Fashion-MNIST trainer's choices


def batch_loss(name: str, y_hat: np.ndarray, y: np.ndarray) -> float:
    """The loss of a batch: the mean over points (RMSE: sqrt of the mean square)."""
    spec = LOSSES[name]
    if spec.root:
        return float(np.sqrt(np.mean((y_hat - y) ** 2)))
    return float(np.mean(spec.value(y_hat, y)))


def point_grads(name: str, y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g_i = dL/dy_hat_i times N, per point: their mean over the batch times dy_hat/dw is the step.

    For a mean loss g_i is each point's own dl/dy_hat; for RMSE, sqrt(mean se) is not a mean, and
    g_i = 2 (y_hat_i - y_i) / (2 RMSE) = (y_hat_i - y_i) / RMSE (for one point: sign(y_hat - y)).
    """
    spec = LOSSES[name]
    if spec.root:
        r = np.sqrt(np.mean((y_hat - y) ** 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r > 0, (y_hat - y) / r, 0.0)
    return spec.grad(y_hat, y)


def curves(p: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """{loss: {"value", "dp", "dz"}} for y = 1 against p in (0, 1): L(p), dL/dp, dL/dz with p = sigmoid(z)."""
    ones = np.ones_like(p)
    out = {}
    for name, spec in LOSSES.items():
        value = spec.value(p, ones)
        dp = spec.grad(p, ones)
        out[name] = {"value": value, "dp": dp, "dz": dp * p * (1 - p)}
    return out


# --------------------------------------------------------------------------- softmax and one-hot


def one_hot(label: int, classes: int = 10) -> np.ndarray:
    """(classes,) with a 1 at `label`: 2 -> 0010000000."""
    if not 0 <= int(label) < classes:
        raise ValueError(f"label must be in 0..{classes - 1}, got {label}")
    v = np.zeros(classes)
    v[int(label)] = 1.0
    return v


@dataclass(frozen=True)
class Softmax:
    """The lecture's softmax, each number kept: p_k = exp(z_k / T) / sum_j exp(z_j / T)."""

    logits: np.ndarray  # (K,)
    temperature: float
    scaled: np.ndarray  # z / T
    shift: float  # subtracted from z/T before exp when exp would overflow (0 otherwise); p is unchanged
    exp: np.ndarray  # exp(z/T - shift)
    total: float
    probs: np.ndarray

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.probs))

    def cross_entropy(self, label: int) -> float:
        """-log p(true class), from the log-sum-exp (finite even when p rounds to 0)."""
        return float(np.log(self.total) + self.shift - self.scaled[int(label)])


def softmax(logits, temperature: float = 1.0) -> Softmax:
    """Softmax of logits (K,) at temperature T > 0, in float64."""
    if not (temperature > 0 and np.isfinite(temperature)):
        raise ValueError(f"temperature must be a positive number, got {temperature}")
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    scaled = z / temperature
    shift = 0.0 if scaled.max() < 700 else float(scaled.max())  # exp(709) is float64's largest
    e = np.exp(scaled - shift)
    total = float(e.sum())
    return Softmax(z, float(temperature), scaled, shift, e, total, e / total)


def softmax_cross_entropy_grad(logits, label: int) -> np.ndarray:
    """dL/dz (K,) of -log softmax(z)[label]: p - one_hot(label)."""
    s = softmax(logits)
    return s.probs - one_hot(label, len(s.probs))


def softmax_mse_grad(logits, label: int) -> np.ndarray:
    """dL/dz (K,) of mean_k (softmax(z)_k - one_hot_k)^2, through the softmax's Jacobian diag(p) - p p^T."""
    p = softmax(logits).probs
    g = 2 * (p - one_hot(label, len(p))) / len(p)  # dL/dp
    return p * (g - np.dot(g, p))


# --------------------------------------------------------------------------- the trainer's loss


def train_loss(name: str, logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """The trainer's loss of logits (N, K) for labels (N,): cross-entropy, or MSE of the softmax vs one-hot."""
    if name == "cross_entropy":
        return F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
    if name == "mse":
        target = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
        return F.mse_loss(torch.softmax(logits, dim=1), target)
    raise ValueError(f"unknown loss {name!r}; choose from {', '.join(TRAIN_LOSSES)}")
