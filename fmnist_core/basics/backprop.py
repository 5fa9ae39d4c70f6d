"""The lecture's network learning by hand: forward, loss, the chain rule backward, the SGD update.

2 inputs (x1, x2), one hidden layer of H = 2..4 units, one sigmoid output, in float64, written out
the way the lecture writes it (no autograd):

    z_j = w_1j x1 + w_2j x2 + b_j      a_j = f(z_j)      (w_ij joins input x_i to hidden unit j)
    z   = v_1 a_1 + ... + v_H a_H + c  y_hat = sigmoid(z)
    dL/dw_ij = x_i * f'(z_j) * v_j * dL/dz,   with dL/dz = y_hat - y for binary cross-entropy

The step activation has slope 0 everywhere; as on the decision-boundary page its backward pass uses
a stand-in slope, that of sigmoid(SURROGATE_SLOPE z), while the forward pass stays a true step.
`autograd_grads` computes the same gradients with torch.autograd, to check the hand-written ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.nn.activations import make_activation
from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.nn.losses import BINARY_LOSSES, LOSSES, batch_loss, point_grads
from fmnist_core.toy.net import LECTURE_XOR_LINES, SURROGATE_SLOPE, init_weights

ACTIVATIONS = ("sigmoid", "tanh", "relu", "step")  # the lecture's hidden activations
MIN_UNITS, MAX_UNITS = 2, 4
MIN_BATCH, MAX_BATCH = 4, 8


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # = 1 / (1 + e^-z), without overflow warnings


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """a = f(z)."""
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "step":
        return (z >= 0).astype(np.float64)
    raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")


def slope(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) (the step: the stand-in slope d/dz sigmoid(SURROGATE_SLOPE z))."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "step":
        s = _sigmoid(SURROGATE_SLOPE * z)
        return SURROGATE_SLOPE * s * (1 - s)
    raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")


# --------------------------------------------------------------------------- the weights


@dataclass(frozen=True)
class Weights:
    """w (2, H): w[i-1, j-1] = w_ij; b (H,); v (H,); c: the output unit's bias."""

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: float

    @property
    def units(self) -> int:
        return len(self.b)

    def named(self) -> dict[str, float]:
        """{"w11": ..., "w21": ..., "b1": ..., "v1": ..., "c": ...}, unit by unit."""
        out = {}
        for j in range(self.units):
            out[f"w1{j + 1}"] = float(self.w[0, j])
            out[f"w2{j + 1}"] = float(self.w[1, j])
            out[f"b{j + 1}"] = float(self.b[j])
        for j in range(self.units):
            out[f"v{j + 1}"] = float(self.v[j])
        out["c"] = float(self.c)
        return out

    def vector(self) -> np.ndarray:
        return np.array(list(self.named().values()))

    def finite(self) -> bool:
        return bool(np.isfinite(self.vector()).all())

    def __sub__(self, other: "Weights") -> "Weights":
        return Weights(self.w - other.w, self.b - other.b, self.v - other.v, self.c - other.c)

    def scale(self, k: float) -> "Weights":
        return Weights(self.w * k, self.b * k, self.v * k, self.c * k)


def check_network(units: int, activation: str, loss: str) -> None:
    if not MIN_UNITS <= int(units) <= MAX_UNITS:
        raise ValueError(f"the lecture's network has {MIN_UNITS} to {MAX_UNITS} hidden units, got {units}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {', '.join(ACTIVATIONS)}")
    if loss not in BINARY_LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(BINARY_LOSSES)}")


def initial_weights(units: int, seed: int, lecture_lines: bool = False) -> Weights:
    """The decision-boundary page's network for this seed (same law, same draws); with `lecture_lines`
    (2 units) the hidden layer is the lecture's two XOR lines."""
    (W, b), (V, c) = init_weights((int(units),), seed)  # W (H, 2), V (1, H)
    w, bb = W.t().numpy().copy(), b.numpy().copy()
    if lecture_lines and units == 2:
        w, bb = np.array(LECTURE_XOR_LINES[0], dtype=np.float64), np.array(LECTURE_XOR_LINES[1], dtype=np.float64)
    return Weights(w, bb, V[0].numpy().copy(), float(c[0]))


