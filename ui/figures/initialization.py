"""Figures for the weight-initialization page: plain arrays in, plotly figures (or a live chart spec) out."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly import colors as px_colors
from ui.figures import live_chart_spec as live_chart
from ui.figures import palette
from ui.figures.palette import DEFAULT as PALETTE

VERDICT_COLORS = {v: PALETTE[v] for v in ("healthy", "vanishing", "exploding", "zero")}
RUN_COLORS = list(palette.series(5))
FONT = dict(size=14)


def _layout(fig: go.Figure, height: int, title: str = "", **kw) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
                      title=dict(text=title, x=0, font=dict(size=16)) if title else None,
                      font=FONT, template="plotly_white", **kw)
    return fig


def activation_violins(hist: np.ndarray, edges: np.ndarray, std: Sequence[float],
                       saturated: Sequence[float] | None = None, title: str = "") -> go.Figure:
    """Each hidden layer's activation histogram (L, bins), drawn as a violin at x = layer."""
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for i, h in enumerate(hist):
        # Each violin as wide as its own tallest bin, on a square-root scale: ReLU's spike of exact
        # zeros (half the values) would otherwise hide the rest of the distribution.
        half = 0.45 * np.sqrt(h / max(float(h.max()), 1e-12))
        x = np.concatenate([i + 1 + half, (i + 1 - half)[::-1]])
        y = np.concatenate([centers, centers[::-1]])
        sat = f"<br>|a| > 0.99: {saturated[i]:.0%}" if saturated is not None else ""
        fig.add_trace(go.Scatter(
            x=x, y=y, fill="toself", mode="lines", line=dict(width=1, color="#1f77b4"),
            fillcolor="rgba(31,119,180,0.45)", name=f"layer {i + 1}", showlegend=False,
            hoveron="fills", text=f"layer {i + 1}<br>std {std[i]:.3g}{sat}", hoverinfo="text"))
    fig.update_xaxes(title="hidden layer (input side → output side)", tickmode="array",
                     tickvals=list(range(1, len(hist) + 1)), range=[0.4, len(hist) + 0.6])
    span = edges[-1] - edges[0]
    fig.update_yaxes(title="activation value a", range=[edges[0] - 0.03 * span, edges[-1] + 0.03 * span],
                     zeroline=True)
    return _layout(fig, 380, title)


def std_by_depth(std: Sequence[float], reference: Sequence[float] | None = None,
                 reference_label: str = "", label: str = "this init", band: float = 3.0,
                 title: str = "") -> go.Figure:
    """Activation std per layer (log y), the recommended init's as a reference, and a x/÷band band."""
    std = np.asarray(std, dtype=float)
    layers = np.arange(1, len(std) + 1)
    fig = go.Figure()
    if std[0] > 0 and np.isfinite(std[0]):
        fig.add_trace(go.Scatter(
            x=np.r_[layers, layers[::-1]], y=np.r_[[std[0] * band] * len(std), [std[0] / band] * len(std)],
            fill="toself", fillcolor="rgba(44,160,44,0.12)", line=dict(width=0), hoverinfo="skip",
            name=f"within {band:g}x of layer 1"))
    if reference is not None:
        fig.add_trace(go.Scatter(x=layers, y=_positive(reference), mode="lines+markers",
                                 line=dict(dash="dash", color="#7f7f7f"), name=reference_label))
    fig.add_trace(go.Scatter(x=layers, y=_positive(std), mode="lines+markers", name=label,
                             line=dict(color="#1f77b4", width=3), marker=dict(size=9)))
    if np.all(std == 0):
        fig.add_annotation(text="std = 0 in every layer: all activations are identical",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=15))
    fig.update_xaxes(title="hidden layer", tickmode="array", tickvals=list(layers))
    vals = [v for v in _positive(np.r_[std, reference if reference is not None else []]) if v]
    # At least two decades shown, so the ticks are powers of ten and a flat line looks flat.
    lo, hi = (math.floor(math.log10(min(vals) / band)), math.ceil(math.log10(max(vals) * band))) if vals else (-1, 1)
    fig.update_yaxes(title="std of the activations (log)", type="log", exponentformat="power",
                     range=[lo, max(hi, lo + 2)], dtick=1 if hi - lo <= 10 else 2)
    return _layout(fig, 380, title, legend=dict(orientation="h", y=-0.25, x=0))


