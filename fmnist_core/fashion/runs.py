"""Finished training runs: a record of settings, history and test probabilities; CSV export;
checkpoints in a runs directory (where the sketch page looks for trained models).

The runs directory is $FMNIST_RUNS_DIR, else `runs/` in the repository root.
"""
from __future__ import annotations

import csv
import io
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch import nn

from fmnist_core.fashion.checkpoint import save_checkpoint
from fmnist_core.engine.events import EventReader
from fmnist_core.fashion.recipe import TrainConfig
from fmnist_core.fashion.train import TrainResult

HISTORY_COLUMNS = ("kind", "step", "epoch", "elapsed", "lr", "progress", "train_loss", "train_accuracy",
                   "images_per_sec", "test_loss", "test_accuracy", "status")
MAX_HIDDEN_LAYERS = 6
MAX_HIDDEN_UNITS = 2048


def runs_dir() -> Path:
    """Where saved runs go: $FMNIST_RUNS_DIR, else <repo>/runs."""
    env = os.environ.get("FMNIST_RUNS_DIR", "").strip()
    return Path(env) if env else Path(__file__).resolve().parents[2] / "runs"


@dataclass
class RunRecord:
    """One ended run, kept for the session: its settings, curves and test-set probabilities."""

    run_id: int
    name: str
    config: TrainConfig
    status: str  # finished | budget | stopped | diverged
    message: str
    test_accuracy: float
    test_loss: float
    train_seconds: float
    epochs: float
    steps: int
    device: str
    history: list[dict] = field(default_factory=list)
    probabilities: np.ndarray | None = None  # (10000, 10) float32; None when the run diverged
    model: nn.Module | None = None
    normalization: tuple[float, float] = (0.0, 1.0)
    created: float = field(default_factory=time.time)
    saved_path: str | None = None

    @staticmethod
    def from_result(result: TrainResult, run_id: int, name: str | None = None) -> "RunRecord":
        probs = None if result.probabilities is None else np.asarray(result.probabilities, dtype=np.float32)
        history = [{k: v for k, v in ev.items() if not isinstance(v, np.ndarray)} for ev in result.history]
        return RunRecord(
            run_id=run_id, name=name or default_name(run_id, result.config), config=result.config,
            status=result.status, message=result.message, test_accuracy=float(result.test_accuracy),
            test_loss=float(result.test_loss), train_seconds=float(result.train_seconds),
            epochs=float(result.epochs), steps=int(result.steps), device=result.device, history=history,
            probabilities=probs, model=result.model, normalization=tuple(result.normalization),
        )

    @property
    def predictions(self) -> np.ndarray | None:
        return None if self.probabilities is None else self.probabilities.argmax(1)

    @property
    def can_ensemble(self) -> bool:
        return self.probabilities is not None

    def settings(self) -> dict:
        """The settings a learner changes, as one flat row."""
        c = self.config
        return {
            "model": describe_model(c), "activation": c.activation, "init": c.init,
            "optimizer": c.optimizer, "lr": c.lr, "schedule": c.schedule, "batch": c.batch_size,
            "stop": f"{c.time_budget:g} s" if c.time_budget else f"{c.epochs} epochs",
            "dropout": c.dropout, "weight decay": c.weight_decay, "normalization": c.normalization,
            "seed": c.seed,
        }

    def summary_row(self) -> dict:
        acc = self.test_accuracy
        return {"run": self.name, "status": self.status,
                "test accuracy": None if not np.isfinite(acc) else round(acc, 4),
                "seconds": round(self.train_seconds, 1), "epochs": round(self.epochs, 1), **self.settings()}


def describe_model(cfg: TrainConfig) -> str:
    if cfg.model != "mlp":  # "cnn_v2" (the demo CNN), "cnn_v1" or "cnn" (the first one)
        return "CNN" if cfg.model == "cnn_v2" else "CNN v1"
    return "MLP " + "-".join(str(h) for h in cfg.hidden)


def default_name(number: int, cfg: TrainConfig) -> str:
    """'#3 MLP 256-128-64 · relu · adam 0.005 · seed 1': what tells runs apart in a legend."""
    return f"#{number} {describe_model(cfg)} · {cfg.activation} · {cfg.optimizer} {cfg.lr:g} · seed {cfg.seed}"