# --------------------------------------------------------------------------- forward and backward


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass over N points. Per-point arrays lead with N; `grads[i]` is point
    i's gradient and `mean` their mean: the step's gradient."""

    weights: Weights
    activation: str
    loss_name: str
    x: np.ndarray  # (N, 2)
    y: np.ndarray  # (N,)
    z: np.ndarray  # (N, H) hidden pre-activations
    a: np.ndarray  # (N, H) hidden outputs
    fprime: np.ndarray  # (N, H) f'(z)
    z_out: np.ndarray  # (N,)
    y_hat: np.ndarray  # (N,)
    losses: np.ndarray  # (N,) each point's own loss
    loss: float  # the batch's loss
    dy_hat: np.ndarray  # (N,) each point's dL/dy_hat (RMSE: see losses.point_grads)
    dz_out: np.ndarray  # (N,) dL/dz at the output unit
    da: np.ndarray  # (N, H) dL/da_j
    dz: np.ndarray  # (N, H) dL/dz_j
    dw: np.ndarray  # (N, 2, H) dL/dw_ij
    dv: np.ndarray  # (N, H) dL/dv_j
    mean: Weights

    @property
    def n(self) -> int:
        return len(self.y)

    def values(self, i: int = 0) -> dict[str, float]:
        """Point i's numbers by name: x1, x2, z1.., a1.., z, y_hat, y, dz1.., da1.., dz, dy_hat."""
        out = {"x1": float(self.x[i, 0]), "x2": float(self.x[i, 1])}
        for j in range(self.weights.units):
            out.update({f"z{j + 1}": float(self.z[i, j]), f"a{j + 1}": float(self.a[i, j]),
                        f"dz{j + 1}": float(self.dz[i, j]), f"da{j + 1}": float(self.da[i, j])})
        out.update(z=float(self.z_out[i]), y_hat=float(self.y_hat[i]), y=float(self.y[i]),
                   dz=float(self.dz_out[i]), dy_hat=float(self.dy_hat[i]))
        return out

    @property
    def grads(self) -> list[Weights]:
        return [Weights(self.dw[i], self.dz[i], self.dv[i], float(self.dz_out[i])) for i in range(self.n)]


