"""Outline drawings and silhouettes made from Fashion-MNIST images, for training and for evaluation.

Students draw outlines, not photos. A garment's outline here is its iso-intensity contours (the
silhouette's edge, and optionally the edge of its bright inner parts), traced at drawing scale and
inked with a round pen; a silhouette is the filled garment. Training images go through the same
`sketch.ink_to_input` as a drawing on the page, so the model sees exactly what drawings become.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_core.inside import sketch

SILHOUETTE_LEVEL = 0.1  # garment vs background on a 0..1 Fashion-MNIST image (the trim threshold)
INNER_LEVEL = 0.5  # the second contour: edges of the garment's brighter (darker in the photo) parts
KINDS = ("photo", "photo_canvas", "outline", "silhouette")


def upscale(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float (N, 1, size, size) in [0, 1] from uint8 (N, 28, 28) or float (N, 1, 28, 28) in [0, 1]."""
    x = images.float().unsqueeze(1) / 255.0 if images.dtype == torch.uint8 else images
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp_(0, 1)


def contours(x: torch.Tensor, levels: tuple[float, ...]) -> torch.Tensor:
    """Float {0, 1} (N, 1, H, W): one-pixel-wide edges of the regions x > level, for each level."""
    edge = torch.zeros_like(x)
    for lv in levels:
        m = (x > lv).float()
        inner = -F.max_pool2d(-m, 3, 1, 1)  # erosion by a 3x3 square
        edge = torch.maximum(edge, m - inner)
    return edge


def disk(diameter: float) -> torch.Tensor:
    """Float (1, 1, k, k) round pen of the given diameter in pixels (k odd)."""
    r = max(diameter, 1.0) / 2
    k = 2 * math.ceil(r - 0.5) + 1
    c = torch.arange(k, dtype=torch.float32) - k // 2
    return ((c[:, None] ** 2 + c[None, :] ** 2) <= r * r + 1e-6).float()[None, None]


