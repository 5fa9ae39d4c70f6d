"""Pure figure builders for the activations page: plain data in, plotly Figure (or a live chart spec) out.

Each figure is assembled as one dict and validated once by `go.Figure(...)`: make_subplots,
add_trace and add_vline validate piece by piece and took 100-200 ms per figure here, too slow
for a slider that must redraw in under 300 ms.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from fmnist_core.nn.activations import ACTIVATIONS

from ui.figures import live_chart_spec as live_chart, palette

# One strong colour per activation, the same in every figure (readable on a projector).
COLORS = dict(zip(ACTIVATIONS, palette.series(len(ACTIVATIONS))))
_AXIS = dict(showgrid=True, gridcolor="#e6e6e6", zeroline=True, zerolinecolor="#999", automargin=True)


def color(name: str) -> str:
    return COLORS.get(name, "#333333")


def _grid(titles: Sequence[str], cols: int, rows: int = 1, hgap: float = 0.07, vgap: float = 0.2,
          x_title: str = "", y_titles: Sequence[str] = ()) -> tuple[dict, list[tuple[str, str]]]:
    """Layout entries for a rows x cols grid of axes, with titles; returns (layout, [(xref, yref)])."""
    layout: dict = {"annotations": []}
    refs = []
    w = (1 - hgap * (cols - 1)) / cols
    h = (1 - vgap * (rows - 1)) / rows
    for i, title in enumerate(titles):
        r, c = divmod(i, cols)
        k = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + hgap), 1 - r * (h + vgap)
        layout[f"xaxis{k}"] = dict(_AXIS, domain=[x0, x0 + w], anchor=f"y{k}", title=dict(text=x_title))
        layout[f"yaxis{k}"] = dict(_AXIS, domain=[y1 - h, y1], anchor=f"x{k}",
                                   title=dict(text=y_titles[i] if i < len(y_titles) else ""))
        layout["annotations"].append(dict(text=title, x=x0 + w / 2, y=y1, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False,
                                          font=dict(size=16)))
        refs.append((f"x{k}", f"y{k}"))
    return layout, refs


def _figure(traces: list[dict], layout: dict, height: int, legend: bool = True, top: int = 40) -> go.Figure:
    layout.update(height=height, margin=dict(l=10, r=10, t=top, b=10), font=dict(size=15),
                  plot_bgcolor="white", hovermode="x unified", showlegend=legend,
                  legend=dict(orientation="h", yanchor="bottom", y=1.1, x=0))
    return go.Figure(data=traces, layout=layout)


def robust_range(arrays: Sequence[np.ndarray], at_least: tuple[float, float], q: float = 2.0) -> list[float]:
    """A y range holding the 2nd..98th percentile of all finite values and at least `at_least`,
    so that one curve's spike near a pole does not flatten every other curve."""
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays] or [np.zeros(1)])
    vals = vals[np.isfinite(vals)]
    lo, hi = (np.percentile(vals, [q, 100 - q]) if vals.size else (0.0, 0.0))
    lo, hi = min(lo, at_least[0]), max(hi, at_least[1])
    pad = 0.08 * (hi - lo)
    return [float(lo - pad), float(hi + pad)]


def curves_figure(curves: Sequence[dict], height: int = 380) -> go.Figure:
    """f(x) left, f'(x) right; `curves` as returned by activation_lab.curves (concatenated)."""
    layout, ((x1, y1), (x2, y2)) = _grid(["f(x)", "f′(x)  (from autograd)"], cols=2, x_title="x")
    traces, seen = [], {}
    for c in curves:
        k = seen[c["name"]] = seen.get(c["name"], -1) + 1
        line = dict(color=color(c["name"]), width=3, dash=("solid", "dash", "dot")[k % 3])
        for (xr, yr), key in (((x1, y1), "f"), ((x2, y2), "df")):
            traces.append(dict(type="scatter", mode="lines", x=c["x"], y=c[key], name=c["label"],
                               legendgroup=c["label"], showlegend=key == "f", line=line, xaxis=xr, yaxis=yr,
                               hovertemplate="%{y:.3f}"))
    layout["yaxis"]["range"] = robust_range([c["f"] for c in curves], (-1.0, 1.0))
    layout["yaxis2"]["range"] = robust_range([c["df"] for c in curves], (0.0, 1.0))
    return _figure(traces, layout, height)