def interval_means(steps, epochs, running_means) -> np.ndarray:
    """Per-interval means from the trainer's running means.

    A progress event carries the mean over the batches since its epoch began, which restarts at each
    epoch and so draws a saw-tooth. The mean over just the batches since the previous event,
    `(m2 k2 - m1 k1) / (k2 - k1)` with k the steps into the epoch, is what a per-step logger such as
    TensorBoard would plot. (The last, shorter batch of an epoch is weighted as a full one.)
    """
    steps = np.asarray(steps, dtype=np.float64)
    epochs = np.asarray(epochs, dtype=np.float64)
    m = np.asarray(running_means, dtype=np.float64)
    out = m.copy()
    if len(m) == 0:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        per_epoch = np.where(epochs > 0, steps / epochs, np.nan)  # steps per epoch
    spe = np.nanmedian(per_epoch) if np.isfinite(per_epoch).any() else np.nan
    if not np.isfinite(spe) or spe <= 0:
        return out
    spe = round(spe)
    done = (steps.astype(np.int64) - 1) // spe  # epochs completed before each event's batches
    k = steps - done * spe  # steps into the epoch
    for i in range(1, len(m)):
        if done[i] == done[i - 1] and k[i] > k[i - 1]:
            out[i] = (m[i] * k[i] - m[i - 1] * k[i - 1]) / (k[i] - k[i - 1])
    return out


def history_series(history: list[dict]) -> dict[str, np.ndarray]:
    """Curves from a history: train points (progress events, as per-interval means) and test points
    (epoch/done events with a test score)."""
    train = [e for e in history if e.get("kind") == "progress"]
    test = [e for e in history if e.get("kind") in ("epoch", "done") and _finite(e.get("test_accuracy"))]
    steps = [e["step"] for e in train]
    epochs = [e["epoch"] for e in train]
    return {
        "train_epoch": np.array(epochs, dtype=np.float64),
        "train_elapsed": np.array([e["elapsed"] for e in train], dtype=np.float64),
        "train_loss": interval_means(steps, epochs, [e["train_loss"] for e in train]),
        "train_accuracy": interval_means(steps, epochs, [e["train_accuracy"] for e in train]),
        "test_epoch": np.array([e["epoch"] for e in test], dtype=np.float64),
        "test_elapsed": np.array([e["elapsed"] for e in test], dtype=np.float64),
        "test_loss": np.array([e["test_loss"] for e in test], dtype=np.float64),
        "test_accuracy": np.array([e["test_accuracy"] for e in test], dtype=np.float64),
    }


def _finite(x) -> bool:
    return x is not None and np.isfinite(x)


def history_csv(history: list[dict]) -> str:
    """The history as CSV text, one row per event (numpy payloads such as predictions left out)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HISTORY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for ev in history:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in ev.items()
                    if not isinstance(v, np.ndarray)})
    return buf.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower()[:60] or "run"


def save_run(record: RunRecord, directory: str | os.PathLike | None = None) -> Path:
    """Write the run's model as a checkpoint (fmnist_core.fashion.checkpoint format) and return its path."""
    if record.model is None or record.probabilities is None:
        raise ValueError(f"run {record.name!r} has no usable model to save ({record.status}: {record.message})")
    directory = Path(directory) if directory else runs_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(record.created))
    base = f"{stamp}-{_slug(describe_model(record.config))}-{record.config.activation}-" \
           f"{record.config.optimizer}-{record.test_accuracy * 100:.1f}"
    path = directory / f"{base}.pt"
    n = 2
    while path.exists():  # several sessions share the directory
        path = directory / f"{base}-{n}.pt"
        n += 1
    save_checkpoint(path, model=record.model, config=record.config, normalization=record.normalization,
                    metrics={"test_accuracy": record.test_accuracy, "test_loss": record.test_loss,
                             "train_seconds": record.train_seconds, "epochs": record.epochs,
                             "status": record.status, "name": record.name})
    record.saved_path = str(path)
    return path


