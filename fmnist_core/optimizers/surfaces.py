"""Loss surfaces in two dimensions, for racing optimizers on them.

Each analytic surface is written once, as `f(x, y, m, p)` and `grad(x, y, m, p)` where `m` is a math
namespace: `torch` for whole grids and autograd checks, `_PY` (plain floats) for the race, where a
step on two numbers costs a microsecond in Python and ~20 in torch. `p` holds the surface's
parameters (the valley's condition number). `network_slice` is the real loss of a small trained
network along two directions through its weights (two chosen weights, or two random
filter-normalized directions as in Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets").

All surfaces answer the same calls: `value_and_grad(x, y)` on floats, `torch_value(w)` on a tensor
(..., 2), `grid(res)` on a res x res grid of their box.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.engine.params import Param, resolve

F32_MAX = float(np.finfo(np.float32).max)  # a loss past this is infinite in the network's float32
PRESETS = ("small", "good", "oscillating", "diverging")  # learning-rate presets, in the page's order
GRADIENT_METHODS = ("sgd", "momentum", "nesterov")  # their lr scales a gradient; the others' a unit step


def _exp(v: float) -> float:
    return math.exp(v) if v < 709.0 else math.inf


class _PY:
    """The few functions the formulas need, on plain floats."""

    exp = staticmethod(_exp)


KAPPA = Param("kappa", 10.0, 1.0, 100.0, log=True, label="condition number κ",
              help="ratio of the steep direction's curvature to the flat one's")


# --------------------------------------------------------------------------- the formulas

def _valley_f(x, y, m, p):
    return 0.5 * (x * x / p["kappa"] + y * y)


def _valley_g(x, y, m, p):
    return x / p["kappa"], y


def _rosen_f(x, y, m, p):
    a, b = 1.0 - x, y - x * x
    return a * a + 100.0 * b * b


def _rosen_g(x, y, m, p):
    b = y - x * x
    return -2.0 * (1.0 - x) - 400.0 * x * b, 200.0 * b


def _saddle_f(x, y, m, p):
    y2 = y * y
    return 0.5 * x * x - y2 + 0.25 * y2 * y2


def _saddle_g(x, y, m, p):
    return x, -2.0 * y + y * y * y


# Two wells in a wide bowl: a shallow one near (-1, 1) and a deeper one near (1.5, -1); the bowl moves
# the minima to (-0.915, 0.915) and (1.366, -0.911).
_WELLS = ((-1.0, 1.0, 1.2, 0.6), (1.5, -1.0, 2.0, 0.8))  # (cx, cy, depth, width)
_BOWL = 0.15


def _two_f(x, y, m, p):
    out = _BOWL * (x * x + y * y)
    for cx, cy, d, s in _WELLS:
        dx, dy = x - cx, y - cy
        out = out - d * m.exp(-(dx * dx + dy * dy) / (2 * s * s))
    return out


def _two_g(x, y, m, p):
    gx, gy = 2 * _BOWL * x, 2 * _BOWL * y
    for cx, cy, d, s in _WELLS:
        dx, dy = x - cx, y - cy
        e = d * m.exp(-(dx * dx + dy * dy) / (2 * s * s)) / (s * s)
        gx, gy = gx + e * dx, gy + e * dy
    return gx, gy


@dataclass(frozen=True)
class SurfaceSpec:
    """A registry entry: what a menu, a URL and the race need to build a surface."""

    name: str
    label: str
    f: Callable
    grad: Callable
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    # learning rate per preset: (for SGD / momentum / Nesterov, for Adagrad / RMSprop / Adam)
    lr_presets: dict[str, tuple[float, float]]
    params: tuple[Param, ...] = ()
    description: str = ""


SURFACES: dict[str, SurfaceSpec] = {
    "valley": SurfaceSpec(
        "valley", "Elongated valley", _valley_f, _valley_g, (-3.0, 3.0), (-3.0, 3.0), (-2.8, 2.2), ((0.0, 0.0),),
        {"small": (0.05, 0.005), "good": (0.3, 0.1), "oscillating": (1.8, 0.6), "diverging": (2.5, 2.0)},
        (KAPPA,), "A long, narrow valley: steep across (y), nearly flat along (x); κ is how much steeper."),
    "rosenbrock": SurfaceSpec(
        "rosenbrock", "Rosenbrock's banana", _rosen_f, _rosen_g, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),),
        {"small": (2e-4, 0.005), "good": (1e-3, 0.1), "oscillating": (2.5e-3, 0.5), "diverging": (3.5e-3, 2.0)},
        (), "A curved, flat-bottomed valley (a banana): easy to fall into, slow to follow to (1, 1)."),
    "saddle": SurfaceSpec(
        "saddle", "Saddle point", _saddle_f, _saddle_g, (-2.5, 2.5), (-2.5, 2.5), (-2.2, 0.001),
        ((0.0, math.sqrt(2.0)), (0.0, -math.sqrt(2.0))),
        {"small": (0.002, 0.002), "good": (0.1, 0.05), "oscillating": (0.55, 0.5), "diverging": (1.5, 2.0)},
        (), "Uphill along x, downhill along y: (0, 0) is flat but not a minimum; the minima are at y = ±1.41."),
    "two_minima": SurfaceSpec(
        "two_minima", "Two minima", _two_f, _two_g, (-3.0, 3.0), (-3.0, 3.0), (-2.8, 2.6),
        ((-0.9146, 0.9149), (1.3662, -0.9108)),
        {"small": (0.005, 0.002), "good": (0.3, 0.05), "oscillating": (1.2, 0.5), "diverging": (9.0, 3.0)},
        (), "A shallow well at (-0.9, 0.9) and a deeper one at (1.4, -0.9): which one a path ends in depends on it."),
}


# --------------------------------------------------------------------------- surfaces

class Surface:
    """A loss over the plane: values, gradients, a grid of its box."""

    name = "surface"
    label = "surface"
    xlim: tuple[float, float] = (-1.0, 1.0)
    ylim: tuple[float, float] = (-1.0, 1.0)
    start: tuple[float, float] = (0.0, 0.0)
    minima: tuple[tuple[float, float], ...] = ()

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        raise NotImplementedError

    def torch_value(self, w: torch.Tensor) -> torch.Tensor:
        """Loss (...) at points w (..., 2), differentiable."""
        raise NotImplementedError

    def grid(self, res: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (res,), ys (res,), loss (res, res)) with loss[i, j] at (xs[j], ys[i])."""
        xs = torch.linspace(*self.xlim, res, dtype=torch.float64)
        ys = torch.linspace(*self.ylim, res, dtype=torch.float64)
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        with torch.no_grad():
            z = self.torch_value(torch.stack([xx, yy], -1))
        return xs.numpy(), ys.numpy(), z.double().numpy()

    def contains(self, x: float, y: float) -> bool:
        return self.xlim[0] <= x <= self.xlim[1] and self.ylim[0] <= y <= self.ylim[1]

    def clamp(self, x: float, y: float) -> tuple[float, float]:
        return min(max(x, self.xlim[0]), self.xlim[1]), min(max(y, self.ylim[0]), self.ylim[1])


