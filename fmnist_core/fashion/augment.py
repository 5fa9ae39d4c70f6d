"""Training-time augmentation of a batch, on the batch's own device, drawn from the run's generator."""
from __future__ import annotations

import math

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


def erase_rectangles(raw: torch.Tensor, prob: float, gen: torch.Generator,
                     area: tuple[float, float] = (0.02, 0.2), aspect: tuple[float, float] = (0.3, 3.3)) -> torch.Tensor:
    """Random erasing (Zhong et al., 2017): with probability `prob`, one rectangle of each image (B, H, W),
    covering `area` of it at an `aspect` ratio (h / w) drawn log-uniformly, is filled with random grey
    levels. The network must then recognise a garment from what is left of it. Masks, no loop over images."""
    if prob <= 0:
        return raw
    b, h, w = raw.shape
    dev = raw.device
    u = torch.rand(6, b, device=dev, generator=gen)
    frac = area[0] + (area[1] - area[0]) * u[0]
    ratio = torch.exp(math.log(aspect[0]) + (math.log(aspect[1]) - math.log(aspect[0])) * u[1])
    eh = (frac * h * w * ratio).sqrt().round().clamp(1, h)  # (B,)
    ew = (frac * h * w / ratio).sqrt().round().clamp(1, w)
    top = ((h - eh + 1) * u[2]).floor()
    left = ((w - ew + 1) * u[3]).floor()
    rows = torch.arange(h, device=dev)[None, :, None]
    cols = torch.arange(w, device=dev)[None, None, :]
    inside = ((rows >= top[:, None, None]) & (rows < (top + eh)[:, None, None])
              & (cols >= left[:, None, None]) & (cols < (left + ew)[:, None, None]))
    mask = inside & (u[4] < prob)[:, None, None]
    noise = torch.randint(0, 256, raw.shape, device=dev, generator=gen, dtype=torch.int64).to(raw.dtype)
    return torch.where(mask, noise, raw)


def augment_raw(raw: torch.Tensor, cfg, gen: torch.Generator) -> torch.Tensor:
    """The augmentations a TrainConfig `cfg` names that work on raw uint8 pixels (B, H, W): shift, then
    erase. (The mirror, `cfg.flip`, is applied by the trainer after normalization: see `as_seen`.)"""
    return erase_rectangles(shift_images(raw, cfg.shift, gen), cfg.erase, gen)


def as_seen(raw: torch.Tensor, cfg, gen: torch.Generator) -> torch.Tensor:
    """Raw images (B, H, W) as the trainer shows them to the network under `cfg`: shifted, erased, mirrored
    (the trainer mirrors after normalizing, an elementwise map, so the images are the same)."""
    x = augment_raw(raw, cfg, gen)
    return mirror_half(x, gen) if cfg.flip else x
