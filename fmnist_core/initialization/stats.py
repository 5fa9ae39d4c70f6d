"""What an initialization does to a deep MLP, measured per layer: the activations' spread and
saturation, the gradients' norms, and whether those gradients vanish or explode.

Everything comes out as plain numpy arrays (one entry per hidden layer), for a page to draw.

Measured here (10 tanh layers of 256 units, 256 Fashion-MNIST images): N(0, 1) leaves 86% of
the last layer's |a| above 0.99, N(0, 0.01) shrinks the std 1e7-fold to 2e-8, Xavier with tanh's
gain 5/3 keeps it within 1.2x (gain 1: ~3x), He with ReLU within 1.2x.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.models import MLP
from fmnist_core.nn.weight_init import weight_std

MAX_DEPTH = 10
WIDTHS = (8, 16, 32, 64, 128, 256, 512)
VANISH = 10.0  # a layer whose gradient is 10x smaller (larger) than the output layer's vanishes (explodes)
TINY, HUGE = 1e-6, 1e6  # gradient norms beyond these are vanishing/exploding whatever the ratio
FLAT_SLOPE = 0.05  # |f'(z)| below this: the unit is saturated (or dead) and passes almost no gradient


# --------------------------------------------------------------------------- models

def build_deep_mlp(depth: int, width: int, activation: str = "tanh", in_features: int = 784,
                   out_features: int = 10, activation_params: dict | None = None) -> MLP:
    """An MLP with `depth` hidden layers of `width` units, no dropout (dropout would break symmetry)."""
    if not 1 <= int(depth) <= MAX_DEPTH:
        raise ValueError(f"depth must be 1..{MAX_DEPTH} hidden layers, got {depth}")
    if not 1 <= int(width) <= 1024:
        raise ValueError(f"width must be 1..1024 units, got {width}")
    return MLP((int(width),) * int(depth), activation, dropout=0.0, in_features=in_features,
               out_features=out_features, activation_params=activation_params)


def hidden_layers(model: nn.Module) -> list[tuple[nn.Linear, nn.Module]]:
    """(Linear, activation) of each hidden layer of an MLP, input side first."""
    mods = list(model.net)
    return [(m, mods[i + 1]) for i, m in enumerate(mods[:-1]) if isinstance(m, nn.Linear)]


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Every Linear layer of an MLP: the hidden ones, then the output layer."""
    return [m for m in model.net if isinstance(m, nn.Linear)]


def is_rectifier(activation: str) -> bool:
    """ReLU-like (halves the signal's second moment): He's init is the one derived for these."""
    spec = ACTIVATIONS[activation]
    return activation == "brelu" or (not spec.saturating and not spec.zero_centred)


def recommended_init(activation: str) -> str:
    return "he_normal" if is_rectifier(activation) else "xavier_normal"


def activation_gain(activation: str) -> float:
    """PyTorch's `calculate_gain`: 5/3 for tanh, sqrt(2) for rectifiers, 1 otherwise."""
    if activation == "tanh":
        return 5.0 / 3.0
    return math.sqrt(2.0) if is_rectifier(activation) else 1.0


def variance_gain(init: str, activation: str, fan_in: int, fan_out: int, **params: float) -> float:
    """Factor by which a layer multiplies the signal's variance, linear theory: n_in Var(w) c.

    c = 1/2 for rectifiers (half the inputs are zeroed), 1 otherwise (tanh ~ identity near 0).
    1 keeps the scale through depth; above 1 it grows, below 1 it shrinks, geometrically.
    """
    c = 0.5 if is_rectifier(activation) else 1.0
    return fan_in * weight_std(init, fan_in, fan_out, **params) ** 2 * c


# --------------------------------------------------------------------------- activations

@dataclass
class ActivationStats:
    """Per hidden layer (L,), and histograms (L, bins) over shared `edges` (bins + 1,)."""

    mean: np.ndarray
    std: np.ndarray
    pre_std: np.ndarray  # std of the pre-activation z = W a + b
    saturated: np.ndarray  # fraction of |a| > 0.99
    flat: np.ndarray  # fraction of units with |f'(z)| < FLAT_SLOPE (saturated or dead)
    hist: np.ndarray  # fraction of the layer's values in each bin
    edges: np.ndarray
    clipped: np.ndarray  # fraction of each layer's values outside the edges

    @property
    def depth(self) -> int:
        return len(self.std)


