"""Small 2-input networks for decision boundaries, and a packed trainer that trains many at once.

`ToyNet` is the plain PyTorch model (nn.Linear layers, an activation from the registry, one output
unit): the reference. `PackedMLP` holds K such models of the same depth side by side in one wide
network: layer l concatenates the models' layer-l units and a block mask keeps every weight inside
its own model, so each model learns exactly as it would alone (same seed, same init, same batches).
It computes gradients by hand (no autograd) and updates one flat parameter buffer, because for nets
this small the per-step overhead, not the arithmetic, is the cost: 7 widths x 1000 full-batch Adam
epochs on 500 points take ~0.15 s on one CPU thread (bench/growth_grid.py), ~0.25 s per width alone
in plain PyTorch.

A step activation has zero gradient; its hidden layers train with a surrogate (the slope of
sigmoid(4z)), or stay where they were set by hand (`LECTURE_XOR_LINES`).
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .activations import ACTIVATIONS, make_activation
from .toy_data import ToyData

MAX_LAYERS = 3
MAX_UNITS = 64
GROWTH_WIDTHS = (1, 2, 3, 4, 8, 16, 32)
OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam")  # the names of fmnist_core.train.OPTIMIZERS
SURROGATE_SLOPE = 4.0  # the step's stand-in gradient is d/dz sigmoid(4z): 1 at z = 0, like the step's scale
GRID_RES = 200

# The lecture's two lines for XOR (points at (+-1, +-1)): unit 1 fires unless x2 - x1 > 1 (top-left),
# unit 2 fires unless x1 - x2 > 1 (bottom-right). Weights (in=2, out=2) and biases for x @ W + b.
LECTURE_XOR_LINES = (((1.0, -1.0), (-1.0, 1.0)), (1.0, 1.0))

# f'(z) from z and a = f(z), for the registry's activations without trainable parameters; any other
# activation is differentiated by autograd through its own module.
_DERIVATIVES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "linear": lambda z, a: torch.ones_like(z),
    "tanh": lambda z, a: 1 - a * a,
    "sigmoid": lambda z, a: a * (1 - a),
    "relu": lambda z, a: (z > 0).to(z.dtype),
}


def _surrogate_grad(z: torch.Tensor) -> torch.Tensor:
    s = torch.sigmoid(SURROGATE_SLOPE * z)
    return SURROGATE_SLOPE * s * (1 - s)


def uses_surrogate(activation: str) -> bool:
    """True when the activation gives no gradient (the step) and hidden layers learn by a surrogate."""
    return not ACTIVATIONS[activation].learns_by_gradient


def check_architecture(hidden: Sequence[int], activation: str) -> None:
    """Raise ValueError with a readable message for a network this page cannot build."""
    if not 1 <= len(hidden) <= MAX_LAYERS:
        raise ValueError(f"a toy network has 1 to {MAX_LAYERS} hidden layers, got {len(hidden)}")
    if any(not 1 <= int(h) <= MAX_UNITS for h in hidden):
        raise ValueError(f"each hidden layer has 1 to {MAX_UNITS} units, got {tuple(hidden)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {', '.join(ACTIVATIONS)}")


def init_weights(hidden: Sequence[int], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """[(W (out, in), b (out,))] per layer, 2 -> hidden -> 1, float64: nn.Linear's default law
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in a fixed order from `seed` alone."""
    gen = torch.Generator().manual_seed(int(seed))
    sizes = (2, *hidden, 1)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = (torch.rand(fan_out, fan_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        out.append((w, b))
    return out


# --------------------------------------------------------------------------- the plain reference


class ToyNet(nn.Module):
    """Logits (N,) for points (N, 2): `hidden` layers with a registry activation, one output unit."""

    def __init__(self, hidden: Sequence[int] = (2,), activation: str = "tanh", seed: int = 0,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        check_architecture(hidden, activation)
        self.hidden_sizes = tuple(int(h) for h in hidden)
        sizes = (2, *self.hidden_sizes, 1)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.acts = nn.ModuleList(make_activation(activation, h) for h in self.hidden_sizes)
        self.surrogate = uses_surrogate(activation)
        self.to(dtype)
        with torch.no_grad():
            for lin, (w, b) in zip(self.linears, init_weights(self.hidden_sizes, seed)):
                lin.weight.copy_(w)
                lin.bias.copy_(b)

    def hidden_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each hidden layer's output, [(N, h_l)]."""
        outs = []
        for lin, act in zip(self.linears[:-1], self.acts):
            z = lin(x)
            x = act(z)
            if self.surrogate:  # forward value of the step, backward slope of sigmoid(4z)
                s = torch.sigmoid(SURROGATE_SLOPE * z)
                x = x.detach() + s - s.detach()
            outs.append(x)
        return outs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linears[-1](self.hidden_outputs(x)[-1]).squeeze(1)  # (N,)


