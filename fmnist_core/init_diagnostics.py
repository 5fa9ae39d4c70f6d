"""What an initialization does to a deep MLP: per-layer activations, gradients and unit symmetry.

Everything comes out as plain numpy arrays (one entry per hidden layer), for a page to draw.
`compare_inits` trains the same network once per initializer, one after another, in one job.

Measured here (10 tanh layers of 256 units, 256 Fashion-MNIST images): N(0, 1) leaves 86% of
the last layer's |a| above 0.99, N(0, 0.01) shrinks the std 1e7-fold to 2e-8, Xavier with tanh's
gain 5/3 keeps it within 1.2x (gain 1: ~3x), He with ReLU within 1.2x.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .activations import ACTIVATIONS
from .models import MLP
from .loop import TrainControl
from .optim import make_optimizer
from .weight_init import INITS, apply_init, weight_std

MAX_DEPTH = 10
WIDTHS = (8, 16, 32, 64, 128, 256, 512)
VANISH = 10.0  # a layer whose gradient is 10x smaller (larger) than the output layer's vanishes (explodes)
TINY, HUGE = 1e-6, 1e6  # gradient norms beyond these are vanishing/exploding whatever the ratio
EVAL_SIZE = 2000  # test inputs scored after each comparison run
FLAT_SLOPE = 0.05  # |f'(z)| below this: the unit is saturated (or dead) and passes almost no gradient


# --------------------------------------------------------------------------- models

def build_deep_mlp(depth: int, width: int, activation: str = "tanh", in_features: int = 784,
                   out_features: int = 10, activation_params: dict | None = None) -> MLP:
    """An MLP with `depth` hidden layers of `width` units, no dropout (dropout would break symmetry)."""
    if not 1 <= int(depth) <= MAX_DEPTH:
        raise ValueError(f"depth must be 1..{MAX_DEPTH} hidden layers, got {depth}")
    if not 1 <= int(width) <= 1024:
        raise ValueError(f"width must be 1..1024 units, got {width}")
    return MLP((int(width),) * int(depth), activation, dropout=0.0, in_features=in_features,
               out_features=out_features, activation_params=activation_params)


def hidden_layers(model: nn.Module) -> list[tuple[nn.Linear, nn.Module]]:
    """(Linear, activation) of each hidden layer of an MLP, input side first."""
    mods = list(model.net)
    return [(m, mods[i + 1]) for i, m in enumerate(mods[:-1]) if isinstance(m, nn.Linear)]


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Every Linear layer of an MLP: the hidden ones, then the output layer."""
    return [m for m in model.net if isinstance(m, nn.Linear)]


def is_rectifier(activation: str) -> bool:
    """ReLU-like (halves the signal's second moment): He's init is the one derived for these."""
    spec = ACTIVATIONS[activation]
    return activation == "brelu" or (not spec.saturating and not spec.zero_centred)


def recommended_init(activation: str) -> str:
    return "he_normal" if is_rectifier(activation) else "xavier_normal"


def activation_gain(activation: str) -> float:
    """PyTorch's `calculate_gain`: 5/3 for tanh, sqrt(2) for rectifiers, 1 otherwise."""
    if activation == "tanh":
        return 5.0 / 3.0
    return math.sqrt(2.0) if is_rectifier(activation) else 1.0


def variance_gain(init: str, activation: str, fan_in: int, fan_out: int, **params: float) -> float:
    """Factor by which a layer multiplies the signal's variance, linear theory: n_in Var(w) c.

    c = 1/2 for rectifiers (half the inputs are zeroed), 1 otherwise (tanh ~ identity near 0).
    1 keeps the scale through depth; above 1 it grows, below 1 it shrinks, geometrically.
    """
    c = 0.5 if is_rectifier(activation) else 1.0
    return fan_in * weight_std(init, fan_in, fan_out, **params) ** 2 * c


# --------------------------------------------------------------------------- activations

@dataclass
class ActivationStats:
    """Per hidden layer (L,), and histograms (L, bins) over shared `edges` (bins + 1,)."""

    mean: np.ndarray
    std: np.ndarray
    pre_std: np.ndarray  # std of the pre-activation z = W a + b
    saturated: np.ndarray  # fraction of |a| > 0.99
    flat: np.ndarray  # fraction of units with |f'(z)| < FLAT_SLOPE (saturated or dead)
    hist: np.ndarray  # fraction of the layer's values in each bin
    edges: np.ndarray
    clipped: np.ndarray  # fraction of each layer's values outside the edges

    @property
    def depth(self) -> int:
        return len(self.std)


