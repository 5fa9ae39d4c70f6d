"""One frame of a toy network's training, as numbers: what the live view shows at one epoch (the
boundary, the first layer's lines, the encoding of the training points, the metrics, the weights'
histogram). Frames are computed ahead on the server and played in the browser at display rate.

A frame at 64x64 grid points costs ~2-4 ms for the nets of this page (one CPU thread).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from fmnist_core.toy.features import all_linear, plane_weights
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.plane import grid_probabilities, pca_2d, unit_lines
from fmnist_core.toy.data import ToyData

FRAME_RES = 64  # P(red) at 64x64 places: 4 KB a frame, drawn smoothly scaled in the browser
MAX_ENCODED = 300  # training points shown in the encoding panel (the first ones: the data are shuffled)
HIST_BINS = 41  # odd: one bin is centred on 0


def nice_ceil(v: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above v (a histogram range that changes rarely)."""
    if not (v > 0 and math.isfinite(v)):
        return 1.0
    p = 10 ** math.floor(math.log10(v))
    return next(m * p for m in (1, 2, 5, 10) if m * p >= v * (1 - 1e-9))


def model_weights(net: PackedMLP, k: int = 0) -> list[torch.Tensor]:
    """Model k's weight matrices, input layer first (no biases)."""
    return [net.layer(k, l)[0] for l in range(net.L + 1)]


def weight_histogram(weights, bins: int = HIST_BINS) -> dict:
    """Counts of the weights in `bins` equal bins over [-R, R] (R a nice bound of max |w|), and how many
    are exactly 0 (what L1's proximal step produces)."""
    flat = torch.cat([w.reshape(-1) for w in weights]).double().cpu().numpy()
    r = nice_ceil(float(np.abs(flat).max()) if flat.size else 1.0)
    counts, _ = np.histogram(np.clip(flat, -r, r), bins=bins, range=(-r, r))
    return {"counts": counts.astype(int).tolist(), "range": r, "zeros": int((flat == 0).sum()), "n": int(flat.size)}


def _metrics(net: PackedMLP, data: ToyData) -> list[float]:
    out = []
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        if len(x) == 0:
            out += [math.nan, math.nan]
            continue
        loss, acc = net.evaluate(x, y)
        out += [float(loss[0]), float(acc[0])]
    return out  # train loss, train acc, test loss, test acc


def encoding(net: PackedMLP, x: torch.Tensor, y: torch.Tensor) -> dict:
    """The training points at the last hidden layer's outputs, as the panel draws them: a strip (1 unit),
    the plane (a1, a2) with the output unit's line (2 units), or the two main directions (3 or more)."""
    if len(x) == 0:
        return {"kind": "plane", "points": np.zeros((0, 2), np.float32), "out": None, "share": None}
    enc = net.hidden_outputs(x)[-1].double().cpu().numpy()
    v, c = net.layer(0, net.L)
    v, c = v.double().cpu().numpy().reshape(-1), float(c)
    h = enc.shape[1]
    if h <= 2:
        pts = enc if h == 2 else np.hstack([enc, np.zeros_like(enc)])
        return {"kind": "plane" if h == 2 else "strip", "points": pts.astype(np.float32),
                "out": [*map(float, v), c], "share": None}
    proj, share = pca_2d(enc)
    # A direction's sign is arbitrary; fix it (red points on its positive side) so frames do not flip.
    yy = np.asarray(y.cpu(), dtype=float)
    both = bool((yy == 1).any() and (yy == 0).any())
    for j in range(2):
        flip = proj[yy == 1, j].mean() < proj[yy == 0, j].mean() if both else proj[:, j].sum() < 0
        if flip:
            proj[:, j] *= -1
    return {"kind": "pca", "points": proj.astype(np.float32), "out": None, "share": [float(s) for s in share]}


def compute_frame(net: PackedMLP, data: ToyData, epoch: int, res: int = FRAME_RES,
                  max_encoded: int = MAX_ENCODED) -> dict:
    """What the live view shows at `epoch` for model 0 of `net` (numbers and numpy arrays)."""
    prob = grid_probabilities(net, data.extent, res)[0]  # (res, res), row i at x2 = xs[i]
    lines = None
    if all_linear(net.features):
        W, b = net.layer(0, 0)
        lines = unit_lines(plane_weights(W.cpu().numpy(), net.features), b.cpu().numpy(), data.extent,
                           arrow=(0.2 if W.shape[1] <= 8 else 0.1) * data.extent)
    n = min(len(data.x_train), max_encoded)
    return {"epoch": int(epoch), "metrics": _metrics(net, data), "prob": prob,
            "lines": lines, "encoding": encoding(net, data.x_train[:n], data.y_train[:n]),
            "hist": weight_histogram(model_weights(net))}
