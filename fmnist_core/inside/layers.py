"""What each layer learns: per-layer activations of any project model (forward hooks), first-layer
weights as images, unit importance, top-activating test images and receptive-field patches.

Works on the project's model classes (models.MLP with any hidden sizes and activation, the CNNs
models.CNN = cnn_v1 and models.FastCNN = cnn_v2), whether bundled in assets/ or saved from the training
page. A "layer" here is a hidden layer's output after its activation: for the MLP each hidden layer, for
a CNN each conv block (before pooling, if any) and a fully connected hidden layer if it has one (cnn_v1).

Unit importance (for ordering) is first-order and cheap: a unit's mean |activation| on the test images
times the norm of its outgoing weights, i.e. how large a signal it sends on. It needs one pass over the
data; an ablation (drop in accuracy per unit) would need one pass per unit (~30 s for the CNN's 32
channels on a CPU) and orders the top units much the same.
"""
from __future__ import annotations

import copy
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fmnist_core.engine.atomic import write_atomic
from fmnist_core.fashion.dataset import normalize
from fmnist_core.nn.models import CNN, MLP, FastCNN

CNNS = (CNN, FastCNN)  # conv blocks in `.conv` (conv, BN, activation[, pool]), then `.head` and `.out`

TOP_K = 9  # top-activating images kept per unit: a 3x3 grid


@dataclass(frozen=True)
class Layer:
    key: str  # "hidden1", "conv1", "fc", ...
    label: str  # "hidden layer 1", "conv block 2", ...
    kind: str  # "dense" (N, units) | "conv" (N, channels, H, W)
    units: int
    module: nn.Module  # hooked: its output is this layer's activation
    outgoing: torch.Tensor  # weights leaving the layer, (out, units, ...) with units on dim 1


def is_convolutional(model: nn.Module) -> bool:
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def model_layers(model: nn.Module) -> list[Layer]:
    """The hidden layers of a project model, input side first."""
    if isinstance(model, MLP):
        linears = [i for i, m in enumerate(model.net) if isinstance(m, nn.Linear)]
        out = []
        for n, (i, j) in enumerate(zip(linears, linears[1:]), 1):
            w = model.net[i].weight
            out.append(Layer(f"hidden{n}", f"hidden layer {n}", "dense", w.shape[0], model.net[i + 1],
                             model.net[j].weight.detach()))
        return out
    if isinstance(model, CNNS):
        convs = [i for i, m in enumerate(model.conv) if isinstance(m, nn.Conv2d)]
        head = list(model.head)
        fc = next((m for m in head if isinstance(m, nn.Linear)), None)  # cnn_v1's dense hidden layer; cnn_v2: none
        after = fc if fc is not None else model.out  # the linear layer that reads the last conv block
        out = []
        for n, i in enumerate(convs, 1):
            c = model.conv[i].out_channels
            if n < len(convs):
                w_out = model.conv[convs[n]].weight.detach()  # (O, c, 3, 3)
            else:
                w_out = after.weight.detach().reshape(after.out_features, c, -1)  # (O, c, H*W)
            out.append(Layer(f"conv{n}", f"conv block {n}", "conv", c, model.conv[i + 2], w_out))
        if fc is not None:
            act = head[head.index(fc) + 1]
            out.append(Layer("fc", "fully connected layer", "dense", fc.out_features, act, model.out.weight.detach()))
        return out
    raise TypeError(f"not a project model: {type(model).__name__}")


@torch.inference_mode()
def capture(model: nn.Module, x: torch.Tensor, keys: list[str] | None = None) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """({layer key: its output}, logits) for normalized inputs x (N, 1, 28, 28), read with forward hooks."""
    model.eval()
    got: dict[str, torch.Tensor] = {}
    hooks = []
    for layer in model_layers(model):
        if keys is None or layer.key in keys:
            hooks.append(layer.module.register_forward_hook(
                lambda _m, _i, out, k=layer.key: got.__setitem__(k, out.detach().float())))
    try:
        logits = model(x)
    finally:
        for h in hooks:
            h.remove()
    return got, logits


def batches(model: nn.Module, images: torch.Tensor, norm: tuple[float, float], batch: int = 250):
    """Yield `capture(...)[0]` for each batch of uint8 images (N, 28, 28), in order.

    A conv model runs as a channels_last copy (the caller's model is shared between sessions):
    ~1.3x faster on a CPU, the same numbers. Batches of 250 fit the CPU's caches better than 500.
    """
    conv = is_convolutional(model)
    if conv:
        model = copy.deepcopy(model).to(memory_format=torch.channels_last)
    for i in range(0, len(images), batch):
        x = normalize(images[i:i + batch].cpu(), *norm)
        if conv:
            x = x.contiguous(memory_format=torch.channels_last)
        yield capture(model, x)[0]