class AnalyticSurface(Surface):
    def __init__(self, spec: SurfaceSpec, **params: float):
        self.spec = spec
        self.name, self.label = spec.name, spec.label
        self.xlim, self.ylim, self.start, self.minima = spec.xlim, spec.ylim, spec.start, spec.minima
        self.lr_presets = dict(spec.lr_presets)
        self.p = resolve(spec.params, params, spec.name)

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        try:
            f = self.spec.f(x, y, _PY, self.p)
            gx, gy = self.spec.grad(x, y, _PY, self.p)
        except OverflowError:
            return math.inf, math.nan, math.nan
        return f, gx, gy

    def torch_value(self, w: torch.Tensor) -> torch.Tensor:
        return self.spec.f(w[..., 0], w[..., 1], torch, self.p)

    def torch_grad(self, w: torch.Tensor) -> torch.Tensor:
        """The hand-written gradient (..., 2), for checking against autograd."""
        return torch.stack(self.spec.grad(w[..., 0], w[..., 1], torch, self.p), -1)


def make_surface(name: str, **params: float) -> AnalyticSurface:
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose from {', '.join(SURFACES)}")
    return AnalyticSurface(SURFACES[name], **params)


def lr_preset(name: str, preset: str) -> tuple[float, float]:
    """(lr for SGD/momentum/Nesterov, lr for Adagrad/RMSprop/Adam) of an analytic surface's preset."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose from {', '.join(SURFACES)}")
    return SURFACES[name].lr_presets[preset]


# --------------------------------------------------------------------------- a real network's loss

LR_RANGE = (1e-5, 10.0)  # optim.LR's slider range


def flat_params(net: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def param_names(net: nn.Module) -> list[str]:
    """A readable name per scalar weight, in `flat_params` order: 'layer 1: w[3,0]', 'layer 2: b[0]'."""
    out = []
    for i, (name, p) in enumerate(net.named_parameters()):
        layer = name.split(".")[1] if name.startswith("linears.") else name
        kind = "w" if name.endswith("weight") else "b"
        for idx in np.ndindex(*p.shape):
            out.append(f"layer {int(layer) + 1}: {kind}[{','.join(map(str, idx))}]" if layer.isdigit()
                       else f"{name}[{','.join(map(str, idx))}]")
    return out


def filter_normalized_direction(net: nn.Module, seed: int) -> torch.Tensor:
    """A random direction (flat, like `flat_params`) scaled per filter as Li et al. 2018 do: each
    output unit's incoming weights get the norm of that unit's trained weights; biases get 0."""
    gen = torch.Generator().manual_seed(int(seed))
    parts = []
    for p in net.parameters():
        w = p.detach().to(torch.float64)
        if w.dim() <= 1:  # biases: left out of the direction, as in the paper
            parts.append(torch.zeros_like(w).reshape(-1))
            continue
        d = torch.randn(w.shape, generator=gen, dtype=torch.float64)
        rows_w, rows_d = w.reshape(len(w), -1), d.reshape(len(d), -1)
        d = rows_d * (rows_w.norm(dim=1, keepdim=True) / (rows_d.norm(dim=1, keepdim=True) + 1e-10))
        parts.append(d.reshape(-1))
    return torch.cat(parts).to(flat_params(net).dtype)


class NetworkSlice(Surface):
    """The mean BCE loss of a trained ToyNet at theta* + x d1 + y d2, on its training points.

    The forward pass is written out over the flat weights (batched over many weight vectors for a
    grid), not through `functional_call`, which cost ~10 ms a step for a network this small.
    """

    name = "network"
    label = "A real network's loss"

    def __init__(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
                 span: float = 1.0, what: str = ""):
        if not (hasattr(net, "linears") and hasattr(net, "acts")) or getattr(net, "surrogate", False):
            raise ValueError("a slice needs a ToyNet whose activation has a gradient")
        self.net = net
        self.x, self.y = x.to(torch.float32), y.to(torch.float32)
        self.theta = flat_params(net).to(torch.float32)
        self.d1, self.d2 = d1.to(torch.float32), d2.to(torch.float32)
        self.xlim = self.ylim = (-float(span), float(span))
        self.start = (-0.8 * span, 0.7 * span)
        self.minima = ((0.0, 0.0),)
        self.what = what
        self._layers = []  # (weight offset, out, in, bias offset) per nn.Linear, in flat_params order
        o = 0
        for lin in net.linears:
            out_f, in_f = lin.weight.shape
            self._layers.append((o, out_f, in_f, o + out_f * in_f))
            o += out_f * in_f + out_f
        self.loss_at_solution = float(self._losses(self.theta[None])[0])
        self.lr_presets = self._presets(span)

    def _losses(self, thetas: torch.Tensor) -> torch.Tensor:
        """Mean BCE (G,) of the network with each weight vector thetas (G, P) on the N training points."""
        g = len(thetas)
        h = self.x.expand(g, -1, -1)  # (G, N, 2)
        for i, (o, out_f, in_f, ob) in enumerate(self._layers):
            w = thetas[:, o:o + out_f * in_f].reshape(g, out_f, in_f)
            h = torch.baddbmm(thetas[:, None, ob:ob + out_f], h, w.transpose(1, 2))  # (G, N, out)
            if i < len(self.net.acts):
                h = self.net.acts[i](h)
        logits = h[..., 0]  # (G, N)
        return F.binary_cross_entropy_with_logits(logits, self.y.expand_as(logits), reduction="none").mean(1)

    def _presets(self, span: float) -> dict[str, tuple[float, float]]:
        """Learning rates from the slice's curvature at the trained weights: SGD is stable below 2/λ."""
        hess = torch.autograd.functional.hessian(lambda ab: self._losses(self.point(ab[0], ab[1])[None])[0],
                                                 torch.zeros(2))
        lam = float(torch.linalg.eigvalsh(0.5 * (hess + hess.T)).abs().max().clamp_min(1e-6))

        def fit(v: float) -> float:
            return float(f"{min(max(v, LR_RANGE[0]), LR_RANGE[1]):.2g}")

        return {"small": (fit(0.05 / lam), fit(0.002 * span)), "good": (fit(1.0 / lam), fit(0.02 * span)),
                "oscillating": (fit(1.9 / lam), fit(0.2 * span)), "diverging": (fit(4.0 / lam), fit(2.0 * span))}

    def point(self, x, y) -> torch.Tensor:
        """The network's weights (flat) at plane point (x, y)."""
        return self.theta + x * self.d1 + y * self.d2

    def torch_value(self, w: torch.Tensor) -> torch.Tensor:
        flat = w.reshape(-1, 2).to(torch.float32)
        thetas = self.theta + flat[:, :1] * self.d1 + flat[:, 1:] * self.d2  # (G, P)
        return torch.cat([self._losses(chunk) for chunk in thetas.split(512)]).reshape(w.shape[:-1])

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        ab = torch.tensor([x, y], dtype=torch.float32, requires_grad=True)
        with torch.enable_grad():
            loss = self._losses(self.point(ab[0], ab[1])[None])[0]
            (g,) = torch.autograd.grad(loss, ab)
        gx, gy = g.tolist()
        return float(loss.detach()), gx, gy


