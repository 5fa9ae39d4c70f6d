"""Lesson goals: small declarative checks ("test_accuracy >= 0.95") on numbers the pages already have.

A check names a page's measured value (METRICS) or one of its URL settings. The values are computed
here from the core objects a page keeps (a ToyRun, an InitReport, a RunRecord, a prediction's
probabilities); `ui/views/lesson_values.py` hands them over from the session, and the goal tests build the
same objects from a step's solution settings.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

OPS = (">=", "<=", "==", "!=", ">", "<")
_CHECK = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Metric:
    label: str
    kind: str = "number"  # number | bool | text
    percent: bool = False  # a fraction shown as a percentage


METRICS: dict[str, dict[str, Metric]] = {  # page -> measured values its goals may check
    "activations": {
        "neuron_sum": Metric("the neuron's weighted sum"),
        "neuron_fires": Metric("the neuron fires (says flu)", "bool"),
        "neuron_sigmoid": Metric("the sigmoid's output"),
    },
    "boundaries": {
        "test_accuracy": Metric("test accuracy", percent=True),
        "train_accuracy": Metric("train accuracy", percent=True),
        "overfit_gap": Metric("train minus test accuracy", percent=True),
        "hidden_units": Metric("hidden units in all"),
        "epochs": Metric("epochs trained"),
    },
    "learning": {
        "point_loss": Metric("the chosen point's loss"),
        "all_loss": Metric("the loss over all training points"),
        "steps": Metric("update steps taken"),
    },
    "initialization": {
        "std_ratio": Metric("last hidden layer's std ÷ first's"),
        "last_std": Metric("the last hidden layer's std"),
        "saturated": Metric("share of the last layer's outputs saturated", percent=True),
    },
    "training": {
        "test_accuracy": Metric("test accuracy of the latest run", percent=True),
        "diverged": Metric("the latest run diverged", "bool"),
        "runs": Metric("runs kept"),
    },
    "sketch": {
        "prediction": Metric("the model's answer", "text"),
        "confidence": Metric("the answer's probability", percent=True),
    },
    "fragile": {
        "fooled": Metric("the attack fooled the model", "bool"),
        "noise_fooled": Metric("random noise of the same size fooled it", "bool"),
        "adv_prediction": Metric("the model's answer for the attacked image", "text"),
        "ko_accuracy": Metric("test accuracy with units switched off", percent=True),
        "units_off": Metric("units switched off"),
    },
    "overfitting": {
        "test_accuracy": Metric("the latest run's test accuracy", percent=True),
        "train_accuracy": Metric("the latest run's accuracy on its training images", percent=True),
        "gap": Metric("train minus test accuracy of the latest run", percent=True),
        "cures": Metric("cures switched on in the latest run"),
        "images": Metric("training images of the latest run"),
        "restored": Metric("early stopping put the best epoch back", "bool"),
    },
}


@dataclass(frozen=True)
class Check:
    name: str
    op: str
    target: Any  # float, bool or str
    source: str  # as written


@dataclass(frozen=True)
class Goal:
    text: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class CheckResult:
    check: Check
    value: Any  # None: not measured yet (nothing run)
    met: bool


def _target(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"target {text!r} is not a number, true/false or a quoted text") from None
    if not math.isfinite(v):
        raise ValueError(f"target {text!r} is not a finite number")
    return v


def _kind_of_setting(field: Any) -> str:
    default = getattr(field, "default", None)
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, (int, float)) and not hasattr(field, "options"):
        return "number"
    return "text"


def parse_check(text: str, page: str, schema: Mapping[str, Any]) -> Check:
    """'name op target' for one of `page`'s metrics or settings; raises ValueError with the reason."""
    m = _CHECK.match(text)
    if not m:
        raise ValueError(f"goal check {text!r} is not 'name op value' (ops: {' '.join(OPS)})")
    name, op, raw = m.groups()
    target = _target(raw)
    metrics = METRICS.get(page, {})
    if name in metrics:
        kind = metrics[name].kind
    elif name in schema:
        kind = _kind_of_setting(schema[name])
    else:
        known = list(metrics) + list(schema)
        raise ValueError(f"goal check {text!r}: page {page!r} has no value {name!r} (it has: {', '.join(known)})")
    want = {"number": (float,), "bool": (bool,), "text": (str,)}[kind]
    if isinstance(target, bool) != (kind == "bool") or not isinstance(target, want):
        raise ValueError(f"goal check {text!r}: {name!r} is a {kind}, so compare it with a {kind}"
                         + (" (quote texts)" if kind == "text" else ""))
    if kind != "number" and op not in ("==", "!="):
        raise ValueError(f"goal check {text!r}: a {kind} can only be compared with == or !=")
    options = getattr(schema.get(name), "options", None) if name not in metrics else None
    if options and isinstance(target, str) and target not in options:
        raise ValueError(f"goal check {text!r}: {target!r} is not one of {', '.join(options)}")
    return Check(name, op, target, text.strip())