def make_torch_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


def train_reference(net: ToyNet, x: torch.Tensor, y: torch.Tensor, epochs: int, optimizer: str = "adam",
                    lr: float = 0.03, batch_size: int = 0, seed: int = 0) -> ToyNet:
    """Plain PyTorch training (autograd, torch.optim, mean BCE); batches as `PackedMLP.train_epochs`."""
    opt = make_torch_optimizer(optimizer, net.parameters(), lr)
    gen = torch.Generator(device=x.device).manual_seed(int(seed) + 1)
    n = len(x)
    bs = n if batch_size <= 0 else min(batch_size, n)
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen, device=x.device) if bs < n else None
        for i in range(0, n, bs):
            idx = order[i:i + bs] if order is not None else slice(None)
            loss = F.binary_cross_entropy_with_logits(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net


# --------------------------------------------------------------------------- the packed trainer


class PackedMLP:
    """K 2-input MLPs of the same depth as one network; model k has hidden widths `hidden[k]`.

    Parameters live in one flat buffer `theta` (layer l: W (H_{l-1}, H_l) for x @ W, then b (H_l,),
    then the activations' own trainable parameters); the optimizer updates it with a handful of ops.
    """

    def __init__(self, hidden: Sequence[Sequence[int]], activation: str = "tanh", seed: int = 0,
                 optimizer: str = "adam", lr: float = 0.03, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32, closed_form: bool = True):
        hidden = [tuple(int(h) for h in hs) for hs in hidden]
        if not hidden:
            raise ValueError("need at least one model")
        if len({len(hs) for hs in hidden}) != 1:
            raise ValueError("packed models must have the same number of hidden layers")
        for hs in hidden:
            check_architecture(hs, activation)
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        self.hidden, self.activation, self.seed = hidden, activation, int(seed)
        self.optimizer, self.lr = optimizer, float(lr)
        self.device, self.dtype = torch.device(device), dtype
        self.K, self.L = len(hidden), len(hidden[0])
        self.surrogate = uses_surrogate(activation)
        # Blocks start at even offsets: an activation may treat even and odd units differently.
        self.offsets: list[list[int]] = []
        self.widths_total: list[int] = []
        for l in range(self.L):
            offs, o = [], 0
            for hs in hidden:
                offs.append(o)
                o += hs[l] + (hs[l] % 2)
            self.offsets.append(offs)
            self.widths_total.append(o)
        self.acts = [make_activation(activation, h).to(device=self.device, dtype=dtype) for h in self.widths_total]
        act_params = [list(a.parameters()) for a in self.acts]
        # Per-unit activation parameters pack like weights; a parameter shared by a layer's units would
        # couple the models, so such a pack is not equivalent to training alone.
        self.packable = all(p.numel() == h for ps, h in zip(act_params, self.widths_total) for p in ps)
        self._derivative = _DERIVATIVES.get(activation) if closed_form and not any(ps for ps in act_params) else None

        sizes = [2, *self.widths_total, self.K]
        numel = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])) + sum(p.numel() for ps in act_params for p in ps)
        self.theta = torch.zeros(numel, device=self.device, dtype=dtype)
        self.grad = torch.zeros_like(self.theta)
        self.W, self.b = self._views(self.theta)
        self.gW, self.gb = self._views(self.grad)
        self.act_grads: list[list[torch.Tensor]] = []
        o = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        for ps in act_params:
            gs = []
            for p in ps:
                view = self.theta[o:o + p.numel()].view_as(p)
                view.copy_(p.detach())
                p.data = view  # the module now reads (and the optimizer writes) the flat buffer
                gs.append(self.grad[o:o + p.numel()].view_as(p))
                o += p.numel()
            self.act_grads.append(gs)
        self.act_params = act_params

        self.masks: list[torch.Tensor | None] = [None]  # the input layer feeds every model
        for l in range(1, self.L + 1):
            m = torch.zeros(sizes[l], sizes[l + 1], device=self.device, dtype=dtype)
            for k, hs in enumerate(hidden):
                r, c = self.offsets[l - 1][k], (self.offsets[l][k] if l < self.L else k)
                m[r:r + hs[l - 1], c:c + (hs[l] if l < self.L else 1)] = 1
            self.masks.append(m)
        for k, hs in enumerate(hidden):
            for l, (w, b) in enumerate(init_weights(hs, seed)):
                rows, cols = self._block(k, l)
                self.W[l][rows, cols] = w.t().to(self.W[l])
                self.b[l][cols] = b.to(self.b[l])
        self.frozen: set[int] = set()
        self.step_count = 0
        self._m = torch.zeros_like(self.theta)
        self._v = torch.zeros_like(self.theta)
        self._batch_gen = torch.Generator(device=self.device).manual_seed(self.seed + 1)

    # ---- layout

    def _views(self, flat: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        sizes = [2, *self.widths_total, self.K]
        Ws, bs, o = [], [], 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            Ws.append(flat[o:o + a * b].view(a, b))
            o += a * b
            bs.append(flat[o:o + b])
            o += b
        return Ws, bs

    def _block(self, k: int, l: int) -> tuple[slice, slice]:
        """(rows, columns) of model k's weights in layer l (l = L is the output layer)."""
        hs = self.hidden[k]
        rows = slice(0, 2) if l == 0 else slice(self.offsets[l - 1][k], self.offsets[l - 1][k] + hs[l - 1])
        cols = slice(k, k + 1) if l == self.L else slice(self.offsets[l][k], self.offsets[l][k] + hs[l])
        return rows, cols

    def units(self, k: int, l: int) -> slice:
        """Model k's units in hidden layer l."""
        return slice(self.offsets[l][k], self.offsets[l][k] + self.hidden[k][l])

    def layer(self, k: int, l: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Model k's layer l as (W (in, out) for x @ W, b (out,)), copies."""
        rows, cols = self._block(k, l)
        return self.W[l][rows, cols].clone(), self.b[l][cols].clone()

    def set_layer(self, k: int, l: int, W, b) -> None:
        """Set model k's layer l by hand (W (in, out), b (out,))."""
        rows, cols = self._block(k, l)
        W = torch.as_tensor(W, dtype=self.dtype, device=self.device)
        b = torch.as_tensor(b, dtype=self.dtype, device=self.device)
        if W.shape != self.W[l][rows, cols].shape or b.shape != self.b[l][cols].shape:
            raise ValueError(f"layer {l} of model {k} has shape {tuple(self.W[l][rows, cols].shape)}")
        self.W[l][rows, cols] = W
        self.b[l][cols] = b

    # ---- forward

    def _forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """(inputs of each layer [x, a_1..a_L], pre-activations [z_1..z_L], logits (N, K))."""
        ins, zs = [x], []
        a = x
        for l in range(self.L):
            z = torch.addmm(self.b[l], a, self.W[l])
            a = self.acts[l](z)
            zs.append(z)
            ins.append(a)
        return ins, zs, torch.addmm(self.b[self.L], a, self.W[self.L])

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, K) for points (N, 2)."""
        return self._forward(x.to(self.device, self.dtype))[2]

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """P(red) (N, K) for points (N, 2)."""
        return torch.sigmoid(self.logits(x))

    @torch.no_grad()
    def hidden_outputs(self, x: torch.Tensor, k: int = 0) -> list[torch.Tensor]:
        """Model k's hidden layers' outputs [(N, h_l)]: its encodings of the points."""
        ins = self._forward(x.to(self.device, self.dtype))[0]
        return [ins[l + 1][:, self.units(k, l)] for l in range(self.L)]

    @torch.no_grad()
    def pre_activations(self, x: torch.Tensor, k: int = 0) -> list[torch.Tensor]:
        """Model k's hidden layers' pre-activations [(N, h_l)]."""
        zs = self._forward(x.to(self.device, self.dtype))[1]
        return [zs[l][:, self.units(k, l)] for l in range(self.L)]

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean BCE loss (K,), accuracy (K,)) on points (N, 2) with labels (N,)."""
        lg = self.logits(x)
        yy = y.to(lg).unsqueeze(1).expand_as(lg)
        loss = F.binary_cross_entropy_with_logits(lg, yy, reduction="none").mean(0)
        return loss, ((lg > 0).to(lg) == yy).to(lg).mean(0)

    # ---- training

    def _backward(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Gradients of sum_k mean BCE(model k) into `self.grad`: each model gets its own loss's gradient."""
        ins, zs, lg = self._forward(x)
        d = torch.sigmoid(lg).sub_(y.unsqueeze(1)).div_(len(x))  # (B, K) dLoss/dlogits
        L = self.L
        for l in range(L, -1, -1):
            torch.mm(ins[l].t(), d, out=self.gW[l])
            torch.sum(d, 0, out=self.gb[l])
            if self.masks[l] is not None:
                self.gW[l].mul_(self.masks[l])
            if l in self.frozen:
                self.gW[l].zero_()
                self.gb[l].zero_()
            if l == 0:
                break
            da = torch.mm(d, self.W[l].t())  # (B, H_{l-1}) dLoss/da
            d = self._through_activation(l - 1, zs[l - 1], ins[l], da)

    def _through_activation(self, l: int, z: torch.Tensor, a: torch.Tensor, da: torch.Tensor) -> torch.Tensor:
        if self.surrogate:
            return da.mul_(_surrogate_grad(z))
        if self._derivative is not None:
            return da.mul_(self._derivative(z, a))
        # Any other activation (custom backward, trainable parameters): autograd through its module.
        with torch.enable_grad():
            zz = z.detach().requires_grad_()
            params = self.act_params[l]
            grads = torch.autograd.grad(self.acts[l](zz), [zz, *params], da)
        for g, dst in zip(grads[1:], self.act_grads[l]):
            dst.copy_(g)
        return grads[0]

    def _update(self) -> None:
        self.step_count += 1
        t, lr, g, p = self.step_count, self.lr, self.grad, self.theta
        if self.optimizer == "sgd":
            p.add_(g, alpha=-lr)
        elif self.optimizer == "momentum":  # torch.optim.SGD(momentum=0.9): buf = g, then 0.9 buf + g
            (self._m.copy_(g) if t == 1 else self._m.mul_(0.9).add_(g))
            p.add_(self._m, alpha=-lr)
        elif self.optimizer == "adagrad":  # torch.optim.Adagrad: sum of squares, eps 1e-10
            self._v.addcmul_(g, g)
            p.addcdiv_(g, self._v.sqrt().add_(1e-10), value=-lr)
        else:  # torch.optim.Adam: betas (0.9, 0.999), eps 1e-8, bias-corrected
            b1, b2 = 0.9, 0.999
            self._m.lerp_(g, 1 - b1)
            self._v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = self._v.sqrt().div_(math.sqrt(1 - b2 ** t)).add_(1e-8)
            p.addcdiv_(self._m, denom, value=-lr / (1 - b1 ** t))

    @torch.no_grad()
    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One optimizer step on a batch: points (B, 2), labels (B,)."""
        self._backward(x, y)
        self._update()

    @torch.no_grad()
    def train_epochs(self, x: torch.Tensor, y: torch.Tensor, epochs: int = 1, batch_size: int = 0) -> None:
        """`epochs` passes over (x, y); batch_size 0 = full batch, else shuffled mini-batches."""
        x = x.to(self.device, self.dtype)
        y = y.to(self.device, self.dtype)
        n = len(x)
        bs = n if batch_size <= 0 else min(int(batch_size), n)
        for _ in range(int(epochs)):
            if bs >= n:
                self._backward(x, y)
                self._update()
                continue
            order = torch.randperm(n, generator=self._batch_gen, device=self.device)
            for i in range(0, n, bs):
                idx = order[i:i + bs]
                self._backward(x[idx], y[idx])
                self._update()

    # ---- snapshots

    def snapshot(self) -> torch.Tensor:
        return self.theta.clone()

    def at(self, theta: torch.Tensor) -> "PackedMLP":
        """A copy of this network with parameters `theta` (a snapshot), without optimizer state."""
        net = PackedMLP(self.hidden, self.activation, self.seed, self.optimizer, self.lr, self.device, self.dtype,
                        closed_form=self._derivative is not None)
        net.theta.copy_(theta)
        return net


# --------------------------------------------------------------------------- geometry and encodings


def plane_grid(extent: float, res: int = GRID_RES, device: torch.device | str = "cpu") -> torch.Tensor:
    """Points (res*res, 2) of the square [-extent, extent]^2, row-major with x1 varying fastest,
    so `values.view(res, res)[i, j]` sits at (x1 = xs[j], x2 = xs[i]). Shared: do not modify."""
    return _plane_grid(float(extent), int(res), str(torch.device(device)))


@functools.lru_cache(maxsize=16)
def _plane_grid(extent: float, res: int, device: str) -> torch.Tensor:
    # Cached: building the 40,000 points costs as much as evaluating a small net on them.
    g = torch.linspace(-extent, extent, res, device=device)
    x2, x1 = torch.meshgrid(g, g, indexing="ij")
    return torch.stack([x1.reshape(-1), x2.reshape(-1)], 1)


def grid_probabilities(net: PackedMLP, extent: float, res: int = GRID_RES) -> np.ndarray:
    """P(red) of each model over the plane, (K, res, res) float32."""
    p = net.probabilities(plane_grid(extent, res, net.device))  # (res*res, K)
    return p.t().reshape(net.K, res, res).float().cpu().numpy()


def unit_maps(net: PackedMLP, extent: float, res: int = 40, k: int = 0) -> list[np.ndarray]:
    """Each hidden unit's output over the plane, per layer: [(h_l, res, res)] (the neuron thumbnails)."""
    outs = net.hidden_outputs(plane_grid(extent, res, net.device), k)
    return [o.t().reshape(-1, res, res).float().cpu().numpy() for o in outs]


@dataclass(frozen=True)
class UnitLine:
    """Where a first-layer unit's pre-activation w1*x1 + w2*x2 + b is 0, inside the shown square."""

    unit: int
    start: tuple[float, float]
    end: tuple[float, float]
    base: tuple[float, float]  # the arrow starts on the line (the visible segment's middle) ...
    tip: tuple[float, float]  # ... and points along (w1, w2), to where the pre-activation is positive


def unit_lines(W, b, extent: float, arrow: float | None = None) -> list[UnitLine | None]:
    """One `UnitLine` per unit of a first layer W (2, h), b (h,); None when its line misses the square."""
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    arrow = 0.2 * extent if arrow is None else arrow
    out: list[UnitLine | None] = []
    for j in range(W.shape[1]):
        w = W[:, j]
        norm = float(np.hypot(*w))
        if norm < 1e-12:
            out.append(None)
            continue
        n = w / norm
        p0 = -b[j] * n / norm  # the line's point nearest the origin
        d = np.array([-n[1], n[0]])  # along the line
        lo, hi = -np.inf, np.inf  # Liang-Barsky: the t with |p0 + t d| <= extent per coordinate
        for c in range(2):
            if abs(d[c]) < 1e-12:
                if abs(p0[c]) > extent:
                    lo, hi = 1.0, 0.0
                continue
            t1, t2 = sorted(((-extent - p0[c]) / d[c], (extent - p0[c]) / d[c]))
            lo, hi = max(lo, t1), min(hi, t2)
        if hi - lo <= 1e-9:
            out.append(None)
            continue
        s, e = p0 + lo * d, p0 + hi * d
        mid = (s + e) / 2
        tip = mid + arrow * n
        out.append(UnitLine(j, tuple(map(float, s)), tuple(map(float, e)), tuple(map(float, mid)),
                            tuple(map(float, tip))))
    return out


def linear_accuracy(features, y, ridge: float = 1e-8, iters: int = 30) -> float:
    """How well one straight line (hyperplane) separates the points: the training accuracy of a
    logistic regression on `features` (N, d) with labels (N,), fitted by Newton's method with a tiny
    ridge (so it stays finite on separable data)."""
    f = np.asarray(features.detach().cpu() if hasattr(features, "detach") else features, dtype=np.float64)
    f = f.reshape(len(f), -1)
    yy = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y, dtype=np.float64).reshape(-1)
    if len(np.unique(yy)) < 2:
        return 1.0
    scale = f.std(0)
    f = (f - f.mean(0)) / np.where(scale > 1e-12, scale, 1.0)
    X = np.hstack([f, np.ones((len(f), 1))])
    w = np.zeros(X.shape[1])
    reg = np.full(X.shape[1], ridge * len(X))
    reg[-1] = 0.0

    def loss(w):
        z = X @ w
        return float(np.sum(np.logaddexp(0, z) - yy * z) + 0.5 * np.sum(reg * w * w))

    cur = loss(w)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -30, 30)))
        grad = X.T @ (p - yy) + reg * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-4 and loss(w - t * step) > cur:  # backtracking keeps each step a descent
            t /= 2
        w_new = w - t * step
        new = loss(w_new)
        w, done = w_new, cur - new < 1e-10 * max(1.0, abs(cur))
        cur = new
        if done:
            break
    return float(np.mean(((X @ w) > 0) == (yy > 0.5)))


