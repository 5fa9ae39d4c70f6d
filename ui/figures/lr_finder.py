"""The learning-rate range test's figure: loss against learning rate (log axis), the suggestion marked.

Pure: lists in, a plotly Figure out, built as one dict and validated once (see ui/figures/activations.py).
"""
from __future__ import annotations

import math
from typing import Sequence

import plotly.graph_objects as go

from ui.figures.palette import DEFAULT as PALETTE

RAW, SMOOTH, SUGGEST, LOWEST = "#9aa5b1", PALETTE["train"], PALETTE["ok"], PALETTE["bad"]


def loss_range(losses: Sequence[float], smoothed: Sequence[float]) -> list[float]:
    """A y range from below the lowest loss to a little above where the loss started: the explosion at the end
    runs off the top instead of flattening the part that matters."""
    finite = [v for v in list(losses) + list(smoothed) if math.isfinite(v)]
    if not finite:
        return [0.0, 1.0]
    first = [v for v in list(losses[:5]) + list(smoothed[:5]) if math.isfinite(v)] or finite
    start, low = max(first), min(finite)
    return [max(0.0, low - 0.1 * (start - low)), start + 0.25 * (start - low) + 1e-6]


def lr_finder_figure(lrs: Sequence[float], losses: Sequence[float], smoothed: Sequence[float],
                     suggested_lr: float | None = None, min_index: int | None = None,
                     lr_range: tuple[float, float] | None = None, height: int = 380) -> go.Figure:
    """Each mini-batch's loss (dots) and its smoothed curve against the learning rate, on a log x axis;
    the suggested rate as a labelled vertical line, the lowest smoothed loss as a labelled point.
    `lr_range`: the whole sweep, so that the axis does not grow while the points come in."""
    raw = [(x, y) for x, y in zip(lrs, losses) if math.isfinite(y)]
    sm = [(x, y) for x, y in zip(lrs, smoothed) if math.isfinite(y)]
    traces: list[dict] = [
        dict(type="scatter", mode="markers", x=[p[0] for p in raw], y=[p[1] for p in raw], name="loss of each batch",
             marker=dict(size=4, color=RAW), hovertemplate="lr %{x:.2e}<br>batch loss %{y:.3f}<extra></extra>"),
        dict(type="scatter", mode="lines", x=[p[0] for p in sm], y=[p[1] for p in sm], name="smoothed",
             line=dict(width=3, color=SMOOTH), hovertemplate="lr %{x:.2e}<br>smoothed %{y:.3f}<extra></extra>"),
    ]
    shapes, notes = [], []
    y_range = loss_range(losses, smoothed)
    if min_index is not None and min_index < len(smoothed) and math.isfinite(smoothed[min_index]):
        x, y = lrs[min_index], smoothed[min_index]
        traces.append(dict(type="scatter", mode="markers", x=[x], y=[y], name="lowest smoothed loss",
                           marker=dict(size=12, color=LOWEST, symbol="diamond"),
                           hovertemplate="lowest smoothed loss %{y:.3f}<br>at lr %{x:.2e}<extra></extra>"))
    if suggested_lr is not None:
        shapes.append(dict(type="line", x0=suggested_lr, x1=suggested_lr, xref="x", y0=0, y1=1, yref="paper",
                           line=dict(color=SUGGEST, width=3, dash="dash")))
        # An annotation on a log axis takes log10 of the value; a shape takes the value itself.
        notes.append(dict(x=math.log10(suggested_lr), y=1, xref="x", yref="paper", yanchor="bottom",
                          text=f"<b>suggested lr {suggested_lr:.1e}</b>", showarrow=False,
                          font=dict(size=15, color=SUGGEST)))
    x_axis = dict(type="log", title=dict(text="learning rate (log scale)"), showgrid=True, gridcolor="#e6e6e6",
                  exponentformat="power")
    if lr_range is not None:
        x_axis["range"] = [math.log10(lr_range[0]), math.log10(lr_range[1])]
    layout = dict(
        height=height, margin=dict(l=10, r=10, t=60, b=10), font=dict(size=14), plot_bgcolor="white",
        xaxis=x_axis, yaxis=dict(title=dict(text="training loss"), range=y_range, showgrid=True, gridcolor="#e6e6e6"),
        shapes=shapes, annotations=notes, hovermode="closest",
        legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0),
    )
    return go.Figure(data=traces, layout=layout)
