"""Figures for the drawing page: pure functions, data in, plotly Figure (or an RGB array) out."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from fmnist_core.fashion.dataset import CLASS_NAMES

from ui.figures import palette

TOP = "#d62728"
REST = "#9aa5b1"
# Transparent at 0, so the garment shows through where the saliency is small.
DIVERGING = [[0.0, "rgba(33,102,172,0.95)"], [0.35, "rgba(103,169,207,0.6)"], [0.5, "rgba(247,247,247,0)"],
             [0.65, "rgba(239,138,98,0.6)"], [1.0, "rgba(178,24,43,0.95)"]]


def probability_bars(probs: Sequence[float], names: Sequence[str] = CLASS_NAMES, height: int = 330) -> go.Figure:
    """All ten class probabilities as horizontal bars, in class order, the top one highlighted."""
    p = np.asarray(probs, float)
    top = int(p.argmax())
    labels = [f"{i} {n}" for i, n in enumerate(names)]
    fig = go.Figure(go.Bar(
        x=p, y=labels, orientation="h", marker_color=[TOP if i == top else REST for i in range(len(p))],
        text=[f"{v:.0%}" if v >= 0.005 else "" for v in p], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_layout(height=height, margin=dict(l=0, r=30, t=10, b=30), showlegend=False,
                      xaxis=dict(range=[0, 1], tickformat=".0%", title="probability (softmax; the ten add up to 100%)"),
                      yaxis=dict(autorange="reversed"))
    return fig


def _square(fig: go.Figure, height: int, title: str | None) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=28 if title else 0, b=0),
                      title=dict(text=title or "", font=dict(size=14), x=0.02, y=0.98))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    return fig


def input_heatmap(image: np.ndarray, title: str | None = None, height: int = 180) -> go.Figure:
    """The 28x28 model input as the dataset stores it (garment bright on black), pixel values on hover."""
    img = np.asarray(image)
    fig = go.Figure(go.Heatmap(
        z=img, colorscale="gray", zmin=0, zmax=255, showscale=False,
        hovertemplate="row %{y}, column %{x}<br>pixel %{customdata} = %{z}<extra></extra>",
        customdata=np.arange(img.size).reshape(img.shape),
    ))
    return _square(fig, height, title)


def saliency_figure(image: np.ndarray, sal: np.ndarray, title: str | None = None, height: int = 180) -> go.Figure:
    """The input in gray with the signed saliency on top: red pushes towards the answer, blue away."""
    s = np.asarray(sal, float)
    # Scale to the 98th percentile, not the maximum: a few extreme pixels would wash the rest out.
    lim = float(np.percentile(np.abs(s), 98)) or float(np.abs(s).max()) or 1.0
    fig = go.Figure([
        # The garment as a pale grey shape on white, so red and blue stand out on a projector.
        go.Heatmap(z=np.asarray(image), colorscale="gray_r", zmin=0, zmax=255, showscale=False, hoverinfo="skip",
                   opacity=0.3),
        go.Heatmap(z=s, colorscale=DIVERGING, zmin=-lim, zmax=lim, showscale=False,
                   hovertemplate="row %{y}, column %{x}<br>saliency %{z:.3f}<extra></extra>"),
    ])
    return _square(fig, height, title)


def mosaic(images: np.ndarray, cols: int, pad: int = 2, pad_y: int | None = None,
           fill: float = np.nan) -> np.ndarray:
    """Float grid of images (N, h, w), `cols` wide, `pad`/`pad_y` px apart; gutters are `fill`."""
    n = len(images)
    pad_y = pad if pad_y is None else pad_y
    rows = max(1, -(-n // cols))
    h, w = images.shape[1:] if n else (28, 28)
    out = np.full((rows * (h + pad_y) - pad_y, cols * (w + pad) - pad), fill, np.float32)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + pad_y):r * (h + pad_y) + h, c * (w + pad):c * (w + pad) + w] = im
    return out


def image_grid(images: np.ndarray, captions: Sequence[str] | None = None, cols: int = 4,
               height: int = 270) -> go.Figure:
    """Images (N, 28, 28) as the dataset stores them (bright on black), in a grid, captioned below."""
    imgs = np.asarray(images, np.uint8)
    captions = list(captions) if captions else []
    pad, pad_y = 3, 12  # room for a caption under each row, so grids with and without line up
    grid = mosaic(imgs, cols, pad, pad_y)
    sx, sy = 28 + pad, 28 + pad_y
    hover = np.full(grid.shape, "", dtype=object)
    for i, cap in enumerate(captions):
        r, c = divmod(i, cols)
        hover[r * sy:r * sy + 28, c * sx:c * sx + 28] = cap
    fig = go.Figure(go.Heatmap(z=grid, colorscale="gray", zmin=0, zmax=255, showscale=False,
                               customdata=hover, hovertemplate="%{customdata}<extra></extra>" if captions else None,
                               hoverinfo=None if captions else "skip"))
    for i, cap in enumerate(captions):
        r, c = divmod(i, cols)
        fig.add_annotation(x=c * sx + 13.5, y=r * sy + 28, text=cap, showarrow=False, yanchor="top",
                           font=dict(size=12))
    rows = max(1, -(-len(imgs) // cols))
    _square(fig, height, None)
    fig.update_yaxes(range=[rows * sy - 0.5, -0.5])
    return fig


def framed(img: np.ndarray, pad_value: int = 235) -> np.ndarray:
    """RGB uint8 square: `img` (h, w) or (h, w, 3) centred on a light-grey square, so every stage
    shows at the same size whatever the garment's proportions."""
    a = np.asarray(img, np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    h, w = a.shape[:2]
    edge = max(h, w)
    out = np.full((edge, edge, 3), pad_value, np.uint8)
    top, left = (edge - h) // 2, (edge - w) // 2
    out[top:top + h, left:left + w] = a
    return out


def raw_with_box(rgba: np.ndarray, box: tuple[int, int, int, int] | None, color=(214, 39, 40)) -> np.ndarray:
    """RGB uint8 copy of the picture with the trim box drawn on it (the garment's bounding box)."""
    a = np.asarray(rgba)
    if a.ndim == 2:
        rgb = np.repeat(a[..., None], 3, axis=2).astype(np.float32)
    else:
        rgb = a[..., :3].astype(np.float32)
        if a.shape[-1] == 4:
            alpha = a[..., 3:4].astype(np.float32) / 255.0
            rgb = rgb * alpha + 255.0 * (1 - alpha)
    rgb = rgb.astype(np.uint8)
    rgb[[0, -1], :] = 160  # a thin grey frame: a white canvas on a white page is otherwise invisible
    rgb[:, [0, -1]] = 160
    if box is not None:
        t, b, l, r = box
        th = max(1, round(min(rgb.shape[:2]) / 140))
        c = np.array(color, np.uint8)
        rgb[max(t - th, 0):t, max(l - th, 0):r + th] = c
        rgb[b:b + th, max(l - th, 0):r + th] = c
        rgb[max(t - th, 0):b + th, max(l - th, 0):l] = c
        rgb[max(t - th, 0):b + th, r:r + th] = c
    return rgb


def ink_image(ink: np.ndarray) -> np.ndarray:
    """uint8 (h, w): an ink map shown as the dataset shows garments (bright on black)."""
    return np.clip(np.rint(np.asarray(ink) * 255), 0, 255).astype(np.uint8)


def accuracy_comparison(rows: dict[str, dict[str, float]], height: int = 260) -> go.Figure:
    """Grouped bars: each model's recorded accuracy on photos, outlines and silhouettes."""
    kinds = [("photos", "test photos (10,000)"), ("outline", "outline drawings"), ("silhouette", "silhouettes")]
    fig = go.Figure()
    for i, (k, label) in enumerate(kinds):
        vals = [rows[m].get(k) for m in rows]
        fig.add_bar(name=label, x=list(rows), y=vals, text=[f"{v:.0%}" if v is not None else "" for v in vals],
                    textposition="outside", cliponaxis=False,
                    marker_color=palette.SERIES[i])
    fig.update_layout(barmode="group", height=height, margin=dict(l=0, r=0, t=10, b=0),
                      yaxis=dict(range=[0, 1.1], tickformat=".0%", title="top-1 accuracy"),
                      legend=dict(orientation="h", y=-0.15))
    return fig