def pca_2d(features) -> tuple[np.ndarray, np.ndarray]:
    """(projection (N, 2) on the two main directions, share of variance each explains (2,))."""
    f = np.asarray(features, dtype=np.float64)
    f = f - f.mean(0)
    _, s, vt = np.linalg.svd(f, full_matrices=False)
    var = s ** 2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    proj = f @ vt[:2].T
    if proj.shape[1] < 2:
        proj = np.pad(proj, ((0, 0), (0, 2 - proj.shape[1])))
        share = np.pad(share, (0, 2 - len(share)))
    return proj, share


# --------------------------------------------------------------------------- the growth grid


@dataclass
class GrowthResult:
    """The same data and seed trained with each width: metrics per width, and the trained nets."""

    widths: tuple[int, ...]
    layers: int
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    nets: list[tuple[PackedMLP, int]]  # (network, model index) per width
    seconds: float
    packed: bool

    def probabilities(self, extent: float, res: int = 100) -> np.ndarray:
        """P(red) of each width over the plane, (len(widths), res, res)."""
        cache: dict[int, np.ndarray] = {}
        out = []
        for net, k in self.nets:
            if id(net) not in cache:
                cache[id(net)] = grid_probabilities(net, extent, res)
            out.append(cache[id(net)][k])
        return np.stack(out)


