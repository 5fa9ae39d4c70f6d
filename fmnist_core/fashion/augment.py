"""Training-time augmentation of a batch, on the batch's own device, drawn from the run's generator."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def mirror_half(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror a random half of images (B, ..., W) left to right: a left/right garment is the same garment."""
    mirror = torch.rand(len(x), *([1] * (x.dim() - 1)), device=x.device, generator=gen) < 0.5
    return torch.where(mirror, x.flip(-1), x)


def shift_images(raw: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Move each image (B, H, W) by its own random whole-pixel offset in [-max_shift, max_shift] on each
    axis; what moves in is black (0, the background of Fashion-MNIST). A gather: no loop over images."""
    if max_shift <= 0:
        return raw
    b, h, w = raw.shape
    s = max_shift
    padded = F.pad(raw, (s, s, s, s))  # (B, H + 2s, W + 2s), zeros around
    dy, dx = torch.randint(0, 2 * s + 1, (2, b), device=raw.device, generator=gen)
    rows = (dy[:, None] + torch.arange(h, device=raw.device))[:, :, None]  # (B, H, 1)
    cols = (dx[:, None] + torch.arange(w, device=raw.device))[:, None, :]  # (B, 1, W)
    return padded[torch.arange(b, device=raw.device)[:, None, None], rows, cols]
