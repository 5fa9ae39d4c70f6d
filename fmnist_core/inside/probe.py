"""How separable each layer is: a linear classifier (logistic regression) on each layer's activations.

A probe learns from `n_train` training images' activations and is scored on the test images; the
curve from raw pixels to the last hidden layer measures "each layer makes the classes easier to
separate". Conv block outputs are averaged down to 7x7 per channel (conv block 1: 32x28x28 = 25,088
numbers per image would make each probe minutes long; 7x7 keeps where things are).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.inside.layers import batches, model_layers

PROBE_TRAIN = 10_000  # training images each probe learns from
PROBE_C = 0.05  # inverse L2 strength on standardized inputs: 784 pixels x 10k images overfit at C=1
PROBE_ITER = 100  # lbfgs steps; the probes change by <0.5 points past this
POOL = 7  # conv maps are average-pooled to POOL x POOL per channel


@dataclass
class ProbeResult:
    key: str  # "pixels" or a layer key
    label: str
    dims: int
    train_accuracy: float
    test_accuracy: float
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def pixel_features(images: torch.Tensor) -> np.ndarray:
    """Float32 (N, 784) in 0..1 from uint8 (N, 28, 28)."""
    return (images.cpu().reshape(len(images), -1).float() / 255).numpy()


def reduce(out: torch.Tensor) -> torch.Tensor:
    """(N, D) probe input from a layer's output: dense as is, conv average-pooled to POOL x POOL."""
    if out.ndim == 4 and out.shape[-1] > POOL:
        out = F.adaptive_avg_pool2d(out, POOL)
    return out.flatten(1)


@torch.inference_mode()
def layer_features(model: nn.Module, images: torch.Tensor, norm: tuple[float, float],
                   batch: int = 250) -> dict[str, np.ndarray]:
    """{"pixels": (N, 784), layer key: (N, D)} float32 for uint8 images (N, 28, 28)."""
    parts: dict[str, list[torch.Tensor]] = {}
    for got in batches(model, images, norm, batch):
        for k, v in got.items():
            parts.setdefault(k, []).append(reduce(v))
    out = {"pixels": pixel_features(images)}
    out.update({k: torch.cat(v).numpy() for k, v in parts.items()})
    return out


def make_probe(C: float = PROBE_C, max_iter: int = PROBE_ITER):
    """The probe: standardize each input, then multinomial logistic regression (lbfgs)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter, tol=1e-3))


def fit_probe(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
              C: float = PROBE_C, max_iter: int = PROBE_ITER) -> tuple[float, float]:
    """(train accuracy, test accuracy) of a probe fitted on (x_train, y_train)."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    probe = make_probe(C, max_iter)
    # One BLAS thread: two collapse on a loaded 2-core machine, as torch's do (see NOTES.md).
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(x_train, y_train)
        return float(probe.score(x_train, y_train)), float(probe.score(x_test, y_test))


def probe_layers(model: nn.Module, train_images: torch.Tensor, train_labels: torch.Tensor,
                 test_images: torch.Tensor, test_labels: torch.Tensor, norm: tuple[float, float],
                 n_train: int = PROBE_TRAIN, on_layer: Callable[[int, int, ProbeResult | None], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> list[ProbeResult]:
    """One probe per layer, raw pixels first. `on_layer(done, total, result)` after each (and once with
    (0, total, None) when the activations are ready); `should_stop()` is checked between probes."""
    labels = {"pixels": "raw pixels"} | {lay.key: lay.label for lay in model_layers(model)}
    xtr = layer_features(model, train_images[:n_train], norm)
    xte = layer_features(model, test_images, norm)
    ytr, yte = train_labels[:n_train].cpu().numpy(), test_labels.cpu().numpy()
    total = len(labels)
    if on_layer:
        on_layer(0, total, None)
    out = []
    for i, key in enumerate(labels):
        if should_stop and should_stop():
            break
        t0 = time.perf_counter()
        tr, te = fit_probe(xtr[key], ytr, xte[key], yte)
        out.append(ProbeResult(key, labels[key], int(xtr[key].shape[1]), tr, te, time.perf_counter() - t0))
        if on_layer:
            on_layer(i + 1, total, out[-1])
    return out


def save_results(path, results: list[ProbeResult]) -> None:
    import json

    from fmnist_core.engine.atomic import write_bytes_atomic

    try:
        write_bytes_atomic(path, json.dumps([r.to_dict() for r in results]).encode())
    except OSError:
        pass


def load_results(path) -> list[ProbeResult] | None:
    import json

    try:
        return [ProbeResult(**row) for row in json.loads(open(path, encoding="utf-8").read())]
    except (OSError, ValueError, TypeError):
        return None


def cache_name(n_train: int = PROBE_TRAIN) -> str:
    return f"probe-n{n_train}-C{PROBE_C:g}-it{PROBE_ITER}-pool{POOL}.json"
