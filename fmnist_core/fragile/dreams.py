"""Dreams: the image a network "wants" to see, by activation maximization (Erhan et al. 2009; Olah et al.
2017, "Feature Visualization"). Start from grey, noise or a drawing and climb the gradient of one class's
logit (or one unit's, one channel's mean activation), with the three usual regularizers that keep the
image from turning into high-frequency noise: random jitter (shift the image a pixel or two before each
step), a small blur every few steps, and an L2 penalty that pulls pixels back to the black background.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.fragile.pixels import PixelModel
from fmnist_core.inside.layers import model_layers

STARTS = {"gray": "grey", "noise": "noise", "drawing": "your drawing"}
LEAK = 0.01  # a unit's objective: leaky_relu(pre-activation, LEAK)
GRADIENT_SCALE = 2.0  # the objective is scaled so that its gradient at the start has this norm (a logit's, typically)


@dataclass(frozen=True)
class DreamConfig:
    steps: int = 160
    lr: float = 0.05  # Adam, on pixels in [0, 1]
    jitter: int = 2  # pixels of random shift before each step
    blur_every: int = 4  # steps between blurs (0: never)
    blur_sigma: float = 0.6
    l2: float = 0.02  # penalty on the mean squared pixel: favours black background
    seed: int = 0


@dataclass(frozen=True)
class DreamTarget:
    """A class's logit (layer None), or unit/channel `index` of a hidden layer ("hidden1", "conv2", ...)."""
    index: int
    layer: str | None = None


@dataclass
class Dream:
    image: np.ndarray  # float (28, 28) in [0, 1]
    start_score: float  # the objective (logit or activation) at the starting image
    end_score: float
    probs: np.ndarray  # (10,) the model's answer for the dream
    scores: list[float]  # the objective after each step
    seconds: float


def start_image(kind: str, drawing: np.ndarray | None = None, seed: int = 0) -> torch.Tensor:
    """(1, 1, 28, 28) in [0, 1]: mid-grey, uniform noise around it, or a uint8 drawing."""
    if kind == "gray":
        return torch.full((1, 1, 28, 28), 0.5)
    if kind == "noise":
        g = torch.Generator().manual_seed(seed)
        return (0.5 + (torch.rand(1, 1, 28, 28, generator=g) - 0.5) * 0.6).clamp(0, 1)
    if kind == "drawing":
        if drawing is None:
            raise ValueError("no drawing to start from: draw one on page 8 first")
        return torch.as_tensor(np.asarray(drawing, np.float32) / 255.0)[None, None]
    raise ValueError(f"unknown start {kind!r}; choose from {', '.join(STARTS)}")


def _gauss_kernel(sigma: float) -> torch.Tensor:
    r = torch.arange(-1, 2, dtype=torch.float32)
    k = torch.exp(-r ** 2 / (2 * sigma ** 2))
    k = k[:, None] * k[None, :]
    return (k / k.sum())[None, None]


def objective(model: PixelModel, target: DreamTarget) -> Callable[[torch.Tensor], torch.Tensor]:
    """x -> the score to raise, one per image: a logit, or a unit's activation (a channel's: its mean over positions),
    taken as leaky_relu(pre-activation, 0.01): a unit that is off still has a gradient, a direction to climb, and a
    channel cannot score by making a few positions very positive while the rest go negative."""
    if target.layer is None:
        return lambda x: model(x)[:, target.index]
    model = copy.deepcopy(model)  # its own hook, never on the copy other sessions share
    layer = next((lay for lay in model_layers(model.model) if lay.key == target.layer), None)
    if layer is None:
        raise ValueError(f"this model has no layer {target.layer!r}")
    if not 0 <= target.index < layer.units:
        raise ValueError(f"{layer.label} has units 0..{layer.units - 1}, not {target.index}")

    def score(x: torch.Tensor) -> torch.Tensor:
        got = {}  # what goes into the unit's activation function
        h = layer.module.register_forward_hook(lambda _m, inp, _out: got.__setitem__("a", inp[0]))
        try:
            model(x)
        finally:
            h.remove()
        a = F.leaky_relu(got["a"][:, target.index], LEAK)
        return a.flatten(1).mean(1) if a.dim() > 1 else a
    return score


def dream(model: PixelModel, target: DreamTarget, start: torch.Tensor, cfg: DreamConfig = DreamConfig(),
          on_step: Callable[[int, np.ndarray, float], None] | None = None, every: int = 20,
          should_stop: Callable[[], bool] | None = None) -> Dream:
    """Gradient ascent on the pixels of `start` (1, 1, 28, 28); `on_step(step, image, score)` every `every` steps."""
    t0 = time.perf_counter()
    score_of = objective(model, target)
    g = torch.Generator().manual_seed(cfg.seed)
    x = start.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    kernel = _gauss_kernel(cfg.blur_sigma)
    x0 = start.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        first_score = score_of(x0)[0]
        (g0,) = torch.autograd.grad(first_score, x0)
    first = float(first_score.detach())
    # Units speak in different units: a logit's gradient is ~2 per image, a conv channel's ~0.05. Scaled to
    # the same start gradient, one L2 weight and one learning rate suit every target.
    weight = GRADIENT_SCALE / max(float(g0.norm()), 1e-6)
    scores = []
    for step in range(1, cfg.steps + 1):
        if should_stop is not None and should_stop():
            break
        dx, dy = (torch.randint(-cfg.jitter, cfg.jitter + 1, (2,), generator=g).tolist() if cfg.jitter else (0, 0))
        with torch.enable_grad():
            s = score_of(torch.roll(x, (dy, dx), (2, 3)))[0]
            loss = -weight * s + cfg.l2 * 784 * (x ** 2).mean()
            (grad,) = torch.autograd.grad(loss, x)
        x.grad = grad
        opt.step()
        with torch.no_grad():
            if cfg.blur_every and step % cfg.blur_every == 0:
                x.copy_(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel))
            x.clamp_(0, 1)
        scores.append(float(s.detach()))
        if on_step is not None and (step % every == 0 or step == cfg.steps):
            on_step(step, x.detach()[0, 0].numpy().copy(), float(s))
    with torch.no_grad():
        end = float(score_of(x)[0])
        probs = torch.softmax(model(x), 1)[0].numpy()
    return Dream(x.detach()[0, 0].numpy().copy(), first, end, probs, scores, time.perf_counter() - t0)


def class_means(images: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """float (10, 28, 28) in [0, 1]: each class's mean training image."""
    x = images.float() / 255.0
    return torch.stack([x[labels == c].mean(0) for c in range(10)]).numpy()