def forward(weights: Weights, activation: str, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """(z (N, H), a (N, H), z_out (N,), y_hat (N,)) for points x (N, 2)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged step's weights: reported, not warned
        z = x @ weights.w + weights.b
        a = activate(activation, z)
        z_out = a @ weights.v + weights.c
        return z, a, z_out, _sigmoid(z_out)


def run_pass(weights: Weights, activation: str, loss: str, x, y) -> Pass:
    """Forward, loss and the chain rule backward for points x (N, 2) with labels y (N,) in {0, 1}."""
    check_network(weights.units, activation, loss)
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    z, a, z_out, y_hat = forward(weights, activation, x)
    fp = slope(activation, z, a)
    with np.errstate(all="ignore"):
        losses = np.abs(y_hat - y) if LOSSES[loss].root else LOSSES[loss].value(y_hat, y)
        total = batch_loss(loss, y_hat, y)
        g = point_grads(loss, y_hat, y)  # dL/dy_hat
        # dL/dz = dL/dy_hat * sigmoid'(z) = dL/dy_hat * y_hat (1 - y_hat); for cross-entropy this is
        # y_hat - y exactly (the lecture's term), which stays finite when y_hat rounds to 0 or 1.
        dz_out = (y_hat - y) if loss == "bce" else g * y_hat * (1 - y_hat)
    dv = a * dz_out[:, None]  # (N, H) dL/dv_j = a_j dL/dz
    da = dz_out[:, None] * weights.v  # dL/da_j = v_j dL/dz
    dz = da * fp  # dL/dz_j = f'(z_j) dL/da_j
    dw = x[:, :, None] * dz[:, None, :]  # (N, 2, H) dL/dw_ij = x_i dL/dz_j
    mean = Weights(dw.mean(0), dz.mean(0), dv.mean(0), float(dz_out.mean()))
    return Pass(weights, activation, loss, x, y, z, a, fp, z_out, y_hat, losses, total, g, dz_out, da, dz,
                dw, dv, mean)


@dataclass(frozen=True)
class Term:
    symbol: str  # plain text, e.g. "f'(z1)"
    latex: str
    value: float
    meaning: str  # what the factor is, in words


def chain(p: Pass, name: str, point: int = 0) -> list[Term]:
    """The chain rule for dL/d`name` (w11, b2, v1, c, ...) at point `point`, term by term: their
    product is `p.grads[point].named()[name]`."""
    names = p.weights.named()
    if name not in names:
        raise ValueError(f"unknown weight {name!r}; choose from {', '.join(names)}")
    i = point
    yh, y = float(p.y_hat[i]), float(p.y[i])
    if p.loss_name == "bce":
        out = [Term("y_hat - y", r"(\hat y - y)", yh - y, "dL/dz at the output: prediction minus target")]
    else:
        first = (Term("2(y_hat - y)", r"2(\hat y - y)", float(p.dy_hat[i]), "dL/dŷ: the squared error's slope")
                 if p.loss_name == "mse" else
                 Term("(y_hat - y)/RMSE", r"\frac{\hat y - y}{\mathrm{RMSE}}", float(p.dy_hat[i]),
                      "dL/dŷ: the root's slope (for one point, the sign of ŷ − y)"))
        out = [first, Term("y_hat(1 - y_hat)", r"\hat y(1-\hat y)", yh * (1 - yh), "σ'(z): the output sigmoid's slope")]
    if name == "c":
        return out
    j = int(name[-1]) - 1
    if name.startswith("v"):
        return [Term(f"a{j + 1}", f"a_{j + 1}", float(p.a[i, j]), f"hidden unit {j + 1}'s output"), *out]
    hidden = [Term(f"f'(z{j + 1})", f"f'(z_{j + 1})", float(p.fprime[i, j]),
                   f"the slope of unit {j + 1}'s activation" + (" (stand-in slope)" if p.activation == "step" else "")),
              Term(f"v{j + 1}", f"v_{j + 1}", float(p.weights.v[j]), f"the weight from unit {j + 1} to the output")]
    if name.startswith("b"):
        return [*hidden, *out]
    k = int(name[1]) - 1  # w_kj: input k
    return [Term(f"x{k + 1}", f"x_{k + 1}", float(p.x[i, k]), f"input {k + 1}"), *hidden, *out]


# --------------------------------------------------------------------------- the update


def sgd_step(weights: Weights, grad: Weights, lr: float) -> Weights:
    """w_new = w_old - lr * dL/dw, for every weight."""
    with np.errstate(all="ignore"):
        return Weights(weights.w - lr * grad.w, weights.b - lr * grad.b, weights.v - lr * grad.v,
                       float(weights.c - lr * grad.c))


@dataclass(frozen=True)
class Update:
    before: Pass
    after: Pass | None  # None when the new weights are not finite
    new: Weights
    lr: float
    status: str  # "down" | "up" (the step's points' loss grew: an overshoot) | "diverged" (infinite or NaN)
    all_before: float = math.nan  # the loss on all the training points given, before and after
    all_after: float = math.nan

    @property
    def loss_after(self) -> float:
        return self.after.loss if self.after is not None else math.inf


def update(p: Pass, lr: float, x_all=None, y_all=None) -> Update:
    """The SGD step on `p`'s points, their loss before and after it, and (given) the loss on all points.

    Diverged: the new weights, or the loss after the step on the points or on all points, are not
    finite (a sigmoid output rounded to exactly 0 or 1 on the wrong side gives log 0 = -inf)."""
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"learning rate must be a positive number, got {lr}")
    new = sgd_step(p.weights, p.mean, lr)
    after = run_pass(new, p.activation, p.loss_name, p.x, p.y) if new.finite() else None
    all_before = all_after = math.nan
    if x_all is not None:
        with np.errstate(all="ignore"):
            all_before = batch_loss(p.loss_name, forward(p.weights, p.activation, x_all)[3], y_all)
            all_after = batch_loss(p.loss_name, forward(new, p.activation, x_all)[3], y_all) if after else math.inf
    if after is None or not math.isfinite(after.loss) or (x_all is not None and not math.isfinite(all_after)):
        status = "diverged"
    else:
        status = "down" if after.loss <= p.loss else "up"
    return Update(p, after, new, float(lr), status, all_before, all_after)


def probabilities(weights: Weights, activation: str, extent: float, res: int = 100) -> np.ndarray:
    """P(red) (res, res) over [-extent, extent]^2, row 0 at x2 = -extent."""
    t = np.linspace(-extent, extent, res)
    x1, x2 = np.meshgrid(t, t)
    return forward(weights, activation, np.stack([x1.ravel(), x2.ravel()], 1))[3].reshape(res, res)


# --------------------------------------------------------------------------- the check by autograd


def autograd_grads(weights: Weights, activation: str, loss: str, x, y) -> Weights:
    """The batch gradient by torch.autograd, float64: the registry's activation modules (the step with
    the same stand-in slope, straight-through), torch's own loss functions."""
    t = lambda v: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)  # noqa: E731
    w, b, v, c = t(weights.w), t(weights.b), t(weights.v), t(weights.c)
    xx = torch.as_tensor(np.asarray(x, dtype=np.float64).reshape(-1, 2))
    yy = torch.as_tensor(np.asarray(y, dtype=np.float64).reshape(-1))
    z = xx @ w + b
    a = make_activation(activation, weights.units)(z)
    if activation == "step":  # forward value of the step, backward slope of sigmoid(4z)
        s = torch.sigmoid(SURROGATE_SLOPE * z)
        a = a.detach() + s - s.detach()
    y_hat = torch.sigmoid(a @ v + c)
    if loss == "bce":
        L = F.binary_cross_entropy(y_hat, yy)
    elif loss == "mse":
        L = F.mse_loss(y_hat, yy)
    else:
        L = torch.sqrt(F.mse_loss(y_hat, yy))
    L.backward()
    return Weights(w.grad.numpy(), b.grad.numpy(), v.grad.numpy(), float(c.grad))


