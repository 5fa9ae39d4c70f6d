"""Small 2-input networks for decision boundaries: `ToyNet`, the plain PyTorch model (nn.Linear
layers, an activation from the registry, one output unit), its initialization, and its training.

A step activation has zero gradient; its hidden layers train with a surrogate (the slope of
sigmoid(4z)), or stay where they were set by hand (`LECTURE_XOR_LINES`).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.nn.activations import ACTIVATIONS, make_activation
from fmnist_core.engine.loop import Loop
from fmnist_core.engine.optim import make_optimizer

MAX_LAYERS = 3
MAX_UNITS = 64
SURROGATE_SLOPE = 4.0  # the step's stand-in gradient is d/dz sigmoid(4z): 1 at z = 0, like the step's scale

# The lecture's two lines for XOR (points at (+-1, +-1)): unit 1 fires unless x2 - x1 > 1 (top-left),
# unit 2 fires unless x1 - x2 > 1 (bottom-right). Weights (in=2, out=2) and biases for x @ W + b.
LECTURE_XOR_LINES = (((1.0, -1.0), (-1.0, 1.0)), (1.0, 1.0))


def surrogate_grad(z: torch.Tensor) -> torch.Tensor:
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


def init_weights(hidden: Sequence[int], seed: int, n_in: int = 2) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """[(W (out, in), b (out,))] per layer, n_in -> hidden -> 1, float64: nn.Linear's default law
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn in a fixed order from `seed` alone."""
    gen = torch.Generator().manual_seed(int(seed))
    sizes = (int(n_in), *hidden, 1)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = (torch.rand(fan_out, fan_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        out.append((w, b))
    return out


# --------------------------------------------------------------------------- the plain reference


class ToyNet(nn.Module):
    """Logits (N,) for inputs (N, n_in) (points, or their features): `hidden` layers with a registry
    activation, one output unit."""

    def __init__(self, hidden: Sequence[int] = (2,), activation: str = "tanh", seed: int = 0,
                 dtype: torch.dtype = torch.float32, n_in: int = 2):
        super().__init__()
        check_architecture(hidden, activation)
        self.hidden_sizes = tuple(int(h) for h in hidden)
        sizes = (int(n_in), *self.hidden_sizes, 1)
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.acts = nn.ModuleList(make_activation(activation, h) for h in self.hidden_sizes)
        self.surrogate = uses_surrogate(activation)
        self.to(dtype)
        with torch.no_grad():
            for lin, (w, b) in zip(self.linears, init_weights(self.hidden_sizes, seed, n_in)):
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



def train_reference(net: ToyNet, x: torch.Tensor, y: torch.Tensor, epochs: int, optimizer: str = "adam",
                    lr: float = 0.03, batch_size: int = 0, seed: int = 0, **hyper: float) -> ToyNet:
    """Plain PyTorch training (autograd, torch.optim, mean BCE); batches as `PackedMLP.train_epochs`;
    `hyper`: the optimizer's own hyperparameters (momentum, beta1, ...), its Params' defaults otherwise."""
    opt = make_optimizer(optimizer, net.parameters(), lr, **hyper)
    gen = torch.Generator(device=x.device).manual_seed(int(seed) + 1)
    n = len(x)
    bs = n if batch_size <= 0 else min(batch_size, n)
    per_epoch = math.ceil(n / bs)
    loop = Loop(int(epochs) * per_epoch, steps_per_epoch=per_epoch)
    order = None
    for step in loop.steps():
        i = step % per_epoch * bs
        if i == 0 and bs < n:
            order = torch.randperm(n, generator=gen, device=x.device)
        idx = order[i:i + bs] if order is not None else slice(None)
        loss = F.binary_cross_entropy_with_logits(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        if not loop.after_step(loss):  # before the update: a diverged net keeps its last finite weights
            break
        opt.step()
    return net
