"""Many small 2-input networks trained at once: `PackedMLP` holds K `ToyNet`s of the same depth side
by side in one wide network: layer l concatenates the models' layer-l units and a block mask keeps
every weight inside its own model, so each model learns exactly as it would alone (same seed, same
init, same batches). It computes gradients by hand (no autograd) and updates one flat parameter
buffer, because for nets this small the per-step overhead, not the arithmetic, is the cost: 7 widths
x 1000 full-batch Adam epochs on 500 points take ~0.15 s on one CPU thread (bench/growth_grid.py),
~0.25 s per width alone in plain PyTorch. `train_growth` is the growth grid: one net per width.

The inputs may be features of the points (`features.py`: x1^2, sin(x1), ...): the network maps points to
its features itself, so every caller passes points (N, 2). Regularization (`regularization.py`: L2 in
the gradient, L1 as a proximal step, dropout on the hidden outputs) can change between steps (`reg`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.nn.activations import make_activation
from fmnist_core.toy.features import PLAIN, check_features, featurize
from fmnist_core.engine.loop import Loop, TrainControl
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS, OPTIMIZERS
from fmnist_core.engine.params import resolve
from fmnist_core.toy.plane import grid_probabilities
from fmnist_core.toy.regularization import Regularization, dropout_masks, soft_threshold_
from fmnist_core.toy.data import ToyData
from fmnist_core.toy.net import check_architecture, init_weights, surrogate_grad, uses_surrogate

GROWTH_WIDTHS = (1, 2, 3, 4, 8, 16, 32)
GROWTH_CHUNK = 50  # epochs between two looks at the job's stop button while the growth grid trains

# f'(z) from z and a = f(z), for the registry's activations without trainable parameters; any other
# activation is differentiated by autograd through its own module.
_DERIVATIVES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "linear": lambda z, a: torch.ones_like(z),
    "tanh": lambda z, a: 1 - a * a,
    "sigmoid": lambda z, a: a * (1 - a),
    "relu": lambda z, a: (z > 0).to(z.dtype),
}


class PackedMLP:
    """K 2-input MLPs of the same depth as one network; model k has hidden widths `hidden[k]`.

    Parameters live in one flat buffer `theta` (layer l: W (H_{l-1}, H_l) for x @ W, then b (H_l,),
    then the activations' own trainable parameters); the optimizer updates it with a handful of ops.
    The first layer reads `features` of the points (H_0 = len(features)); `reg` regularizes training.
    """

    def __init__(self, hidden: Sequence[Sequence[int]], activation: str = "tanh", seed: int = 0,
                 optimizer: str = "adam", lr: float = 0.03, device: torch.device | str = "cpu",
                 dtype: torch.dtype = torch.float32, closed_form: bool = True,
                 features: Sequence[str] = PLAIN, reg: Regularization = Regularization(), **hyper: float):
        hidden = [tuple(int(h) for h in hs) for hs in hidden]
        if not hidden:
            raise ValueError("need at least one model")
        if len({len(hs) for hs in hidden}) != 1:
            raise ValueError("packed models must have the same number of hidden layers")
        for hs in hidden:
            check_architecture(hs, activation)
        if optimizer not in CLASSIC_OPTIMIZERS:  # the updates written out below
            raise ValueError(f"unknown optimizer {optimizer!r} for a packed network; "
                             f"choose from {', '.join(CLASSIC_OPTIMIZERS)}")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        self.hidden, self.activation, self.seed = hidden, activation, int(seed)
        self.features = check_features(features)
        self.n_in = len(self.features)
        self.reg = reg  # may be replaced between steps (a rate changed while training)
        self.optimizer, self.lr = optimizer, float(lr)
        self.hyper = resolve(OPTIMIZERS[optimizer].params, hyper, optimizer)  # momentum, betas: the Params' defaults
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

        sizes = [self.n_in, *self.widths_total, self.K]
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
            for l, (w, b) in enumerate(init_weights(hs, seed, self.n_in)):
                rows, cols = self._block(k, l)
                self.W[l][rows, cols] = w.t().to(self.W[l])
                self.b[l][cols] = b.to(self.b[l])
        self.frozen: set[int] = set()
        self.step_count = 0
        self._m = torch.zeros_like(self.theta)
        self._v = torch.zeros_like(self.theta)
        self._batch_gen = torch.Generator(device=self.device).manual_seed(self.seed + 1)
        self._drop_gen = torch.Generator(device=self.device).manual_seed(self.seed + 2)

    # ---- layout

    def _views(self, flat: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        sizes = [self.n_in, *self.widths_total, self.K]
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
        rows = slice(0, self.n_in) if l == 0 else slice(self.offsets[l - 1][k], self.offsets[l - 1][k] + hs[l - 1])
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

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """The first layer's inputs (N, n_in): the features of points (N, 2)."""
        return featurize(x.to(self.device, self.dtype), self.features)

    def _forward(self, f: torch.Tensor, masks: list[torch.Tensor] | None = None):
        """For inputs f (N, n_in): (inputs of each layer [f, a_1..a_L] (after dropout, if `masks`),
        pre-activations [z_1..z_L], logits (N, K), activations before dropout [f(z_1)..f(z_L)])."""
        ins, zs, outs = [f], [], []
        a = f
        for l in range(self.L):
            z = torch.addmm(self.b[l], a, self.W[l])
            a = self.acts[l](z)
            zs.append(z)
            outs.append(a)
            if masks is not None:
                a = a * masks[l]
            ins.append(a)
        return ins, zs, torch.addmm(self.b[self.L], a, self.W[self.L]), outs

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, K) for points (N, 2)."""
        return self._forward(self.inputs(x))[2]

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """P(red) (N, K) for points (N, 2)."""
        return torch.sigmoid(self.logits(x))

    @torch.no_grad()
    def hidden_outputs(self, x: torch.Tensor, k: int = 0) -> list[torch.Tensor]:
        """Model k's hidden layers' outputs [(N, h_l)]: its encodings of the points."""
        ins = self._forward(self.inputs(x))[0]
        return [ins[l + 1][:, self.units(k, l)] for l in range(self.L)]

    @torch.no_grad()
    def pre_activations(self, x: torch.Tensor, k: int = 0) -> list[torch.Tensor]:
        """Model k's hidden layers' pre-activations [(N, h_l)]."""
        zs = self._forward(self.inputs(x))[1]
        return [zs[l][:, self.units(k, l)] for l in range(self.L)]

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean BCE loss (K,), accuracy (K,)) on points (N, 2) with labels (N,)."""
        lg = self.logits(x)
        yy = y.to(lg).unsqueeze(1).expand_as(lg)
        loss = F.binary_cross_entropy_with_logits(lg, yy, reduction="none").mean(0)
        return loss, ((lg > 0).to(lg) == yy).to(lg).mean(0)

    # ---- training

    def _backward(self, f: torch.Tensor, y: torch.Tensor, masks: list[torch.Tensor] | None = None) -> None:
        """Gradients of sum_k (mean BCE + L2 penalty of model k) for inputs f (B, n_in) into `self.grad`:
        each model gets its own loss's gradient. With dropout, `masks` (one (B, H_l) per hidden layer)
        or new ones drawn from the network's own generator."""
        p = self.reg.dropout
        if masks is None and p > 0:
            masks = dropout_masks([(len(f), h) for h in self.widths_total], p, self._drop_gen, self.device,
                                  self.dtype)
        ins, zs, lg, outs = self._forward(f, masks)
        d = torch.sigmoid(lg).sub_(y.unsqueeze(1)).div_(len(f))  # (B, K) dLoss/dlogits
        L = self.L
        for l in range(L, -1, -1):
            torch.mm(ins[l].t(), d, out=self.gW[l])
            torch.sum(d, 0, out=self.gb[l])
            if self.reg.l2:  # d/dW (l2/2) W^2; entries outside the blocks are 0 and stay masked
                self.gW[l].add_(self.W[l], alpha=self.reg.l2)
            if self.masks[l] is not None:
                self.gW[l].mul_(self.masks[l])
            if l in self.frozen:
                self.gW[l].zero_()
                self.gb[l].zero_()
            if l == 0:
                break
            da = torch.mm(d, self.W[l].t())  # (B, H_{l-1}) dLoss/da
            if masks is not None:
                da.mul_(masks[l - 1])
            d = self._through_activation(l - 1, zs[l - 1], outs[l - 1], da)

    def _through_activation(self, l: int, z: torch.Tensor, a: torch.Tensor, da: torch.Tensor) -> torch.Tensor:
        if self.surrogate:
            return da.mul_(surrogate_grad(z))
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
        denom = None  # an adaptive optimizer's per-parameter scale: its L1 step is scaled alike
        if self.optimizer == "sgd":
            p.add_(g, alpha=-lr)
        elif self.optimizer == "momentum":  # torch.optim.SGD(momentum=beta): buf = g, then beta buf + g
            (self._m.copy_(g) if t == 1 else self._m.mul_(self.hyper["momentum"]).add_(g))
            p.add_(self._m, alpha=-lr)
        elif self.optimizer == "adagrad":  # torch.optim.Adagrad: sum of squares, eps 1e-10
            self._v.addcmul_(g, g)
            denom = self._v.sqrt().add_(1e-10)
            p.addcdiv_(g, denom, value=-lr)
        else:  # torch.optim.Adam: betas (beta1, beta2), eps 1e-8, bias-corrected
            b1, b2 = self.hyper["beta1"], self.hyper["beta2"]
            self._m.lerp_(g, 1 - b1)
            self._v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = self._v.sqrt().div_(math.sqrt(1 - b2 ** t)).add_(1e-8)
            p.addcdiv_(self._m, denom, value=-lr / (1 - b1 ** t))
        if self.reg.l1:  # the proximal step: weights within the threshold of zero become exactly 0
            thresholds = self._views(lr * self.reg.l1 / denom)[0] if denom is not None else None
            for l in range(self.L + 1):
                if l not in self.frozen:
                    soft_threshold_(self.W[l], lr * self.reg.l1 if thresholds is None else thresholds[l])

    @torch.no_grad()
    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One optimizer step on a batch: points (B, 2), labels (B,)."""
        self._backward(self.inputs(x), y.to(self.device, self.dtype))
        self._update()

    @torch.no_grad()
    def train_epochs(self, x: torch.Tensor, y: torch.Tensor, epochs: int = 1, batch_size: int = 0) -> None:
        """`epochs` passes over (x, y); batch_size 0 = full batch, else shuffled mini-batches."""
        x = self.inputs(x)  # features, computed once for all epochs
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
                        closed_form=self._derivative is not None, features=self.features, reg=self.reg,
                        **self.hyper)
        net.theta.copy_(theta)
        return net


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
                 packed: bool = True, features: Sequence[str] = PLAIN,
                 reg: Regularization = Regularization(), control: TrainControl | None = None) -> GrowthResult | None:
    """Train one net per width (each hidden layer that wide), packed into one network when exact
    (with dropout, each model draws its own masks from the shared generator: same law, other draws).
    None when `control` (a job's) stopped it."""
    t0 = time.perf_counter()
    hidden = [(int(w),) * int(layers) for w in widths]
    kw = dict(activation=activation, seed=seed, optimizer=optimizer, lr=lr, device=device, dtype=dtype,
              features=features, reg=reg)
    net = PackedMLP(hidden, **kw) if packed else None
    nets = [(net, k) for k in range(len(hidden))] if net is not None and net.packable else \
        [(PackedMLP([hs], **kw), 0) for hs in hidden]
    models = list(dict.fromkeys(n for n, _ in nets))  # the distinct networks: one when packed
    chunks = math.ceil(epochs / GROWTH_CHUNK)
    loop = Loop(chunks * len(models), control)  # in chunks, the same steps as in one call: the same result
    for i in loop.steps():
        done = (i % chunks) * GROWTH_CHUNK
        models[i // chunks].train_epochs(data.x_train, data.y_train, min(GROWTH_CHUNK, epochs - done), batch_size)
        loop.after_step()
    if loop.status == "stopped":
        return None
    metrics = []
    for one, k in nets:
        trl, tra = one.evaluate(data.x_train, data.y_train)
        tel, tea = one.evaluate(data.x_test, data.y_test)
        metrics.append([float(trl[k]), float(tra[k]), float(tel[k]), float(tea[k])])
    m = np.array(metrics)
    return GrowthResult(tuple(int(w) for w in widths), int(layers), m[:, 0], m[:, 1], m[:, 2], m[:, 3], nets,
                        time.perf_counter() - t0, packed=len(models) == 1 and len(nets) > 1)
