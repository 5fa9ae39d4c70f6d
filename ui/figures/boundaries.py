"""Figures for the decision-boundary page: pure functions, arrays in, plotly Figures out.

Colours follow the lecture: class 1 red, class 0 blue; the model's P(red) is a red-white-blue
heatmap; a hidden unit's output uses purple (negative) to green (positive), so it is not read as a class.
Each figure is built from plain dicts in one `go.Figure(data, layout)` call: plotly's update_* and
add_* helpers cost ~5-20 ms each. The live view (boundary, unit lines, encoding, loss) is not plotly:
ui/kit/frame_player.py draws it in the browser from frames.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from ui.figures import palette
from ui.figures.palette import DEFAULT as PALETTE, prob_scale

RED, BLUE = PALETTE["class_red"], PALETTE["class_blue"]
# Light enough that red and blue points stay visible on it, dark enough to read on a projector.
PROB_SCALE = prob_scale()
UNIT_SCALE = "PRGn"
LINE_COLORS = list(palette.series(8, skip=2))  # the unit lines: not the classes' blue and vermillion
FONT = dict(size=15)
MARGIN = dict(l=10, r=10, t=10, b=10)
LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.13, x=0, font=dict(size=13))
GRID = dict(showgrid=True, gridcolor="#eee")


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _plane_axis(extent: float, title: str | None, **kw) -> dict:
    return dict(range=[-extent, extent], zeroline=False, showgrid=False, constrain="domain",
                title=dict(text=title) if title else None, **kw)


def _points(x, y, *, name: str, size: int = 8, outline: str = "white", width: float = 1.0,
            opacity: float = 1.0, showlegend: bool = True, axes: str = "") -> list[dict]:
    x, y = _np(x), _np(y)
    traces = []
    for label, color, cls in ((1, RED, "red"), (0, BLUE, "blue")):
        m = y == label
        traces.append(dict(
            type="scatter", x=x[m, 0], y=x[m, 1], mode="markers", name=f"{name} · {cls}", legendgroup=name,
            marker=dict(color=color, size=size, line=dict(color=outline, width=width)), opacity=opacity,
            showlegend=showlegend, xaxis=f"x{axes}", yaxis=f"y{axes}",
            hovertemplate=f"{name}, {cls}<br>x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<extra></extra>"))
    return traces


def _prob_heatmap(prob, extent: float, discretize: bool, coloraxis: str | None = None, axes: str = "") -> dict:
    prob = _np(prob).astype(np.float32)
    xs = np.linspace(-extent, extent, prob.shape[-1]).astype(np.float32)
    z = (prob >= 0.5).astype(np.float32) if discretize else prob
    kw = dict(coloraxis=coloraxis) if coloraxis else dict(
        colorscale=PROB_SCALE, zmin=0, zmax=1,
        colorbar=dict(title=dict(text="P(red)", side="right"), thickness=14, len=0.8, tickformat=".1f"))
    # "fast" draws one image scaled by the browser: 200x200 cells at ~350 px need no interpolation.
    return dict(type="heatmap", z=z, x=xs, y=xs, zsmooth=False if discretize else "fast", hoverinfo="skip",
                xaxis=f"x{axes}", yaxis=f"y{axes}", **kw)


def thumbnails_figure(maps: Sequence, per_row: int | None = None, height: int | None = None,
                      gap: int = 3) -> go.Figure:
    """Each hidden unit's output over the plane, one small square per unit, a block of rows per layer.

    `maps` is [(h_l, res, res)] per layer, row i at x2 = -extent + ...; drawn with +x2 on top like the
    plane. All squares are tiled into one image (one trace, fast to draw); the colour scale is centred
    on 0: green where a unit's output is positive, white at 0, purple where negative."""
    maps = [_np(m).astype(np.float32) for m in maps]
    res = maps[0].shape[-1]
    widest = max(m.shape[0] for m in maps)
    per_row = per_row or (widest if widest <= 4 else 6 if widest <= 12 else 8)
    cell = res + gap
    sep = res // 3  # extra space between the layers' blocks
    rows_per_layer = [int(np.ceil(m.shape[0] / per_row)) for m in maps]
    n_rows = sum(rows_per_layer)
    img = np.full((n_rows * cell + sep * (len(maps) - 1), per_row * cell - gap), np.nan, dtype=np.float32)
    labels = []
    y0 = 0
    for l, m in enumerate(maps):
        for u in range(m.shape[0]):
            top, left = y0 + (u // per_row) * cell, (u % per_row) * cell
            img[top:top + res, left:left + res] = m[u][::-1]  # row 0 on top is x2 = +extent
            labels.append((left + res / 2, top + 1, f"h{u + 1}" if len(maps) == 1 else f"{l + 1}.{u + 1}"))
        y0 += rows_per_layer[l] * cell + sep
    vmax = float(np.nanmax(np.abs(img))) if np.isfinite(img).any() else 1.0
    vmax = max(vmax, 1e-6)
    notes = [dict(x=xc, y=yc, text=text, showarrow=False, yanchor="top", font=dict(size=12 if per_row > 6 else 14),
                  bgcolor="rgba(255,255,255,0.75)", borderpad=1) for xc, yc, text in labels]
    side = 330 / per_row  # the squares fill a ~330 px column
    layout = dict(
        height=height or int(min(560, 30 + img.shape[0] / cell * side)), margin=dict(l=0, r=0, t=4, b=4),
        plot_bgcolor="white",
        font=FONT, annotations=notes,
        xaxis=dict(visible=False, range=[-0.5, per_row * cell - gap - 0.5], constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", constrain="domain"))
    return go.Figure([dict(type="heatmap", z=img, colorscale=UNIT_SCALE, zmid=0, zmin=-vmax, zmax=vmax,
                           hoverinfo="skip", showscale=False)], layout)


def _counts_text(enc: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, str]] | None:
    """When the encoding has only a few distinct points (a step), how many of each class sit on each."""
    keys, inverse = np.unique(np.round(enc, 6), axis=0, return_inverse=True)
    if len(keys) > 8:
        return None
    out = []
    for i, key in enumerate(keys):
        m = inverse.reshape(-1) == i
        red, blue = int((y[m] == 1).sum()), int((y[m] == 0).sum())
        parts = [f"<span style='color:{RED}'>{red} red</span>" if red else "",
                 f"<span style='color:{BLUE}'>{blue} blue</span>" if blue else ""]
        out.append((key, " · ".join(p for p in parts if p)))
    return out


def _pad_range(lo: float, hi: float, frac: float = 0.12) -> list[float]:
    span = max(hi - lo, 1e-3)
    return [float(lo - frac * span), float(hi + frac * span)]


def _box(title: str, rng: list[float]) -> dict:
    return dict(title=dict(text=title), range=rng, zeroline=False, showline=True, linecolor="#999", mirror=True,
                **GRID)


def encoding_figure(enc, y, v=None, c: float | None = None, pca_share=None, height: int = 440) -> go.Figure:
    """The points in hidden space (N, h): a strip for 1 unit, a plane with the output layer's line
    v·a + c = 0 for 2, a 3D view with its plane for 3; with `pca_share` (the variance share of each
    axis), `enc` is a PCA projection (N, 2) of a wider encoding and no line is drawn."""
    enc, y = _np(enc).astype(np.float64), _np(y)
    h = enc.shape[1]
    v = None if v is None else _np(v).astype(np.float64).reshape(-1)
    base = dict(height=height, margin=MARGIN, font=FONT, plot_bgcolor="white", legend=LEGEND_BELOW)
    if h == 3:
        traces = [dict(type="scatter3d", x=enc[y == lab, 0], y=enc[y == lab, 1], z=enc[y == lab, 2], mode="markers",
                       name=cls, marker=dict(color=color, size=3.5))
                  for lab, color, cls in ((1, RED, "red"), (0, BLUE, "blue"))]
        rng = [_pad_range(enc[:, i].min(), enc[:, i].max()) for i in range(3)]
        if v is not None and abs(v[2]) > 1e-9:
            g0, g1 = np.meshgrid(np.linspace(*rng[0], 12), np.linspace(*rng[1], 12))
            g2 = -(v[0] * g0 + v[1] * g1 + c) / v[2]
            g2 = np.where((g2 >= rng[2][0]) & (g2 <= rng[2][1]), g2, np.nan)
            traces.append(dict(type="surface", x=g0, y=g1, z=g2, showscale=False, opacity=0.45,
                               name="output unit's plane", colorscale=[[0, "#444"], [1, "#444"]], hoverinfo="skip"))
        scene = dict(aspectmode="cube", **{f"{ax}axis": dict(title=dict(text=f"a{sub}"), range=r)
                                           for ax, sub, r in zip("xyz", "₁₂₃", rng)})
        return go.Figure(traces, dict(base, scene=scene))
    if pca_share is not None:
        share = list(_np(pca_share))
        xr = _pad_range(enc[:, 0].min(), enc[:, 0].max())
        yr = _pad_range(enc[:, 1].min(), enc[:, 1].max())
        return go.Figure(_points(enc[:, :2], y, name="train", size=7), dict(
            base, xaxis=_box(f"1st principal direction ({share[0]:.0%} of the spread)", xr),
            yaxis=_box(f"2nd principal direction ({share[1]:.0%})", yr)))
    if h == 1:  # a strip: a1 across, the two classes on two rows
        rng = np.random.default_rng(0)
        traces = []
        for lab, color, cls, row in ((1, RED, "red", 1.0), (0, BLUE, "blue", 0.0)):
            m = y == lab
            traces.append(dict(type="scatter", x=enc[m, 0], y=row + (rng.random(int(m.sum())) - 0.5) * 0.3,
                               mode="markers", name=cls, marker=dict(color=color, size=7,
                                                                      line=dict(color="white", width=1))))
        xr = _pad_range(enc[:, 0].min(), enc[:, 0].max())
        shapes = []
        if v is not None and abs(v[0]) > 1e-9 and xr[0] <= -c / v[0] <= xr[1]:
            shapes.append(dict(type="line", x0=-c / v[0], x1=-c / v[0], y0=0, y1=1, xref="x", yref="paper",
                               line=dict(color="black", width=3, dash="dash")))
        return go.Figure(traces, dict(base, shapes=shapes, xaxis=_box("a₁ (the hidden unit's output)", xr),
                                      yaxis=dict(tickvals=[0, 1], ticktext=["blue", "red"], range=[-0.6, 1.6])))
    # Two units: the lecture's picture.
    traces = _points(enc, y, name="train", size=8)
    xr = _pad_range(enc[:, 0].min(), enc[:, 0].max())
    yr = _pad_range(enc[:, 1].min(), enc[:, 1].max())
    line = dict(type="scatter", mode="lines", name="output unit's line", line=dict(color="black", width=3, dash="dash"))
    if v is not None and abs(v[1]) > 1e-9:
        a = np.linspace(*xr, 50)
        traces.append(dict(line, x=a, y=-(v[0] * a + c) / v[1]))
    elif v is not None and abs(v[0]) > 1e-9:
        traces.append(dict(line, x=[-c / v[0]] * 2, y=yr))
    notes = [dict(x=float(key[0]), y=float(key[1]), text=text, showarrow=True, arrowhead=0, ax=0, ay=-28,
                  font=dict(size=15), bgcolor="rgba(255,255,255,0.85)")
             for key, text in (_counts_text(enc, y) or [])]
    return go.Figure(traces, dict(base, annotations=notes, xaxis=_box("a₁ (unit h1)", xr),
                                  yaxis=_box("a₂ (unit h2)", yr)))


def growth_figure(probs, widths: Sequence[int], extent: float, x, y, train_acc, test_acc,
                  height: int = 215) -> go.Figure:
    """One small boundary per width, side by side, with the train points and the accuracies."""
    probs = _np(probs)
    n = len(widths)
    gap = 0.012
    span = (1 - gap * (n - 1)) / n
    traces, layout, notes = [], {}, []
    for i, (w, a, t) in enumerate(zip(widths, _np(train_acc), _np(test_acc))):
        s = "" if i == 0 else str(i + 1)
        traces.append(_prob_heatmap(probs[i], extent, False, coloraxis="coloraxis", axes=s))
        traces += _points(x, y, name="train", size=4, width=0, showlegend=False, axes=s)
        lo = i * (span + gap)
        axis = _plane_axis(extent, None, showticklabels=False)
        layout[f"xaxis{s}"] = dict(axis, domain=[lo, lo + span], anchor=f"y{s}")
        layout[f"yaxis{s}"] = dict(axis, domain=[0, 1], anchor=f"x{s}", scaleanchor=f"x{s}", scaleratio=1)
        notes.append(dict(x=lo + span / 2, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                          text=f"<b>{w} unit{'s' if w != 1 else ''}</b><br>train {a:.0%}<br>test {t:.0%}",
                          font=dict(size=13)))
    return go.Figure(traces, dict(
        layout, annotations=notes, coloraxis=dict(colorscale=PROB_SCALE, cmin=0, cmax=1, showscale=False),
        height=height, margin=dict(l=0, r=0, t=70, b=0), font=FONT, showlegend=False, plot_bgcolor="white"))


def growth_accuracy_figure(widths: Sequence[int], train_acc, test_acc, height: int = 260) -> go.Figure:
    """Train and test accuracy against the number of hidden units (log scale)."""
    tr, te = _np(train_acc), _np(test_acc)
    traces = [
        dict(type="scatter", x=list(widths), y=tr, name="train accuracy", mode="lines+markers",
             line=dict(color="#333", width=3), marker=dict(size=9)),
        dict(type="scatter", x=list(widths), y=te, name="test accuracy", mode="lines+markers",
             line=dict(color="#e67e00", width=3, dash="dot"), marker=dict(size=9)),
    ]
    lo = float(min(tr.min(), te.min()))
    return go.Figure(traces, dict(
        height=height, margin=MARGIN, font=dict(size=13), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(type="log", tickvals=list(widths), title=dict(text="hidden units per layer"), **GRID),
        yaxis=dict(tickformat=".0%", range=[min(0.45, lo - 0.03), 1.02], title=dict(text="accuracy"), **GRID)))
