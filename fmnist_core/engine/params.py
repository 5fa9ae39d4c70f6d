"""One parameter type for every registry: an activation's shape, an initializer's scale, an
optimizer's hyperparameters. A page builds its slider from the entry, never retypes a range."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np


@dataclass(frozen=True)
class Param:
    """A number with its slider range, as a menu, a URL and the math all need it."""

    name: str
    default: float
    low: float
    high: float
    log: bool = False  # a log-scale slider
    trainable: bool = False  # activations: learned per unit during training
    help: str = ""
    symbol: str = ""  # LaTeX, e.g. r"\alpha"
    label: str = ""  # the slider's text; the name when empty

    @property
    def title(self) -> str:
        return self.label or self.name

    def check(self, value: float, owner: str = "") -> float:
        """`value` as a float, or ValueError naming the range."""
        v = float(value)
        if not math.isfinite(v) or not (self.low <= v <= self.high):
            where = f"{owner}: " if owner else ""
            raise ValueError(f"{where}{self.name}={value!r} is outside {self.low:g}..{self.high:g}")
        return v

    def clamp(self, value: float) -> float:
        v = float(value)
        return self.default if not math.isfinite(v) else min(max(v, self.low), self.high)


def resolve(params: Iterable[Param], given: Mapping[str, float] | None = None, owner: str = "") -> dict[str, float]:
    """The entry's own parameters, defaults filled in, others dropped, each checked against its range."""
    given = given or {}
    return {p.name: p.check(given.get(p.name, p.default), owner) for p in params}


def defaults(params: Iterable[Param]) -> dict[str, float]:
    return {p.name: p.default for p in params}


def log_options(p: Param, per_decade: int) -> list[float]:
    """A log-scale slider's steps over `p`'s range: `per_decade` a decade, on 2 significant digits."""
    n = round(per_decade * np.log10(p.high / p.low)) + 1
    return [float(f"{v:.2g}") for v in np.logspace(np.log10(p.low), np.log10(p.high), n)]


def nearest(value: float, options: Iterable[float]) -> float:
    """The option closest to `value`: on a log scale where both are positive (a link's value onto a slider)."""
    return min(options, key=lambda o: abs(np.log(o) - np.log(value)) if o > 0 and value > 0 else abs(o - value))
