"""Learning-rate range test (Leslie Smith 2015; fast.ai's `lr_find`): one short run whose learning rate
grows exponentially, mini-batch by mini-batch, from `lr_min` to `lr_max`, recording the loss.

The loss first stays flat (steps too small to matter), then falls (steps that learn), then rises and
explodes (steps that overshoot). The suggestion is the rate where the loss is lowest, read from a lag-free
average of the batches' losses (`suggest` says why). The network is built, normalized, augmented and
optimized exactly as `train` does for the same `TrainConfig` (its schedule and epochs aside), and is thrown
away afterwards.

MLP 784-256-128-64, batch 512, 200 steps: 2.0 s on 2 CPU threads, 2.6-3.3 s on 1 (bench/lr_finder.py); the demo
CNN (batch 256): 9 s on 1 thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.fashion.recipe import TrainConfig, config_optimizer
from fmnist_core.fashion.train import (config_model, data_normalization, model_input, place_model,
                                        shuffled_batches, use_amp)
from fmnist_core.nn.losses import train_loss

STEPS = 200  # mini-batches swept: 100-300 as fast.ai does; 2-3 s for the MLP on a 2-core CPU
LR_MIN, LR_MAX = 1e-6, 10.0  # to 10 as fast.ai: the CNN (batch norm) only explodes past 1
BETA = 0.98  # smoothing of the recorded loss, bias-corrected (fast.ai's value)
EXPLODE = 4.0  # stop once the smoothed loss exceeds this many times its minimum (fast.ai's rule)
WIDTH = 1 / 6  # decades of the rate: the sigma of the lag-free average the suggestion is read from
SKIP = 10  # first steps the suggestion and the explosion rule ignore (the smoothing has seen too few batches)
FELL = 0.9  # no suggestion unless the loss fell below this fraction of its first values


@dataclass
class LRFinderResult:
    status: str  # finished (swept to lr_max) | diverged (the loss exploded first: the usual end) | stopped
    message: str
    lrs: list[float] = field(default_factory=list)  # the rate of each step, exponentially spaced
    losses: list[float] = field(default_factory=list)  # each step's mini-batch loss, as measured
    smoothed: list[float] = field(default_factory=list)  # exponential moving average, bias-corrected
    suggested_lr: float | None = None  # None when the sweep is too short, or the loss never fell
    suggested_index: int | None = None
    min_index: int | None = None  # the step of the lowest smoothed loss
    steps: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"status": self.status, "message": self.message, "suggested_lr": self.suggested_lr,
                "suggested_index": self.suggested_index, "min_index": self.min_index,
                "min_lr": self.lrs[self.min_index] if self.min_index is not None else None,
                "steps": self.steps, "seconds": self.seconds}


def sweep_lrs(steps: int, lr_min: float = LR_MIN, lr_max: float = LR_MAX) -> np.ndarray:
    """The `steps` rates of the sweep: lr_min * (lr_max / lr_min) ** (i / (steps - 1)), i = 0 .. steps - 1."""
    return lr_min * (lr_max / lr_min) ** (np.arange(steps) / max(steps - 1, 1))


def centered(lrs, losses, width: float = WIDTH) -> np.ndarray:
    """The losses averaged without lag: each one with its neighbours, Gaussian-weighted by their distance in
    decades of the rate (sigma `width`); non-finite losses get no weight."""
    x = np.asarray(losses, dtype=np.float64)
    ok = np.isfinite(x)
    d = np.log10(np.asarray(lrs, dtype=np.float64))
    w = np.exp(-0.5 * ((d[:, None] - d[None, :]) / width) ** 2) * ok[None, :]  # (n, n)
    return (w @ np.where(ok, x, 0.0)) / np.maximum(w.sum(1), 1e-300)


def suggest(lrs, losses, smoothed, skip: int = SKIP) -> tuple[int | None, int | None]:
    """(index of the suggested rate, index of the lowest smoothed loss); the first is None when the sweep is too
    short, or the loss never fell.

    The rule: the rate where the loss is lowest on a curve averaged without lag (`centered`), and never past the
    lowest point of the smoothed curve. The smoothed curve is an average of the past ~50 batches (BETA): it
    trails the loss, and its lowest point sits where the loss already climbs, at 3-6 times this rate. fast.ai's
    "minimum / 10" and "steepest slope" rules landed at 2e-3 and 1e-3 for the MLP (Adam, batch 512, 200 steps),
    where ten times more trained it as well or better in a short run; this rule landed at 6e-3 to 1.1e-2, which
    trains the MLP better than both ten times more and ten times less (tests/fashion/test_lr_finder.py), and
    moves less with the number of steps swept (2e-2 at 100 steps, 7e-3 at 300). The demo CNN's loss has a
    flat bottom from 1e-2 to 0.5: 2e-2 there. The first `skip` steps do not count: the smoothing has seen too
    few batches there.
    """
    n = len(smoothed)
    if n <= skip + 2:
        return None, None
    s = np.asarray(smoothed, dtype=np.float64)
    s = np.where(np.isfinite(s), s, np.inf)
    s[:skip] = np.inf
    i_min = int(s.argmin())
    c = centered(lrs, losses)
    c[:skip] = np.inf
    i = int(c[:i_min + 1].argmin())
    fell = c[i] < FELL * float(np.nanmedian(np.asarray(losses[:skip], dtype=np.float64)))
    return (i if fell else None), i_min


def find_lr(
    cfg: TrainConfig,
    data: FashionMNIST,
    steps: int = STEPS,
    lr_min: float = LR_MIN,
    lr_max: float = LR_MAX,
    on_event: Callable[[dict], Any] | None = None,
    control: TrainControl | None = None,
    explode: float = EXPLODE,
    read_every: int | None = None,
) -> LRFinderResult:
    """Sweep the rate of `cfg`'s model and optimizer over `steps` mini-batches of `data` (on its device).

    Events: {"kind": "point", "step", "lr", "loss", "smoothed", ...} per step, then {"kind": "done",
    **LRFinderResult.summary()}. `read_every`: steps between reading the losses back, in a group (None: each
    step on a CPU, every 10 elsewhere, as reading a loss waits for a GPU); the steps after an explosion within
    a group are taken but not recorded.
    """
    device = data.device
    model = config_model(cfg)
    channels_last = place_model(model, cfg, device)
    opt = config_optimizer(cfg.with_(lr=lr_min), model.parameters())
    amp = use_amp(cfg, device)
    norm = data_normalization(data, cfg.normalization)
    images, labels = data.train_images, data.train_labels
    n, bs = len(images), min(cfg.batch_size, len(data.train_images))
    per_epoch = n // bs  # whole batches only: each step's loss is a mean over the same number of images
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    lrs = sweep_lrs(steps, lr_min, lr_max)
    sync = read_every or (1 if device.type == "cpu" else 10)
    loop = Loop(steps, control, emit=on_event, check_every=sync)
    res = LRFinderResult(status="finished", message="")
    pending: list[torch.Tensor] = []
    best, avg = math.inf, 0.0

    def read_back() -> bool:
        """Record the pending losses; False once the loss exploded or is not finite."""
        nonlocal best, avg
        values = torch.stack(pending).float().tolist()
        pending.clear()
        for v in values:
            i = len(res.losses)
            avg = BETA * avg + (1 - BETA) * v
            s = avg / (1 - BETA ** (i + 1))  # bias-corrected: the first values are not pulled towards 0
            res.lrs.append(float(lrs[i]))
            res.losses.append(v)
            res.smoothed.append(s)
            loop.event("point", lr=float(lrs[i]), loss=v, smoothed=s, index=i)
            if not math.isfinite(s):
                res.status, res.message = "diverged", f"the loss became infinite or NaN at lr {lrs[i]:.2g}"
                return False
            best = min(best, s)
            if i > SKIP and s > explode * best:
                res.status, res.message = "diverged", f"the loss exploded at lr {lrs[i]:.2g}"
                return False
        return True

    batch = shuffled_batches(n, bs, per_epoch, gen, device)
    for step in loop.steps():
        idx = batch(step)
        x = model_input(images[idx], cfg, norm, gen, channels_last)
        for g in opt.param_groups:
            g["lr"] = float(lrs[step])
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model(x)
        loss = train_loss(cfg.loss, logits.float(), labels[idx], cfg.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        pending.append(loss.detach())
        finite = loop.after_step(loss)
        if (not finite or loop.step % sync == 0 or loop.step == steps) and not read_back():
            break
        opt.step()
    if pending and res.status != "diverged":
        read_back()
    if loop.status == "stopped":
        res.status, res.message = "stopped", loop.message
    elif res.status == "finished":
        res.message = f"swept {steps} steps up to lr {lr_max:g} without the loss exploding"
    res.steps, res.seconds = len(res.lrs), loop.elapsed()
    res.suggested_index, res.min_index = suggest(res.lrs, res.losses, res.smoothed)
    if res.suggested_index is not None:
        res.suggested_lr = res.lrs[res.suggested_index]
    loop.event("done", **res.summary())
    return res