def gradcheck_figure(check: Mapping, unit_labels: Sequence[str] = ("even units", "odd units"),
                     height: int = 320) -> go.Figure:
    """Hand-written gradient (circles) against central differences (crosses) at the checked points."""
    x, unit = np.asarray(check["x"]), np.asarray(check["unit"])
    analytic, numerical = np.asarray(check["analytic"]), np.asarray(check["numerical"])
    traces = []
    for parity, (label, col) in enumerate(zip(unit_labels, ("#1f77b4", "#d62728"))):
        m = unit % len(unit_labels) == parity
        traces.append(dict(type="scatter", mode="markers", x=x[m], y=analytic[m], name=f"backward() ({label})",
                           marker=dict(symbol="circle-open", size=13, color=col, line=dict(width=2))))
        traces.append(dict(type="scatter", mode="markers", x=x[m], y=numerical[m], name=f"numerical ({label})",
                           marker=dict(symbol="x-thin", size=10, color=col, line=dict(width=2))))
    layout = dict(xaxis=dict(_AXIS, title=dict(text="x (sampled away from the kink at 0)")),
                  yaxis=dict(_AXIS, title=dict(text="∂f/∂x"), range=[-0.2, 1.2]))
    fig = _figure(traces, layout, height)
    fig.layout.hovermode = "closest"
    return fig


def training_chart(series: Mapping[str, Mapping[str, Sequence[float]]], budget: float | None = None,
                   height: int = 340) -> dict:
    """Training loss (left) and accuracy (right: running train dotted, test with dots, the chance level)
    against seconds of training, one colour per activation: a ui.kit.live_chart spec."""
    loss, acc = [], []
    for name, s in series.items():
        label, c = ACTIVATIONS[name].label, color(name)
        loss.append(live_chart.series(label, s["t"], s["loss"], color=c, width=3, key=f"{name}/loss"))
        acc.append(live_chart.series(label, s["t"], s["train_acc"], color=c, width=1.5, dash="dot",
                                     key=f"{name}/train", label=f"{label}: running train"))
        acc.append(live_chart.series(label, s["test_t"], s["test_acc"], color=c, width=3, markers=9,
                                     key=f"{name}/test", label=f"{label}: test"))
    x_range = [0.0, budget * 1.05] if budget else None
    return {"height": height, "panels": [
        live_chart.panel("training loss", loss, x_title="seconds of training", y_title="loss", x_range=x_range,
                         y_zero=True),
        live_chart.panel("accuracy: test (dots) and running train (dotted line)", acc, x_title="seconds of training",
                         y_title="accuracy", x_range=x_range, y_range=[0.0, 1.0],
                         refs=[{"y": 0.1, "label": "chance (10%)"}]),
    ]}