def max_difference(a: Weights, b: Weights) -> float:
    return float(np.max(np.abs(a.vector() - b.vector())))


# --------------------------------------------------------------------------- losses compared, live


def train_losses(x: np.ndarray, y: np.ndarray, start: Weights, activation: str, losses=("bce", "mse"),
                 lr: float = 0.5, steps: int = 2000, control: TrainControl | None = None,
                 emit: Callable[[dict], Any] | None = None, event_every: int = 10) -> Loop:
    """Full-batch SGD from the same `start`, one network per loss, stepped together through one Loop.
    Events: "progress" per run (run = index of the loss): loss, cross_entropy, accuracy; then "done"."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    nets = [start for _ in losses]
    loop = Loop(steps, control, emit=emit)

    def report() -> None:
        for r, (name, wts) in enumerate(zip(losses, nets)):
            yh = forward(wts, activation, x)[3]
            with np.errstate(all="ignore"):
                loop.event("progress", run=r, loss_name=name, loss=batch_loss(name, yh, y),
                           cross_entropy=batch_loss("bce", yh, y), accuracy=float(np.mean((yh > 0.5) == (y > 0.5))))

    report()
    for _ in loop.steps():
        passes = [run_pass(net, activation, name, x, y) for net, name in zip(nets, losses)]
        stepped = [sgd_step(net, p.mean, lr) for net, p in zip(nets, passes)]
        # Checked before the update is kept (loop.py's rule): a diverged run keeps its last finite weights.
        if not loop.after_step(sum(p.loss for p in passes) if all(n.finite() for n in stepped) else math.nan):
            break
        nets = stepped
        if loop.step % event_every == 0 or loop.step == steps:
            report()
    loop.event("done", status=loop.status, message=loop.message)
    return loop


def confidently_wrong(start: Weights, activation: str, x, y, steps: int = 300, lr: float = 1.0) -> Weights:
    """`start` trained by cross-entropy for `steps` full-batch SGD steps, then its output unit negated:
    the same hidden units, every prediction confidently the wrong way round."""
    w = start
    for _ in range(steps):
        w = sgd_step(w, run_pass(w, activation, "bce", x, y).mean, lr)
    return Weights(w.w, w.b, -w.v, -w.c)
