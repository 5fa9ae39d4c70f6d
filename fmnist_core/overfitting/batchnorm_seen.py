"""Batch norm, seen: each hidden layer's activations (their mean and std over a mini-batch) while a deep MLP
trains, without and with batch normalization.

The same network and the same start: 6 hidden layers of 128 units, PyTorch's default initialization (page 4
shows what it does to a deep net before training). Without batch norm, each layer's spread drifts with depth
and with every update; with it, each unit's inputs are re-centred and re-scaled on every mini-batch
(x̂ = (x - mean) / std, then γ·x̂ + β), so every layer keeps a steady spread and the network learns faster.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from fmnist_core.engine.loop import TrainControl
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.fashion.train import train
from fmnist_core.nn.activations import ACTIVATIONS

DEPTH, WIDTH = 6, 128
ACTS = ("tanh", "sigmoid", "relu")
INITS = ("default", "xavier_normal", "he_normal")
N_TRAIN = 10000  # images: 79 steps an epoch at batch 128
EPOCHS = 3
RECORD_EVERY = 5  # steps


@dataclass(frozen=True)
class SeenSettings:
    activation: str = "sigmoid"
    init: str = "default"
    epochs: int = EPOCHS
    seed: int = 0

    def __post_init__(self):
        if self.activation not in ACTS or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTS)}, got {self.activation!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {self.init!r}")


def seen_config(s: SeenSettings, batchnorm: bool) -> TrainConfig:
    return TrainConfig(model="mlp", hidden=(WIDTH,) * DEPTH, activation=s.activation, dropout=0.0,
                       batchnorm=batchnorm, init=s.init, optimizer="momentum", lr=0.05, schedule="constant",
                       batch_size=128, epochs=s.epochs, seed=s.seed, event_every=RECORD_EVERY, eval_every=1,
                       amp=False)  # float32 everywhere, as the lab


def _activation_modules(model: nn.Module) -> list[nn.Module]:
    """The activation module of each hidden layer (what follows its Linear, or its BatchNorm1d)."""
    mods = list(model.net)
    out = []
    for i, m in enumerate(mods[:-1]):
        if isinstance(m, nn.Linear):
            j = i + 2 if isinstance(mods[i + 1], nn.BatchNorm1d) else i + 1
            out.append(mods[j])
    return out


def watch_training(s: SeenSettings, batchnorm: bool, data: FashionMNIST,
                   on_event: Callable[[dict], Any] | None = None, control: TrainControl | None = None) -> dict:
    """Train the deep MLP on the first N_TRAIN training images; every RECORD_EVERY steps record each hidden
    layer's activation mean and std on the mini-batch it trains on. Returns {"steps", "mean", "std" ((T, DEPTH)
    lists), "loss", "test_accuracy" (per epoch), "status"}; emits {"kind": "layers", "bn", "step", "mean", "std",
    "loss"} as it goes and {"kind": "seen_done", ...} at the end."""
    emit = on_event or (lambda e: None)
    sub = FashionMNIST(data.train_images[:N_TRAIN], data.train_labels[:N_TRAIN], data.test_images,
                       data.test_labels, source=data.source)
    latest: dict[int, tuple[float, float]] = {}
    rec: dict = {"steps": [], "mean": [], "std": [], "loss": [], "test_accuracy": [], "bn": batchnorm}

    def watch(model: nn.Module) -> None:
        for i, act in enumerate(_activation_modules(model)):
            def hook(module, inp, out, i=i):
                if module.training:
                    a = out.detach().float()
                    latest[i] = (float(a.mean()), float(a.std()))
            act.register_forward_hook(hook)

    def on_train(ev: dict) -> None:
        if ev["kind"] == "progress" and len(latest) == DEPTH:
            row_m = [latest[i][0] for i in range(DEPTH)]
            row_s = [latest[i][1] for i in range(DEPTH)]
            rec["steps"].append(ev["step"]), rec["mean"].append(row_m), rec["std"].append(row_s)
            rec["loss"].append(ev["train_loss"])
            emit({"kind": "layers", "bn": batchnorm, "step": ev["step"], "mean": row_m, "std": row_s,
                  "loss": ev["train_loss"]})
        elif ev["kind"] in ("epoch", "done") and "test_accuracy" in ev:
            rec["test_accuracy"].append(ev["test_accuracy"])

    res = train(seen_config(s, batchnorm), sub, on_event=on_train, control=control, watch=watch)
    rec["status"] = res.status
    rec["final_accuracy"] = res.test_accuracy
    emit({"kind": "seen_done", "bn": batchnorm, "status": res.status, "test_accuracy": res.test_accuracy})
    return rec


def compare(s: SeenSettings, data: FashionMNIST, on_event: Callable[[dict], Any] | None = None,
            control: TrainControl | None = None) -> dict[bool, dict]:
    """Without, then with batch norm: {False: record, True: record}."""
    out = {}
    for bn in (False, True):
        out[bn] = watch_training(s, bn, data, on_event, control)
        if out[bn]["status"] == "stopped":
            break
    return out