@dataclass
class TrainedToy:
    """A small 2-input network trained on toy data: the solution a slice goes through."""

    net: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    loss: float
    accuracy: float
    names: list[str] = field(default_factory=list)


def train_toy(dataset: str = "moons", hidden: Sequence[int] = (8,), activation: str = "tanh", epochs: int = 300,
              lr: float = 0.05, seed: int = 0) -> TrainedToy:
    """A ToyNet trained full-batch with Adam on `dataset`'s training points (a fraction of a second)."""
    from fmnist_core.toy.data import make_dataset
    from fmnist_core.toy.net import ToyNet, train_reference

    data = make_dataset(dataset, n=200, noise=0.15, seed=seed)
    net = ToyNet(hidden, activation, seed=seed)
    train_reference(net, data.x_train, data.y_train, epochs, "adam", lr, seed=seed)
    with torch.no_grad():
        logits = net(data.x_train)
        loss = float(F.binary_cross_entropy_with_logits(logits, data.y_train))
        acc = float(((logits > 0).float() == data.y_train).float().mean())
    return TrainedToy(net, data.x_train, data.y_train, loss, acc, param_names(net))


def network_slice(toy: TrainedToy, directions: str = "random", seed: int = 0, i: int = 0, j: int = 1,
                  span: float | None = None) -> NetworkSlice:
    """The loss through the trained weights along two random filter-normalized directions
    (`directions="random"`, span in units of the weights' own norms, 1 by default) or along weights
    i and j (`directions="weights"`, span in weight units, 4 by default)."""
    n = len(toy.names)
    if directions == "random":
        d1 = filter_normalized_direction(toy.net, seed)
        d2 = filter_normalized_direction(toy.net, seed + 1000)
        what = f"two random filter-normalized directions (seed {seed})"
    elif directions == "weights":
        if not (0 <= i < n and 0 <= j < n) or i == j:
            raise ValueError(f"choose two different weights between 0 and {n - 1}")
        d1, d2 = torch.zeros(n), torch.zeros(n)
        d1[i], d2[j] = 1.0, 1.0
        what = f"{toy.names[i]} (x) and {toy.names[j]} (y)"
    else:
        raise ValueError(f"directions must be 'random' or 'weights', got {directions!r}")
    span = span if span is not None else (1.0 if directions == "random" else 4.0)
    return NetworkSlice(toy.net, toy.x, toy.y, d1, d2, span, what)
