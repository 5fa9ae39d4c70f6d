"""Optimizers racing: on a 2D surface from one start point, mini-batch noise on a real problem, and
the classic MLP on Fashion-MNIST with each optimizer in turn.

Every step is the real `torch.optim` optimizer from `optim.make_optimizer`, stepping through the
one `Loop` (stop, divergence: a path whose loss leaves float32's range ends "diverged at step
S" and is kept only up to its last finite point, never drawn as noise).

Measured (bench/optimizer_race.py, 2-core CPU shared with other work, load 7-9): six optimizers x 500
steps in 86-137 ms (the textbook autograd loop: 735 ms), ~85% of it `optimizer.step()` itself
(15-45 us each); the gradient of a 2D surface, written by hand, costs ~1 us.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.engine.optim import OPTIMIZERS, check_optimizer, make_optimizer
from fmnist_core.optimizers.surfaces import F32_MAX, GRADIENT_METHODS, Surface

MAX_STEPS = 2000


@dataclass
class Path:
    """One optimizer's walk: positions and losses from the start (step 0) to its last finite step."""

    name: str
    lr: float
    xy: np.ndarray  # (S + 1, 2)
    loss: np.ndarray  # (S + 1,) float64
    status: str  # finished | diverged | stopped
    message: str
    seconds: float

    @property
    def steps(self) -> int:
        return len(self.loss) - 1

    @property
    def diverged_at(self) -> int | None:
        return self.steps + 1 if self.status == "diverged" else None

    def first_below(self, target: float) -> int | None:
        """The first step whose loss is at or below `target`, or None."""
        hit = np.flatnonzero(self.loss <= target)
        return int(hit[0]) if len(hit) else None


def lr_for(name: str, lr: float, lr_adaptive: float) -> float:
    """SGD, momentum and Nesterov take `lr`; Adagrad, RMSprop and Adam `lr_adaptive`."""
    return lr if name in GRADIENT_METHODS else lr_adaptive


def run_path(surface: Surface, name: str, start: Sequence[float], steps: int = 500, lr: float = 0.1,
             control: TrainControl | None = None, **hyper: float) -> Path:
    """`steps` steps of optimizer `name` on `surface` from `start`, gradients set by hand each step.

    The weights are float64, as the plain floats the surface computes in, so that the path is the
    one a textbook autograd loop takes (tests/optimizers/test_race.py); a loss past float32's range counts as
    infinite, as it would be in a network's float32.
    """
    check_optimizer(name)
    steps = int(min(max(steps, 1), MAX_STEPS))
    t0 = time.perf_counter()
    p = torch.tensor([float(start[0]), float(start[1])], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [p], lr, **hyper)
    for group in opt.param_groups:  # the single-tensor code a CPU tensor gets anyway, without the per-step check
        group["foreach"] = False
    p.grad = torch.zeros_like(p)
    w, g = p.detach().numpy(), p.grad.numpy()  # views: the optimizer updates p in place
    xy = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    f, gx, gy = surface.value_and_grad(float(w[0]), float(w[1]))
    xy[0], loss[0] = w, f
    loop = Loop(steps, control)
    for _ in loop.steps():
        g[0], g[1] = gx, gy
        opt.step()
        f, gx, gy = surface.value_and_grad(float(w[0]), float(w[1]))
        if not loop.after_step(f if abs(f) <= F32_MAX else math.inf):  # before any step from this point
            break
        xy[loop.step], loss[loop.step] = w, f
    n = loop.step if loop.status == "diverged" else loop.step + 1  # keep the finite points only
    return Path(name, float(lr), xy[:n].copy(), loss[:n].copy(), loop.status, loop.message,
                time.perf_counter() - t0)


def race(surface: Surface, names: Sequence[str], start: Sequence[float], steps: int = 500, lr: float = 0.1,
         lr_adaptive: float = 0.05, control: TrainControl | None = None, **hyper: float) -> dict[str, Path]:
    """Each optimizer of `names` from the same start on the same surface: name -> Path."""
    return {n: run_path(surface, n, start, steps, lr_for(n, lr, lr_adaptive), control, **hyper) for n in names}