def _slope(act: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """f'(z) elementwise, by autograd; 0 where the activation has no gradient (the step)."""
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        a = act(z)
        if not a.requires_grad:
            return torch.zeros_like(z)
        (g,) = torch.autograd.grad(a.sum(), z, allow_unused=True)
    return torch.zeros_like(z) if g is None else g


def _record(model: nn.Module, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """(pre-activations, activations) of each hidden layer (N, width) and the logits, via hooks."""
    zs, acts = [], []

    def hook(_m, inp, out):
        zs.append(inp[0])
        acts.append(out)

    handles = [act.register_forward_hook(hook) for _, act in hidden_layers(model)]
    try:
        logits = model(x)
    finally:
        for h in handles:
            h.remove()
    return zs, acts, logits


def histogram_edges(values: list[torch.Tensor], bins: int = 41) -> np.ndarray:
    """Shared bin edges covering the 0.1%..99.9% range of all layers (scale changes stay visible)."""
    flat = torch.cat([v.detach().flatten().float() for v in values])
    if len(flat) > 200_000:
        flat = flat[torch.randperm(len(flat), generator=torch.Generator().manual_seed(0))[:200_000]]
    lo, hi = torch.quantile(flat, torch.tensor([0.001, 0.999])).tolist()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = -1.0, 1.0
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    return np.linspace(lo, hi, bins + 1)


@torch.no_grad()
def activation_stats(model: nn.Module, x: torch.Tensor, bins: int = 41,
                     edges: np.ndarray | None = None) -> ActivationStats:
    """Statistics of each hidden layer's activations for the batch `x`."""
    zs, acts, _ = _record(model, x)
    if edges is None:
        edges = histogram_edges(acts, bins)
    e = torch.as_tensor(edges, dtype=torch.float32)
    hist, clipped = [], []
    for a in acts:
        v = a.detach().flatten().float().cpu()
        counts = torch.histc(v, bins=len(edges) - 1, min=float(e[0]), max=float(e[-1]))
        inside = ((v >= e[0]) & (v <= e[-1])).sum().item()
        hist.append((counts / max(len(v), 1)).numpy())
        clipped.append(1.0 - inside / max(len(v), 1))
    slopes = [_slope(act, z) for (_, act), z in zip(hidden_layers(model), zs)]
    return ActivationStats(
        mean=np.array([a.mean().item() for a in acts]),
        std=np.array([a.std().item() for a in acts]),
        pre_std=np.array([z.std().item() for z in zs]),
        saturated=np.array([(a.abs() > 0.99).float().mean().item() for a in acts]),
        flat=np.array([(s.abs() < FLAT_SLOPE).float().mean().item() for s in slopes]),
        hist=np.stack(hist),
        edges=np.asarray(edges, dtype=float),
        clipped=np.array(clipped),
    )


# --------------------------------------------------------------------------- gradients

@dataclass
class GradientStats:
    """Gradient norms after one backward pass of the cross-entropy on a batch."""

    weight: np.ndarray  # (L + 1,) ||dL/dW|| of each Linear layer, the output layer last
    activation: np.ndarray  # (L,) ||dL/da|| of each hidden layer's output, averaged over the batch
    loss: float


def gradient_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> GradientStats:
    """Backward once on (x, y); the model's .grad are left cleared."""
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        _, acts, logits = _record(model, x)
        for a in acts:
            a.retain_grad()
        loss = F.cross_entropy(logits.float(), y)
        loss.backward()
    weight = np.array([m.weight.grad.norm().item() if m.weight.grad is not None else 0.0
                       for m in linear_layers(model)])
    act = np.array([a.grad.norm(dim=1).mean().item() if a.grad is not None else 0.0 for a in acts])
    model.zero_grad(set_to_none=True)
    return GradientStats(weight=weight, activation=act, loss=float(loss.item()))


def layer_names(depth: int) -> list[str]:
    return [f"layer {i + 1}" for i in range(depth)] + ["output"]


@dataclass
class GradientVerdict:
    labels: list[str]  # per layer: healthy | vanishing | exploding | zero
    kind: str  # healthy | vanishing | exploding | zero | mixed
    text: str
    ratio: float  # first layer / last (output) layer


def name_gradient_flow(norms: np.ndarray | list[float], threshold: float = VANISH) -> GradientVerdict:
    """Name vanishing and exploding gradients, relative to the layer nearest the loss (the last)."""
    g = np.asarray(norms, dtype=float)
    ref = g[-1]
    labels = []
    for v in g:
        if not np.isfinite(v) or v > HUGE:
            labels.append("exploding")
        elif v == 0:
            labels.append("zero")
        elif v < TINY:
            labels.append("vanishing")
        elif ref > 0 and v / ref < 1 / threshold:
            labels.append("vanishing")
        elif ref > 0 and v / ref > threshold:
            labels.append("exploding")
        else:
            labels.append("healthy")
    ratio = float(g[0] / ref) if ref > 0 else (0.0 if g[0] == 0 else math.inf)
    names = layer_names(len(g) - 1)

    def which(label: str) -> str:
        idx = [i for i, lab in enumerate(labels) if lab == label]
        return _ranges([names[i] for i in idx]) if idx else ""

    kinds = set(labels) - {"healthy"}
    if not kinds:
        kind = "healthy"
        text = (f"Healthy: every layer's gradient is within {threshold:g}x of the output layer's "
                f"(first/last = {ratio:.3g}).")
    elif kinds == {"zero"}:
        kind = "zero"
        text = f"Zero: no gradient at all reaches {which('zero')}: those weights cannot change."
    elif "exploding" in kinds and "vanishing" not in kinds:
        kind = "exploding"
        if ratio > threshold:
            text = (f"Exploding gradients in {which('exploding')}: the first layer's gradient is "
                    f"{ratio:.3g}x the output layer's.")
        else:
            text = (f"Exploding gradients in {which('exploding')}: norms up to {np.nanmax(g):.3g} "
                    f"(the activations have blown up, and the gradients with them).")
    elif "vanishing" in kinds and "exploding" not in kinds:
        kind = "vanishing"
        if all(lab in ("vanishing", "zero") for lab in labels):
            text = f"Vanishing everywhere: every gradient is below {TINY:g}, so the weights barely move."
        else:
            text = (f"Vanishing gradients in {which('vanishing')}: the first layer's gradient is "
                    f"{ratio:.3g}x the output layer's (1/{1 / ratio:.3g})." if ratio > 0 else
                    f"Vanishing gradients in {which('vanishing')}.")
    else:
        kind = "mixed"
        text = f"Vanishing in {which('vanishing') or '-'}, exploding in {which('exploding') or '-'}."
    return GradientVerdict(labels, kind, text, ratio)


def _ranges(names: list[str]) -> str:
    """'layer 1', 'layer 2', 'layer 3' -> 'layers 1-3'."""
    nums = [int(n.split()[1]) for n in names if n.startswith("layer ")]
    rest = [n for n in names if not n.startswith("layer ")]
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(f"{nums[i]}" if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    out = []
    if parts:
        out.append(("layer " if len(nums) == 1 else "layers ") + ", ".join(parts))
    return " and ".join(out + rest)


# --------------------------------------------------------------------------- symmetry

@torch.no_grad()
def _distances(weight: torch.Tensor) -> torch.Tensor:
    w = weight.detach().float().flatten(1)
    sq = w.pow(2).sum(1)
    d = (sq[:, None] + sq[None, :] - 2 * w @ w.T).clamp_min(0).sqrt()
    _, group = torch.unique(w, dim=0, return_inverse=True)
    return d.masked_fill(group[:, None] == group[None, :], 0.0)


def unit_distances(weight: torch.Tensor) -> np.ndarray:
    """(units, units) Euclidean distances between the units' incoming weight vectors (rows).

    Units with bit-identical weights get exactly 0 (the fast matrix-product formula alone would
    leave rounding noise of ~1e-3 there).
    """
    return _distances(weight).cpu().numpy()


def symmetry(model: nn.Module) -> np.ndarray:
    """(L,) mean distance between two units' weight vectors in each hidden layer; 0: all identical."""
    out = []
    for lin, _ in hidden_layers(model):
        n = lin.weight.shape[0]
        out.append(_distances(lin.weight).sum().item() / (n * (n - 1)) if n > 1 else 0.0)
    return np.array(out)


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class DiagData:
    """Inputs as the network sees them: float (N, D) after `prep`, class labels (N,)."""

    name: str
    x_train: torch.Tensor  # raw: uint8 images or float points
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    in_features: int
    prep: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)

    def batch(self, n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """A fixed random batch of training inputs (float (n, D)) and labels."""
        g = torch.Generator().manual_seed(seed)
        idx = torch.randperm(len(self.y_train), generator=g)[:n].to(self.y_train.device)
        return self.prep(self.x_train[idx]), self.y_train[idx]


def fashion_data(data) -> DiagData:
    """Fashion-MNIST, standardized with the training set's mean and std, flattened to 784."""
    from .train import data_normalization

    shift, scale = data_normalization(data, "standard")
    prep = lambda raw: ((raw.float() - shift) / scale).flatten(1)  # (N, 784)
    return DiagData("fashion", data.train_images, data.train_labels, data.test_images, data.test_labels,
                    10, 784, prep)


def toy_names() -> list[str]:
    try:
        from .toy_data import DATASETS
    except ImportError:
        return ["spiral"]
    return list(DATASETS)


def toy_data(name: str = "spiral", n: int = 1000, noise: float = 0.1, seed: int = 0) -> DiagData:
    """A two-class toy 2D set (the colleagues' `toy_data`, else a built-in spiral), 50% test."""
    try:
        from .toy_data import make_dataset
    except ImportError:
        make_dataset = None
    if make_dataset is not None:
        d = make_dataset(name, n=n, noise=noise, test_fraction=0.5, seed=seed)
        xtr, ytr, xte, yte = d.x_train, d.y_train.long(), d.x_test, d.y_test.long()
    else:
        rng = np.random.default_rng(seed)
        s = rng.uniform(0, 1, n)
        cls = np.arange(n) % 2
        t = 2.5 * np.pi * s + np.pi * cls
        x = np.stack([(0.2 + 1.8 * s) * np.sin(t), (0.2 + 1.8 * s) * np.cos(t)], 1) + rng.normal(0, noise, (n, 2))
        x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(cls)
        xtr, ytr, xte, yte = x[: n // 2], y[: n // 2], x[n // 2:], y[n // 2:]
    return DiagData(name, xtr, ytr, xte, yte, 2, 2, lambda raw: raw.float())


# --------------------------------------------------------------------------- init-time report

@dataclass
class InitReport:
    """Everything the page shows about one network at initialization."""

    acts: ActivationStats
    grads: GradientStats
    verdict: GradientVerdict
    symmetry: np.ndarray
    reference: ActivationStats | None  # the same network with the recommended init
    reference_init: str
    weight_std: float  # of the hidden-to-hidden weights (layer 2 on), or layer 1 for depth 1
    xavier_std: float
    he_std: float
    gain: float  # variance_gain of a hidden-to-hidden layer


def init_report(data: DiagData, depth: int, width: int, activation: str, init: str, seed: int = 0,
                batch: int = 512, with_reference: bool = True, **params: float) -> InitReport:
    """Build the network, initialize it, and measure it on a fixed batch."""
    x, y = data.batch(batch, seed)
    torch.manual_seed(seed)
    model = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(x.device)
    apply_init(model, init, seed=seed, **params)
    acts = activation_stats(model, x)
    grads = gradient_stats(model, x, y)
    ref_init = recommended_init(activation)
    reference = None
    if with_reference:
        ref = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(x.device)
        ref_params = {"gain": activation_gain(activation)} if ref_init.startswith("xavier") else {}
        apply_init(ref, ref_init, seed=seed, **ref_params)
        reference = activation_stats(ref, x, edges=acts.edges)
    fan_in = width if depth > 1 else data.in_features
    init_params = {k: v for k, v in params.items() if k != "noise"}
    return InitReport(
        acts=acts, grads=grads, verdict=name_gradient_flow(grads.weight), symmetry=symmetry(model),
        reference=reference, reference_init=ref_init,
        weight_std=weight_std(init, fan_in, width, **init_params),
        xavier_std=weight_std("xavier_normal", fan_in, width), he_std=weight_std("he_normal", fan_in, width),
        gain=variance_gain(init, activation, fan_in, width, **init_params),
    )


# --------------------------------------------------------------------------- symmetry run

@dataclass
class SymmetryRun:
    """A short training run watched for symmetry: does every unit of a layer stay the same?"""

    steps: np.ndarray  # (T,)
    symmetry: np.ndarray  # (T, L) mean distance between units' weight vectors, per hidden layer
    loss: np.ndarray  # (T,)
    first_weights: np.ndarray  # (units shown, in_features) first-layer weights after training
    distances: np.ndarray  # (units shown, units shown) distances between those units after training
    identical: list[bool]  # per hidden layer: all units bit-identical after training


def symmetry_run(data: DiagData, depth: int, width: int, activation: str, init: str, steps: int = 100,
                 every: int = 5, seed: int = 0, lr: float = 1e-3, batch_size: int = 128, show: int = 8,
                 **params: float) -> SymmetryRun:
    """Train with Adam for `steps` steps, measuring the symmetry every `every` steps."""
    torch.manual_seed(seed)
    model = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(data.y_train.device)
    apply_init(model, init, seed=seed, **params)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n = len(data.y_train)
    xs, sym, losses = [0], [symmetry(model)], []
    x0, y0 = data.batch(min(512, n), seed)
    with torch.no_grad():
        losses.append(F.cross_entropy(model(x0), y0).item())
    for step in range(1, steps + 1):
        idx = torch.randint(0, n, (batch_size,), generator=gen).to(data.y_train.device)
        loss = F.cross_entropy(model(data.prep(data.x_train[idx])), data.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % every == 0 or step == steps:
            xs.append(step)
            sym.append(symmetry(model))
            losses.append(loss.item())
    w = linear_layers(model)[0].weight.detach()
    k = min(show, len(w))
    return SymmetryRun(
        steps=np.array(xs), symmetry=np.stack(sym), loss=np.array(losses),
        first_weights=w[:k].cpu().numpy(), distances=unit_distances(w[: max(k, min(32, len(w)))]),
        identical=[bool((lin.weight == lin.weight[0]).all()) for lin, _ in hidden_layers(model)],
    )


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
    dev = data.y_train.device
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(data.y_train)
    step, t0, paused = 0, time.perf_counter(), 0.0
    window: list[float] = []
    status, message = "finished", f"{cfg.budget:g} s used"
    base = {"run": run, "init": init}
    x0, y0 = data.batch(min(512, n), cfg.seed)
    with torch.no_grad():
        loss0 = float(F.cross_entropy(model(x0), y0).item())
    emit({**base, "kind": "progress", "step": 0, "elapsed": 0.0, "loss": loss0, "grad_norms": None,
          "symmetry": symmetry(model).tolist()})
    while True:
        if control.should_stop():
            status, message = "stopped", control.stop_reason or "stopped"
            break
        paused += control.wait_while_paused()
        elapsed = time.perf_counter() - t0 - paused
        if elapsed >= cfg.budget or step >= cfg.max_steps:
            break
        idx = torch.randint(0, n, (cfg.batch_size,), generator=gen).to(dev)
        x, y = data.prep(data.x_train[idx]), data.y_train[idx]
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        step += 1
        lv = loss.item()
        if not math.isfinite(lv):
            status = "diverged"
            message = f"diverged at step {step}: the loss became {'NaN' if math.isnan(lv) else 'infinite'}"
            break
        window.append(lv)
        report = step % cfg.event_every == 0
        norms = _grad_norms(model) if report else None
        opt.step()
        if report:
            # The symmetry measure costs ~30 ms for 10x256: every 4th event is enough to see it.
            sym = symmetry(model).tolist() if step % (4 * cfg.event_every) == 0 else None
            emit({**base, "kind": "progress", "step": step, "elapsed": time.perf_counter() - t0 - paused,
                  "loss": float(np.mean(window)), "grad_norms": norms, "symmetry": sym})
            window = []
    acc = float("nan")
    if status != "diverged":
        with torch.no_grad():  # the first EVAL_SIZE test inputs: +-1% and 5x cheaper than all 10,000
            acc = (model(data.prep(data.x_test[:EVAL_SIZE])).argmax(1) == data.y_test[:EVAL_SIZE]).float().mean().item()
    summary = {**base, "kind": "run_done", "status": status, "message": message, "step": step,
               "elapsed": time.perf_counter() - t0 - paused, "test_accuracy": acc}
    emit(summary)
    return summary


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


def comparison_curves(events: list[dict]) -> list[RunCurves]:
    """Group a comparison job's events by run."""
    runs: dict[int, dict] = {}
    for e in events:
        if "run" not in e:
            continue
        r = runs.setdefault(e["run"], {"init": e.get("init", ""), "prog": [], "done": None})
        if e["kind"] == "progress":
            r["prog"].append(e)
        elif e["kind"] == "run_done":
            r["done"] = e
    out = []
    for i in sorted(runs):
        r, prog = runs[i], runs[i]["prog"]
        done = r["done"] or {}
        g = [e for e in prog if e.get("grad_norms")]
        sy = [e for e in prog if e.get("symmetry") is not None]
        status = done.get("status", "running")
        out.append(RunCurves(
            init=r["init"], status=status, message=done.get("message", ""),
            steps=np.array([e["step"] for e in prog], dtype=int),
            loss=np.array([e["loss"] for e in prog], dtype=float),
            grad_steps=np.array([e["step"] for e in g], dtype=int),
            grad_norms=_rows([e["grad_norms"] for e in g]),
            sym_steps=np.array([e["step"] for e in sy], dtype=int),
            symmetry=_rows([e["symmetry"] for e in sy]),
            test_accuracy=done.get("test_accuracy", float("nan")),
            diverged_at=done.get("step") if status == "diverged" else None,
        ))
    return out
