"""Pure figure builders for the activations page: plain data in, plotly Figure out."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fmnist_core.activations import ACTIVATIONS

# One strong colour per activation, the same in every figure (readable on a projector).
COLORS = dict(zip(ACTIVATIONS, (
    "#6b6b6b", "#b8a600", "#1f77b4", "#ff7f0e", "#2ca02c", "#17becf", "#9467bd",
    "#8c564b", "#e377c2", "#d62728", "#1a9850", "#3b3bd6", "#c51b7d", "#000000",
)))
_FONT = dict(size=15)


def color(name: str) -> str:
    return COLORS.get(name, "#333333")


def _base(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=_FONT,
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0),
                      plot_bgcolor="white", hovermode="x unified")
    fig.update_xaxes(showgrid=True, gridcolor="#e6e6e6", zeroline=True, zerolinecolor="#999")
    fig.update_yaxes(showgrid=True, gridcolor="#e6e6e6", zeroline=True, zerolinecolor="#999")
    return fig


def curves_figure(curves: Sequence[dict], height: int = 380) -> go.Figure:
    """f(x) left, f'(x) right; `curves` as returned by activation_lab.curves (concatenated)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("f(x)", "f′(x)  (from autograd)"),
                        horizontal_spacing=0.08)
    seen: dict[str, int] = {}
    for c in curves:
        k = seen[c["name"]] = seen.get(c["name"], -1) + 1
        line = dict(color=color(c["name"]), width=3, dash=("solid", "dash", "dot")[k % 3])
        for col, key in ((1, "f"), (2, "df")):
            fig.add_trace(go.Scatter(x=c["x"], y=c[key], name=c["label"], legendgroup=c["label"],
                                     showlegend=col == 1, line=line, connectgaps=False,
                                     hovertemplate="%{y:.3f}"), row=1, col=col)
    fig.update_xaxes(title_text="x")
    return _base(fig, height)


def neuron_figure(z: float, outputs: Mapping[str, float], curves: Mapping[str, dict], height: int = 270) -> go.Figure:
    """One small panel per activation: its curve and where this neuron's z lands on it."""
    names = list(outputs)
    titles = [f"{ACTIVATIONS[n].label}<br><b>f({z:g}) = {outputs[n]:.3g}</b>" for n in names]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=titles, horizontal_spacing=0.06)
    for i, name in enumerate(names, start=1):
        c = curves[name]
        fig.add_trace(go.Scatter(x=c["x"], y=c["f"], line=dict(color=color(name), width=3),
                                 showlegend=False, hoverinfo="skip"), row=1, col=i)
        fig.add_trace(go.Scatter(x=[z], y=[outputs[name]], mode="markers", name=ACTIVATIONS[name].label,
                                 marker=dict(size=14, color=color(name), line=dict(color="black", width=2)),
                                 showlegend=False, hovertemplate="f(%{x:g}) = %{y:.4g}<extra></extra>"),
                      row=1, col=i)
        fig.add_vline(x=z, line=dict(color="#999", dash="dot"), row=1, col=i)
    fig.update_xaxes(title_text="z")
    fig = _base(fig, height)
    fig.update_layout(hovermode="closest", margin=dict(l=10, r=10, t=60, b=10))
    return fig


def gradcheck_figure(check: Mapping, unit_labels: Sequence[str] = ("even units", "odd units"),
                     height: int = 320) -> go.Figure:
    """Hand-written gradient (circles) against central differences (crosses) at the checked points."""
    x, unit = np.asarray(check["x"]), np.asarray(check["unit"])
    fig = go.Figure()
    palette = ("#1f77b4", "#d62728")
    for parity, label in enumerate(unit_labels):
        m = unit % len(unit_labels) == parity
        fig.add_trace(go.Scatter(x=x[m], y=np.asarray(check["analytic"])[m], mode="markers",
                                 name=f"backward() ({label})",
                                 marker=dict(symbol="circle-open", size=13, color=palette[parity], line=dict(width=2))))
        fig.add_trace(go.Scatter(x=x[m], y=np.asarray(check["numerical"])[m], mode="markers",
                                 name=f"numerical ({label})", marker=dict(symbol="x-thin", size=10,
                                                                          color=palette[parity], line=dict(width=2))))
    fig.update_xaxes(title_text="x (sampled away from the kink at 0)")
    fig.update_yaxes(title_text="∂f/∂x", range=[-0.2, 1.2])
    fig = _base(fig, height)
    fig.update_layout(hovermode="closest")
    return fig


def training_figure(series: Mapping[str, Mapping[str, Sequence[float]]], budget: float | None = None,
                    height: int = 380) -> go.Figure:
    """Training loss (left) and accuracy (right) against seconds of training, one colour per activation."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("training loss", "accuracy: test (dots) and running train (dotted line)"))
    for name, s in series.items():
        label, c = ACTIVATIONS[name].label, color(name)
        fig.add_trace(go.Scatter(x=s["t"], y=s["loss"], name=label, legendgroup=name, mode="lines",
                                 line=dict(color=c, width=3), hovertemplate="%{y:.3f}"), row=1, col=1)
        fig.add_trace(go.Scatter(x=s["t"], y=s["train_acc"], name=f"{label} train", legendgroup=name, mode="lines",
                                 showlegend=False, line=dict(color=c, width=1.5, dash="dot"),
                                 hovertemplate="%{y:.3f}"), row=1, col=2)
        fig.add_trace(go.Scatter(x=s["test_t"], y=s["test_acc"], name=f"{label} test", legendgroup=name,
                                 showlegend=False, mode="lines+markers", line=dict(color=c, width=3),
                                 marker=dict(size=9), hovertemplate="%{y:.3f}"), row=1, col=2)
    if budget:
        fig.update_xaxes(range=[0, budget * 1.05])
    fig.update_xaxes(title_text="seconds of training")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    fig.add_hline(y=0.1, line=dict(color="#999", dash="dot"), annotation_text="chance (10%)",
                  annotation_position="bottom right", row=1, col=2)
    return _base(fig, height)


def parameter_figure(traces: Mapping[str, Mapping[str, Mapping[int, Mapping[str, Sequence[float]]]]],
                     height: int = 300) -> go.Figure:
    """Trainable activation parameters over training: mean per hidden layer, band = 10th-90th percentile of units."""
    panels = [(name, p) for name, ps in traces.items() for p in ps]
    cols = max(1, min(len(panels), 5))
    rows = max(1, math.ceil(len(panels) / cols))
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.05, vertical_spacing=0.18,
                        subplot_titles=[f"{ACTIVATIONS[n].label}: {p}" for n, p in panels] or [""])
    dashes = ("solid", "dash", "dot", "dashdot")
    for i, (name, pname) in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        for layer, tr in sorted(traces[name][pname].items()):
            col = color(name)
            fig.add_trace(go.Scatter(x=list(tr["t"]) + list(tr["t"])[::-1], y=list(tr["p90"]) + list(tr["p10"])[::-1],
                                     fill="toself", fillcolor=col, opacity=0.12, line=dict(width=0), mode="lines",
                                     showlegend=False, hoverinfo="skip"), row=r, col=c)
            fig.add_trace(go.Scatter(x=tr["t"], y=tr["mean"], name=f"hidden layer {layer}", mode="lines",
                                     legendgroup=f"layer{layer}", showlegend=i == 0,
                                     line=dict(color=col, width=2.5, dash=dashes[(layer - 1) % 4]),
                                     hovertemplate="%{y:.3f}"), row=r, col=c)
    fig.update_xaxes(title_text="seconds")
    fig = _base(fig, height * rows)
    fig.update_layout(hovermode="closest")
    return fig
