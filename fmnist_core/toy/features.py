"""Feature inputs for the toy networks, as in TensorFlow Playground: a network may see x1^2, x1*x2 or
sin(x1) besides the plain coordinates. `FEATURES[name]` is a `FeatureSpec`; `featurize(x, names)` maps
points (N, 2) to the chosen features (N, len(names)), in the registry's order.

With the right features a linear model is enough: on circles, x1^2 + x2^2 is the squared radius, and
one line in (x1^2, x2^2) separates the inner disc from the outer ring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    label: str  # as the page shows it
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x1 (N,), x2 (N,)) -> (N,)
    linear: bool  # a plain coordinate: a first-layer unit still draws a straight line in the plane


FEATURES: dict[str, FeatureSpec] = {
    "x1": FeatureSpec("x1", "x₁", lambda a, b: a, True),
    "x2": FeatureSpec("x2", "x₂", lambda a, b: b, True),
    "x1sq": FeatureSpec("x1sq", "x₁²", lambda a, b: a * a, False),
    "x2sq": FeatureSpec("x2sq", "x₂²", lambda a, b: b * b, False),
    "x1x2": FeatureSpec("x1x2", "x₁x₂", lambda a, b: a * b, False),
    "sin1": FeatureSpec("sin1", "sin(x₁)", lambda a, b: torch.sin(a), False),
    "sin2": FeatureSpec("sin2", "sin(x₂)", lambda a, b: torch.sin(b), False),
}
PLAIN = ("x1", "x2")


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """The names in registry order, without repeats; ValueError for an unknown name or none at all."""
    names = tuple(names)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
    if not names:
        raise ValueError("choose at least one input feature")
    return tuple(n for n in FEATURES if n in names)


def featurize(x: torch.Tensor, names: Sequence[str] = PLAIN) -> torch.Tensor:
    """Features (N, len(names)) of points (N, 2), in the registry's order."""
    names = check_features(names)
    if names == PLAIN:
        return x
    a, b = x[:, 0], x[:, 1]
    return torch.stack([FEATURES[n].fn(a, b) for n in names], 1)


def all_linear(names: Sequence[str]) -> bool:
    """True when every feature is a plain coordinate (first-layer units are straight lines)."""
    return all(FEATURES[n].linear for n in names)


def plane_weights(W, names: Sequence[str]):
    """A first layer W (len(names), h) over plain coordinates as W (2, h) over (x1, x2), zero rows for a
    coordinate not used; only for `all_linear` names."""
    import numpy as np

    W = np.asarray(W, dtype=float)
    out = np.zeros((2, W.shape[1]))
    for row, n in enumerate(check_features(names)):
        out[PLAIN.index(n)] = W[row]
    return out
