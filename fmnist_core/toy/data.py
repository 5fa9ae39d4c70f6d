"""Toy 2D datasets for decision boundaries: two classes (0 blue, 1 red) of points in the plane.

`DATASETS[name]` is a `ToySpec`; `make_dataset(name, n, noise, test_fraction, seed)` draws `n` points
(half of each class), adds Gaussian noise of standard deviation `noise` to each coordinate and
splits them into train and test. Same arguments, same data: every draw comes from `seed`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import torch
from sklearn.datasets import make_blobs, make_circles, make_moons

from fmnist_core.engine import url_state as us

MAX_POINTS = 5000  # toy nets train on every point each epoch; more only slows the live view


@dataclass(frozen=True)
class ToySpec:
    name: str
    label: str
    make: Callable[[int, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]  # clean points
    extent: float  # the plane shown is [-extent, extent]^2
    description: str


@dataclass(frozen=True)
class ToyData:
    """Points (N, 2) float32 and labels (N,) float32 in {0, 1}, split into train and test."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    extent: float
    noise: float
    seed: int

    @property
    def x(self) -> torch.Tensor:
        return torch.cat([self.x_train, self.x_test])

    @property
    def y(self) -> torch.Tensor:
        return torch.cat([self.y_train, self.y_test])

    def to(self, device: torch.device | str) -> "ToyData":
        return ToyData(self.name, self.x_train.to(device), self.y_train.to(device), self.x_test.to(device),
                       self.y_test.to(device), self.extent, self.noise, self.seed)


def _halves(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2  # (class 0, class 1)


def _linear(n, rng, seed):
    # Uniform points on each side of the line x2 = 0.5 x1, kept 0.25 away from it: with no noise
    # a single neuron separates them with a margin.
    n0, n1 = _halves(n)
    out = []
    for count, side in ((n0, -1.0), (n1, 1.0)):
        pts = np.empty((0, 2))
        while len(pts) < count:
            cand = rng.uniform(-1.8, 1.8, size=(2 * count + 8, 2))
            dist = (cand[:, 1] - 0.5 * cand[:, 0]) / np.sqrt(1.25)
            pts = np.concatenate([pts, cand[side * dist > 0.25]])
        out.append(pts[:count])
    return np.concatenate(out), np.repeat([0.0, 1.0], (n0, n1))


def _xor(n, rng, seed):
    # The XOR truth table as four clouds at (+-1, +-1): red (1) where exactly one coordinate is
    # positive, blue (0) where both signs agree, as in the lecture.
    n0, n1 = _halves(n)
    c0 = np.array([[1.0, 1.0], [-1.0, -1.0]])[rng.integers(0, 2, n0)]
    c1 = np.array([[-1.0, 1.0], [1.0, -1.0]])[rng.integers(0, 2, n1)]
    return np.concatenate([c0, c1]), np.repeat([0.0, 1.0], (n0, n1))


def _circles(n, rng, seed):
    x, y = make_circles(n_samples=_halves(n), factor=0.5, random_state=seed)
    return x * 1.5, y.astype(float)  # outer ring 0, inner ring 1


def _moons(n, rng, seed):
    x, y = make_moons(n_samples=_halves(n), random_state=seed)
    return (x - [0.5, 0.25]) * 1.2, y.astype(float)


def _blobs(n, rng, seed):
    x, y = make_blobs(n_samples=list(_halves(n)), centers=[[-0.8, -0.8], [0.8, 0.8]],
                      cluster_std=0.3, random_state=seed)
    return x, y.astype(float)


def _spiral(n, rng, seed):
    # Two interleaved arms of 1.25 turns, radius 0.2..2: arms lie 0.8 apart, so noise 0.1 still
    # leaves room for a clean boundary and noise 0.4 makes them overlap.
    out = []
    for count, phase, in ((_halves(n)[0], 0.0), (_halves(n)[1], np.pi)):
        s = np.linspace(0.0, 1.0, count, endpoint=False) + 0.5 / max(count, 1)
        r = 0.2 + 1.8 * s
        t = 1.25 * 2 * np.pi * s + phase
        out.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
    n0, n1 = _halves(n)
    return np.concatenate(out), np.repeat([0.0, 1.0], (n0, n1))


DATASETS: dict[str, ToySpec] = {
    "xor": ToySpec("xor", "XOR", _xor, 2.0,
                   "Four clouds at the corners: red where exactly one coordinate is positive."),
    "linear": ToySpec("linear", "Linearly separable", _linear, 2.0,
                      "Two classes on either side of one straight line."),
    "circles": ToySpec("circles", "Circles", _circles, 2.0,
                       "A red disc inside a blue ring (scikit-learn's make_circles)."),
    "moons": ToySpec("moons", "Moons", _moons, 2.0,
                     "Two interleaved half-moons (scikit-learn's make_moons)."),
    "blobs": ToySpec("blobs", "Blobs", _blobs, 2.0,
                     "Two Gaussian clouds (scikit-learn's make_blobs); noise widens them."),
    "spiral": ToySpec("spiral", "Spiral", _spiral, 2.5,
                      "Two interleaved spiral arms: needs many hidden units."),
}


def make_dataset(name: str, n: int = 400, noise: float = 0.2, test_fraction: float = 0.5,
                 seed: int = 0) -> ToyData:
    """`n` points (half per class), shuffled and split; `test_fraction` of them go to the test set."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if not 4 <= n <= MAX_POINTS:
        raise ValueError(f"number of points must be between 4 and {MAX_POINTS}, got {n}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test fraction must be between 0 and 1 (exclusive), got {test_fraction}")
    if not (noise >= 0 and np.isfinite(noise)):
        raise ValueError(f"noise must be a non-negative number, got {noise}")
    spec = DATASETS[name]
    rng = np.random.default_rng(seed)
    x, y = spec.make(n, rng, seed)
    x = x + rng.normal(0.0, noise, x.shape)
    order = rng.permutation(n)
    x, y = x[order], y[order]
    n_test = min(max(1, round(n * test_fraction)), n - 1)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(y, dtype=torch.float32)
    return ToyData(name, xt[n_test:], yt[n_test:], xt[:n_test], yt[:n_test], spec.extent, float(noise), seed)


def url_fields(names: Iterable[str]) -> dict:
    """A toy set's link parameters (dataset, noise, points, test share, seed), the same on pages 2 and 3."""
    return {
        "dataset": us.Choice("xor", tuple(names)),
        "noise": us.Float(0.2, 0.0, 1.0),
        "points": us.Int(400, 20, 2000),
        "test": us.Float(0.5, 0.1, 0.9),
        "seed": us.Int(0, 0, 9999),
    }
