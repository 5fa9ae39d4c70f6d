"""The plane a 2-input network draws on: the grid of points it is evaluated at, each first-layer unit's
line, and the analysis of the hidden layers' encoding (does one line separate it? its main directions).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from fmnist_core.toy.packed import PackedMLP

GRID_RES = 200


def plane_grid(extent: float, res: int = GRID_RES, device: torch.device | str = "cpu") -> torch.Tensor:
    """Points (res*res, 2) of the square [-extent, extent]^2, row-major with x1 varying fastest,
    so `values.view(res, res)[i, j]` sits at (x1 = xs[j], x2 = xs[i]). Shared: do not modify."""
    return _plane_grid(float(extent), int(res), str(torch.device(device)))


@functools.lru_cache(maxsize=16)
def _plane_grid(extent: float, res: int, device: str) -> torch.Tensor:
    # Cached: building the 40,000 points costs as much as evaluating a small net on them.
    g = torch.linspace(-extent, extent, res, device=device)
    x2, x1 = torch.meshgrid(g, g, indexing="ij")
    return torch.stack([x1.reshape(-1), x2.reshape(-1)], 1)


def grid_probabilities(net: PackedMLP, extent: float, res: int = GRID_RES) -> np.ndarray:
    """P(red) of each model over the plane, (K, res, res) float32."""
    p = net.probabilities(plane_grid(extent, res, net.device))  # (res*res, K)
    return p.t().reshape(net.K, res, res).float().cpu().numpy()


def unit_maps(net: PackedMLP, extent: float, res: int = 40, k: int = 0) -> list[np.ndarray]:
    """Each hidden unit's output over the plane, per layer: [(h_l, res, res)] (the neuron thumbnails)."""
    outs = net.hidden_outputs(plane_grid(extent, res, net.device), k)
    return [o.t().reshape(-1, res, res).float().cpu().numpy() for o in outs]


@dataclass(frozen=True)
class UnitLine:
    """Where a first-layer unit's pre-activation w1*x1 + w2*x2 + b is 0, inside the shown square."""

    unit: int
    start: tuple[float, float]
    end: tuple[float, float]
    base: tuple[float, float]  # the arrow starts on the line (the visible segment's middle) ...
    tip: tuple[float, float]  # ... and points along (w1, w2), to where the pre-activation is positive


def unit_lines(W, b, extent: float, arrow: float | None = None) -> list[UnitLine | None]:
    """One `UnitLine` per unit of a first layer W (2, h), b (h,); None when its line misses the square."""
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    arrow = 0.2 * extent if arrow is None else arrow
    out: list[UnitLine | None] = []
    for j in range(W.shape[1]):
        w = W[:, j]
        norm = float(np.hypot(*w))
        if norm < 1e-12:
            out.append(None)
            continue
        n = w / norm
        p0 = -b[j] * n / norm  # the line's point nearest the origin
        d = np.array([-n[1], n[0]])  # along the line
        lo, hi = -np.inf, np.inf  # Liang-Barsky: the t with |p0 + t d| <= extent per coordinate
        for c in range(2):
            if abs(d[c]) < 1e-12:
                if abs(p0[c]) > extent:
                    lo, hi = 1.0, 0.0
                continue
            t1, t2 = sorted(((-extent - p0[c]) / d[c], (extent - p0[c]) / d[c]))
            lo, hi = max(lo, t1), min(hi, t2)
        if hi - lo <= 1e-9:
            out.append(None)
            continue
        s, e = p0 + lo * d, p0 + hi * d
        mid = (s + e) / 2
        tip = mid + arrow * n
        out.append(UnitLine(j, tuple(map(float, s)), tuple(map(float, e)), tuple(map(float, mid)),
                            tuple(map(float, tip))))
    return out


def linear_accuracy(features, y, ridge: float = 1e-8, iters: int = 30) -> float:
    """How well one straight line (hyperplane) separates the points: the training accuracy of a
    logistic regression on `features` (N, d) with labels (N,), fitted by Newton's method with a tiny
    ridge (so it stays finite on separable data)."""
    f = np.asarray(features.detach().cpu() if hasattr(features, "detach") else features, dtype=np.float64)
    f = f.reshape(len(f), -1)
    yy = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y, dtype=np.float64).reshape(-1)
    if len(np.unique(yy)) < 2:
        return 1.0
    scale = f.std(0)
    f = (f - f.mean(0)) / np.where(scale > 1e-12, scale, 1.0)
    X = np.hstack([f, np.ones((len(f), 1))])
    w = np.zeros(X.shape[1])
    reg = np.full(X.shape[1], ridge * len(X))
    reg[-1] = 0.0

    def loss(w):
        z = X @ w
        return float(np.sum(np.logaddexp(0, z) - yy * z) + 0.5 * np.sum(reg * w * w))

    cur = loss(w)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -30, 30)))
        grad = X.T @ (p - yy) + reg * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4 and loss(w - t * step) > cur:  # backtracking keeps each step a descent
            t /= 2
        w_new = w - t * step
        new = loss(w_new)
        w, done = w_new, cur - new < 1e-10 * max(1.0, abs(cur))
        cur = new
        if done:
            break
    return float(np.mean(((X @ w) > 0) == (yy > 0.5)))


def pca_2d(features) -> tuple[np.ndarray, np.ndarray]:
    """(projection (N, 2) on the two main directions, share of variance each explains (2,)).

    From the eigenvectors of the small (d, d) covariance, in torch: numpy's multi-threaded SVD of the
    (N, d) matrix took ~100 ms on a busy 2-core machine, and the live view computes one per frame."""
    f = torch.as_tensor(np.asarray(features, dtype=np.float64))
    f = f - f.mean(0)
    evals, evecs = torch.linalg.eigh(f.T @ f)  # ascending
    evals, evecs = evals.flip(0).clamp(min=0), evecs.flip(1)
    total = float(evals.sum())
    share = (evals[:2] / total).numpy() if total > 0 else np.zeros(min(2, len(evals)))
    proj = (f @ evecs[:, :2]).numpy()
    if proj.shape[1] < 2:
        proj = np.pad(proj, ((0, 0), (0, 2 - proj.shape[1])))
        share = np.pad(share, (0, 2 - len(share)))
    return proj, share
