"""Activation registry: every activation a model of the project can use.

`ACTIVATIONS[name]` is an `ActivationSpec`; `make_activation(name, num_features, **params)` builds
an `nn.Module` that accepts (N, F) or (N, C, H, W) inputs (per-unit parameters live along dim 1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Param:
    """A shape parameter with its slider range."""

    name: str
    default: float
    low: float
    high: float
    trainable: bool = False
    help: str = ""


@dataclass(frozen=True)
class ActivationSpec:
    name: str
    label: str
    formula: str  # LaTeX
    output_range: str
    zero_centred: bool
    saturating: bool
    differentiable_everywhere: bool
    build: Callable[..., nn.Module]  # build(num_features, **params) -> module
    params: tuple[Param, ...] = field(default=())
    kind: str = "classic"  # classic | simple custom | trainable | custom backward
    learns_by_gradient: bool = True
    note: str = ""


class Lambda(nn.Module):
    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], name: str):
        super().__init__()
        self.fn, self.name = fn, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


def _fixed(fn, name):
    return lambda num_features=None, **_: Lambda(fn, name)


def _step(x: torch.Tensor) -> torch.Tensor:
    # Heaviside: its gradient is 0 everywhere (undefined at 0), so backprop carries no signal.
    return (x >= 0).to(x.dtype)


ACTIVATIONS: dict[str, ActivationSpec] = {
    "step": ActivationSpec("step", "Binary step", r"f(x)=\begin{cases}1 & x\ge 0\\0 & x<0\end{cases}",
                           "{0, 1}", False, True, False, _fixed(_step, "step"),
                           learns_by_gradient=False,
                           note="Its derivative is 0 everywhere except at 0, where it does not exist: "
                                "gradient descent receives no signal through it."),
    "linear": ActivationSpec("linear", "Linear (identity)", r"f(x)=x", "(-inf, inf)", True, False, True,
                             lambda num_features=None, **_: nn.Identity()),
    "sigmoid": ActivationSpec("sigmoid", "Sigmoid", r"f(x)=\frac{1}{1+e^{-x}}", "(0, 1)", False, True, True,
                              _fixed(torch.sigmoid, "sigmoid")),
    "tanh": ActivationSpec("tanh", "Tanh", r"f(x)=\tanh(x)=\frac{e^{x}-e^{-x}}{e^{x}+e^{-x}}", "(-1, 1)",
                           True, True, True, _fixed(torch.tanh, "tanh")),
    "relu": ActivationSpec("relu", "ReLU", r"f(x)=\max(0, x)", "[0, inf)", False, False, False,
                           lambda num_features=None, **_: nn.ReLU()),
}


def make_activation(name: str, num_features: int | None = None, **params: float) -> nn.Module:
    """An activation module; unknown parameters are ignored, missing ones take their defaults."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
    spec = ACTIVATIONS[name]
    kwargs = {p.name: float(params.get(p.name, p.default)) for p in spec.params}
    return spec.build(num_features, **kwargs)