def _positive(v) -> list[float | None]:
    """Log axes cannot show 0 or non-finite values: leave gaps there."""
    return [float(x) if x > 0 and math.isfinite(x) else None for x in np.asarray(v, dtype=float)]


def gradient_bars(norms: Sequence[float], labels: Sequence[str], names: Sequence[str],
                  title: str = "") -> go.Figure:
    """||dL/dW|| per layer on a log scale, coloured healthy / vanishing / exploding / zero."""
    norms = np.asarray(norms, dtype=float)
    pos = norms[(norms > 0) & np.isfinite(norms)]
    floor = float(pos.min()) / 10 if len(pos) else 1e-12
    fig = go.Figure()
    for kind, color in VERDICT_COLORS.items():
        idx = [i for i, lab in enumerate(labels) if lab == kind]
        if not idx:
            continue
        y = [norms[i] if norms[i] > 0 and math.isfinite(norms[i]) else floor for i in idx]
        fig.add_trace(go.Bar(
            x=[names[i] for i in idx], y=y, marker_color=color, name=kind,
            text=[f"{norms[i]:.2g}" if norms[i] != 0 else "0" for i in idx], textposition="outside",
            textfont=dict(size=12), cliponaxis=False,
            hovertemplate="%{x}: %{text}<extra>" + kind + "</extra>"))
    fig.update_xaxes(categoryorder="array", categoryarray=list(names))
    fig.update_yaxes(title="gradient norm ||∂L/∂W|| (log)", type="log", exponentformat="power")
    return _layout(fig, 380, title, legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
                   bargap=0.25)


def loss_chart(runs: Sequence, labels: Sequence[str], title: str = "", height: int = 360) -> dict:
    """Training loss per run (a `RunCurves` each) against step, a ui.kit.live_chart spec; a diverged run
    ends in ✖ "diverged at step S".

    The axis is scaled to the runs that did not diverge: a diverging run's huge last losses would
    otherwise flatten every other curve; its ✖ sits at the top edge when its loss is off the chart.
    Log y when those losses exceed 50.
    """
    kept = [v for r in runs if r.status != "diverged" for v in r.loss if math.isfinite(v)]
    if not kept:
        kept = [v for r in runs for v in r.loss if math.isfinite(v)] or [2.3]
    log_y = max(kept) > 50
    top = max(max(kept) * (3 if log_y else 1.1), 1e-3)
    lines = []
    for i, (r, lab) in enumerate(zip(runs, labels)):
        ok = np.isfinite(r.loss)
        status = {"running": " (training…)", "diverged": f" — diverged at step {r.diverged_at}",
                  "stopped": " — stopped"}.get(r.status, "")
        end = None
        if r.status == "diverged":
            last = float(r.loss[ok][-1]) if ok.any() else top
            end = {"x": r.diverged_at, "y": min(last, top / (1.5 if log_y else 1.05)),
                   "text": f"diverged at step {r.diverged_at}"}
        lines.append(live_chart.series(lab + status, r.steps[ok], r.loss[ok], color=RUN_COLORS[i % len(RUN_COLORS)],
                                       width=3, key=f"run{i}", label=lab, end=end))
    if log_y:
        y_title, y_range = "training loss (log)", [max(min(kept), 1e-3) / 1.5, top]
    else:
        y_title, y_range = "training loss", [0.0, top]
    return {"height": height, "panels": [live_chart.panel(title, lines, x_title="training step", y_title=y_title,
                                                          y_range=y_range, y_log=log_y)]}