def ink_with_pen(edge: torch.Tensor, diameter: float) -> torch.Tensor:
    """Edges (N, 1, H, W) drawn with a round pen of `diameter` px: float {0, 1}."""
    pen = disk(diameter)
    if pen.shape[-1] == 1:
        return edge
    return (F.conv2d(edge, pen, padding=pen.shape[-1] // 2) > 0).float()


def outline(images: torch.Tensor, size: int, stroke: float, inner: bool = True) -> torch.Tensor:
    """Float {0, 1} (N, 1, size, size): the garments' edges at `size` px, inked `stroke` px wide."""
    x = upscale(images, size)
    levels = (SILHOUETTE_LEVEL, INNER_LEVEL) if inner else (SILHOUETTE_LEVEL,)
    return ink_with_pen(contours(x, levels), stroke)


def silhouette(images: torch.Tensor, size: int) -> torch.Tensor:
    """Float {0, 1} (N, 1, size, size): the filled garments."""
    return (upscale(images, size) > SILHOUETTE_LEVEL).float()


def jitter(images: torch.Tensor, gen: torch.Generator, rotate: float = 8.0, stretch: float = 0.12,
           shear: float = 0.1) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1], each randomly rotated, stretched and sheared
    a little: hand drawings are never the garment's exact proportions."""
    n = len(images)
    x = images.float().unsqueeze(1) / 255.0
    u = lambda: torch.rand(n, generator=gen) * 2 - 1  # noqa: E731
    a = u() * math.radians(rotate)
    sx, sy, sh = 1 + u() * stretch, 1 + u() * stretch, u() * shear
    cos, sin = torch.cos(a), torch.sin(a)
    theta = torch.stack([torch.stack([cos * sx, -sin * sy + sh, torch.zeros(n)], 1),
                         torch.stack([sin * sx, cos * sy, torch.zeros(n)], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# --------------------------------------------------------------------------- training batches


@dataclass(frozen=True)
class AugmentConfig:
    mix: tuple[float, float, float, float] = (0.35, 0.15, 0.35, 0.15)  # shares of KINDS in a batch
    work: int = 84  # drawing scale for training (3x): only the pen/garment ratio matters after trimming
    ratio: tuple[float, float] = (0.01, 0.11)  # pen width / garment size; eval 3-8 px on 84-280 px is 0.011-0.095
    photo_edge: tuple[int, int] = (28, 168)  # photos redrawn at this size then shrunk back (canvas blur)
    inner_p: float = 0.5  # share of outlines that also trace the inner contour
    jitter_p: float = 0.7  # share of drawings with a random small rotation/stretch
    flip_p: float = 0.5  # share of drawings mirrored: every shoe in the dataset points left, students' don't


def augment(images: torch.Tensor, gen: torch.Generator, cfg: AugmentConfig = AugmentConfig()) -> torch.Tensor:
    """uint8 (N, 28, 28) on the CPU: a mix of photos, redrawn photos, outlines and silhouettes, each
    passed through the page's preprocessing (trim, scale the longest edge to 28, centre)."""
    n = len(images)
    kind = torch.multinomial(torch.tensor(cfg.mix, dtype=torch.float), n, replacement=True, generator=gen)
    out = images.clone()
    drawn = kind >= 1
    if not drawn.any():
        return out
    src = images[drawn]
    jit = jitter(src, gen)
    keep = torch.rand(len(src), generator=gen) >= cfg.jitter_p
    jit[keep] = src[keep].float().unsqueeze(1) / 255.0
    flip = torch.rand(len(src), generator=gen) < cfg.flip_p
    jit[flip] = jit[flip].flip(-1)
    k = kind[drawn]
    inks: list[np.ndarray | None] = [None] * len(src)
    for idx in torch.nonzero(k == 1).flatten().tolist():
        e = int(torch.randint(cfg.photo_edge[0], cfg.photo_edge[1] + 1, (1,), generator=gen))
        inks[idx] = upscale(jit[idx:idx + 1], e)[0, 0].numpy()
    sil = torch.nonzero(k == 3).flatten()
    if len(sil):
        s = silhouette(jit[sil], cfg.work)
        for j, idx in enumerate(sil.tolist()):
            inks[idx] = s[j, 0].numpy()
    out_idx = torch.nonzero(k == 2).flatten()
    if len(out_idx):
        lo, hi = math.log(cfg.ratio[0]), math.log(cfg.ratio[1])
        widths = torch.exp(lo + torch.rand(len(out_idx), generator=gen) * (hi - lo)) * cfg.work
        widths = widths.round().clamp_min(1)
        inner = torch.rand(len(out_idx), generator=gen) < cfg.inner_p
        x = upscale(jit[out_idx], cfg.work)
        for w in widths.unique().tolist():
            for with_inner in (False, True):
                sel = ((widths == w) & (inner == with_inner)).nonzero().flatten()
                if len(sel) == 0:
                    continue
                levels = (SILHOUETTE_LEVEL, INNER_LEVEL) if with_inner else (SILHOUETTE_LEVEL,)
                o = ink_with_pen(contours(x[sel], levels), w)
                for j, s_i in enumerate(sel.tolist()):
                    inks[int(out_idx[s_i])] = o[j, 0].numpy()
    drawn_pos = torch.nonzero(drawn).flatten().tolist()
    for idx, ink in zip(drawn_pos, inks):
        img = sketch.ink_to_input(ink)
        if img is not None:  # a jitter can push a thin garment off the frame: keep the photo
            out[idx] = torch.from_numpy(img)
    return out


# --------------------------------------------------------------------------- evaluation sets


@dataclass(frozen=True)
class OutlineSpec:
    canvas: int = sketch.CANVAS
    stroke: tuple[float, float] = (3.0, 8.0)  # pen diameter in canvas px
    edge: tuple[float, float] = (0.3, 1.0)  # garment's longest edge, as a share of the canvas
    inner: bool = True  # also trace the inner contour (the garment's main parts)


def draw_on_canvas(ink: np.ndarray, top: int, left: int, canvas: int = sketch.CANVAS) -> np.ndarray:
    """RGBA uint8 (canvas, canvas, 4): black ink on a white canvas, like the page's drawing canvas."""
    page = np.zeros((canvas, canvas), np.float32)
    h, w = ink.shape
    page[top:top + h, left:left + w] = ink
    gray = sketch.to_uint8(1.0 - page)
    return np.dstack([gray, gray, gray, np.full_like(gray, 255)])


def outline_canvas(image28: np.ndarray | torch.Tensor, rng: np.random.Generator,
                   spec: OutlineSpec = OutlineSpec()) -> tuple[np.ndarray, dict]:
    """One outline drawing of a garment on a canvas, anywhere, any size; (RGBA, its parameters)."""
    img = torch.as_tensor(np.asarray(image28))[None]
    edge = int(round(rng.uniform(*spec.edge) * spec.canvas))
    stroke = float(rng.uniform(*spec.stroke))
    ink = outline(img, edge, stroke, spec.inner)[0, 0].numpy()
    top, left = (int(rng.integers(0, spec.canvas - edge + 1)) for _ in range(2))
    return draw_on_canvas(ink, top, left, spec.canvas), {"edge": edge, "stroke": stroke, "top": top, "left": left}


def outline_test_set(images: torch.Tensor, n: int = 2000, seed: int = 0, spec: OutlineSpec = OutlineSpec(),
                     keep_canvases: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Model inputs uint8 (n, 28, 28) of outline drawings of the first `n` `images`, drawn on the canvas
    and preprocessed exactly as on the page; also their indices and the first `keep_canvases` canvases."""
    rng = np.random.default_rng(seed)
    n = min(n, len(images))
    out = np.zeros((n, sketch.SIZE, sketch.SIZE), np.uint8)
    canvases = []
    for i in range(n):
        rgba, _ = outline_canvas(images[i], rng, spec)
        out[i] = sketch.preprocess(rgba).image
        if i < keep_canvases:
            canvases.append(rgba)
    return out, np.arange(n), canvases


def corner_test_set(images: torch.Tensor, n: int = 2000, canvas: int = sketch.CANVAS) -> np.ndarray:
    """Model inputs uint8 (n, 28, 28) of the first `n` images drawn at half the canvas size in a corner
    (the four corners in turn), preprocessed exactly as on the page."""
    half = canvas // 2
    corners = [(0, 0), (0, half), (half, 0), (half, half)]
    out = np.zeros((min(n, len(images)), sketch.SIZE, sketch.SIZE), np.uint8)
    for i in range(len(out)):
        top, left = corners[i % 4]
        rgba = sketch.render_on_canvas(np.asarray(images[i]), half, top, left, canvas)
        out[i] = sketch.preprocess(rgba).image
    return out


def drawing_accuracies(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       norm: tuple[float, float], n: int = 2000, seed: int = 0) -> dict:
    """Top-1 accuracy on the first `n` test images fed directly, as outline drawings, as silhouettes,
    and at half size in a corner of the canvas (all drawn on a canvas and preprocessed as on the page)."""
    from fmnist_core.fashion.train import evaluate

    n = min(n, len(images))
    x, y = images[:n].cpu(), labels[:n].cpu()
    model = model.cpu()
    acc = lambda u8: evaluate(model, torch.as_tensor(u8), y, norm)["accuracy"]  # noqa: E731
    outl, _, _ = outline_test_set(x, n, seed)
    rng = np.random.default_rng(seed + 1)
    sil = np.zeros_like(outl)
    for i in range(n):
        edge = int(round(rng.uniform(0.3, 1.0) * sketch.CANVAS))
        ink = silhouette(x[i:i + 1], edge)[0, 0].numpy()
        top, left = (int(rng.integers(0, sketch.CANVAS - edge + 1)) for _ in range(2))
        sil[i] = sketch.preprocess(draw_on_canvas(ink, top, left)).image
    return {"n": n, "direct": acc(x), "outline": acc(outl), "silhouette": acc(sil),
            "corner": acc(corner_test_set(x, n))}