def feature_maps(model: nn.Module, image: np.ndarray, norm: tuple[float, float]) -> dict[str, np.ndarray]:
    """{conv layer key: float (C, H, W)} for one uint8 (28, 28) image; empty for a model without convolutions."""
    keys = [lay.key for lay in model_layers(model) if lay.kind == "conv"]
    if not keys:
        return {}
    x = normalize(torch.as_tensor(np.asarray(image, np.uint8))[None], *norm)
    got, _ = capture(model, x, keys)
    return {k: got[k][0].numpy() for k in keys}


def first_layer_weights(model: nn.Module) -> np.ndarray:
    """The first layer's weights as images: MLP (units, 28, 28), CNN (channels, k, k)."""
    first = next(m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d)))
    w = first.weight.detach().float().cpu()
    if isinstance(first, nn.Linear):
        return w.reshape(-1, 28, 28).numpy()
    return w[:, 0].numpy()  # one input channel


@dataclass
class LayerStats:
    """One layer over a set of images: what each unit responds to most."""

    key: str
    mean_abs: np.ndarray  # (U,) mean |activation| (over images and, for conv, positions)
    importance: np.ndarray  # (U,) mean_abs x norm of outgoing weights
    top_idx: np.ndarray  # (U, k) image indices, highest activation first
    top_val: np.ndarray  # (U, k) their activation (for conv: the channel's maximum over positions)
    top_pos: np.ndarray | None = None  # (U, k, 2) row, column of that maximum in the feature map (conv)


