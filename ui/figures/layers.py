"""Figures for the layers page: pure functions, data in, plotly Figure (or an image array) out.

Grids reuse the project's two grid helpers: sketch_figures.mosaic (float, for signed weights and
feature maps as heatmaps) and training_figures.mosaic (uint8 pictures of images and patches).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from fmnist_core.fashion.dataset import CLASS_NAMES

from ui.figures import palette
from ui.figures.sketch import mosaic
from ui.figures.training import mosaic as picture_mosaic

CLASS_COLORS = palette.series(10)  # the 10 garment classes, apart under every colour blindness
SIGNED = "RdBu_r"  # red positive, blue negative, white zero


def _grid_figure(tiles: np.ndarray, labels: Sequence[str], cols: int, colorscale, zmin: float, zmax: float,
                 height: int, pad: int) -> go.Figure:
    h, w = tiles.shape[1:]
    grid = mosaic(tiles, cols, pad=pad)
    hover = np.full(grid.shape, "", dtype=object)
    for i, lab in enumerate(labels):
        r, c = divmod(i, cols)
        hover[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = lab
    fig = go.Figure(go.Heatmap(z=grid, colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                               customdata=hover, hovertemplate="%{customdata}<br>value %{z:.2f}<extra></extra>",
                               hoverongaps=False))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), plot_bgcolor="white")
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def weights_figure(weights: np.ndarray, order: Sequence[int], labels: Sequence[str], cols: int = 16,
                   height: int = 330) -> go.Figure:
    """Weight images (U, h, w) in `order`, each scaled to its own largest |weight|: red = positive
    (ink there raises the unit), blue = negative (ink there lowers it)."""
    w = np.asarray(weights, np.float32)[list(order)]
    lim = np.abs(w).reshape(len(w), -1).max(1)
    w = w / np.where(lim > 0, lim, 1)[:, None, None]
    pad = 1 if w.shape[-1] < 10 else 2
    return _grid_figure(w, labels, cols, SIGNED, -1.0, 1.0, height, pad)


def maps_figure(maps: np.ndarray, order: Sequence[int], labels: Sequence[str], cols: int = 16,
                height: int = 300) -> go.Figure:
    """Feature maps (C, H, W) in `order`, each scaled to its own maximum (bright = strong response)."""
    m = np.asarray(maps, np.float32)[list(order)]
    lo = m.reshape(len(m), -1).min(1)[:, None, None]
    hi = m.reshape(len(m), -1).max(1)[:, None, None]
    m = (m - lo) / np.where(hi > lo, hi - lo, 1)
    return _grid_figure(m, labels, cols, "gray", 0.0, 1.0, height, 1)


def input_figure(image: np.ndarray, height: int = 200) -> go.Figure:
    """One uint8 (28, 28) image as the dataset stores it (bright on black)."""
    fig = go.Figure(go.Heatmap(z=np.asarray(image), colorscale="gray", zmin=0, zmax=255, showscale=False,
                               hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def unit_tile(images: np.ndarray, size: int = 84) -> np.ndarray:
    """uint8 picture of a unit's top images or patches (k, h, w) as a 3-wide grid, each ~`size` px, dark on
    white as in the original photos (black gutters then keep small patches apart)."""
    imgs = 255 - np.asarray(images, np.uint8)
    scale = max(1, round(size / imgs.shape[-1]))
    return picture_mosaic(imgs, cols=3, pad=1, scale=scale)


def probe_figure(labels: Sequence[str], test_acc: Sequence[float], train_acc: Sequence[float] | None = None,
                 height: int = 330) -> go.Figure:
    """Test accuracy of a linear classifier on each layer, input side first."""
    x = list(labels)
    fig = go.Figure()
    if train_acc is not None:
        fig.add_scatter(x=x, y=list(train_acc), name="on the probe's training images", mode="lines+markers",
                        line=dict(color="#9aa5b1", dash="dot"), hovertemplate="%{x}: %{y:.1%}<extra>train</extra>")
    fig.add_scatter(x=x, y=list(test_acc), name="on the 10,000 test images", mode="lines+markers+text",
                    line=dict(color="#d62728", width=3), marker=dict(size=10), text=[f"{a:.1%}" for a in test_acc],
                    textposition="top center", cliponaxis=False, hovertemplate="%{x}: %{y:.1%}<extra>test</extra>")
    lo = min(list(test_acc) + list(train_acc or [])) if len(x) else 0.5
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=30, b=0), legend=dict(orientation="h", y=-0.2),
                      yaxis=dict(tickformat=".0%", title="linear classifier accuracy",
                                 range=[max(0.0, lo - 0.05), 1.0]))
    return fig


def map_figure(coords: np.ndarray, labels: np.ndarray, index: np.ndarray, title: str,
               extra: np.ndarray | None = None, extra_name: str = "your drawing", height: int = 430,
               legend: bool = True) -> go.Figure:
    """Points (N, 2) coloured by class; hover names the class and test image; `extra` (2,) as a star."""
    c = np.asarray(coords)
    y = np.asarray(labels)
    fig = go.Figure()
    for k, name in enumerate(CLASS_NAMES):
        sel = np.flatnonzero(y == k)
        fig.add_scattergl(x=c[sel, 0], y=c[sel, 1], mode="markers", name=name,
                          marker=dict(size=5, color=CLASS_COLORS[k], opacity=0.75),
                          customdata=np.asarray(index)[sel],
                          hovertemplate=f"{name}<br>test image #%{{customdata}}<extra></extra>")
    if extra is not None:
        fig.add_scatter(x=[extra[0]], y=[extra[1]], mode="markers+text", name=extra_name, text=[extra_name],
                        textposition="top center", textfont=dict(size=15, color="black"),
                        marker=dict(symbol="star", size=24, color="gold", line=dict(color="black", width=2)),
                        hovertemplate=f"{extra_name}<extra></extra>")
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=36, b=0), title=dict(text=title, x=0, font=dict(size=16)),
                      legend=dict(itemsizing="constant"), showlegend=legend, plot_bgcolor="white")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
