"""Figures for page 10 · Overfitting and its cures: pure functions, data in, plotly Figure out."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures import palette

# Apart under every colour blindness (palette.SERIES); a run keeps its colour on every chart of the page.
RUN_COLORS = palette.series(8)
NORM_COLORS = {"none": "#D55E00", "standard": "#0072B2", "pixel": "#009E73", "half": "#CC79A7"}


def run_color(i: int) -> str:
    return RUN_COLORS[i % len(RUN_COLORS)]


def gap_figure(runs: Sequence[Mapping], height: int = 430) -> go.Figure:
    """Train (dashed) and test (solid) accuracy per epoch, one colour per run; the shaded band between a run's
    two lines is its gap. A run that stopped early has its best epoch marked with a ring."""
    fig = go.Figure()
    for i, r in enumerate(runs):
        pts = r["points"]
        if not pts:
            continue
        color, name = run_color(r.get("index", i)), r["label"]
        ep = [p["epoch"] for p in pts]
        fig.add_scatter(x=ep, y=[p["train_accuracy"] for p in pts], mode="lines", name=f"{name} · train",
                        legendgroup=name, line=dict(color=color, dash="dash", width=2),
                        hovertemplate=f"{name}<br>epoch %{{x}}: train %{{y:.1%}}<extra></extra>")
        fig.add_scatter(x=ep, y=[p["test_accuracy"] for p in pts], mode="lines", name=f"{name} · test",
                        legendgroup=name, line=dict(color=color, width=3), fill="tonexty", fillcolor=_faint(color),
                        hovertemplate=f"{name}<br>epoch %{{x}}: test %{{y:.1%}}<extra></extra>")
        best = r.get("best_epoch")
        if r.get("restored") and best is not None:
            p = next((q for q in pts if q["epoch"] == best), None)
            if p is not None:
                fig.add_scatter(x=[best], y=[p["test_accuracy"]], mode="markers+text", legendgroup=name,
                                marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color=color, width=3)),
                                text=[f"best epoch {best}"], textposition="bottom center", showlegend=False,
                                textfont=dict(color=color, size=13),
                                hovertemplate=f"{name}<br>best validation loss at epoch {best}: weights restored"
                                              "<extra></extra>")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=40), hovermode="closest",
                      legend=dict(orientation="h", y=-0.18, x=0, font=dict(size=12)),
                      xaxis=dict(title="epoch"), yaxis=dict(title="accuracy", tickformat=".0%"))
    return fig


def _faint(hex_color: str, alpha: float = 0.12) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


LOSS_CEILING = 20.0  # a loss above this (raw pixels: up to 1e18, then NaN) is drawn at the top, marked


def normalization_figure(curves: Mapping[str, Sequence[Mapping]], labels: Mapping[str, str],
                         diverged: Mapping[str, int] | None = None, height: int = 380) -> go.Figure:
    """Training loss (the epoch's mean so far) over the first steps, one line per input normalization, on a log
    axis; losses above LOSS_CEILING sit on the ceiling, with the real value in the hover. `diverged`: mode -> the
    step whose loss became NaN, marked with a cross on the ceiling."""
    fig = go.Figure()
    for mode, step in (diverged or {}).items():
        fig.add_scatter(x=[step], y=[LOSS_CEILING], mode="markers+text", name=f"{labels[mode]}: diverged",
                        marker=dict(symbol="x", size=16, color=NORM_COLORS.get(mode, "#555")),
                        text=[f"{labels[mode]}: NaN at step {step}"], textposition="bottom right",
                        textfont=dict(color=NORM_COLORS.get(mode, "#555"), size=13),
                        hovertemplate=f"{labels[mode]}: the loss became NaN at step {step}<extra></extra>")
    for mode, pts in curves.items():
        if not pts:
            continue
        loss = np.array([p["loss"] for p in pts], float)
        shown = np.where(np.isfinite(loss), np.minimum(loss, LOSS_CEILING), LOSS_CEILING)
        fig.add_scatter(x=[p["step"] for p in pts], y=shown, mode="lines", name=labels[mode], customdata=loss,
                        line=dict(color=NORM_COLORS.get(mode, "#555"), width=3),
                        hovertemplate=f"{labels[mode]}<br>step %{{x}}: loss %{{customdata:.4g}}<extra></extra>")
    fig.add_hline(y=LOSS_CEILING, line=dict(color="#888", dash="dot", width=1),
                  annotation_text=f"≥ {LOSS_CEILING:g}: off the chart", annotation_position="top left")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=24, b=40),
                      legend=dict(orientation="h", y=-0.2, x=0), xaxis=dict(title="mini-batch (step)"),
                      yaxis=dict(title="training loss (log)", type="log", tickvals=[0.2, 0.5, 1, 2, 5, 10, 20],
                                 range=[np.log10(0.2), np.log10(LOSS_CEILING * 1.6)]))
    return fig


def layer_stats_figure(runs: Mapping[str, Mapping], height: int = 420) -> go.Figure:
    """Each hidden layer's activation std (top) and mean (bottom) over training, without and with batch norm
    side by side; a line per layer, darker deeper."""
    titles = list(runs)
    fig = make_subplots(rows=2, cols=len(titles), shared_xaxes=True, shared_yaxes="rows",
                        subplot_titles=titles, vertical_spacing=0.1, horizontal_spacing=0.05)
    for c, title in enumerate(titles, start=1):
        rec = runs[title]
        steps = rec["steps"]
        std, mean = np.asarray(rec["std"], float), np.asarray(rec["mean"], float)  # (T, L)
        n = std.shape[1] if std.ndim == 2 else 0
        for layer in range(n):
            shade = _blue(layer, n)
            show = c == 1
            fig.add_scatter(x=steps, y=std[:, layer], mode="lines", line=dict(color=shade, width=2.5),
                            name=f"layer {layer + 1}", legendgroup=f"l{layer}", showlegend=show, row=1, col=c,
                            hovertemplate=f"layer {layer + 1}, step %{{x}}: std %{{y:.3f}}<extra></extra>")
            fig.add_scatter(x=steps, y=mean[:, layer], mode="lines", line=dict(color=shade, width=2.5),
                            name=f"layer {layer + 1}", legendgroup=f"l{layer}", showlegend=False, row=2, col=c,
                            hovertemplate=f"layer {layer + 1}, step %{{x}}: mean %{{y:.3f}}<extra></extra>")
    fig.update_yaxes(title_text="std of the activations", row=1, col=1, type="log")
    fig.update_yaxes(type="log", row=1)
    fig.update_yaxes(title_text="mean", row=2, col=1)
    fig.update_xaxes(title_text="training step", row=2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=40),
                      legend=dict(orientation="h", y=-0.16, x=0))
    return fig


def _blue(i: int, n: int) -> str:
    """Layer i of n: light blue near the input to dark blue at the output."""
    t = i / max(n - 1, 1)
    r, g, b = (int(a + (z - a) * t) for a, z in ((120, 8), (180, 48), (230, 107)))
    return f"rgb({r},{g},{b})"


def batch_figure(images: np.ndarray, cols: int, height: int = 190) -> go.Figure:
    """Images (N, 28, 28) in rows of `cols`, bright on black: a batch, then as the network sees it."""
    from ui.figures.sketch import image_grid

    return image_grid(images, cols=cols, height=height)