def parameter_figure(traces: Mapping[str, Mapping[str, Mapping[int, Mapping[str, Sequence[float]]]]],
                     height: int = 300) -> go.Figure:
    """Trainable activation parameters over training: mean per hidden layer, band = 10th-90th percentile of units."""
    panels = [(name, p) for name, ps in traces.items() for p in ps]
    cols = max(1, min(len(panels), 5))
    rows = max(1, math.ceil(len(panels) / cols))
    layout, refs = _grid([f"{ACTIVATIONS[n].label}: {p}" for n, p in panels], cols=cols, rows=rows,
                         hgap=0.05, vgap=0.25 / rows, x_title="seconds")
    data, dashes = [], ("solid", "dash", "dot", "dashdot")
    for i, ((name, pname), (xr, yr)) in enumerate(zip(panels, refs)):
        col = color(name)
        for layer, tr in sorted(traces[name][pname].items()):
            t = list(tr["t"])
            data.append(dict(type="scatter", mode="lines", x=t + t[::-1], y=list(tr["p90"]) + list(tr["p10"])[::-1],
                             fill="toself", fillcolor=col, opacity=0.12, line=dict(width=0), showlegend=False,
                             hoverinfo="skip", xaxis=xr, yaxis=yr))
            data.append(dict(type="scatter", mode="lines", x=t, y=tr["mean"], name=f"hidden layer {layer}",
                             legendgroup=f"layer{layer}", showlegend=i == 0, hovertemplate="%{y:.3f}",
                             line=dict(color=col, width=2.5, dash=dashes[(layer - 1) % 4]), xaxis=xr, yaxis=yr))
    fig = _figure(data, layout, height * rows)
    fig.layout.hovermode = "closest"
    return fig


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """About `count` round tick values between lo and hi (1, 2 or 5 times a power of ten apart)."""
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def neuron_svg(z: float, outputs: Mapping[str, float], curves: Mapping[str, dict], presenter: bool = False) -> str:
    """Where this neuron's z lands on each activation, as small SVG panels: its curve, a dotted line at z,
    a dot at (z, f(z)) and the value in the title.

    SVG rather than plotly: this redraws on every typed weight, and a plotly chart of four panels cost a
    browser ~100 ms to re-render (measured with bench/browser_rates.py); an SVG costs next to nothing.
    """
    from html import escape

    names = list(outputs)
    fs, lw = (17, 4.5) if presenter else (14, 3)
    pw, ph, gap, top, left, bottom = 170, 105, 30, 46, 36, 34  # one panel; two panels a row
    cols = min(2, len(names))
    rows = math.ceil(len(names) / cols)
    cell_w, cell_h = left + pw + gap, top + ph + bottom
    width, height = cols * cell_w - gap + 22, rows * cell_h  # room for the last panel's "z"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'style="font-family:\'Source Sans Pro\',sans-serif">']
    for i, name in enumerate(names):
        c = curves[name]
        xs, ys = np.asarray(c["x"], dtype=float), np.asarray(c["f"], dtype=float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        x0, x1 = float(xs[ok].min()), float(xs[ok].max())
        y0, y1 = float(min(ys[ok].min(), 0.0)), float(max(ys[ok].max(), 1.0))
        pad = 0.08 * (y1 - y0)
        y0, y1 = y0 - pad, y1 + pad
        r, k = divmod(i, cols)
        ox, oy = 4 + k * cell_w + left, r * cell_h
        sx = lambda v: ox + (v - x0) / (x1 - x0) * pw  # noqa: E731
        sy = lambda v: oy + top + (y1 - v) / (y1 - y0) * ph  # noqa: E731
        col, label, out = color(name), ACTIVATIONS[name].label, float(outputs[name])
        parts.append(f'<text x="{ox + pw / 2:.1f}" y="{oy + fs + 2}" text-anchor="middle" font-size="{fs + 1}" '
                     f'fill="#222">{escape(label)}</text>')
        parts.append(f'<text x="{ox + pw / 2:.1f}" y="{oy + 2 * fs + 8}" text-anchor="middle" font-size="{fs + 1}" '
                     f'font-weight="700" fill="{col}">f({z:g}) = {out:.3g}</text>')
        parts.append(f'<rect x="{ox}" y="{oy + top}" width="{pw}" height="{ph}" fill="white" stroke="#ccc"/>')
        for t in _ticks(x0, x1):
            parts.append(f'<line x1="{sx(t):.1f}" y1="{oy + top}" x2="{sx(t):.1f}" y2="{oy + top + ph}" stroke="#eee"/>'
                         f'<text x="{sx(t):.1f}" y="{oy + top + ph + fs + 2}" text-anchor="middle" font-size="{fs - 2}" '
                         f'fill="#555">{t:g}</text>')
        for t in _ticks(y0, y1, 3):
            parts.append(f'<line x1="{ox}" y1="{sy(t):.1f}" x2="{ox + pw}" y2="{sy(t):.1f}" stroke="#eee"/>'
                         f'<text x="{ox - 5}" y="{sy(t) + fs / 3:.1f}" text-anchor="end" font-size="{fs - 2}" '
                         f'fill="#555">{t:g}</text>')
        if y0 < 0 < y1:
            parts.append(f'<line x1="{ox}" y1="{sy(0):.1f}" x2="{ox + pw}" y2="{sy(0):.1f}" stroke="#999"/>')
        if x0 < 0 < x1:
            parts.append(f'<line x1="{sx(0):.1f}" y1="{oy + top}" x2="{sx(0):.1f}" y2="{oy + top + ph}" stroke="#999"/>')
        pts = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(xs[ok], ys[ok]))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="{lw}" '
                     f'stroke-linejoin="round"/>')
        zc = min(max(z, x0), x1)
        parts.append(f'<line x1="{sx(zc):.1f}" y1="{oy + top}" x2="{sx(zc):.1f}" y2="{oy + top + ph}" stroke="#777" '
                     f'stroke-dasharray="4 4"/>')
        parts.append(f'<circle cx="{sx(zc):.1f}" cy="{sy(min(max(out, y0), y1)):.1f}" r="{7 if not presenter else 9}" '
                     f'fill="{col}" stroke="black" stroke-width="2"/>')
        parts.append(f'<text x="{ox + pw + 4}" y="{oy + top + ph + fs + 2}" font-size="{fs - 1}" '
                     f'font-style="italic" fill="#444">z</text>')
    parts.append("</svg>")
    return "".join(parts)
