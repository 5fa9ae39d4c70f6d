"""Normalization statistics (seed 002): the same MLP's first epochs on inputs scaled four ways.

- none: raw grey levels 0..255;
- standard: the training set's one mean and std (72.9 and 90.0 grey levels);
- pixel: each pixel's own mean and std over the training set (a std of at least 1 grey level);
- half: (x - 127.5) / 127.5, in [-1, 1].

Badly scaled inputs make the first layer's sums hundreds of times too large: the same story as a bad
initialization (page 4), told by the data instead of the weights.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from fmnist_core.engine.loop import TrainControl
from fmnist_core.fashion.dataset import PIXEL, FashionMNIST
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.fashion.train import train

MODES = {
    "none": "none: raw 0..255",
    "standard": "global mean/std",
    PIXEL: "per-pixel mean/std",
    "half": "[-1, 1]",
}
OPTIMIZERS = {"momentum": "SGD + momentum, lr 0.05", "adam": "Adam, lr 0.001"}
LRS = {"momentum": 0.05, "adam": 1e-3}
EPOCHS = 2
EVENT_EVERY = 10  # steps between the loss points of a curve


@dataclass(frozen=True)
class InputsSettings:
    optimizer: str = "momentum"
    epochs: int = EPOCHS
    seed: int = 0


def mode_config(mode: str, s: InputsSettings) -> TrainConfig:
    """The classic MLP without dropout, batch 128, a constant rate: only the inputs' scale differs."""
    if mode not in MODES:
        raise ValueError(f"unknown normalization {mode!r}; choose from {', '.join(MODES)}")
    if s.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {s.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
    return TrainConfig(model="mlp", dropout=0.0, optimizer=s.optimizer, lr=LRS[s.optimizer], schedule="constant",
                       batch_size=128, epochs=s.epochs, normalization=mode, seed=s.seed,
                       event_every=EVENT_EVERY, eval_every=1, amp=False)  # float32 everywhere, as the lab


def compare(s: InputsSettings, data: FashionMNIST, on_event: Callable[[dict], Any] | None = None,
            control: TrainControl | None = None, modes: tuple[str, ...] = tuple(MODES)) -> dict[str, dict]:
    """Train one MLP per normalization in `modes`, one after another on `data`'s device; `control` stops them all.

    Events: {"kind": "loss", "mode", "step", "loss"} every EVENT_EVERY steps (the mean loss of the mini-batches
    since the last point) and {"kind": "mode_done", "mode", "status", "steps", "test_accuracy", "epoch_accuracy":
    [after epoch 1, 2, …]}. Returns mode -> that summary."""
    emit = on_event or (lambda e: None)
    out: dict[str, dict] = {}
    for mode in modes:
        if control is not None and control.should_stop():
            break
        cfg = mode_config(mode, s)
        per_epoch = math.ceil(len(data.train_images) / cfg.batch_size)
        last = {"in_epoch": 0, "mean": 0.0}
        accs: list[float] = []

        def on_train(ev: dict, mode=mode, last=last, accs=accs, per_epoch=per_epoch) -> None:
            if ev["kind"] == "progress":  # its train_loss is the epoch's mean so far: take the last window's
                in_epoch = ev["step"] - per_epoch * ((ev["step"] - 1) // per_epoch)
                before = last["in_epoch"] if in_epoch > last["in_epoch"] else 0
                window = (ev["train_loss"] * in_epoch - (last["mean"] * before)) / (in_epoch - before)
                last.update(in_epoch=in_epoch, mean=ev["train_loss"])
                emit({"kind": "loss", "mode": mode, "step": ev["step"], "loss": window})
            elif ev["kind"] == "epoch" and "test_accuracy" in ev:
                accs.append(ev["test_accuracy"])
            elif ev["kind"] == "done" and ev["status"] != "diverged" and math.isfinite(ev["test_accuracy"]):
                accs.append(ev["test_accuracy"])

        res = train(cfg, data, on_event=on_train, control=control)
        summary = {"mode": mode, "status": res.status, "message": res.message, "steps": res.steps,
                   "test_accuracy": res.test_accuracy, "epoch_accuracy": accs[:s.epochs]}
        out[mode] = summary
        emit({"kind": "mode_done", **summary})
    return out