def list_saved_runs(directory: str | os.PathLike | None = None) -> list[dict]:
    """Saved checkpoints, newest first: path, name, model, accuracy; unreadable files carry an 'error'."""
    import torch

    directory = Path(directory) if directory else runs_dir()
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.pt"), key=lambda p: p.stat().st_mtime, reverse=True):
        row = {"path": str(path), "file": path.name, "modified": path.stat().st_mtime}
        try:
            meta = torch.load(path, map_location="cpu", weights_only=True)["meta"]
            metrics = meta.get("metrics") or {}
            row.update(name=metrics.get("name") or path.stem, architecture=meta["architecture"],
                       hidden=list(meta.get("hidden") or []), activation=meta["activation"],
                       test_accuracy=metrics.get("test_accuracy"), config=meta.get("config") or {})
        except Exception as e:  # a damaged or foreign file is listed, not fatal
            row["error"] = f"not a readable dashboard checkpoint ({type(e).__name__})"
        out.append(row)
    return out


def parse_hidden_sizes(text: str) -> tuple[int, ...]:
    """'256, 128, 64' -> (256, 128, 64); raises ValueError with a message a learner can act on."""
    parts = [p.strip() for p in re.split(r"[,\s]+", str(text).strip()) if p.strip()]
    if not parts:
        raise ValueError("Give at least one hidden layer size, e.g. 256, 128, 64.")
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"Hidden sizes must be whole numbers separated by commas, e.g. 256, 128, 64 (got {text!r}).")
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"At most {MAX_HIDDEN_LAYERS} hidden layers (got {len(sizes)}).")
    if any(s < 1 or s > MAX_HIDDEN_UNITS for s in sizes):
        raise ValueError(f"Each hidden layer needs 1 to {MAX_HIDDEN_UNITS} units (got {text!r}).")
    return sizes


class RunFeed(EventReader):
    """The training page's job, read as its events arrive (an `EventReader` of one run), plus what
    that page shows besides curves: the latest test predictions and probabilities, the clock.

    A page keeps one per job and calls `update(job.events(feed.n))` on each poll, so that each event
    is read once however long the run.
    """

    def __init__(self, job_id: int | None = None, run_key: str = "run"):
        super().__init__(run_key, job_id)
        self.last_seen: float | None = None  # time.monotonic() when the latest events were read
        self.predictions: np.ndarray | None = None  # (10000,) from the latest evaluation
        self.probabilities: np.ndarray | None = None  # (10000, 10) when the trainer sends them
        self.n_evals = 0
        self.eval_epoch: float | None = None
        self.test_points: list[dict] = []  # evaluations so far (epoch and final events with a test score)

    def update(self, events: list[dict], now: float | None = None) -> bool:
        """Fold new events in; True when something changed."""
        events = list(events)
        changed = super().update(events)
        for ev, plain in zip(events, self.history[len(self.history) - len(events):]):
            if ev.get("kind") in ("epoch", "done") and _finite(ev.get("test_accuracy")):
                self.test_points.append(plain)
            if isinstance(ev.get("predictions"), np.ndarray):  # the arrays the reader leaves out
                self.predictions = ev["predictions"]
                probs = ev.get("probabilities")
                self.probabilities = probs if isinstance(probs, np.ndarray) else None
                self.n_evals += 1
                self.eval_epoch = ev.get("epoch")
        if changed:
            self.last_seen = time.monotonic() if now is None else now
        return changed

    @property
    def last_progress(self) -> dict | None:
        return self.latest.get("progress")

    @property
    def last_epoch(self) -> dict | None:
        return self.latest.get("epoch")

    def series(self) -> dict[str, np.ndarray]:
        """The same curves as `history_series(self.history)`, from the reader's columns."""
        run = self.run(0)
        if run is None:
            return history_series([])
        col = run.column
        step, epoch = col("progress", "step"), col("progress", "epoch")
        test = ("epoch", "done")
        keep = np.isfinite(col(test, "test_accuracy"))
        return {
            "train_epoch": epoch, "train_elapsed": col("progress", "elapsed"),
            "train_loss": interval_means(step, epoch, col("progress", "train_loss")),
            "train_accuracy": interval_means(step, epoch, col("progress", "train_accuracy")),
            **{f"test_{k}": col(test, n)[keep] for k, n in (("epoch", "epoch"), ("elapsed", "elapsed"),
                                                              ("loss", "test_loss"), ("accuracy", "test_accuracy"))},
        }
