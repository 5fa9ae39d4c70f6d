"""Figures for the page on how a network learns: pure functions, plain numbers in, plotly Figures out.

The network diagram draws each unit as a box with its numbers (z, a = f(z), and in the backward pass
dL/dz, dL/da) and each edge with its weight; in the backward pass and the update the edges are
coloured by the size of their gradient, so the student sees where the step is large.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures import palette
from ui.figures.boundaries import BLUE, FONT, PROB_SCALE, RED

GRAD_SCALE = ["#d9d9d9", "#fdae61", "#d7301f", "#7f0000"]  # |dL/dw| small (grey) to large (dark red)
POS, NEG = "#2f8f2f", "#8e44ad"  # a weight's sign (green +, purple -), as the boundary page's units
PICK = "#ffb000"
LOSS_COLORS = {"cross_entropy": "#222222", "bce": RED, "mse": BLUE, "rmse": palette.SERIES[2]}


def fmt(v: float) -> str:
    """A number to read aloud: 3 decimals, or powers of ten when tiny or huge; ∞ when infinite."""
    v = float(v)
    if math.isnan(v):
        return "undefined"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.3f}".replace("-", "−")
    return f"{v:.2e}".replace("-", "−")


def _positions(units: int) -> tuple[list, list, tuple]:
    inputs = [(0.0, 0.82), (0.0, 0.18)]
    hidden = [(1.1, float(y)) for y in np.linspace(0.9, 0.1, units)] if units > 1 else [(1.1, 0.5)]
    return inputs, hidden, (2.15, 0.5)


def _grad_color(t: float) -> str:
    """Colour for t in [0, 1] on GRAD_SCALE."""
    t = min(max(t, 0.0), 1.0) * (len(GRAD_SCALE) - 1)
    i = min(int(t), len(GRAD_SCALE) - 2)
    f = t - i
    a, b = (np.array([int(c[k:k + 2], 16) for k in (1, 3, 5)]) for c in GRAD_SCALE[i:i + 2])
    r, g, bb = (a + (b - a) * f).round().astype(int)
    return f"rgb({r},{g},{bb})"


def network_figure(units: int, values: Mapping[str, float], weights: Mapping[str, float],
                   grads: Mapping[str, float] | None = None, new: Mapping[str, float] | None = None,
                   highlight: str | None = None, activation: str = "f", height: int | None = None) -> go.Figure:
    """The 2-H-1 network for one point. `values`: x1, x2, z1.., a1.., z, y_hat, y (and with `grads`:
    dz1.., da1.., dz, dy_hat); `weights`/`grads`/`new`: {"w11", .., "b1", .., "v1", .., "c"}."""
    inputs, hidden, out = _positions(units)
    # Labels a third of the way from the inputs: clear of the boxes, and of each other where edges cross.
    edges = [(f"w{i + 1}{j + 1}", inputs[i], hidden[j], 0.33) for j in range(units) for i in range(2)]
    edges += [(f"v{j + 1}", hidden[j], out, 0.55) for j in range(units)]
    gmax = max((abs(grads[n]) for n, *_ in edges if math.isfinite(grads[n])), default=0.0) if grads else 0.0
    wmax = max(abs(weights[n]) for n, *_ in edges) or 1.0
    traces, notes = [], []
    for name, (x0, y0), (x1, y1), t in edges:
        w = weights[name]
        if grads is not None:
            g = grads[name]
            rel = abs(g) / gmax if gmax > 0 and math.isfinite(g) else 0.0
            color, width = _grad_color(rel), 1.5 + 7 * rel
        else:
            color, width = (POS if w >= 0 else NEG), 1.2 + 5 * abs(w) / wmax
        if name == highlight:
            traces.append(dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip",
                               line=dict(color=PICK, width=width + 10), opacity=0.6, showlegend=False))
        traces.append(dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines", line=dict(color=color, width=width),
                           hoverinfo="skip", showlegend=False))
        sym = name[0] + "<sub>" + name[1:] + "</sub>"
        if new is not None:
            text = f"{sym}: {fmt(w)} → <b>{fmt(new[name])}</b>"
        elif grads is not None:
            text = f"{sym} = {fmt(w)}<br>∂L/∂{sym} = <b>{fmt(grads[name])}</b>"
        else:
            text = f"{sym} = <b>{fmt(w)}</b>"
        notes.append(dict(x=x0 + t * (x1 - x0), y=y0 + t * (y1 - y0), text=text, showarrow=False,
                          bgcolor="rgba(255,255,255,0.9)", font=dict(size=13),
                          bordercolor=PICK if name == highlight else "rgba(0,0,0,0)", borderwidth=2))

    def box(xy, lines: list[str], color: str = "#444") -> None:
        notes.append(dict(x=xy[0], y=xy[1], text="<br>".join(lines), showarrow=False, align="center",
                          bgcolor="white", bordercolor=color, borderwidth=2, borderpad=6, font=dict(size=14)))

    for i in range(2):
        box(inputs[i], [f"<b>x<sub>{i + 1}</sub></b> = {fmt(values[f'x{i + 1}'])}"])
    for j in range(units):
        n = j + 1
        lines = [f"<b>unit {n}</b>  b<sub>{n}</sub> = {fmt(weights[f'b{n}'])}"
                 + (f" → <b>{fmt(new[f'b{n}'])}</b>" if new is not None else ""),
                 f"z<sub>{n}</sub> = {fmt(values[f'z{n}'])}   a<sub>{n}</sub> = {activation}(z<sub>{n}</sub>) = "
                 f"{fmt(values[f'a{n}'])}"]
        if grads is not None and new is None:
            lines.append(f"∂L/∂a<sub>{n}</sub> = {fmt(values[f'da{n}'])}   ∂L/∂z<sub>{n}</sub> = "
                         f"<b>{fmt(values[f'dz{n}'])}</b>")
        box(hidden[j], lines, PICK if highlight == f"b{n}" else "#444")
    lines = [f"<b>output</b>  c = {fmt(weights['c'])}" + (f" → <b>{fmt(new['c'])}</b>" if new is not None else ""),
             f"z = {fmt(values['z'])}", f"ŷ = σ(z) = <b>{fmt(values['y_hat'])}</b>", f"target y = {fmt(values['y'])}"]
    if grads is not None and new is None:
        lines += [f"∂L/∂ŷ = {fmt(values['dy_hat'])}", f"∂L/∂z = <b>{fmt(values['dz'])}</b>"]
    box(out, lines, RED if values["y"] == 1 else BLUE)
    layout = dict(height=height or 250 + 55 * units, margin=dict(l=5, r=5, t=5, b=5), font=FONT,
                  plot_bgcolor="white", xaxis=dict(visible=False, range=[-0.3, 2.45], fixedrange=True),
                  yaxis=dict(visible=False, range=[-0.02, 1.02], fixedrange=True), annotations=notes)
    return go.Figure(traces, layout)


def plane_figure(prob: np.ndarray, extent: float, x: np.ndarray, y: np.ndarray, chosen: Sequence[int] = (),
                 before: np.ndarray | None = None, height: int = 400) -> go.Figure:
    """P(red) over the plane with the training points (clickable: customdata = their index), the chosen
    points ringed, and with `before` the boundary P = 0.5 before the step, dashed."""
    xs = np.linspace(-extent, extent, prob.shape[-1]).astype(np.float32)
    traces = [dict(type="heatmap", z=prob.astype(np.float32), x=xs, y=xs, zsmooth="fast", hoverinfo="skip",
                   colorscale=PROB_SCALE, zmin=0, zmax=1, showscale=False),
              dict(type="contour", z=prob.astype(np.float32), x=xs, y=xs, showscale=False, hoverinfo="skip",
                   contours=dict(start=0.5, end=0.5, size=1, coloring="none"), line=dict(color="black", width=2),
                   name="boundary now", showlegend=False)]
    if before is not None:
        traces.append(dict(type="contour", z=before.astype(np.float32), x=xs, y=xs, showscale=False,
                           hoverinfo="skip", contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                           line=dict(color="black", width=2, dash="dash"), name="boundary before", showlegend=False))
    colors = np.where(np.asarray(y) > 0.5, RED, BLUE)
    traces.append(dict(type="scatter", x=x[:, 0], y=x[:, 1], mode="markers", customdata=np.arange(len(y)),
                       marker=dict(color=colors, size=9, line=dict(color="white", width=1)), showlegend=False,
                       hovertemplate="point %{customdata}<br>x₁=%{x:.2f}, x₂=%{y:.2f}<extra></extra>"))
    if len(chosen):
        c = np.asarray(chosen)
        traces.append(dict(type="scatter", x=x[c, 0].tolist(), y=x[c, 1].tolist(), mode="markers", hoverinfo="skip",
                           showlegend=False,
                           marker=dict(color="rgba(0,0,0,0)", size=[22] + [15] * (len(c) - 1),
                                       line=dict(color=PICK, width=[4] + [2.5] * (len(c) - 1)))))
    axis = dict(range=[-extent, extent], zeroline=False, showgrid=False, constrain="domain")
    return go.Figure(traces, dict(height=height, margin=dict(l=10, r=10, t=10, b=10), font=FONT,
                                  plot_bgcolor="white", clickmode="event+select", dragmode=False,
                                  xaxis=dict(axis, title=dict(text="x₁")),
                                  yaxis=dict(axis, title=dict(text="x₂"), scaleanchor="x", scaleratio=1)))


def loss_curves_figure(p: np.ndarray, curves: Mapping[str, Mapping[str, np.ndarray]], labels: Mapping[str, str],
                       height: int = 330) -> go.Figure:
    """Each loss, dL/dp and dL/dz (through the sigmoid) against p, the probability of the true class."""
    fig = make_subplots(1, 3, horizontal_spacing=0.07, subplot_titles=(
        "loss L(p)", "dL/dp: the slope against p", "dL/dz = dL/dp·p(1−p): to the weights"))
    for name, c in curves.items():
        dash = "dot" if name == "bce" else None  # BCE with y = 1 is -log p, on top of categorical CE
        for col, key in enumerate(("value", "dp", "dz"), start=1):
            fig.add_trace(go.Scatter(x=p, y=c[key], mode="lines", name=labels[name], legendgroup=name,
                                     showlegend=col == 1, line=dict(color=LOSS_COLORS[name], width=3, dash=dash)),
                          1, col)
    fig.update_yaxes(range=[0, 4], row=1, col=1)
    fig.update_yaxes(range=[-10, 1], row=1, col=2)
    fig.update_yaxes(range=[-1.1, 0.1], row=1, col=3)
    fig.update_xaxes(title_text="p = predicted probability of the true class", range=[0, 1])
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT, plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.25, x=0))
    fig.update_annotations(font_size=14)
    return fig


def softmax_figure(names: Sequence[str], probs: np.ndarray, probs_t1: np.ndarray, label: int, temperature: float,
                   height: int = 300) -> go.Figure:
    """The probabilities at temperature T (bars; the true class red) over those at T = 1 (outlines)."""
    colors = [RED if i == label else "#7f7f7f" for i in range(len(names))]
    traces = [dict(type="bar", x=list(names), y=probs, marker=dict(color=colors), name=f"T = {temperature:g}",
                   text=[f"{p:.2f}" for p in probs], textposition="outside", cliponaxis=False)]
    if temperature != 1:
        traces.append(dict(type="bar", x=list(names), y=probs_t1, name="T = 1",
                           marker=dict(color="rgba(0,0,0,0)", line=dict(color="black", width=2))))
    return go.Figure(traces, dict(height=height, barmode="overlay", margin=dict(l=10, r=10, t=20, b=10), font=FONT,
                                  plot_bgcolor="white", yaxis=dict(range=[0, 1.12], title=dict(text="p")),
                                  legend=dict(orientation="h", y=1.15, x=1, xanchor="right")))


def compare_figure(series: Sequence[dict], height: int = 320) -> go.Figure:
    """Cross-entropy and accuracy against the step, one line per run: {"name", "step", "ce", "acc", "color"}."""
    fig = make_subplots(1, 2, horizontal_spacing=0.08,
                        subplot_titles=("cross-entropy on the training points", "training accuracy"))
    for s in series:
        for col, key in ((1, "ce"), (2, "acc")):
            fig.add_trace(go.Scatter(x=s["step"], y=s[key], mode="lines", name=s["name"], legendgroup=s["name"],
                                     showlegend=col == 1, line=dict(color=s["color"], width=3)), 1, col)
    fig.update_xaxes(title_text="SGD step")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), font=FONT, plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.25, x=0))
    return fig
