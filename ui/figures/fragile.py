"""Figures for page 9 · Fool, dream, break: pure functions, data in, plotly Figure out."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from fmnist_core.fashion.dataset import CLASS_NAMES
from ui.figures import palette
from ui.figures.layers import SIGNED
from ui.figures.sketch import _square, image_grid

BEFORE, AFTER = "#9aa5b1", "#d62728"
MODEL_COLORS = palette.series(4)  # Okabe & Ito: apart under every colour blindness
MEASURES = {"pgd": ("PGD attack", "solid"), "uniform": ("uniform noise ±ε", "dash"),
            "gaussian": ("Gaussian noise σ = ε", "dot")}


def pixels_figure(image: np.ndarray, title: str | None = None, height: int = 220) -> go.Figure:
    """A float (28, 28) image in [0, 1], bright on black as the dataset stores it; hover shows grey levels."""
    z = np.asarray(image, float) * 255
    fig = go.Figure(go.Heatmap(z=z, colorscale="gray", zmin=0, zmax=255, showscale=False,
                               hovertemplate="row %{y}, column %{x}: %{z:.0f}<extra></extra>"))
    return _square(fig, height, title)


def perturbation_figure(delta: np.ndarray, eps: int, title: str | None = None, height: int = 220) -> go.Figure:
    """The change to each pixel in grey levels, amplified: full red at +ε, full blue at -ε, white at 0."""
    lim = max(float(eps), 1e-6)
    fig = go.Figure(go.Heatmap(z=np.asarray(delta, float), colorscale=SIGNED, zmin=-lim, zmax=lim, showscale=False,
                               hovertemplate="row %{y}, column %{x}: %{z:+.1f} grey levels<extra></extra>"))
    return _square(fig, height, title)


def before_after_bars(before: Sequence[float], after: Sequence[float], after_name: str = "attacked",
                      names: Sequence[str] = CLASS_NAMES, height: int = 330) -> go.Figure:
    """The ten class probabilities before and after, as pairs of horizontal bars."""
    labels = [f"{i} {n}" for i, n in enumerate(names)]
    fig = go.Figure()
    for name, p, color in (("original", before, BEFORE), (after_name, after, AFTER)):
        p = np.asarray(p, float)
        fig.add_bar(x=p, y=labels, orientation="h", name=name, marker_color=color,
                    text=[f"{v:.0%}" if v >= 0.01 else "" for v in p], textposition="outside", cliponaxis=False,
                    hovertemplate=f"{name}, %{{y}}: %{{x:.1%}}<extra></extra>")
    fig.update_layout(height=height, barmode="group", margin=dict(l=0, r=30, t=10, b=30), bargap=0.25,
                      legend=dict(orientation="h", y=1.08, x=0), font=dict(size=13),
                      xaxis=dict(range=[0, 1.08], tickformat=".0%", title="probability"),
                      yaxis=dict(autorange="reversed"))
    return fig


def robustness_figure(points: Sequence[Mapping], eps_list: Sequence[int], height: int = 420) -> go.Figure:
    """Accuracy against ε for each model: the attack (solid) beside same-size uniform (dashed) and Gaussian
    (dotted) noise. ε is placed evenly by its index (0, 1, 2, 4, … 64 of 255), labelled in grey levels."""
    pos = {e: i for i, e in enumerate(eps_list)}
    models = list(dict.fromkeys(p["model"] for p in points))
    fig = go.Figure()
    for m, color in zip(models, MODEL_COLORS):
        mine = [p for p in points if p["model"] == m]
        for key, (label, dash) in MEASURES.items():
            fig.add_scatter(x=[pos[p["eps"]] for p in mine], y=[p[key] for p in mine], mode="lines+markers",
                            name=f"{m.upper()}: {label}", line=dict(color=color, dash=dash, width=3),
                            marker=dict(size=7), customdata=[p["eps"] for p in mine],
                            hovertemplate=f"{m.upper()}, {label}<br>ε = %{{customdata}}/255: "
                                          "%{y:.1%} correct<extra></extra>")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=14),
                      legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, font=dict(size=13)),
                      xaxis=dict(tickvals=list(range(len(eps_list))), ticktext=[f"{e}" for e in eps_list],
                                 title="ε: the most any pixel may change, in grey levels of 255",
                                 range=[-0.3, len(eps_list) - 0.7]),
                      yaxis=dict(range=[0, 1.02], tickformat=".0%", title="test accuracy", gridcolor="#eee"))
    return fig


def class_accuracy_bars(baseline: Sequence[float], after: Sequence[float], off: int,
                        names: Sequence[str] = CLASS_NAMES, height: int = 360) -> go.Figure:
    """Each class's test accuracy with every unit on, and with `off` units switched off."""
    fig = go.Figure()
    for name, acc, color in (("all units on", baseline, BEFORE), (f"{off or 'none'} switched off", after, AFTER)):
        acc = np.asarray(acc, float)
        fig.add_bar(x=list(names), y=acc, name=name, marker_color=color,
                    hovertemplate=f"{name}, %{{x}}: %{{y:.1%}}<extra></extra>",
                    text=[f"{v:.0%}" for v in acc] if color == AFTER else None, textposition="outside",
                    textfont=dict(size=13), cliponaxis=False)
    fig.update_layout(height=height, barmode="group", margin=dict(l=10, r=10, t=30, b=10), font=dict(size=13),
                      legend=dict(orientation="h", y=1.12, x=0),
                      yaxis=dict(range=[0, 1.1], tickformat=".0%", title="test accuracy", gridcolor="#eee"))
    return fig


def study_heatmap(drops: np.ndarray, unit_word: str = "unit", names: Sequence[str] = CLASS_NAMES,
                  height: int = 460) -> go.Figure:
    """Units (rows, as numbered) × classes: the accuracy each class loses when that unit alone is off."""
    d = np.asarray(drops, float)
    lim = max(float(np.nanmax(np.abs(d))) if np.isfinite(d).any() else 0.0, 0.01)
    fig = go.Figure(go.Heatmap(z=d, x=list(names), y=[f"{unit_word} {u}" for u in range(len(d))],
                               colorscale=SIGNED, zmin=-lim, zmax=lim,
                               colorbar=dict(title="accuracy lost", tickformat=".0%", thickness=14),
                               hovertemplate="%{y}, %{x}: %{z:+.1%} lost<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=13),
                      yaxis=dict(autorange="reversed", showticklabels=len(d) <= 64))
    return fig


def dream_row(images: Sequence[np.ndarray], captions: Sequence[str], height: int = 190) -> go.Figure:
    """Float images (28, 28) in [0, 1] side by side with a caption under each: dreams, or class means."""
    imgs = (np.clip(np.asarray(images, float), 0, 1) * 255).round().astype(np.uint8)
    return image_grid(imgs, captions, cols=len(imgs), height=height)
