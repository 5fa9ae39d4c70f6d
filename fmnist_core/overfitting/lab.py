"""The overfitting lab: train on a few Fashion-MNIST images, watch train and test accuracy part, then cure it.

A run trains on `n_train` training images (the first of one fixed shuffle, the same for every run, so runs
compare) and measures after each epoch its accuracy
- on those training images as they are (no augmentation, no dropout: what it has learnt of them),
- on VALIDATION other training images set aside (what early stopping watches: never the test set),
- on the 10,000 test images.
The gap between the first and the last is overfitting. The cures (`Cures`) switch on one by one and combine.

    result = run(LabSettings(n_train=500), data, on_event=print)
    result.final["gap"], result.best_epoch

Measured (MLP, seed 0, 2 cores): see tests/overfitting/test_lab.py, which checks each claim the page makes.
"""
from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from fmnist_core.engine.loop import TrainControl
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.fashion.train import config_model, data_normalization, evaluate, train

SIZES = (500, 2000, 10000, 55000)  # training images; 55,000 is all of them but the validation set
VALIDATION = 5000  # training images set aside for early stopping, the same for every run
TRAIN_EVAL_MAX = 10000  # the training accuracy is measured on at most this many of the run's images
SPLIT_SEED = 2024  # one shuffle of the training set for every run
SHIFTS = (0, 1, 2)  # pixels
MODELS = {"mlp": "MLP 784-256-128-64-10", "cnn": "CNN (3 conv blocks 24-48-96)"}
# No cure at all: no dropout, no label smoothing, no mirror, a constant learning rate (Adam), as in a
# textbook's overfitting plot. The CNN without batch norm is cnn_v2 with biases instead.
# float32 on every machine (amp=False): the cures move test accuracy by a point or two, and bf16 autocast (on
# where a CPU computes it fast) moved them by as much, so a page's numbers would depend on the classroom's CPU.
BASE = {
    "mlp": TrainConfig(model="mlp", lr=1e-3, dropout=0.0, schedule="constant", eval_every=0, event_every=10,
                       amp=False),
    "cnn": TrainConfig(model="cnn_v2", hidden=(24, 48, 96), lr=2e-3, dropout=0.0, schedule="constant",
                       eval_every=0, event_every=10, amp=False),
}


@dataclass(frozen=True)
class Cures:
    """What a run does against overfitting; all off is "no cure"."""

    flip: bool = False  # mirror a random half of each batch
    shift: int = 0  # move each image by up to this many pixels
    erase: float = 0.0  # probability of a random rectangle of noise per image
    dropout: float = 0.0
    weight_decay: float = 0.0  # L2 penalty (Adam's weight_decay)
    batchnorm: bool = False
    early_stopping: bool = False  # keep the weights of the epoch with the lowest validation loss

    def names(self) -> list[str]:
        """Short names of the cures switched on, e.g. ["mirror", "shift ±2 px", "dropout 0.3"]."""
        out = []
        if self.flip:
            out.append("mirror")
        if self.shift:
            out.append(f"shift ±{self.shift} px")
        if self.erase:
            out.append(f"erase {self.erase:.0%}")
        if self.dropout:
            out.append(f"dropout {self.dropout:g}")
        if self.weight_decay:
            out.append(f"weight decay {self.weight_decay:g}")
        if self.batchnorm:
            out.append("batch norm")
        if self.early_stopping:
            out.append("early stopping")
        return out

    @property
    def label(self) -> str:
        return " + ".join(self.names()) or "no cure"

    @property
    def count(self) -> int:
        return len(self.names())


@dataclass(frozen=True)
class LabSettings:
    model: str = "mlp"  # a key of MODELS
    n_train: int = 2000
    epochs: int = 60
    cures: Cures = field(default_factory=Cures)
    seed: int = 0
    patience: int = 10  # early stopping: epochs without a lower validation loss before it stops

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        if not 1 <= self.n_train <= 60000 - VALIDATION:
            raise ValueError(f"n_train must be 1..{60000 - VALIDATION:,}, got {self.n_train}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")

    @property
    def label(self) -> str:
        """'MLP · 500 images · mirror + dropout 0.3'."""
        return f"{self.model.upper()} · {self.n_train:,} images · {self.cures.label}"


def default_epochs(n_train: int) -> int:
    """Epochs that let the gap open at this size, in seconds for the MLP: fewer images, more passes."""
    return {500: 100, 2000: 60, 10000: 30}.get(n_train, 15 if n_train > 10000 else 60)