def _slope(act: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """f'(z) elementwise, by autograd; 0 where the activation has no gradient (the step)."""
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        a = act(z)
        if not a.requires_grad:
            return torch.zeros_like(z)
        (g,) = torch.autograd.grad(a.sum(), z, allow_unused=True)
    return torch.zeros_like(z) if g is None else g


def _record(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """(pre-activations, activations) of each hidden layer (N, width) and the logits, via hooks."""
    zs, acts = [], []

    def hook(_m, inp, out):
        zs.append(inp[0])
        acts.append(out)

    handles = [act.register_forward_hook(hook) for _, act in hidden_layers(model)]
    try:
        logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return zs, acts, logits


def histogram_edges(values: list[torch.Tensor], bins: int = 41) -> np.ndarray:
    """Shared bin edges covering the 0.1%..99.9% range of all layers (scale changes stay visible)."""
    flat = torch.cat([v.detach().flatten().float() for v in values])
    if len(flat) > 200_000:
        flat = flat[torch.randperm(len(flat), generator=torch.Generator().manual_seed(0))[:200_000]]
    lo, hi = torch.quantile(flat, torch.tensor([0.001, 0.999])).tolist()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = -1.0, 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    return np.linspace(lo, hi, bins + 1)


@torch.no_grad()
def activation_stats(model: nn.Module, x: torch.Tensor, bins: int = 41,
                     edges: np.ndarray | None = None) -> ActivationStats:
    """Statistics of each hidden layer's activations for the batch `x`."""
    zs, acts, _ = _record(model, x)
    if edges is None:
        edges = histogram_edges(acts, bins)
    e = torch.as_tensor(edges, dtype=torch.float32)
    hist, clipped = [], []
    for a in acts:
        v = a.detach().flatten().float().cpu()
        counts = torch.histc(v, bins=len(edges) - 1, min=float(e[0]), max=float(e[-1]))
        inside = ((v >= e[0]) & (v <= e[-1])).sum().item()
        hist.append((counts / max(len(v), 1)).numpy())
        clipped.append(1.0 - inside / max(len(v), 1))
    slopes = [_slope(act, z) for (_, act), z in zip(hidden_layers(model), zs)]
    return ActivationStats(
        mean=np.array([a.mean().item() for a in acts]),
        std=np.array([a.std().item() for a in acts]),
        pre_std=np.array([z.std().item() for z in zs]),
        saturated=np.array([(a.abs() > 0.99).float().mean().item() for a in acts]),
        flat=np.array([(s.abs() < FLAT_SLOPE).float().mean().item() for s in slopes]),
        hist=np.stack(hist),
        edges=np.asarray(edges, dtype=float),
        clipped=np.array(clipped),
    )


# --------------------------------------------------------------------------- gradients

@dataclass
class GradientStats:
    """Gradient norms after one backward pass of the cross-entropy on a batch."""

    weight: np.ndarray  # (L + 1,) ||dL/dW|| of each Linear layer, the output layer last
    activation: np.ndarray  # (L,) ||dL/da|| of each hidden layer's output, averaged over the batch
    loss: float


def gradient_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> GradientStats:
    """Backward once on (x, y); the model's .grad are left cleared."""
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        _, acts, logits = _record(model, x)
        for a in acts:
            a.retain_grad()
        loss = F.cross_entropy(logits.float(), y)
        loss.backward()
    weight = np.array([m.weight.grad.norm().item() if m.weight.grad is not None else 0.0
                       for m in linear_layers(model)])
    act = np.array([a.grad.norm(dim=1).mean().item() if a.grad is not None else 0.0 for a in acts])
    model.zero_grad(set_to_none=True)
    return GradientStats(weight=weight, activation=act, loss=float(loss.item()))


def layer_names(depth: int) -> list[str]:
    return [f"layer {i + 1}" for i in range(depth)] + ["output"]


@dataclass
class GradientVerdict:
    """Gradient flow named per layer, relative to the layer nearest the loss (the last)."""

    labels: list[str]  # per layer: healthy | vanishing | exploding | zero
    kind: str  # healthy | vanishing | exploding | zero | mixed
    ratio: float  # first layer / last (output) layer
    max_norm: float  # the largest norm, NaNs ignored
    threshold: float  # the ratio beyond which a layer is named vanishing or exploding


def name_gradient_flow(norms: np.ndarray | list[float], threshold: float = VANISH) -> GradientVerdict:
    """Name vanishing and exploding gradients, relative to the layer nearest the loss (the last)."""
    g = np.asarray(norms, dtype=float)
    ref = g[-1]
    labels = []
    for v in g:
        if not np.isfinite(v) or v > HUGE:
            labels.append("exploding")
        elif v == 0:
            labels.append("zero")
        elif v < TINY:
            labels.append("vanishing")
        elif ref > 0 and v / ref < 1 / threshold:
            labels.append("vanishing")
        elif ref > 0 and v / ref > threshold:
            labels.append("exploding")
        else:
            labels.append("healthy")
    ratio = float(g[0] / ref) if ref > 0 else (0.0 if g[0] == 0 else math.inf)
    kinds = set(labels) - {"healthy"}
    if not kinds:
        kind = "healthy"
    elif kinds == {"zero"}:
        kind = "zero"
    elif "exploding" in kinds and "vanishing" not in kinds:
        kind = "exploding"
    elif "vanishing" in kinds and "exploding" not in kinds:
        kind = "vanishing"
    else:
        kind = "mixed"
    max_norm = math.nan if np.isnan(g).all() else float(np.nanmax(g))
    return GradientVerdict(labels, kind, ratio, max_norm, float(threshold))
