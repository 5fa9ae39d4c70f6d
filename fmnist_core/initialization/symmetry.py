"""Symmetry: units of a layer that start alike get the same gradient and stay alike. Measured as the
distance between the units' incoming weight vectors, at initialization and over a short training run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fmnist_core.engine.loop import Loop
from fmnist_core.engine.optim import make_optimizer
from fmnist_core.initialization.data import DiagData, start_loss, train_step
from fmnist_core.initialization.stats import build_deep_mlp, hidden_layers, linear_layers
from fmnist_core.nn.weight_init import apply_init


@torch.no_grad()
def _distances(weight: torch.Tensor) -> torch.Tensor:
    w = weight.detach().float().flatten(1)
    sq = w.pow(2).sum(1)
    d = (sq[:, None] + sq[None, :] - 2 * w @ w.T).clamp_min(0).sqrt()
    _, group = torch.unique(w, dim=0, return_inverse=True)
    return d.masked_fill(group[:, None] == group[None, :], 0.0)


def unit_distances(weight: torch.Tensor) -> np.ndarray:
    """(units, units) Euclidean distances between the units' incoming weight vectors (rows).

    Units with bit-identical weights get exactly 0 (the fast matrix-product formula alone would
    leave rounding noise of ~1e-3 there).
    """
    return _distances(weight).cpu().numpy()


def symmetry(model: nn.Module) -> np.ndarray:
    """(L,) mean distance between two units' weight vectors in each hidden layer; 0: all identical."""
    out = []
    for lin, _ in hidden_layers(model):
        n = lin.weight.shape[0]
        out.append(_distances(lin.weight).sum().item() / (n * (n - 1)) if n > 1 else 0.0)
    return np.array(out)


@dataclass
class SymmetryRun:
    """A short training run watched for symmetry: does every unit of a layer stay the same?"""

    steps: np.ndarray  # (T,)
    symmetry: np.ndarray  # (T, L) mean distance between units' weight vectors, per hidden layer
    loss: np.ndarray  # (T,)
    first_weights: np.ndarray  # (units shown, in_features) first-layer weights after training
    distances: np.ndarray  # (units shown, units shown) distances between those units after training
    identical: list[bool]  # per hidden layer: all units bit-identical after training
    status: str = "finished"  # finished | diverged (the curves end at the last finite loss)
    message: str = ""


def symmetry_run(data: DiagData, depth: int, width: int, activation: str, init: str, steps: int = 100,
                 every: int = 5, seed: int = 0, lr: float = 1e-3, batch_size: int = 128, show: int = 8,
                 **params: float) -> SymmetryRun:
    """Train with Adam for `steps` steps, measuring the symmetry every `every` steps."""
    torch.manual_seed(seed)
    model = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(data.y_train.device)
    apply_init(model, init, seed=seed, **params)
    opt = make_optimizer("adam", model.parameters(), lr)
    gen = torch.Generator().manual_seed(seed)
    loop = Loop(steps)
    loop.event("progress", symmetry=symmetry(model), loss=start_loss(model, data, seed))
    for _ in loop.steps():
        loss = train_step(model, opt, data, batch_size, gen, loop)
        if loss is None:  # diverged: the weights are the last finite ones
            break
        if loop.step % every == 0 or loop.step == steps:
            loop.event("progress", symmetry=symmetry(model), loss=loss.item())
    w = linear_layers(model)[0].weight.detach()
    k = min(show, len(w))
    h = loop.history
    return SymmetryRun(
        steps=np.array([e["step"] for e in h]), symmetry=np.stack([e["symmetry"] for e in h]),
        loss=np.array([e["loss"] for e in h]),
        first_weights=w[:k].cpu().numpy(), distances=unit_distances(w[: max(k, min(32, len(w)))]),
        identical=[bool((lin.weight == lin.weight[0]).all()) for lin, _ in hidden_layers(model)],
        status="diverged" if loop.status == "diverged" else "finished", message=loop.message,
    )
