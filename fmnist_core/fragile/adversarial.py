"""Adversarial examples: FGSM and PGD under an L∞ budget ε in pixel units, untargeted or targeted, the
same-size random noise they are compared with, and the robustness curve (accuracy against ε).

Goodfellow et al. 2015 (FGSM): x' = x + ε·sign(∇ₓ loss). Madry et al. 2018 (PGD): repeat smaller steps
of size α and project back into the ε-ball around x (and into [0, 1]) after each one. Targeted: step
*down* the loss of the target class instead of up the loss of the true one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.fragile.pixels import PixelModel

EPS_MAX = 64  # the largest ε offered, in grey levels (of 255)
CURVE_EPS = (0, 1, 2, 4, 8, 16, 32, 64)  # the robustness curve's ε, in grey levels
CURVE_IMAGES = 1000  # test images on the curve, 100 per class
CURVE_STEPS = 7  # PGD steps per ε on the curve, each ε starting from the last one's result: as strong as PGD-10
NOISES = {"uniform": "uniform noise ±ε", "gaussian": "Gaussian noise, σ = ε"}
ATTACKS = {"fgsm": "FGSM", "pgd": "PGD"}  # one step of size ε; many small projected steps


def input_gradient(model: PixelModel, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """∇ₓ of the summed cross-entropy of `labels` (the model's weights get no gradient)."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(model(x), labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def _direction(model: PixelModel, x: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """The sign step that raises the true class's loss, or lowers the target's."""
    if target is None:
        return input_gradient(model, x, y).sign()
    return -input_gradient(model, x, target).sign()


def fgsm(model: PixelModel, x: torch.Tensor, y: torch.Tensor, eps: float,
         target: torch.Tensor | None = None) -> torch.Tensor:
    """One step of size ε (pixel units, 0..1) along the sign of the input gradient, clipped to [0, 1]."""
    return (x + eps * _direction(model, x, y, target)).clamp(0, 1).detach()


def pgd(model: PixelModel, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int = 10,
        alpha: float | None = None, target: torch.Tensor | None = None, start: torch.Tensor | None = None,
        random_start: bool = False, seed: int = 0) -> torch.Tensor:
    """`steps` sign steps of size α (default 2.5ε/steps), each projected back into the L∞ ball of radius ε
    around x and into [0, 1]. `start`: where to begin (e.g. a smaller ε's result), else x (or a random
    point of the ball with `random_start`)."""
    if eps <= 0 or steps <= 0:
        return x.clone()
    alpha = 2.5 * eps / steps if alpha is None else alpha
    lo, hi = (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)
    if start is not None:
        adv = torch.max(torch.min(start, hi), lo)
    elif random_start:
        g = torch.Generator().manual_seed(seed)
        adv = torch.max(torch.min(x + (torch.rand(x.shape, generator=g) * 2 - 1) * eps, hi), lo)
    else:
        adv = x.clone()
    for _ in range(steps):
        adv = torch.max(torch.min(adv + alpha * _direction(model, adv, y, target), hi), lo)
    return adv.detach()


def noise(x: torch.Tensor, eps: float, kind: str = "uniform", seed: int = 0) -> torch.Tensor:
    """Random noise of the same size as an ε attack: uniform in ±ε (the same L∞ ball), or Gaussian with
    σ = ε (the same energy per pixel as FGSM's ±ε), clipped to [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    if kind == "uniform":
        n = (torch.rand(x.shape, generator=g) * 2 - 1) * eps
    elif kind == "gaussian":
        n = torch.randn(x.shape, generator=g) * eps
    else:
        raise ValueError(f"unknown noise {kind!r}; choose from {', '.join(NOISES)}")
    return (x + n).clamp(0, 1)


@dataclass
class Attack:
    """One image attacked: the original, the adversarial image, their probabilities and the time taken."""
    original: np.ndarray  # float (28, 28) in [0, 1]
    adversarial: np.ndarray  # float (28, 28) in [0, 1]
    probs_before: np.ndarray  # (10,)
    probs_after: np.ndarray  # (10,)
    label: int  # the true class (a drawing's: what the model said of it)
    target: int | None
    eps: int  # grey levels
    seconds: float
    noise_probs: dict[str, np.ndarray] = field(default_factory=dict)  # same-size random noise, by kind
    noise_images: dict[str, np.ndarray] = field(default_factory=dict)  # float (28, 28), by kind

    @property
    def perturbation(self) -> np.ndarray:
        """adversarial - original, in grey levels (-ε..ε)."""
        return (self.adversarial - self.original) * 255

    @property
    def before(self) -> int:
        return int(self.probs_before.argmax())

    @property
    def after(self) -> int:
        return int(self.probs_after.argmax())

    @property
    def fooled(self) -> bool:
        """The model was right and the attack made it wrong (targeted: made it say the target)."""
        if self.target is not None:
            return self.after == self.target != self.before
        return self.before == self.label != self.after

    @property
    def noise_fooled(self) -> bool:
        """Any of the same-size random noises moved the answer off the true class."""
        return any(int(p.argmax()) != self.label for p in self.noise_probs.values())


def attack_image(model: PixelModel, image: np.ndarray, label: int, eps: int, method: str = "pgd",
                 steps: int = 10, target: int | None = None, seed: int = 0) -> Attack:
    """Attack one uint8 (28, 28) image with ε in grey levels; also tries uniform and Gaussian noise of that size."""
    t0 = time.perf_counter()
    x = torch.as_tensor(np.asarray(image, np.float32) / 255.0)[None, None]
    y = torch.tensor([label])
    tgt = None if target is None else torch.tensor([target])
    e = eps / 255.0
    if method == "fgsm":
        adv = fgsm(model, x, y, e, tgt)
    elif method == "pgd":
        adv = pgd(model, x, y, e, steps, target=tgt)
    else:
        raise ValueError(f"unknown attack {method!r}; choose from {', '.join(ATTACKS)}")
    probs = model.probabilities(torch.cat([x, adv]))
    seconds = time.perf_counter() - t0
    noisy = torch.cat([noise(x, e, k, seed) for k in NOISES])
    nprobs = model.probabilities(noisy)
    return Attack(x[0, 0].numpy(), adv[0, 0].numpy(), probs[0], probs[1], int(label), target, int(eps), seconds,
                  {k: nprobs[i] for i, k in enumerate(NOISES)}, {k: noisy[i, 0].numpy() for i, k in enumerate(NOISES)})


# --------------------------------------------------------------------------- the robustness curve

@dataclass(frozen=True)
class CurvePoint:
    model: str
    eps: int  # grey levels
    pgd: float  # accuracy under attack: fooled at this ε or any smaller one counts as fooled
    uniform: float  # accuracy under uniform noise ±ε
    gaussian: float  # accuracy under Gaussian noise σ = ε
    seconds: float  # since the curve started


def robustness_curve(models: dict[str, PixelModel], images: torch.Tensor, labels: torch.Tensor,
                     eps_list: tuple[int, ...] = CURVE_EPS, steps: int = CURVE_STEPS, seed: int = 0,
                     on_point: Callable[[CurvePoint], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> list[CurvePoint]:
    """Accuracy against ε (grey levels, ascending) for each model, under PGD and under same-size noise.

    An image fooled at some ε is fooled at every larger one (a perturbation within ε' ≤ ε is within ε), so
    the attacked accuracy is the share still never fooled, and only those are attacked again, starting
    from the last ε's adversarial image: the curve can never rise, and later points cost less. ε is the
    outer loop, so the models' curves grow side by side. `images`: pixel floats (N, 1, 28, 28).
    """
    if list(eps_list) != sorted(eps_list):
        raise ValueError("ε must be ascending")
    t0 = time.perf_counter()
    state = {name: {"alive": m.predict(images) == labels, "adv": images.clone()} for name, m in models.items()}
    out: list[CurvePoint] = []
    for i, eps in enumerate(eps_list):
        e = eps / 255.0
        for name, m in models.items():
            if should_stop is not None and should_stop():
                return out
            st = state[name]
            idx = torch.nonzero(st["alive"]).flatten()
            if e > 0 and len(idx):
                for j in range(0, len(idx), 250):
                    b = idx[j:j + 250]
                    adv = pgd(m, images[b], labels[b], e, steps, start=st["adv"][b])
                    st["adv"][b] = adv
                    st["alive"][b] = m.predict(adv) == labels[b]
            noisy = {k: (m.predict(noise(images, e, k, seed + i)) == labels).float().mean().item() for k in NOISES}
            p = CurvePoint(name, int(eps), st["alive"].float().mean().item(), noisy["uniform"], noisy["gaussian"],
                           time.perf_counter() - t0)
            out.append(p)
            if on_point is not None:
                on_point(p)
    return out
