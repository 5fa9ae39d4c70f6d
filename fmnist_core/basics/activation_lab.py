"""The activation lab's computations: curves f and f' (autograd), gradient checks, and a
comparison that trains the same MLP with several activations one after another.

Measured (bench/activation_compare.py, 2-core CPU shared with other jobs, 1 thread, bf16):
every activation but the step reaches > 80% test accuracy in 8 s on the full 60k images.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch

from fmnist_core.nn.activations import ACTIVATIONS, make_activation, trainable_activation_parameters
from fmnist_core.engine.events import EventReader, RunSeries, read
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.nn.models import CLASSIC_HIDDEN, build_model
from fmnist_core.fashion.train import TrainConfig, TrainControl, train

# ---------------------------------------------------------------------------------------- curves


def curves(name: str, params: Mapping[str, float] | None = None, x_min: float = -4.0, x_max: float = 4.0,
           n: int = 401) -> list[dict]:
    """f(x) and f'(x) on n points as float64 arrays; f' comes from autograd, not a formula.

    One curve per unit kind (BReLU: even and odd units), each {"name", "label", "x", "f", "df"};
    points outside f's domain are NaN.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
    if not (math.isfinite(x_min) and math.isfinite(x_max) and x_min < x_max):
        raise ValueError(f"need finite x_min < x_max, got {x_min}, {x_max}")
    spec = ACTIVATIONS[name]
    params = {p.name: float((params or {}).get(p.name, p.default)) for p in spec.params}
    units = max(1, len(spec.unit_labels))
    module = make_activation(name, units, **params).double()
    x = torch.linspace(x_min, x_max, n, dtype=torch.float64)
    xs = x[:, None].repeat(1, units).requires_grad_()  # (n, units): column i is unit i
    y = module(xs)
    (dy,) = torch.autograd.grad(y.sum(), xs)  # elementwise f, so d(sum)/dx_i = f'(x_i)
    y, dy = y.detach(), dy.detach()
    if spec.domain is not None:
        ok = spec.domain(xs.detach(), params)
        y, dy = y.masked_fill(~ok, float("nan")), dy.masked_fill(~ok, float("nan"))
    out = []
    for u in range(units):
        label = spec.label + (f" ({spec.unit_labels[u]})" if spec.unit_labels else "")
        out.append({"name": name, "label": label, "x": x.numpy(), "f": y[:, u].numpy(), "df": dy[:, u].numpy()})
    return out


# -------------------------------------------------------------------------------- gradient check


def sample_away_from_kinks(name: str, params: Mapping[str, float] | None = None, n: int = 24, units: int = 4,
                           low: float = -3.0, high: float = 3.0, away: float = 0.1, seed: int = 0) -> torch.Tensor:
    """(n, units) float64 points in [low, high], at least `away` from f's kinks and domain edge."""
    spec = ACTIVATIONS[name]
    params = {p.name: float((params or {}).get(p.name, p.default)) for p in spec.params}
    gen = torch.Generator().manual_seed(seed)
    kinks = torch.tensor(spec.kinks(params), dtype=torch.float64)
    keep: list[torch.Tensor] = []
    need = n * units
    for _ in range(100):
        x = low + (high - low) * torch.rand(4 * need, dtype=torch.float64, generator=gen)
        ok = torch.ones_like(x, dtype=torch.bool)
        if len(kinks):
            ok &= (x[:, None] - kinks[None, :]).abs().min(1).values >= away
        if spec.domain is not None:
            ok &= spec.domain(x - away, params) & spec.domain(x + away, params)
        keep.append(x[ok])
        if sum(len(k) for k in keep) >= need:
            break
    x = torch.cat(keep)
    if len(x) < need:
        raise ValueError(f"could not find {need} points of {name} away from its kinks in [{low}, {high}]")
    return x[:need].view(n, units)


