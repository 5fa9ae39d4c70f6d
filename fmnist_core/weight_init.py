"""Weight initializers, applied to any model of the project."""
from __future__ import annotations

import torch
from torch import nn

# name -> label; "default" keeps PyTorch's own initialization.
INITS = {
    "default": "PyTorch default (Kaiming-uniform, a=sqrt(5))",
    "xavier_normal": "Xavier/Glorot normal",
    "he_normal": "He/Kaiming normal",
    "zeros": "All zeros",
}


@torch.no_grad()
def apply_init(model: nn.Module, name: str = "default", seed: int | None = None, **params) -> nn.Module:
    """Re-initialize every Linear/Conv weight (biases to 0) with initializer `name`."""
    if name == "default":
        return model
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            w = m.weight
            if name == "zeros":
                w.zero_()
            elif name == "xavier_normal":
                fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
                w.copy_(torch.randn(w.shape, generator=gen) * (2.0 / (fan_in + fan_out)) ** 0.5)
            elif name == "he_normal":
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
                w.copy_(torch.randn(w.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            else:
                raise ValueError(f"unknown initializer {name!r}; choose from {', '.join(INITS)}")
            if m.bias is not None:
                m.bias.zero_()
    return model