# --------------------------------------------------------------------------- mini-batch noise

@dataclass
class LogisticProblem:
    """Logistic regression through the origin on 2D points: loss(w) = mean BCE(x . w, y), w in R^2.

    Two weights, so its full-batch loss is a surface to draw and every SGD path a line on it.
    """

    x: torch.Tensor  # (N, 2) float32
    y: torch.Tensor  # (N,) float32 in {0, 1}

    @property
    def n(self) -> int:
        return len(self.y)

    def loss(self, w: torch.Tensor, idx: torch.Tensor | slice = slice(None)) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.x[idx] @ w, self.y[idx])

    def example_grads(self, w: torch.Tensor) -> torch.Tensor:
        """Each example's gradient (N, 2): (sigmoid(x . w) - y) x."""
        return (torch.sigmoid(self.x @ w) - self.y)[:, None] * self.x


class LogisticSurface(Surface):
    name, label = "logistic", "Logistic regression"

    def __init__(self, problem: LogisticProblem, lim: float = 4.0):
        self.problem = problem
        self.xlim = self.ylim = (-lim, lim)
        self.start = (-3.0, 3.5)

    def torch_value(self, w: torch.Tensor) -> torch.Tensor:
        flat = w.reshape(-1, 2).to(torch.float32)
        z = flat @ self.problem.x.t()  # (G, N)
        out = F.binary_cross_entropy_with_logits(z, self.problem.y.expand_as(z), reduction="none").mean(1)
        return out.reshape(w.shape[:-1])

    def value_and_grad(self, x: float, y: float) -> tuple[float, float, float]:
        w = torch.tensor([x, y], dtype=torch.float32)
        g = self.problem.example_grads(w).mean(0)
        return float(self.problem.loss(w)), float(g[0]), float(g[1])


def logistic_problem(dataset: str = "blobs", n: int = 400, noise: float = 1.0, seed: int = 0) -> LogisticProblem:
    """Two overlapping clouds (200 training points): the best weights, about (1.4, 1.3), lie inside the map."""
    from fmnist_core.toy.data import make_dataset

    d = make_dataset(dataset, n=n, noise=noise, test_fraction=0.5, seed=seed)
    return LogisticProblem(d.x_train, d.y_train)


@dataclass
class GradientNoise:
    """Cosine between sampled mini-batch gradients and the full-batch (true) gradient at one point."""

    batch_sizes: tuple[int, ...]
    cosines: dict[int, np.ndarray]  # batch size -> (samples,)
    directions: dict[int, np.ndarray]  # batch size -> (samples, 2) unit vectors
    true_direction: np.ndarray  # (2,) unit vector of the full gradient


def gradient_noise(problem: LogisticProblem, w: Sequence[float], batch_sizes: Sequence[int] = (1, 8, 64),
                   samples: int = 200, seed: int = 0) -> GradientNoise:
    """For each batch size, `samples` random batches (drawn without replacement) at weights `w`."""
    wt = torch.tensor([float(w[0]), float(w[1])], dtype=torch.float32)
    per = problem.example_grads(wt)  # (N, 2)
    true = per.mean(0)
    true_dir = true / true.norm().clamp_min(1e-12)
    gen = torch.Generator().manual_seed(int(seed))
    cos, dirs = {}, {}
    for b in batch_sizes:
        b = int(min(b, problem.n))
        idx = torch.stack([torch.randperm(problem.n, generator=gen)[:b] for _ in range(samples)])  # (S, b)
        g = per[idx].mean(1)  # (S, 2)
        unit = g / g.norm(dim=1, keepdim=True).clamp_min(1e-12)
        cos[b], dirs[b] = (unit @ true_dir).numpy().astype(np.float64), unit.numpy()
    return GradientNoise(tuple(cos), cos, dirs, true_dir.numpy())


@dataclass
class BatchRun:
    """SGD with one batch size: its path on the full-batch loss, and when it reached the target."""

    batch_size: int
    path: Path
    step_seconds: np.ndarray  # (steps + 1,) seconds of optimizer work up to each step (no evaluation)
    target: float
    steps_to_target: int | None
    seconds_to_target: float | None

    @property
    def examples_to_target(self) -> int | None:
        return None if self.steps_to_target is None else self.steps_to_target * self.batch_size