def batch_size(n_train: int) -> int:
    """Mini-batches of about a tenth of a small set (at least 10 updates per epoch), at most 128."""
    return int(min(128, max(16, n_train // 10)))


def lab_config(s: LabSettings) -> TrainConfig:
    """The TrainConfig of a lab run: BASE[model] with the run's size, epochs, seed and cures."""
    c = s.cures
    return BASE[s.model].with_(
        epochs=s.epochs, batch_size=batch_size(s.n_train), seed=s.seed, flip=c.flip, shift=c.shift,
        erase=c.erase, dropout=c.dropout, weight_decay=c.weight_decay, batchnorm=c.batchnorm)


# --------------------------------------------------------------------------- the split

@dataclass(frozen=True)
class Split:
    data: FashionMNIST  # train_* are the run's images; test_* all 10,000 test images
    val_images: torch.Tensor
    val_labels: torch.Tensor


_SPLITS: dict[tuple[int, int], tuple[FashionMNIST, Split]] = {}
_SPLITS_LOCK = threading.Lock()


def split(data: FashionMNIST, n_train: int) -> Split:
    """The first `n_train` training images after the VALIDATION set aside, in one fixed shuffle.

    Kept per dataset and size (a few MB each), so that the trainer's normalization statistics, cached by
    tensor identity, always belong to these very images."""
    key = (id(data.train_images), int(n_train))
    with _SPLITS_LOCK:
        hit = _SPLITS.get(key)
        if hit is not None and hit[0].train_images is data.train_images:
            return hit[1]
        order = torch.randperm(len(data.train_images), generator=torch.Generator().manual_seed(SPLIT_SEED))
        order = order.to(data.device)
        val, own = order[:VALIDATION], order[VALIDATION:VALIDATION + n_train]
        sub = FashionMNIST(data.train_images[own], data.train_labels[own], data.test_images, data.test_labels,
                           source=f"{data.source} ({n_train:,} training images)")
        out = Split(sub, data.train_images[val], data.train_labels[val])
        _SPLITS[key] = (data, out)
        return out


# --------------------------------------------------------------------------- a run

@dataclass
class LabResult:
    settings: LabSettings
    status: str  # finished | early-stopped | stopped | diverged
    message: str
    points: list[dict]  # one per epoch: epoch, train_accuracy, val_accuracy, val_loss, test_accuracy, ...
    best_epoch: int | None  # the epoch of the lowest validation loss
    restored: bool  # early stopping put the best epoch's weights back
    final: dict  # train_accuracy, test_accuracy, val_accuracy, gap of the model it ends with
    seconds: float
    model: nn.Module | None = None

    def summary(self) -> dict:
        """A plain dict for a job's events and a table row (no model)."""
        return {"label": self.settings.label, "status": self.status, "message": self.message,
                "best_epoch": self.best_epoch, "restored": self.restored, "seconds": round(self.seconds, 2),
                "epochs": len(self.points), **self.final}

    def record(self, index: int) -> dict:
        """What a page keeps of a finished run (plain JSON): its curves, its summary, its settings in brief."""
        s = self.settings
        return {"index": index, "points": self.points, **self.summary(), "cures": s.cures.count,
                "n_train": s.n_train, "model": s.model}


def measure(model: nn.Module, sp: Split, norm, amp: bool = False) -> dict:
    """Accuracy (and loss) on the run's own images as they are, the validation and the test images; the gap."""
    d = sp.data
    tr = evaluate(model, d.train_images[:TRAIN_EVAL_MAX], d.train_labels[:TRAIN_EVAL_MAX], norm, amp=amp)
    va = evaluate(model, sp.val_images, sp.val_labels, norm, amp=amp)
    te = evaluate(model, d.test_images, d.test_labels, norm, amp=amp)
    return {"train_accuracy": tr["accuracy"], "train_loss": tr["loss"], "val_accuracy": va["accuracy"],
            "val_loss": va["loss"], "test_accuracy": te["accuracy"], "test_loss": te["loss"],
            "gap": tr["accuracy"] - te["accuracy"]}


def run(settings: LabSettings, data: FashionMNIST, on_event: Callable[[dict], Any] | None = None,
        control: TrainControl | None = None) -> LabResult:
    """Train one lab run on `data`'s device; events: "progress" (loss), "epoch" (the three accuracies),
    "lab_done" (the summary). Stop and pause come from `control`; early stopping is the lab's own stop."""
    emit = on_event or (lambda e: None)
    cfg = lab_config(settings)
    sp = split(data, settings.n_train)
    model = config_model(cfg)  # seeded: the same start for every cure
    norm = data_normalization(sp.data, cfg.normalization)
    ctl = TrainControl(parent=control)  # the job's stop and pause, and early stopping's own stop
    points: list[dict] = []
    best: dict = {"loss": math.inf, "epoch": None, "state": None}
    t0 = time.perf_counter()

    def on_train_event(ev: dict) -> None:
        if ev["kind"] == "progress":
            emit({"kind": "progress", "step": ev["step"], "epoch": ev["epoch"], "fit_loss": ev["train_loss"]})
        elif ev["kind"] == "epoch":
            epoch = int(round(ev["epoch"]))
            m = measure(model, sp, norm)
            point = {"epoch": epoch, "fit_loss": ev["train_loss"], "elapsed": time.perf_counter() - t0, **m}
            points.append(point)
            if m["val_loss"] < best["loss"]:
                best.update(loss=m["val_loss"], epoch=epoch,
                            state=copy.deepcopy(model.state_dict()) if settings.cures.early_stopping else None)
            emit({"kind": "epoch", "best_epoch": best["epoch"], **point})
            if settings.cures.early_stopping and epoch - best["epoch"] >= settings.patience:
                ctl.request_stop(f"early stopping: no lower validation loss for {settings.patience} epochs "
                                 f"after epoch {best['epoch']}")

    res = train(cfg, sp.data, on_event=on_train_event, control=ctl, model=model)
    status, message = res.status, res.message
    early = status == "stopped" and not (control is not None and control.should_stop())
    if early:
        status = "early-stopped"
    restored = False
    if status == "diverged":
        final = {k: math.nan for k in ("train_accuracy", "val_accuracy", "test_accuracy", "gap")}
    else:
        if settings.cures.early_stopping and best["state"] is not None and best["epoch"] != (
                points[-1]["epoch"] if points else None):
            model.load_state_dict(best["state"])
            restored = True
        m = measure(model, sp, norm)
        final = {k: m[k] for k in ("train_accuracy", "val_accuracy", "test_accuracy", "gap")}
        if status == "finished":
            message = f"finished {settings.epochs} epochs"
        if restored:
            message += f"; the weights of epoch {best['epoch']} (lowest validation loss) are restored"
    out = LabResult(settings, status, message, points, best["epoch"], restored, final,
                    time.perf_counter() - t0, model)
    emit({"kind": "lab_done", "settings": asdict(settings), **out.summary()})
    return out
