"""A project model seen from pixel space: images as floats in [0, 1] (N, 1, 28, 28), the model's own
normalization applied inside. Attacks, dreams and knock-outs all take a `PixelModel`, so that ε and
clipping are in the units a student reads (1/255 is one grey level).

The wrapped model is shared between sessions (ui.kit.checkpoints caches one copy per file), so nothing
here changes it: gradients are taken with `torch.autograd.grad` with respect to the image only, and a
knock-out works on its own copy (fmnist_core.fragile.knockout).
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from fmnist_core.inside.layers import is_convolutional


class PixelModel(nn.Module):
    """Logits (N, 10) for images x in [0, 1], (N, 1, 28, 28) or (N, 28, 28)."""

    def __init__(self, model: nn.Module, norm: tuple[float, float], channels_last: bool = True):
        super().__init__()
        model = copy.deepcopy(model).eval()  # its own copy: eval mode, frozen, never another session's
        for p in model.parameters():
            p.requires_grad_(False)
        self.conv = is_convolutional(model)
        if self.conv and channels_last:  # ~1.5x faster forward and backward on a CPU, the same numbers
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.shift, self.scale = float(norm[0]), float(norm[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        z = (x * 255.0 - self.shift) / self.scale
        if self.conv:
            z = z.contiguous(memory_format=torch.channels_last)
        return self.model(z).float()

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
        """Class indices (N,), in batches."""
        return torch.cat([self(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])

    @torch.inference_mode()
    def probabilities(self, x: torch.Tensor) -> np.ndarray:
        """Softmax (N, 10) as numpy."""
        return torch.softmax(self(x), 1).numpy()


def to_pixels(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Float (N, 1, 28, 28) in [0, 1] from uint8 (N, 28, 28) or (28, 28)."""
    x = torch.as_tensor(np.asarray(images, np.uint8) if isinstance(images, np.ndarray) else images)
    if x.dim() == 2:
        x = x[None]
    return (x.float() / 255.0).unsqueeze(1)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """uint8 (N, 28, 28) from pixel floats (N, 1, 28, 28), rounded to the nearest grey level."""
    return (x.detach().clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()


def balanced_subset(labels: torch.Tensor, n: int, seed: int = 0) -> np.ndarray:
    """Indices of n images, n // 10 of each class (sorted), drawn with a fixed seed: the same images each time."""
    g = np.random.default_rng(seed)
    y = np.asarray(labels)
    per = max(1, n // 10)
    picked = [g.choice(np.flatnonzero(y == c), per, replace=False) for c in range(10)]
    return np.sort(np.concatenate(picked))