def _unit_scores(out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(scores (N, U), flat position of each score (N, U) or None): a unit's activation, or a channel's maximum."""
    if out.ndim == 2:
        return out, None
    n, c = out.shape[:2]
    val, pos = out.reshape(n, c, -1).max(2)
    return val, pos


@torch.inference_mode()
def layer_stats(model: nn.Module, images: torch.Tensor, norm: tuple[float, float], k: int = TOP_K,
                batch: int = 250) -> dict[str, LayerStats]:
    """Per layer: mean |activation|, importance and the top-k images of each unit, in one pass over `images`
    (uint8 (N, 28, 28)). Only (N, U) scores are kept, never whole conv feature maps."""
    layers = model_layers(model)
    scores: dict[str, list] = {lay.key: [] for lay in layers}
    where: dict[str, list] = {lay.key: [] for lay in layers}
    sums = {lay.key: torch.zeros(lay.units, dtype=torch.float64) for lay in layers}
    widths: dict[str, int] = {}
    for got in batches(model, images, norm, batch):
        for lay in layers:
            out = got[lay.key]
            per_image = out.abs().flatten(2).mean(2) if out.ndim > 2 else out.abs()  # (B, U)
            sums[lay.key] += per_image.sum(0).double()
            s, p = _unit_scores(out)
            scores[lay.key].append(s)
            if p is not None:
                where[lay.key].append(p)
                widths[lay.key] = out.shape[-1]
    n = len(images)
    stats = {}
    for lay in layers:
        s = torch.cat(scores[lay.key])  # (N, U)
        val, idx = torch.topk(s, min(k, n), dim=0)  # (k, U)
        pos = None
        if where[lay.key]:
            flat = torch.gather(torch.cat(where[lay.key]), 0, idx)  # (k, U)
            w = widths[lay.key]
            pos = torch.stack([flat // w, flat % w], -1).transpose(0, 1).numpy()  # (U, k, 2)
        mean_abs = (sums[lay.key] / n).float()
        w_out = lay.outgoing.float()
        out_norm = w_out.transpose(0, 1).reshape(lay.units, -1).norm(dim=1)  # (U,)
        stats[lay.key] = LayerStats(lay.key, mean_abs.numpy(), (mean_abs * out_norm).numpy(),
                                    idx.T.numpy(), val.T.numpy(), pos)
    return stats


def receptive_fields(model: nn.Module) -> dict[str, tuple[int, int, int]]:
    """{conv layer key: (size, stride, start)}: feature-map position (r, c) sees input rows
    start + stride*r .. start + stride*r + size - 1 (and the same for columns)."""
    if not isinstance(model, CNNS):
        return {}
    size, jump, start = 1, 1, 0
    out, n = {}, 0
    for m in model.conv:
        if isinstance(m, nn.Conv2d):
            k, s, p = m.kernel_size[0], m.stride[0], m.padding[0]
            size, start, jump = size + (k - 1) * jump, start - p * jump, jump * s
            n += 1
            out[f"conv{n}"] = (size, jump, start)
        elif isinstance(m, nn.MaxPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            size, jump = size + (k - 1) * jump, jump * s
    return out


def crop_patches(images: torch.Tensor, idx: np.ndarray, pos: np.ndarray, rf: tuple[int, int, int]) -> np.ndarray:
    """uint8 (..., size, size): the input patch each (image, feature-map position) sees; outside the image is 0
    (the dataset's black background). idx (...), pos (..., 2)."""
    size, jump, start = rf
    pad = max(0, -start, size)
    padded = torch.nn.functional.pad(images.cpu(), (pad, pad, pad, pad))  # (N, 28 + 2 pad, ...)
    flat_idx, flat_pos = np.asarray(idx).reshape(-1), np.asarray(pos).reshape(-1, 2)
    out = np.zeros((len(flat_idx), size, size), np.uint8)
    for j, (i, (r, c)) in enumerate(zip(flat_idx, flat_pos)):
        r0, c0 = start + jump * int(r) + pad, start + jump * int(c) + pad
        out[j] = padded[int(i), r0:r0 + size, c0:c0 + size].numpy()
    return out.reshape(*np.asarray(idx).shape, size, size)


def ordered(importance: np.ndarray) -> np.ndarray:
    """Unit indices, most important first (ties in index order)."""
    return np.argsort(-np.asarray(importance), kind="stable")


def file_hash(path: str | Path) -> str:
    """SHA-256 of a checkpoint's bytes: the cache key of everything computed from it."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ModelSummary:
    """Everything the layers page shows about one model that takes a pass over the data, computed once."""

    stats: dict[str, LayerStats]
    seconds: float


def summarize(model: nn.Module, test_images: torch.Tensor, norm: tuple[float, float], k: int = TOP_K) -> ModelSummary:
    t0 = time.perf_counter()
    stats = layer_stats(model, test_images, norm, k)
    return ModelSummary(stats, time.perf_counter() - t0)


# --------------------------------------------------------------------------- on-disk cache


def cache_path(digest: str, what: str, directory: str | Path | None = None) -> Path:
    """<runs dir>/.cache/<first 16 hex of the checkpoint's hash>-<what>: shared by every session and restart."""
    from fmnist_core.fashion.runs import runs_dir

    return Path(directory or runs_dir()) / ".cache" / f"{digest[:16]}-{what}"




def save_stats(path: Path, stats: dict[str, LayerStats]) -> None:
    arrays = {}
    for key, s in stats.items():
        for name in ("mean_abs", "importance", "top_idx", "top_val", "top_pos"):
            v = getattr(s, name)
            if v is not None:
                arrays[f"{key}/{name}"] = v
    try:
        write_atomic(path, lambda f: np.savez(f, **arrays))
    except OSError:  # a read-only runs dir: the in-memory cache still works
        pass


def load_stats(path: Path) -> dict[str, LayerStats] | None:
    """The stats saved by save_stats, or None when absent or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            fields: dict[str, dict] = {}
            for name in z.files:
                key, field = name.split("/")
                fields.setdefault(key, {})[field] = z[name]
        return {k: LayerStats(k, f["mean_abs"], f["importance"], f["top_idx"], f["top_val"], f.get("top_pos"))
                for k, f in fields.items()}
    except (OSError, ValueError, KeyError):
        return None


def cached_summary(model: nn.Module, digest: str, test_images: torch.Tensor, norm: tuple[float, float],
                   directory: str | Path | None = None) -> ModelSummary:
    """summarize(), read from the on-disk cache when this checkpoint was summarized before (seconds = 0)."""
    path = cache_path(digest, f"stats-k{TOP_K}-n{len(test_images)}.npz", directory)
    stats = load_stats(path) if path.is_file() else None
    if stats is not None and set(stats) == {lay.key for lay in model_layers(model)}:
        return ModelSummary(stats, 0.0)
    summary = summarize(model, test_images, norm)
    save_stats(path, summary.stats)
    return summary


def purity(top_idx: np.ndarray, labels: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """((U,) share of each unit's top images that belong to its most common class, (U,) that class)."""
    y = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)[np.asarray(top_idx)]  # (U, k)
    counts = np.stack([(y == c).sum(1) for c in range(10)], 1)  # (U, 10)
    return counts.max(1) / y.shape[1], counts.argmax(1)
