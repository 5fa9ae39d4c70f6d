"""Weight initializers, applied to any model of the project.

`apply_init(model, name, seed, **params)` re-draws every Linear/Conv weight (biases to 0);
`noise=` adds a tiny N(0, noise^2) on top, the symmetry breaker for zeros and constant.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

# name -> label; "default" keeps PyTorch's own initialization.
INITS = {
    "default": "PyTorch default (Kaiming-uniform, a=sqrt(5))",
    "zeros": "All zeros",
    "constant": "Constant c",
    "uniform": "Uniform U(-a, a)",
    "normal": "Normal N(0, σ²), σ chosen",
    "standard_normal": "Standard normal N(0, 1)",
    "xavier_normal": "Xavier/Glorot normal",
    "xavier_uniform": "Xavier/Glorot uniform",
    "he_normal": "He/Kaiming normal",
    "he_uniform": "He/Kaiming uniform",
    "lecun": "LeCun normal",
}

FORMULAS = {  # LaTeX, n_in/n_out = fan-in/fan-out of the layer
    "default": r"w \sim U\left(-\tfrac{1}{\sqrt{n_{in}}}, \tfrac{1}{\sqrt{n_{in}}}\right)",
    "zeros": r"w = 0",
    "constant": r"w = c",
    "uniform": r"w \sim U(-a, a)",
    "normal": r"w \sim \mathcal{N}(0, \sigma^2)",
    "standard_normal": r"w \sim \mathcal{N}(0, 1)",
    "xavier_normal": r"w \sim \mathcal{N}\left(0, g^2\tfrac{2}{n_{in}+n_{out}}\right)",
    "xavier_uniform": r"w \sim U\left(-g\sqrt{\tfrac{6}{n_{in}+n_{out}}}, g\sqrt{\tfrac{6}{n_{in}+n_{out}}}\right)",
    "he_normal": r"w \sim \mathcal{N}\left(0, \tfrac{2}{n_{in}}\right)",
    "he_uniform": r"w \sim U\left(-\sqrt{\tfrac{6}{n_{in}}}, \sqrt{\tfrac{6}{n_{in}}}\right)",
    "lecun": r"w \sim \mathcal{N}\left(0, \tfrac{1}{n_{in}}\right)",
}


@dataclass(frozen=True)
class InitParam:
    """A parameter of an initializer with its slider range."""

    name: str
    default: float
    low: float
    high: float
    log: bool = False  # a log-scale slider


INIT_PARAMS: dict[str, tuple[InitParam, ...]] = {
    "constant": (InitParam("value", 0.1, -1.0, 1.0),),
    "uniform": (InitParam("a", 0.05, 1e-3, 10.0, log=True),),
    "normal": (InitParam("std", 0.01, 1e-3, 10.0, log=True),),  # 0.01: the classic "small random numbers"
    # Glorot's derivation assumes an activation that is linear near 0; PyTorch scales by a gain
    # (5/3 for tanh) to make up for the squashing. 1 is the paper's.
    "xavier_normal": (InitParam("gain", 1.0, 0.1, 5.0),),
    "xavier_uniform": (InitParam("gain", 1.0, 0.1, 5.0),),
}
NOISE_RANGE = (0.0, 0.1)  # symmetry-breaking noise std; 1e-3 is enough to part the units


def _check(name: str) -> None:
    if name not in INITS:
        raise ValueError(f"unknown initializer {name!r}; choose from {', '.join(INITS)}")


def resolve_params(name: str, **params: float) -> dict[str, float]:
    """The initializer's own parameters (defaults filled in, others dropped), validated."""
    _check(name)
    out = {}
    for p in INIT_PARAMS.get(name, ()):
        v = float(params.get(p.name, p.default))
        if not math.isfinite(v) or not (p.low <= v <= p.high):
            raise ValueError(f"{name}: {p.name}={v!r} is outside {p.low:g}..{p.high:g}")
        out[p.name] = v
    return out


def weight_std(name: str, fan_in: int, fan_out: int, **params: float) -> float:
    """Standard deviation of the weights that initializer `name` draws for a layer."""
    p = resolve_params(name, **params)
    if name in ("zeros", "constant"):
        return 0.0
    if name == "default":
        return 1.0 / math.sqrt(3 * fan_in)  # U(-b, b) has std b/sqrt(3), b = 1/sqrt(fan_in)
    if name == "uniform":
        return p["a"] / math.sqrt(3)
    if name == "normal":
        return p["std"]
    if name == "standard_normal":
        return 1.0
    if name in ("xavier_normal", "xavier_uniform"):
        return p["gain"] * math.sqrt(2.0 / (fan_in + fan_out))
    if name in ("he_normal", "he_uniform"):
        return math.sqrt(2.0 / fan_in)
    return math.sqrt(1.0 / fan_in)  # lecun


def _draw(shape: torch.Size, name: str, fan_in: int, fan_out: int, gen: torch.Generator | None,
          p: dict[str, float]) -> torch.Tensor:
    if name == "zeros":
        return torch.zeros(shape)
    if name == "constant":
        return torch.full(shape, p["value"])
    std = weight_std(name, fan_in, fan_out, **p)
    if name in ("uniform", "xavier_uniform", "he_uniform"):
        bound = std * math.sqrt(3)
        return (torch.rand(shape, generator=gen) * 2 - 1) * bound
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
