"""Why the model said so: probabilities, saliency, nearest training images, out-of-distribution flags.

Everything works on one uint8 (28, 28) input, the exact image the model receives, and on any model
of the project (MLP and CNN both have `features(x)`, the penultimate layer).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.engine.device import fast_bf16
from fmnist_core.fashion.dataset import CLASS_NAMES, normalize

ASSETS = Path(__file__).resolve().parents[2] / "assets"
BUNDLED = {  # key -> (file in assets/, menu label)
    "cnn": ("cnn.pt", "CNN for drawings (bundled)"),
    "mlp": ("mlp.pt", "Classic MLP, photos only (bundled)"),
}
SALIENCY = {"gradient": "gradient × input", "occlusion": "occlusion (cover 4×4 patches)"}
LOW_CONFIDENCE = 0.5  # below this top probability the answer is flagged as a guess
LOW_INK = 0.008  # share of the canvas inked: less than one 100 px line with a 6 px brush
BANK_SIZE = 10_000  # training images searched for neighbours: ~1.5 s to index on a CPU, 60k would take ~9 s


def to_input(image: np.ndarray, norm: tuple[float, float]) -> torch.Tensor:
    """Float (1, 1, 28, 28), normalized as in training, from uint8 (28, 28)."""
    return normalize(torch.as_tensor(np.asarray(image, np.uint8))[None], *norm)


@torch.inference_mode()
def probabilities(model: nn.Module, image: np.ndarray, norm: tuple[float, float]) -> np.ndarray:
    """Float (10,) softmax probabilities for one uint8 (28, 28) image."""
    return torch.softmax(model(to_input(image, norm)).float(), 1)[0].numpy()


def gradient_x_input(model: nn.Module, image: np.ndarray, norm: tuple[float, float], target: int) -> np.ndarray:
    """Float (28, 28): d logit[target] / d pixel, times the pixel's ink.

    Measured from a black image (the dataset's background), not from 0 in normalized units, so
    empty background gets no credit: positive = this ink pushes towards `target`, negative = away.
    """
    x = to_input(image, norm).requires_grad_(True)
    with torch.enable_grad():
        logit = model(x)[0, target]
        (grad,) = torch.autograd.grad(logit, x)
    background = normalize(torch.zeros(1, 28, 28, dtype=torch.uint8), *norm)
    return (grad * (x.detach() - background))[0, 0].numpy()


@torch.inference_mode()
def occlusion(model: nn.Module, image: np.ndarray, norm: tuple[float, float], target: int,
              patch: int = 4, stride: int = 3) -> np.ndarray:
    """Float (28, 28): how much the target's probability drops when a patch is painted black,
    averaged over the patches covering each pixel (positive = this part supports `target`).

    4x4 patches every 3 pixels cover the frame edge to edge in 81 passes, one batch (~50 ms on a CPU).
    """
    img = torch.as_tensor(np.asarray(image, np.uint8))
    starts = range(0, 28 - patch + 1, stride)
    boxes = [(r, c) for r in starts for c in starts]
    batch = img.repeat(len(boxes) + 1, 1, 1)  # (P + 1, 28, 28); the last one stays whole
    for i, (r, c) in enumerate(boxes):
        batch[i, r:r + patch, c:c + patch] = 0
    p = torch.softmax(model(normalize(batch, *norm)).float(), 1)[:, target]
    drop = (p[-1] - p[:-1]).numpy()
    total, count = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    for d, (r, c) in zip(drop, boxes):
        total[r:r + patch, c:c + patch] += d
        count[r:r + patch, c:c + patch] += 1
    return total / np.maximum(count, 1)


def saliency(model: nn.Module, image: np.ndarray, norm: tuple[float, float], target: int,
             method: str = "gradient") -> np.ndarray:
    if method == "gradient":
        return gradient_x_input(model, image, norm, target)
    if method == "occlusion":
        return occlusion(model, image, norm, target)
    raise ValueError(f"unknown saliency {method!r}; choose from {', '.join(SALIENCY)}")


# --------------------------------------------------------------------------- nearest neighbours


@dataclass(frozen=True)
class FeatureBank:
    """L2-normalized penultimate-layer features (N, D) of training images, and their labels (N,).

    `typical`: the similarity to the nearest bank image that 99% of real test inputs (photos and
    drawings made from them) reach; a lower one means the input is unlike the training data.
    """

    features: torch.Tensor
    labels: torch.Tensor
    seconds: float = 0.0
    typical: float | None = None


@torch.inference_mode()
def features(model: nn.Module, images: torch.Tensor, norm: tuple[float, float], batch: int = 1000,
             amp: bool = False) -> torch.Tensor:
    """Float (N, D) unit-length features for uint8 images (N, 28, 28)."""
    conv = any(isinstance(m, nn.Conv2d) for m in model.modules())
    if conv:  # channels_last: ~2x faster convolutions on a CPU (on a copy: the caller's model is shared)
        model = copy.deepcopy(model).to(memory_format=torch.channels_last)
    out = []
    for i in range(0, len(images), batch):
        x = normalize(images[i:i + batch].cpu(), *norm)
        if conv:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            out.append(model.features(x).float())
    return F.normalize(torch.cat(out), dim=1)


def calibration_images(test_images: torch.Tensor, n: int = 500, seed: int = 0) -> torch.Tensor:
    """uint8 (2n, 28, 28): n test photos and n test images turned into drawings as in training.

    Not mirrored: the bank holds real training photos, whose shoes all point left, so a mirrored
    shoe really is unlike them (the drawing model still reads most of them).
    """
    from fmnist_core.inside.outlines import AugmentConfig, augment

    drawn = augment(test_images[n:2 * n].cpu(), torch.Generator().manual_seed(seed),
                    AugmentConfig(mix=(0, 0.2, 0.5, 0.3), flip_p=0.0))
    return torch.cat([test_images[:n].cpu(), drawn])


def build_feature_bank(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       norm: tuple[float, float], size: int | None = BANK_SIZE, amp: bool | None = None,
                       calibration: torch.Tensor | None = None, quantile: float = 0.01) -> FeatureBank:
    """Features of the first `size` training images (all with None), computed once per model.

    bf16 + channels_last is ~3x faster than fp32 on a CPU and finds the same neighbours; indices
    refer to `images`. With `calibration` images (see calibration_images), also `typical`.
    `amp` None: bf16 where the CPU computes it fast (fast_bf16).
    """
    t0 = time.perf_counter()
    amp = fast_bf16("cpu") if amp is None else amp
    n = len(images) if size is None else min(size, len(images))
    f = features(model, images[:n], norm, amp=amp)
    typical = None
    if calibration is not None and len(calibration):
        best = (features(model, calibration, norm, amp=amp) @ f.T).max(1).values  # (M,)
        typical = float(torch.quantile(best, quantile))
    return FeatureBank(f, labels[:n].cpu(), time.perf_counter() - t0, typical)


def nearest(bank: FeatureBank, query: torch.Tensor, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(indices (k,), cosine similarities (k,)) of the training images closest to `query` (D,)."""
    sims = bank.features @ F.normalize(query.float(), dim=0)  # (N,)
    top = torch.topk(sims, k)
    return top.indices.numpy(), top.values.numpy()


def unlike_training(similarity: float, typical: float | None) -> bool:
    """True when the closest training image matches less than the bank's `typical` (99% of real inputs reach it)."""
    return typical is not None and similarity < typical


@dataclass(frozen=True)
class Likeness:
    """How a new input compares with the training images in the model's feature space."""

    similarity: float  # cosine similarity to the closest bank image
    typical: float | None  # the bank's threshold (FeatureBank.typical)

    @property
    def unlike(self) -> bool:
        return unlike_training(self.similarity, self.typical)


def likeness(bank: FeatureBank, query: torch.Tensor | np.ndarray) -> Likeness:
    """The closest training image's similarity to `query` features (D,), against the bank's threshold."""
    return Likeness(float(nearest(bank, torch.as_tensor(query), 1)[1][0]), bank.typical)


def class_examples(labels: torch.Tensor, cls: int, n: int = 12, seed: int = 0) -> np.ndarray:
    """Indices (n,) of random training images of class `cls`; same seed, same gallery."""
    idx = torch.nonzero(labels.cpu() == cls).flatten()
    g = torch.Generator().manual_seed(seed)
    return idx[torch.randperm(len(idx), generator=g)[:n]].numpy()


# --------------------------------------------------------------------------- all together


def warnings_for(probs: np.ndarray, ink_fraction: float | None, similarity: float | None = None,
                 typical: float | None = None) -> list[str]:
    """Plain-language reasons to distrust this answer (empty list: none found)."""
    out = []
    top = float(probs.max())
    if similarity is not None and unlike_training(similarity, typical):
        out.append(f"This input is unlike the training images: even the most similar one matches it only "
                   f"{similarity:.2f} in the model's feature space, less than 99% of real test garments and "
                   f"drawings of them reach ({typical:.2f}). However sure the answer looks, it is a guess.")
    if ink_fraction is not None and ink_fraction < LOW_INK:
        out.append(f"Very little ink ({ink_fraction:.1%} of the canvas): the model has to guess from a few "
                   "strokes. Draw the garment's whole outline, or use a thicker brush.")
    if top < LOW_CONFIDENCE:
        second = np.argsort(probs)[-2]
        out.append(f"The model is unsure: its top answer has only {top:.0%} (next: "
                   f"{CLASS_NAMES[second]}, {probs[second]:.0%}). This input is unlike the garments it "
                   "was trained on, so read the answer as a guess.")
    return out


@dataclass
class Explanation:
    probs: np.ndarray  # (10,)
    top: int
    saliency: np.ndarray  # (28, 28), signed
    method: str
    warnings: list[str]
    neighbours: np.ndarray | None = None  # indices into the training set
    similarities: np.ndarray | None = None
    seconds: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return CLASS_NAMES[self.top]


def explain(model: nn.Module, image: np.ndarray, norm: tuple[float, float], method: str = "gradient",
            bank: FeatureBank | None = None, ink_fraction: float | None = None, k: int = 8) -> Explanation:
    """Prediction, saliency for the top class, nearest training images (with a bank), warnings."""
    model.eval()
    t0 = time.perf_counter()
    probs = probabilities(model, image, norm)
    top = int(probs.argmax())
    t1 = time.perf_counter()
    sal = saliency(model, image, norm, top, method)
    t2 = time.perf_counter()
    idx = sims = None
    if bank is not None:
        with torch.inference_mode():
            q = model.features(to_input(image, norm))[0]
        idx, sims = nearest(bank, q, k)
    t3 = time.perf_counter()
    warn = warnings_for(probs, ink_fraction, None if sims is None else float(sims[0]),
                        None if bank is None else bank.typical)
    return Explanation(probs, top, sal, method, warn, idx, sims,
                       {"predict": t1 - t0, "saliency": t2 - t1, "neighbours": t3 - t2, "total": t3 - t0})


def warm_up(model: nn.Module, norm: tuple[float, float]) -> None:
    """Run every path once: the first call pays for torch's lazy set-up (hundreds of ms), not a student."""
    blank = np.zeros((28, 28), np.uint8)
    blank[4:24, 8:20] = 200
    for method in SALIENCY:
        explain(model, blank, norm, method)


# --------------------------------------------------------------------------- which models


@dataclass(frozen=True)
class ModelChoice:
    key: str  # "cnn", "mlp" or "run:<file name>"
    label: str
    path: Path


def model_choices(runs: list[tuple[str, Path]] | None = None, assets: Path = ASSETS) -> list[ModelChoice]:
    """The bundled models that exist, then saved runs given as (label, path)."""
    out = [ModelChoice(k, label, assets / f) for k, (f, label) in BUNDLED.items() if (assets / f).is_file()]
    for label, path in runs or []:
        out.append(ModelChoice(f"run:{Path(path).name}", f"Saved run: {label}", Path(path)))
    return out

