"""Weight initializers, applied to any model of the project.

`apply_init(model, name, seed, **params)` re-draws every Linear/Conv weight (biases to 0);
`noise=` adds a tiny N(0, noise^2) on top, the symmetry breaker for zeros and constant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from fmnist_core.engine.params import Param, resolve


@dataclass(frozen=True)
class InitSpec:
    """An initializer: label, formula, its parameters (with ranges) and how it draws a layer."""

    name: str
    label: str
    formula: str  # LaTeX; n_in/n_out = fan-in/fan-out of the layer
    std: Callable[[int, int, dict], float]  # std(fan_in, fan_out, params) of the weights drawn
    params: tuple[Param, ...] = ()
    uniform: bool = False  # drawn from U(-b, b), b = std * sqrt(3); else a normal
    fill: Callable[[dict], float] | None = None  # every weight set to fill(params) instead of drawn


# Glorot's derivation assumes an activation that is linear near 0; PyTorch scales by a gain (5/3 for
# tanh) to make up for the squashing. 1 is the paper's.
_GAIN = Param("gain", 1.0, 0.1, 5.0, label="gain g", symbol="g")


def _xavier(fi: int, fo: int, p: dict) -> float:
    return p["gain"] * math.sqrt(2.0 / (fi + fo))


INITS: dict[str, InitSpec] = {s.name: s for s in (
    # "default" keeps PyTorch's own initialization: U(-b, b), b = 1/sqrt(fan_in), std b/sqrt(3).
    InitSpec("default", "PyTorch default (Kaiming-uniform, a=sqrt(5))",
             r"w \sim U\left(-\tfrac{1}{\sqrt{n_{in}}}, \tfrac{1}{\sqrt{n_{in}}}\right)",
             lambda fi, fo, p: 1.0 / math.sqrt(3 * fi), uniform=True),
    InitSpec("zeros", "All zeros", r"w = 0", lambda fi, fo, p: 0.0, fill=lambda p: 0.0),
    InitSpec("constant", "Constant c", r"w = c", lambda fi, fo, p: 0.0,
             (Param("value", 0.1, -1.0, 1.0, label="value c", symbol="c"),), fill=lambda p: p["value"]),
    InitSpec("uniform", "Uniform U(-a, a)", r"w \sim U(-a, a)", lambda fi, fo, p: p["a"] / math.sqrt(3),
             (Param("a", 0.05, 1e-3, 10.0, log=True, label="a", symbol="a"),), uniform=True),
    # 0.01: the classic "small random numbers"
    InitSpec("normal", "Normal N(0, σ²), σ chosen", r"w \sim \mathcal{N}(0, \sigma^2)", lambda fi, fo, p: p["std"],
             (Param("std", 0.01, 1e-3, 10.0, log=True, label="σ", symbol=r"\sigma"),)),
    InitSpec("standard_normal", "Standard normal N(0, 1)", r"w \sim \mathcal{N}(0, 1)", lambda fi, fo, p: 1.0),
    InitSpec("xavier_normal", "Xavier/Glorot normal",
             r"w \sim \mathcal{N}\left(0, g^2\tfrac{2}{n_{in}+n_{out}}\right)", _xavier, (_GAIN,)),
    InitSpec("xavier_uniform", "Xavier/Glorot uniform",
             r"w \sim U\left(-g\sqrt{\tfrac{6}{n_{in}+n_{out}}}, g\sqrt{\tfrac{6}{n_{in}+n_{out}}}\right)",
             _xavier, (_GAIN,), uniform=True),
    InitSpec("he_normal", "He/Kaiming normal", r"w \sim \mathcal{N}\left(0, \tfrac{2}{n_{in}}\right)",
             lambda fi, fo, p: math.sqrt(2.0 / fi)),
    InitSpec("he_uniform", "He/Kaiming uniform",
             r"w \sim U\left(-\sqrt{\tfrac{6}{n_{in}}}, \sqrt{\tfrac{6}{n_{in}}}\right)",
             lambda fi, fo, p: math.sqrt(2.0 / fi), uniform=True),
    InitSpec("lecun", "LeCun normal", r"w \sim \mathcal{N}\left(0, \tfrac{1}{n_{in}}\right)",
             lambda fi, fo, p: math.sqrt(1.0 / fi)),
)}
SYMMETRIC = tuple(name for name, spec in INITS.items() if spec.fill is not None)  # every unit starts equal
NOISE = Param("noise", 0.0, 0.0, 0.1, label="symmetry-breaking noise σ")  # 1e-3 is enough to part the units


def _check(name: str) -> None:
    if name not in INITS:
        raise ValueError(f"unknown initializer {name!r}; choose from {', '.join(INITS)}")


def resolve_params(name: str, **params: float) -> dict[str, float]:
    """The initializer's own parameters (defaults filled in, others dropped), validated."""
    _check(name)
    return resolve(INITS[name].params, params, name)


def weight_std(name: str, fan_in: int, fan_out: int, **params: float) -> float:
    """Standard deviation of the weights that initializer `name` draws for a layer."""
    return INITS[name].std(fan_in, fan_out, resolve_params(name, **params))


def _draw(shape: torch.Size, name: str, fan_in: int, fan_out: int, gen: torch.Generator | None,
          p: dict[str, float]) -> torch.Tensor:
    spec = INITS[name]
    if spec.fill is not None:
        return torch.full(shape, float(spec.fill(p)))
    std = spec.std(fan_in, fan_out, p)
    if spec.uniform:
        return (torch.rand(shape, generator=gen) * 2 - 1) * std * math.sqrt(3)
    return torch.randn(shape, generator=gen) * std


@torch.no_grad()
def init_weight(w: torch.Tensor, name: str, gen: torch.Generator | None = None, noise: float = 0.0,
                **params: float) -> torch.Tensor:
    """Fill one weight tensor in place (fan-in/out as PyTorch counts them)."""
    p = resolve_params(name, **params)
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    if name != "default":
        w.copy_(_draw(w.shape, name, fan_in, fan_out, gen, p))
    if noise:
        w.add_(torch.randn(w.shape, generator=gen).to(w) * noise)
    return w


@torch.no_grad()
def apply_init(model: nn.Module, name: str = "default", seed: int | None = None, **params) -> nn.Module:
    """Re-initialize every Linear/Conv weight (biases to 0) with initializer `name`.

    Parameters of other initializers are ignored, so a page may always pass `std=...`;
    `noise=s` adds N(0, s^2) to every weight afterwards (breaks the symmetry of zeros/constant).
    """
    noise = float(params.pop("noise", 0.0) or 0.0)
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise={noise!r} must be a number >= 0")
    p = resolve_params(name, **params)
    if name == "default" and not noise:
        return model
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            init_weight(m.weight, name, gen, noise=noise, **p)
            if m.bias is not None and name != "default":
                m.bias.zero_()
    return model

