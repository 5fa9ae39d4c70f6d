"""Optimizers and learning-rate schedules: one registry each, and the one place that creates a
`torch.optim` optimizer. Pages and the CLI build their menus and sliders from these entries."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch

from fmnist_core.engine.params import Param, resolve

LR = Param("lr", 3e-3, 1e-5, 10.0, log=True, label="learning rate", symbol=r"\eta")
MOMENTUM = Param("momentum", 0.9, 0.0, 0.999, label="momentum", symbol=r"\beta",
                 help="weight of the running average of past gradients")
BETA1 = Param("beta1", 0.9, 0.0, 0.999, label="β₁ (momentum)", symbol=r"\beta_1")
BETA2 = Param("beta2", 0.999, 0.5, 0.99999, label="β₂ (squared gradients)", symbol=r"\beta_2")
ALPHA = Param("alpha", 0.99, 0.5, 0.9999, label="α (squared-gradient average)", symbol=r"\alpha")


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    label: str
    formula: str  # LaTeX of one update
    build: Callable[..., torch.optim.Optimizer]  # build(params, lr, weight_decay, **hyper)
    params: tuple[Param, ...] = field(default=())  # hyperparameters besides lr and weight decay
    lr: float = 1e-2  # a sensible starting learning rate for this optimizer
    note: str = ""


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec(
        "sgd", "SGD", r"w \leftarrow w - \eta\,\nabla L",
        lambda p, lr, wd: torch.optim.SGD(p, lr=lr, weight_decay=wd), lr=0.1,
        note="plain gradient descent: one step against the gradient"),
    "momentum": OptimizerSpec(
        "momentum", "SGD + momentum", r"v \leftarrow \beta v + \nabla L,\; w \leftarrow w - \eta v",
        lambda p, lr, wd, momentum: torch.optim.SGD(p, lr=lr, momentum=momentum, weight_decay=wd),
        (MOMENTUM,), lr=0.05, note="an exponentially weighted average of the gradients smooths the steps"),
    "nesterov": OptimizerSpec(
        "nesterov", "Nesterov momentum",
        r"v \leftarrow \beta v + \nabla L,\; w \leftarrow w - \eta(\nabla L + \beta v)",
        lambda p, lr, wd, momentum: torch.optim.SGD(p, lr=lr, momentum=momentum, nesterov=True, weight_decay=wd),
        (MOMENTUM,), lr=0.05, note="momentum that looks one step ahead"),
    "adagrad": OptimizerSpec(
        "adagrad", "Adagrad", r"G \leftarrow G + (\nabla L)^2,\; w \leftarrow w - \tfrac{\eta}{\sqrt{G}+\epsilon}\nabla L",
        lambda p, lr, wd: torch.optim.Adagrad(p, lr=lr, weight_decay=wd), lr=0.05,
        note="a learning rate per parameter, larger for rarely-updated ones; it only shrinks"),
    "rmsprop": OptimizerSpec(
        "rmsprop", "RMSprop",
        r"s \leftarrow \alpha s + (1-\alpha)(\nabla L)^2,\; w \leftarrow w - \tfrac{\eta}{\sqrt{s}+\epsilon}\nabla L",
        lambda p, lr, wd, alpha: torch.optim.RMSprop(p, lr=lr, alpha=alpha, weight_decay=wd),
        (ALPHA,), lr=1e-3, note="Adagrad with a forgetting average, so the step size can recover"),
    "adam": OptimizerSpec(
        "adam", "Adam",
        r"m \leftarrow \beta_1 m + (1-\beta_1)\nabla L,\; s \leftarrow \beta_2 s + (1-\beta_2)(\nabla L)^2,\; "
        r"w \leftarrow w - \eta\,\tfrac{\hat m}{\sqrt{\hat s}+\epsilon}",
        lambda p, lr, wd, beta1, beta2: torch.optim.Adam(p, lr=lr, betas=(beta1, beta2), weight_decay=wd),
        (BETA1, BETA2), lr=3e-3, note="momentum + squared-gradient scaling + bias correction"),
}
CLASSIC_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam")  # the lecture's four
HYPERPARAMS = tuple(dict.fromkeys(p for spec in OPTIMIZERS.values() for p in spec.params))  # momentum, α, β₁, β₂
# A hyperparameter slider's stops: these are weights of running averages, whose interesting values crowd near 1.
HYPER_STOPS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999)


def hyper_stops(p: Param) -> list[float]:
    """The stops of `p`'s slider: HYPER_STOPS within its range (its default among them)."""
    return [v for v in HYPER_STOPS if p.low <= v <= p.high]


def check_optimizer(name: str) -> OptimizerSpec:
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name]


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0, **hyper: float) -> torch.optim.Optimizer:
    """The real `torch.optim` optimizer `name` over the trainable `params`.

    Hyperparameters of other optimizers are ignored, so a caller may always pass `momentum=...`.
    """
    spec = check_optimizer(name)
    params = [p for p in params if not isinstance(p, torch.Tensor) or p.requires_grad]
    return spec.build(params, float(lr), float(weight_decay), **resolve(spec.params, hyper, name))


# --------------------------------------------------------------------------- schedules


def _onecycle(p: float, warmup: float) -> float:
    if p < warmup:
        return 0.1 + 0.9 * p / warmup
    return max(0.0, (1 - p) / (1 - warmup))


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    label: str
    factor: Callable[[float, float], float]  # factor(progress in [0, 1], warmup) -> multiplier of the peak lr


SCHEDULES: dict[str, ScheduleSpec] = {
    "constant": ScheduleSpec("constant", "constant", lambda p, w: 1.0),
    "onecycle": ScheduleSpec("onecycle", "one-cycle (warm up, then anneal to 0)", _onecycle),
    "cosine": ScheduleSpec("cosine", "cosine decay to 0", lambda p, w: 0.5 * (1 + math.cos(math.pi * p))),
}


def schedule_lr(schedule: str, lr: float, progress: float, warmup: float = 0.2) -> float:
    """Learning rate at `progress` in [0, 1] of a run whose peak is `lr`."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from {', '.join(SCHEDULES)}")
    return lr * SCHEDULES[schedule].factor(min(max(progress, 0.0), 1.0), warmup)


def labels(registry: Mapping[str, object]) -> dict[str, str]:
    """name -> label of any registry whose entries carry `.label`, for a selectbox's format_func."""
    return {k: getattr(v, "label", str(v)) for k, v in registry.items()}