def gradcheck_activation(name: str, params: Mapping[str, float] | None = None, n: int = 24, units: int = 4,
                         seed: int = 0, wrt_parameters: bool = False, eps: float = 1e-6) -> dict:
    """Run torch.autograd.gradcheck (float64) on f at points away from its kinks.

    Also compares the backward's gradient with central differences point by point, which is what
    the page shows: {"passed", "error", "max_abs_diff", "x", "unit", "analytic", "numerical", "seconds"}.
    """
    spec = ACTIVATIONS[name]
    params = {p.name: float((params or {}).get(p.name, p.default)) for p in spec.params}
    x = sample_away_from_kinks(name, params, n=n, units=units, seed=seed).requires_grad_()
    module = make_activation(name, units, **params).double()
    t0 = time.perf_counter()
    names = [k for k, p in module.named_parameters()] if wrt_parameters else []
    tensors = [p.detach().clone().requires_grad_() for _, p in module.named_parameters()] if names else []

    def fn(x, *ps):
        if not ps:
            return module(x)
        return torch.func.functional_call(module, dict(zip(names, ps)), (x,))

    error = ""
    try:
        passed = bool(torch.autograd.gradcheck(fn, (x, *tensors), eps=eps, atol=1e-5, rtol=1e-4))
    except Exception as e:  # GradcheckError, or a backward that raised: report, don't crash the page
        passed, error = False, f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
    (analytic,) = torch.autograd.grad(module(x).sum(), x)
    with torch.no_grad():
        xd = x.detach()
        numerical = (module(xd + eps) - module(xd - eps)) / (2 * eps)  # elementwise f: the Jacobian's diagonal
    diff = (analytic - numerical).abs().max().item()
    unit = torch.arange(units).repeat(n, 1)
    return {
        "passed": passed, "error": error, "max_abs_diff": diff, "seconds": time.perf_counter() - t0,
        "x": xd.flatten().numpy(), "unit": unit.flatten().numpy(),
        "analytic": analytic.detach().flatten().numpy(), "numerical": numerical.flatten().numpy(),
        "points": int(x.numel()), "parameters": names,
    }


# ----------------------------------------------------------------------------- training compare

# The classic MLP with the fastest CPU recipe (see README): big batches, one-cycle on the clock.
COMPARE_BASE = TrainConfig(model="mlp", hidden=CLASSIC_HIDDEN, lr=5e-3, batch_size=512, dropout=0.2,
                           schedule="onecycle", epochs=1000, time_budget=8.0, event_every=10)
MIN_COMPARE, MAX_COMPARE = 2, 6


def compare_config(activation: str, params: Mapping[str, float] | None = None, budget: float = 8.0,
                   base: TrainConfig = COMPARE_BASE, seed: int = 0) -> TrainConfig:
    spec = ACTIVATIONS[activation]
    kept = {p.name: float((params or {}).get(p.name, p.default)) for p in spec.params}
    return base.with_(activation=activation, activation_params=tuple(sorted(kept.items())),
                      time_budget=float(budget), seed=seed)


def parameter_stats(model: torch.nn.Module) -> dict[int, dict[str, dict[str, float]]]:
    """{layer: {param: {"mean", "p10", "p90"}}} over the units of each trainable activation."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    with torch.no_grad():
        for layer, ps in trainable_activation_parameters(model).items():
            out[layer] = {}
            for name, p in ps.items():
                v = p.detach().float().cpu()
                q = torch.quantile(v, torch.tensor([0.1, 0.9])) if v.numel() > 1 else v.repeat(2)
                out[layer][name] = {"mean": v.mean().item(), "p10": q[0].item(), "p90": q[1].item()}
    return out


def run_comparison(data: FashionMNIST, activations: Sequence[str],
                   params: Mapping[str, Mapping[str, float]] | None = None, budget: float = 8.0,
                   emit: Callable[[dict], object] | None = None, control: TrainControl | None = None,
                   base: TrainConfig = COMPARE_BASE, seed: int = 0) -> list[dict]:
    """Train the same MLP (same seed, same initial weights) with each activation, one after another.

    Every trainer event is passed on tagged with "run" (= "index"), "activation" and "of"; trainable
    activations add "act_params" (parameter_stats). After each run a {"kind": "result", ...} event. Returns
    the result events. A stop request ends the current run and skips the rest.
    """
    unknown = [a for a in activations if a not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activation(s) {', '.join(unknown)}; choose from {', '.join(ACTIVATIONS)}")
    if not budget or budget <= 0:
        raise ValueError(f"the budget must be positive seconds, got {budget}")
    emit = emit or (lambda e: None)
    control = control or TrainControl()
    results: list[dict] = []
    for i, name in enumerate(activations):
        if control.should_stop():
            break
        cfg = compare_config(name, (params or {}).get(name), budget, base, seed)
        torch.manual_seed(seed)  # same initial Linear weights for every activation
        model = build_model("mlp", cfg.hidden, name, cfg.dropout, dict(cfg.activation_params))
        first = model.net[0].weight.detach().clone()
        trainable = ACTIVATIONS[name].trainable
        tag = {"run": i, "activation": name, "index": i, "of": len(activations)}
        start = {"kind": "start", **tag, "budget": float(budget), "params": dict(cfg.activation_params)}
        if trainable:
            start["act_params"] = parameter_stats(model)
        emit(start)
        last_loss = [float("nan")]

        def on_event(ev: dict, tag=tag, model=model, trainable=trainable, last_loss=last_loss) -> None:
            ev = {k: v for k, v in ev.items() if k not in ("predictions", "probabilities")}
            ev.update(tag)
            if "train_loss" in ev:
                last_loss[0] = ev["train_loss"]
            if trainable and ev["kind"] in ("progress", "epoch", "done"):
                # Called from inside train() between optimizer steps: the parameters are consistent.
                ev["act_params"] = parameter_stats(model)
            emit(ev)

        res = train(cfg, data, on_event=on_event, control=control, model=model)
        with torch.no_grad():
            moved = ((res.model.net[0].weight.detach().cpu() - first.cpu()).norm() / first.norm()).item()
        result = {
            "kind": "result", **tag, "label": ACTIVATIONS[name].label, "status": res.status,
            "message": res.message, "test_accuracy": res.test_accuracy, "test_loss": res.test_loss,
            "train_loss": last_loss[0], "epochs": res.epochs, "steps": res.steps,
            "seconds": res.train_seconds, "first_layer_change": moved,
        }
        if trainable:
            result["act_params"] = parameter_stats(res.model)
        results.append(result)
        emit(result)
        if res.status == "stopped":
            break
    return results


# ------------------------------------------------------------------------ reading the events


def by_activation(events: Iterable[dict] | EventReader) -> dict[str, RunSeries]:
    """Each run's events (an `EventReader`'s series, one per "run" tag) by activation, in the order
    the runs started; `events` may be the live view's reader."""
    out: dict[str, RunSeries] = {}
    for run in read(events).ordered():
        first = run.start or run.last or {}
        if "activation" in first:
            out[first["activation"]] = run
    return out


