"""Regularization of the toy networks: L2 and L1 penalties on the weights, and dropout.

Each model k minimizes  mean BCE + (l2 / 2) * sum W^2 + l1 * sum |W|  over its weight matrices (not
the biases, as in TensorFlow Playground). L2 enters the hand-written gradient (l2 * W). L1 is applied
as a proximal step after each optimizer update, soft-thresholding every weight by its step size times
l1: w <- sign(w) * max(|w| - t, 0). A weight that would cross zero stops *exactly* at zero and stays
there until the data's gradient is strong enough to pull it out: this is how L1 switches inputs and
units off. With SGD and momentum t = lr * l1 (for SGD the exact proximal-gradient step, Playground's
clipped step); Adam and Adagrad divide each weight's step by sqrt(v) + eps, and so is its threshold
(the proximal step in the optimizer's own metric): otherwise Adam's normalized steps of ~lr would keep
every weight hopping over zero and L1 would zero almost none.

Dropout zeroes each hidden unit's output with probability p during training (the survivors are
scaled by 1/(1-p), "inverted dropout", so nothing changes at evaluation, where no unit is dropped).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

L2_RATES = ("0", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3")
L1_RATES = L2_RATES
DROPOUTS = ("0", "0.1", "0.2", "0.3", "0.5")
MAX_DROPOUT = 0.9  # at p = 1 nothing would reach the output


@dataclass(frozen=True)
class Regularization:
    l2: float = 0.0  # penalty (l2 / 2) * sum W^2: gradient l2 * W
    l1: float = 0.0  # penalty l1 * sum |W|: proximal step after each update
    dropout: float = 0.0  # probability of dropping each hidden unit's output while training

    def __post_init__(self):
        for name in ("l2", "l1"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name.upper()} rate must be a non-negative number, got {v}")
        if not (math.isfinite(self.dropout) and 0 <= self.dropout <= MAX_DROPOUT):
            raise ValueError(f"dropout must be between 0 and {MAX_DROPOUT}, got {self.dropout}")

    @property
    def active(self) -> bool:
        return self.l2 > 0 or self.l1 > 0 or self.dropout > 0


def penalty(weights, reg: Regularization) -> torch.Tensor:
    """(l2 / 2) * sum W^2 + l1 * sum |W| over a list of weight matrices (differentiable)."""
    total = torch.zeros((), dtype=weights[0].dtype, device=weights[0].device)
    for w in weights:
        if reg.l2:
            total = total + 0.5 * reg.l2 * (w * w).sum()
        if reg.l1:
            total = total + reg.l1 * w.abs().sum()
    return total


def soft_threshold_(w: torch.Tensor, t) -> torch.Tensor:
    """In place: w <- sign(w) * max(|w| - t, 0) (t a number or a tensor like w); weights within t of
    zero become exactly 0."""
    if not isinstance(t, (int, float)) or t > 0:
        shrunk = w.abs().sub_(t).clamp_(min=0)
        w.copy_(torch.sign(w).mul_(shrunk))
    return w


def dropout_masks(shapes, p: float, generator: torch.Generator, device, dtype) -> list[torch.Tensor]:
    """One inverted-dropout mask per shape: 0 with probability p, else 1/(1-p)."""
    keep = 1.0 - p
    return [(torch.rand(s, generator=generator, device=device) < keep).to(dtype).div_(keep) for s in shapes]


def weight_summary(weights, zero_tol: float = 0.0) -> dict:
    """Counts for the weight histogram: all weights, how many are exactly 0 (|w| <= zero_tol), largest |w|."""
    flat = torch.cat([w.reshape(-1) for w in weights]).float().cpu()
    return {"n": int(flat.numel()), "zeros": int((flat.abs() <= zero_tol).sum()),
            "max_abs": float(flat.abs().max()) if flat.numel() else 0.0}