def capped_epochs(epochs: int, n_train: int, batch_size: int, max_steps: int) -> int:
    """At most `epochs`, and no more than `max_steps` optimizer steps in all (at least 1 epoch)."""
    steps_per_epoch = 1 if batch_size <= 0 else math.ceil(n_train / min(batch_size, n_train))
    return max(1, min(int(epochs), max_steps // steps_per_epoch))


def train_growth(data: ToyData, widths: Sequence[int] = GROWTH_WIDTHS, layers: int = 1, activation: str = "tanh",
                 optimizer: str = "adam", lr: float = 0.03, epochs: int = 1000, batch_size: int = 0, seed: int = 0,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32,
                 packed: bool = True) -> GrowthResult:
    """Train one net per width (each hidden layer that wide), packed into one network when exact."""
    t0 = time.perf_counter()
    hidden = [(int(w),) * int(layers) for w in widths]
    kw = dict(activation=activation, seed=seed, optimizer=optimizer, lr=lr, device=device, dtype=dtype)
    net = PackedMLP(hidden, **kw) if packed else None
    if net is not None and net.packable:
        net.train_epochs(data.x_train, data.y_train, epochs, batch_size)
        nets = [(net, k) for k in range(len(hidden))]
    else:
        nets = []
        for hs in hidden:
            one = PackedMLP([hs], **kw)
            one.train_epochs(data.x_train, data.y_train, epochs, batch_size)
            nets.append((one, 0))
    metrics = []
    for one, k in nets:
        trl, tra = one.evaluate(data.x_train, data.y_train)
        tel, tea = one.evaluate(data.x_test, data.y_test)
        metrics.append([float(trl[k]), float(tra[k]), float(tel[k]), float(tea[k])])
    m = np.array(metrics)
    return GrowthResult(tuple(int(w) for w in widths), int(layers), m[:, 0], m[:, 1], m[:, 2], m[:, 3], nets,
                        time.perf_counter() - t0, packed=len({id(n) for n, _ in nets}) == 1 and len(nets) > 1)


# --------------------------------------------------------------------------- live training with replay


@dataclass
class LiveRun:
    """One model trained a few epochs at a time, with metrics and parameter snapshots to replay."""

    net: PackedMLP
    data: ToyData
    batch_size: int = 0
    max_snapshots: int = 200
    epoch: int = 0
    snap_every: int = 1
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)

    def __post_init__(self):
        if not self.snapshots:
            self._snap()

    @classmethod
    def create(cls, data: ToyData, hidden: Sequence[int], activation: str = "tanh", optimizer: str = "adam",
               lr: float = 0.03, batch_size: int = 0, seed: int = 0, lecture_lines: bool = False,
               device: torch.device | str = "cpu") -> "LiveRun":
        """A fresh run; `lecture_lines` sets a 2-unit first layer to the lecture's XOR lines and keeps it."""
        net = PackedMLP([tuple(hidden)], activation, seed, optimizer, lr, device)
        if lecture_lines:
            if tuple(hidden)[:1] != (2,):
                raise ValueError("the lecture's lines need a first hidden layer of 2 units")
            net.set_layer(0, 0, *LECTURE_XOR_LINES)
            net.frozen.add(0)
        return cls(net, data, batch_size)

    def metrics(self, net: PackedMLP | None = None) -> dict:
        net = net or self.net
        trl, tra = net.evaluate(self.data.x_train, self.data.y_train)
        tel, tea = net.evaluate(self.data.x_test, self.data.y_test)
        return {"train_loss": float(trl[0]), "train_acc": float(tra[0]),
                "test_loss": float(tel[0]), "test_acc": float(tea[0])}

    def _snap(self) -> None:
        self.snapshots.append((self.epoch, self.net.snapshot()))
        self.history.append({"epoch": self.epoch, **self.metrics()})
        if len(self.snapshots) > self.max_snapshots:  # keep every other one, and snapshot half as often
            self.snapshots = self.snapshots[::2]
            self.history = self.history[::2]
            self.snap_every *= 2

    def advance(self, epochs: int = 1, max_seconds: float | None = None) -> int:
        """Train up to `epochs` epochs, stopping early once `max_seconds` have passed; returns how many."""
        t0 = time.perf_counter()
        for done in range(1, int(epochs) + 1):
            self.net.train_epochs(self.data.x_train, self.data.y_train, 1, self.batch_size)
            self.epoch += 1
            if self.epoch % self.snap_every == 0:
                self._snap()
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                return done
        return int(epochs)

    def at_epoch(self, epoch: int) -> tuple[int, PackedMLP]:
        """(stored epoch, network) of the last snapshot at or before `epoch`; the live net for the latest."""
        if epoch >= self.epoch:
            return self.epoch, self.net
        best = max((s for s in self.snapshots if s[0] <= epoch), key=lambda s: s[0], default=self.snapshots[0])
        return best[0], self.net.at(best[1])

    def curves(self) -> list[dict]:
        """Metrics at the stored epochs and now, for the loss curve."""
        if self.history and self.history[-1]["epoch"] == self.epoch:
            return list(self.history)
        return [*self.history, {"epoch": self.epoch, **self.metrics()}]