def training_series(events: Iterable[dict] | EventReader) -> dict[str, dict[str, list[float]]]:
    """Per activation: "t"/"loss"/"train_acc" from progress events, "test_t"/"test_acc" from epoch
    and done events (seconds since that run started)."""
    out: dict[str, dict[str, list[float]]] = {}
    for name, run in by_activation(events).items():
        test = ("epoch", "done")
        acc = run.column(test, "test_accuracy")
        keep = np.isfinite(acc)
        out[name] = {"t": run.column("progress", "elapsed").tolist(),
                     "loss": run.column("progress", "train_loss").tolist(),
                     "train_acc": run.column("progress", "train_accuracy").tolist(),
                     "test_t": run.column(test, "elapsed")[keep].tolist(), "test_acc": acc[keep].tolist()}
    return out


def parameter_traces(events: Iterable[dict] | EventReader) -> dict[str, dict[str, dict[int, dict[str, list[float]]]]]:
    """{activation: {param: {layer: {"t", "mean", "p10", "p90"}}}} from events carrying act_params."""
    out: dict = {}
    for name, run in by_activation(events).items():
        for kind, i, stats in run.items("act_params"):
            if kind == "result":
                continue
            t = 0.0 if kind == "start" else float(run.column(kind, "elapsed")[i])
            for layer, ps in stats.items():
                for pname, st in ps.items():
                    tr = out.setdefault(name, {}).setdefault(pname, {}).setdefault(
                        int(layer), {"t": [], "mean": [], "p10": [], "p90": []})
                    tr["t"].append(t)
                    for k in ("mean", "p10", "p90"):
                        tr[k].append(st[k])
    return out


def results_table(events: Iterable[dict] | EventReader) -> list[dict]:
    """One row per activation, finished runs with their result, the running one with its progress."""
    rows = []
    for name, run in by_activation(events).items():
        spec = ACTIVATIONS[name]
        res = run.latest.get("result")
        if res is not None:
            acc = res["test_accuracy"]
            rows.append({
                "activation": spec.label, "status": res["status"],
                "test accuracy": None if not math.isfinite(acc) else round(acc, 4),
                "train loss": None if not math.isfinite(res["train_loss"]) else round(res["train_loss"], 4),
                "epochs": round(res["epochs"], 2), "seconds": round(res["seconds"], 1),
                "hidden weights moved": round(res["first_layer_change"], 4),
                "learned parameters": _param_summary(res.get("act_params")),
            })
        else:
            last = run.last_of("progress", "epoch")
            rows.append({
                "activation": spec.label, "status": "training…",
                "test accuracy": None, "train loss": None if last is None else round(last["train_loss"], 4),
                "epochs": None if last is None else round(last["epoch"], 2),
                "seconds": None if last is None else round(last["elapsed"], 1),
                "hidden weights moved": None, "learned parameters": "",
            })
    return rows


def _param_summary(stats: Mapping | None) -> str:
    """'t_l -1.02, a_l 0.11' (mean over every unit of every hidden layer)."""
    if not stats:
        return ""
    names = list(next(iter(stats.values())))
    means = {n: sum(stats[layer][n]["mean"] for layer in stats) / len(stats) for n in names}
    return ", ".join(f"{n} {v:.3g}" for n, v in means.items())