def gradient_chart(steps: np.ndarray, norms: np.ndarray, names: Sequence[str], title: str = "",
                   height: int = 360) -> dict:
    """Gradient norm of each layer (columns of `norms` (T, L + 1)) during training, log y; a ui.kit.live_chart
    spec. Input side purple ... yellow, the output layer black; zeros and NaN are left out (a log axis)."""
    n = norms.shape[1] if norms.ndim == 2 else 0
    ramp = px_colors.sample_colorscale("Viridis", [j / max(n - 2, 1) for j in range(max(n - 1, 1))])
    lines = [live_chart.series(names[j], steps, norms[:, j], color="#222" if j == n - 1 else ramp[j],
                               width=3 if j == n - 1 else 2) for j in range(n)]
    if n and not np.any(np.isfinite(norms) & (norms > 0)):
        title = f"{title} (all 0: no gradient reaches any layer)"
    return {"height": height, "panels": [live_chart.panel(title, lines, x_title="training step",
                                                          y_title="||∂L/∂W|| (log)", y_log=True)]}


def symmetry_chart(steps: np.ndarray, sym: np.ndarray, title: str = "", height: int = 320) -> dict:
    """Mean distance between two units' weight vectors, per hidden layer (columns of `sym`); a
    ui.kit.live_chart spec. When it is exactly 0 in every layer the title says so: all units identical."""
    n = sym.shape[1] if sym.ndim == 2 else 0
    colors = palette.SERIES
    lines = [live_chart.series(f"layer {j + 1}", steps, sym[:, j], color=colors[j % len(colors)], width=2.5,
                               markers=6) for j in range(n)]
    identical = bool(n) and bool(np.all(sym == 0))
    return {"height": height, "panels": [live_chart.panel(
        title, lines, x_title="training step", y_title="mean distance between units", y_zero=True,
        y_range=[0.0, 1.0] if identical else None,
        refs=[{"y": 0.0, "label": "exactly 0 in every layer: all units identical"}] if identical else ())]}


def distance_heatmap(d: np.ndarray, title: str = "") -> go.Figure:
    """Pairwise distances between units (units x units)."""
    fig = go.Figure(go.Heatmap(z=d, colorscale="Viridis", zmin=0, zmax=float(d.max()) or 1.0,
                               colorbar=dict(title="distance"),
                               hovertemplate="unit %{x} vs unit %{y}: %{z:.3g}<extra></extra>"))
    fig.update_xaxes(title="unit")
    fig.update_yaxes(title="unit", autorange="reversed")
    return _layout(fig, 340, title)


def unit_images(weights: np.ndarray, title: str = "") -> go.Figure:
    """First-layer weights of a few units (k, 784) as 28x28 images: as they are (top row, one shared
    colour scale) and minus the average unit (bottom row: what makes each unit different)."""
    k = len(weights)
    diff = weights - weights.mean(0, keepdims=True)
    gap = 4
    fig = go.Figure()
    for row, (w, name) in enumerate(((weights, "w"), (diff, "w − mean"))):
        lim = float(np.abs(w).max())
        canvas = np.full((28, k * 28 + (k - 1) * gap), np.nan)
        for i in range(k):
            canvas[:, i * (28 + gap): i * (28 + gap) + 28] = w[i].reshape(28, 28)
        fig.add_trace(go.Heatmap(z=canvas, y0=row * 34, colorscale="RdBu", zmid=0, zmin=-max(lim, 1e-12),
                                 zmax=max(lim, 1e-12), showscale=False, hoverinfo="skip"))
        if lim == 0:
            fig.add_annotation(x=(k * 28 + (k - 1) * gap) / 2, y=row * 34 + 14, showarrow=False,
                               text="all exactly 0" if row == 0 else "nothing: every unit is identical",
                               font=dict(size=15, color="#d62728"), bgcolor="rgba(255,255,255,0.8)")
    for i in range(k):
        fig.add_annotation(x=i * (28 + gap) + 13.5, y=-4, text=f"unit {i + 1}", showarrow=False)
    fig.add_annotation(x=-2, y=14, text="weights", textangle=-90, showarrow=False, xanchor="right")
    fig.add_annotation(x=-2, y=48, text="− average unit", textangle=-90, showarrow=False, xanchor="right")
    fig.update_xaxes(visible=False, scaleanchor="y", range=[-12, k * 28 + (k - 1) * gap])
    fig.update_yaxes(visible=False, autorange="reversed")
    return _layout(fig, 330, title)