def sgd_with_batches(problem: LogisticProblem, start: Sequence[float], batch_sizes: Sequence[int] = (1, 8, 64, 0),
                     lr: float = 0.5, steps: int = 300, target: float | None = None, seed: int = 0,
                     control: TrainControl | None = None) -> list[BatchRun]:
    """Plain SGD (torch.optim.SGD) from `start` with each batch size (0: the full batch), the same lr
    and step count; the full-batch loss after each step; when each first reached `target` (by
    default 10% above the best loss any of them reached)."""
    surface = LogisticSurface(problem)
    out = []
    for b in batch_sizes:
        b = problem.n if b <= 0 else int(min(b, problem.n))
        gen = torch.Generator().manual_seed(int(seed))
        w = torch.tensor([float(start[0]), float(start[1])], dtype=torch.float32, requires_grad=True)
        opt = make_optimizer("sgd", [w], lr)
        xy = np.empty((steps + 1, 2), np.float32)
        loss = np.empty(steps + 1)
        secs = np.zeros(steps + 1)
        xy[0], loss[0] = w.detach().numpy(), float(problem.loss(w.detach()))
        loop = Loop(steps, control)
        perm, pos, work = torch.randperm(problem.n, generator=gen), 0, 0.0
        for _ in loop.steps():
            t = time.perf_counter()
            if pos + b > problem.n:
                perm, pos = torch.randperm(problem.n, generator=gen), 0
            idx = perm[pos:pos + b]
            pos += b
            batch_loss = problem.loss(w, idx)
            opt.zero_grad()
            batch_loss.backward()
            opt.step()
            work += time.perf_counter() - t
            with torch.no_grad():
                full = float(problem.loss(w))
            if not loop.after_step(full):  # the new point's loss, before any step from it
                break
            xy[loop.step], loss[loop.step], secs[loop.step] = w.detach().numpy(), full, work
        n = loop.step if loop.status == "diverged" else loop.step + 1
        path = Path(f"batch {b}" if b < problem.n else f"full batch ({b})", lr, xy[:n].copy(), loss[:n].copy(),
                    loop.status, loop.message, work)
        out.append(BatchRun(b, path, secs[:n].copy(), math.nan, None, None))
    if target is None:
        best = min(float(r.path.loss.min()) for r in out)
        target = best * 1.1
    for r in out:
        r.target = float(target)
        r.steps_to_target = r.path.first_below(target)
        r.seconds_to_target = None if r.steps_to_target is None else float(r.step_seconds[r.steps_to_target])
    return out


# --------------------------------------------------------------------------- on Fashion-MNIST

def fmnist_race(data, names: Sequence[str], seconds: float, emit: Callable[[dict], Any],
                control: TrainControl | None = None, base: Any = None,
                lrs: Mapping[str, float] | None = None) -> list:
    """The classic MLP (train.RECIPES["mlp"]) trained for `seconds` with each optimizer in turn, at
    each optimizer's suggested learning rate; every event tagged {"run": i, "optimizer": name}."""
    from fmnist_core.fashion.train import RECIPES, train

    control = control or TrainControl()
    base = base or RECIPES["mlp"]
    results = []
    for i, name in enumerate(names):
        if control.should_stop():
            break
        spec = check_optimizer(name)
        lr = float((lrs or {}).get(name, spec.lr))
        cfg = base.with_(optimizer=name, lr=lr, time_budget=float(seconds), epochs=1000, eval_every=1)
        tag = {"run": i, "optimizer": name}
        emit({"kind": "run_start", **tag, "lr": lr})
        results.append(train(cfg, data, on_event=lambda e, tag=tag: emit({**e, **tag}), control=control))
    emit({"kind": "done", "status": "stopped" if control.should_stop() else "finished", "runs": len(results)})
    return results


OPTIMIZER_NAMES = tuple(OPTIMIZERS)
