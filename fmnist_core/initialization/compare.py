"""The initialization comparison: the same deep MLP trained once per initializer, one after another
in one job, on Fashion-MNIST or a toy 2D set; and its events read back as curves per run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import nn

from fmnist_core.engine.events import EventReader, read
from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.engine.optim import make_optimizer
from fmnist_core.initialization.data import (  # noqa: F401 (callers also read the data helpers from here)
    DiagData, fashion_data, start_loss, toy_data, toy_names, train_step)
from fmnist_core.initialization.stats import build_deep_mlp, linear_layers
from fmnist_core.initialization.symmetry import symmetry
from fmnist_core.nn.weight_init import INITS, apply_init

EVAL_SIZE = 2000  # test inputs scored after each comparison run


# --------------------------------------------------------------------------- training

@dataclass(frozen=True)
class CompareConfig:
    inits: tuple[str, ...] = ("normal", "standard_normal", "xavier_normal", "he_normal")
    depth: int = 10
    width: int = 256
    activation: str = "tanh"
    init_params: tuple[tuple[str, float], ...] = ()  # e.g. (("std", 0.01), ("noise", 0.0))
    optimizer: str = "momentum"  # plain SGD + momentum shows the init; Adam's scaling hides some of it
    lr: float = 0.01
    batch_size: int = 128
    budget: float = 8.0  # seconds of training per initializer
    max_steps: int = 100_000
    event_every: int = 5  # steps between progress events
    seed: int = 0  # same seed for every run: same batches, same draws


def _grad_norms(model: nn.Module) -> list[float]:
    return [m.weight.grad.norm().item() if m.weight.grad is not None else 0.0 for m in linear_layers(model)]


def train_one(model: nn.Module, data: DiagData, cfg: CompareConfig, emit: Callable[[dict], Any],
              control: TrainControl, run: int = 0, init: str = "") -> dict:
    """Train `model` for `cfg.budget` seconds; emits progress events; returns the run's summary."""
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    window: list[float] = []
    loop = Loop(cfg.max_steps, control, cfg.budget, emit, tag={"run": run, "init": init})
    loop.event("progress", loss=start_loss(model, data, cfg.seed), grad_norms=None, symmetry=symmetry(model).tolist())
    for _ in loop.steps():
        loss = train_step(model, opt, data, cfg.batch_size, gen, loop)
        if loss is None:  # diverged: the weights are the last finite ones
            break
        window.append(loss.item())
        if loop.step % cfg.event_every == 0:
            # The symmetry measure costs ~30 ms for 10x256: every 4th event is enough to see it.
            sym = symmetry(model).tolist() if loop.step % (4 * cfg.event_every) == 0 else None
            loop.event("progress", loss=float(np.mean(window)), grad_norms=_grad_norms(model), symmetry=sym)
            window = []
    # A spent budget or step count is a finished run here: the comparison gives each the same time.
    status = "finished" if loop.status in ("finished", "budget") else loop.status
    message = f"{cfg.budget:g} s used" if status == "finished" else loop.message
    acc = float("nan")
    if status != "diverged":
        with torch.no_grad():  # the first EVAL_SIZE test inputs: +-1% and 5x cheaper than all 10,000
            acc = (model(data.prep(data.x_test[:EVAL_SIZE])).argmax(1) == data.y_test[:EVAL_SIZE]).float().mean().item()
    return loop.event("run_done", status=status, message=message, test_accuracy=acc)


def compare_inits(cfg: CompareConfig, data: DiagData, emit: Callable[[dict], Any] | None = None,
                  control: TrainControl | None = None) -> list[dict]:
    """Train the same network with each initializer in turn (2-5 of them); one summary per run."""
    if not 1 <= len(cfg.inits) <= 5:
        raise ValueError(f"compare 1 to 5 initializers, got {len(cfg.inits)}")
    for name in cfg.inits:
        if name not in INITS:
            raise ValueError(f"unknown initializer {name!r}; choose from {', '.join(INITS)}")
    emit = emit or (lambda e: None)
    control = control or TrainControl()
    params = dict(cfg.init_params)
    gain = params.pop("gain", 1.0)
    out = []
    for i, name in enumerate(cfg.inits):
        if control.should_stop():
            break
        torch.manual_seed(cfg.seed)
        model = build_deep_mlp(cfg.depth, cfg.width, cfg.activation, data.in_features, data.n_classes)
        model.to(data.y_train.device)
        apply_init(model, name, seed=cfg.seed, **params, **({"gain": gain} if name.startswith("xavier") else {}))
        emit({"kind": "run_start", "run": i, "init": name, "label": INITS[name].label})
        out.append(train_one(model, data, cfg, emit, control, run=i, init=name))
    emit({"kind": "done", "runs": len(out)})
    return out


@dataclass
class RunCurves:
    """One run of a comparison, as arrays for plotting."""

    init: str
    status: str  # running | finished | diverged | stopped
    message: str
    steps: np.ndarray  # (T,)
    loss: np.ndarray  # (T,)
    grad_steps: np.ndarray  # (G,) steps with gradient norms
    grad_norms: np.ndarray  # (G, L + 1)
    sym_steps: np.ndarray  # (S,) steps with a symmetry measure
    symmetry: np.ndarray  # (S, L)
    test_accuracy: float = float("nan")
    diverged_at: int | None = None


def _rows(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=float) if rows else np.zeros((0, 0))


def comparison_curves(events: Iterable[dict] | EventReader) -> list[RunCurves]:
    """A comparison job's runs as curves: its events, or the live view's `EventReader` of them."""
    reader = read(events)
    out = []
    for key in sorted(reader.runs):
        run = reader.runs[key]
        done = run.end or {}
        first = run.start or run.last or {}
        steps = run.column("progress", "step").astype(int)
        g_idx, g_rows = run.rows("progress", "grad_norms")
        s_idx, s_rows = run.rows("progress", "symmetry")
        status = done.get("status", "running")
        out.append(RunCurves(
            init=first.get("init", ""), status=status, message=done.get("message", ""),
            steps=steps, loss=run.column("progress", "loss"),
            grad_steps=steps[g_idx], grad_norms=_rows(g_rows),
            sym_steps=steps[s_idx], symmetry=_rows(s_rows),
            test_accuracy=done.get("test_accuracy", float("nan")),
            diverged_at=done.get("step") if status == "diverged" else None,
        ))
    return out