def _compare(value: Any, op: str, target: Any) -> bool:
    if isinstance(target, bool):
        value = bool(value)
    elif isinstance(target, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(value):
            return False
        if op in ("==", "!="):
            same = math.isclose(value, target, rel_tol=1e-9, abs_tol=1e-9)
            return same if op == "==" else not same
    else:
        value = str(value)
    return {">=": value >= target, "<=": value <= target, ">": value > target, "<": value < target,
            "==": value == target, "!=": value != target}[op]


def evaluate(goal: Goal, values: Mapping[str, Any]) -> list[CheckResult]:
    """Each check against `values` (a missing or None value is not met: nothing has been measured)."""
    out = []
    for c in goal.checks:
        v = values.get(c.name)
        out.append(CheckResult(c, v, v is not None and _compare(v, c.op, c.target)))
    return out


def goal_met(goal: Goal, values: Mapping[str, Any]) -> bool:
    return all(r.met for r in evaluate(goal, values))


# --------------------------------------------------------------------------- values, page by page

def neuron_values(s: Mapping[str, Any]) -> dict:
    """The flu neuron of the activations page, from its settings (x1..x3, w1..w3, threshold)."""
    from fmnist_core.basics.neuron import compute_neuron

    xs = [1.0 if s["x1"] else 0.0, 1.0 if s["x2"] else 0.0, 1.0 if s["x3"] else 0.0]
    n = compute_neuron(xs, [float(s["w1"]), float(s["w2"]), float(s["w3"])], float(s["threshold"]))
    return {"neuron_sum": n.total, "neuron_fires": n.fires, "neuron_sigmoid": n.outputs["sigmoid"]}


def boundary_values(run, s: Mapping[str, Any]) -> dict:
    """A boundary page run (ToyRun); accuracies only once it has trained (epoch > 0)."""
    out = {"hidden_units": int(s["units"]) * int(s["layers"]), "epochs": 0}
    if run is None or run.epoch == 0:
        return out
    m = run.metrics()
    return {**out, "epochs": run.epoch, "test_accuracy": m["test_acc"], "train_accuracy": m["train_acc"],
            "overfit_gap": m["train_acc"] - m["test_acc"]}


def learning_values(weights, steps: int, x: np.ndarray, y: np.ndarray, s: Mapping[str, Any]) -> dict:
    """The learning page's network (backprop.Weights) on its training points x (N, 2), y (N,)."""
    from fmnist_core.basics.backprop import run_pass

    point = min(int(s["point"]), len(y) - 1)
    all_loss = run_pass(weights, s["act"], s["loss"], x, y).loss
    point_loss = run_pass(weights, s["act"], s["loss"], x[point:point + 1], y[point:point + 1]).loss
    return {"steps": int(steps), "all_loss": float(all_loss), "point_loss": float(point_loss)}


def init_values(report) -> dict:
    """An initialization report (init_report.InitReport): how the activations' spread changes with depth."""
    std = np.asarray(report.acts.std, dtype=float)
    first = float(std[0])
    return {"std_ratio": float(std[-1] / first) if first > 0 else 0.0, "last_std": float(std[-1]),
            "saturated": float(report.acts.saturated[-1])}


def training_values(records: list) -> dict:
    """The training page's kept runs (runs.RunRecord), newest last."""
    if not records:
        return {"runs": 0}
    r = records[-1]
    acc = float(r.test_accuracy)
    return {"runs": len(records), "diverged": r.status == "diverged",
            "test_accuracy": acc if math.isfinite(acc) else None}


def sketch_values(probs: np.ndarray | None) -> dict:
    """The drawing page's answer from its probabilities (10,), None before anything is drawn."""
    from fmnist_core.fashion.dataset import CLASS_NAMES

    if probs is None:
        return {}
    top = int(np.argmax(probs))
    return {"prediction": CLASS_NAMES[top], "confidence": float(probs[top])}


def fragile_values(attack, knockout: Mapping[str, Any] | None) -> dict:
    """Page 9's last attack (fmnist_core.fragile.adversarial.Attack) and knock-out ({"off", "accuracy"})."""
    from fmnist_core.fashion.dataset import CLASS_NAMES

    out: dict[str, Any] = {}
    if attack is not None:
        out |= {"fooled": attack.fooled, "noise_fooled": attack.noise_fooled,
                "adv_prediction": CLASS_NAMES[attack.after]}
    if knockout is not None:
        out |= {"ko_accuracy": float(knockout["accuracy"]), "units_off": int(knockout["off"])}
    return out


def overfitting_values(runs: list[Mapping[str, Any]]) -> dict:
    """Page 10's kept lab runs (fmnist_core.overfitting.lab.LabResult.summary() and more), newest last."""
    if not runs:
        return {}
    r = runs[-1]
    out = {"cures": int(r["cures"]), "images": int(r["n_train"]), "restored": bool(r["restored"])}
    for name in ("test_accuracy", "train_accuracy", "gap"):
        v = r.get(name)
        if v is not None and math.isfinite(v):
            out[name] = float(v)
    return out


def describe(result: CheckResult, page: str) -> str:
    """A check and its current value in words, e.g. 'test accuracy ≥ 95% (now 87%)'."""
    c = result.check
    m = METRICS.get(page, {}).get(c.name)
    label = m.label if m else c.name
    sym = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}[c.op]

    def fmt(v):
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{v:.0%}" if m is not None and m.percent else f"{v:.4g}"
        if isinstance(v, (list, tuple)):
            return ", ".join(map(str, v))
        return str(v)

    now = "not measured yet" if result.value is None else f"now {fmt(result.value)}"
    if isinstance(c.target, bool) and c.op == "==":
        return f"{label}: {fmt(c.target)} ({now})"
    return f"{label} {sym} {fmt(c.target)} ({now})"
