"""Figures for the decision-boundary page: pure functions, arrays in, plotly Figures out.

Colours follow the lecture: class 1 red, class 0 blue; the model's P(red) is a red-white-blue
heatmap; a hidden unit's output uses purple (negative) to green (positive), so it is not read as a class.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

RED, BLUE = "#d62418", "#1d5fb4"
# Light enough that red and blue points stay visible on it, dark enough to read on a projector.
PROB_SCALE = [[0.0, "#6f9ad6"], [0.25, "#b3cbeb"], [0.5, "#f6f6f6"], [0.75, "#f2b3ab"], [1.0, "#e5695d"]]
UNIT_SCALE = "PRGn"
LINE_COLORS = ["#2f8f2f", "#8e44ad", "#e67e00", "#0f9aa8", "#8c564b", "#d6338f", "#555555", "#a0a000"]
FONT = dict(size=15)


def _np(a) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _plane_axes(fig: go.Figure, extent: float, row=None, col=None, titles: bool = True) -> None:
    kw = dict(range=[-extent, extent], zeroline=False, showgrid=False, constrain="domain")
    fig.update_xaxes(title_text="x₁" if titles else None, **kw, row=row, col=col)
    fig.update_yaxes(title_text="x₂" if titles else None, **kw, row=row, col=col)


def _square(fig: go.Figure, n: int = 1) -> None:
    for i in range(1, n + 1):
        s = "" if i == 1 else str(i)
        fig.layout[f"yaxis{s}"].scaleanchor = f"x{s}"
        fig.layout[f"yaxis{s}"].scaleratio = 1


def _points(x, y, *, name: str, size: int = 8, outline: str = "white", width: float = 1.0,
            opacity: float = 1.0, showlegend: bool = True, legendgroup: str | None = None) -> list[go.Scatter]:
    x, y = _np(x), _np(y)
    traces = []
    for label, color, cls in ((1, RED, "red"), (0, BLUE, "blue")):
        m = y == label
        traces.append(go.Scatter(
            x=x[m, 0], y=x[m, 1], mode="markers", name=f"{name} · {cls}", legendgroup=legendgroup or name,
            marker=dict(color=color, size=size, line=dict(color=outline, width=width)), opacity=opacity,
            showlegend=showlegend, hovertemplate=f"{name}, {cls}<br>x₁=%{{x:.2f}}<br>x₂=%{{y:.2f}}<extra></extra>"))
    return traces


def _prob_heatmap(prob, extent: float, discretize: bool, showscale: bool = True, coloraxis: str | None = None):
    prob = _np(prob).astype(np.float32)
    res = prob.shape[-1]
    xs = np.linspace(-extent, extent, res)
    z = (prob >= 0.5).astype(np.float32) if discretize else prob
    kw = dict(coloraxis=coloraxis) if coloraxis else dict(
        colorscale=PROB_SCALE, zmin=0, zmax=1, showscale=showscale,
        colorbar=dict(title=dict(text="P(red)", side="right"), thickness=14, len=0.8, tickformat=".1f"))
    return go.Heatmap(z=z, x=xs, y=xs, zsmooth=False if discretize else "best", hoverinfo="skip", **kw)


def boundary_figure(prob, extent: float, x_train, y_train, x_test=None, y_test=None, discretize: bool = False,
                    height: int = 440) -> go.Figure:
    """The model's P(red) over the plane (res, res) with the train points (white ring) and, if given,
    the test points (black ring); `discretize` shows only which side of P = 0.5 each place is."""
    fig = go.Figure(_prob_heatmap(prob, extent, discretize))
    fig.add_traces(_points(x_train, y_train, name="train"))
    if x_test is not None:
        fig.add_traces(_points(x_test, y_test, name="test", outline="black", width=1.6))
    _plane_axes(fig, extent)
    _square(fig)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=FONT, plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="top", y=-0.13, x=0, font=dict(size=13)))
    return fig


def units_figure(lines: Sequence, extent: float, x, y, height: int = 440, max_lines: int = 64) -> go.Figure:
    """Each first-layer unit's line w·x + b = 0 over the faint data, with an arrow to its positive side."""
    traces = _points(x, y, name="data", size=6, opacity=0.35, width=0, showlegend=False)
    notes = []
    segs: dict[str, tuple[list, list, list]] = {}  # one trace per colour, segments split by None
    for ln in lines[:max_lines]:
        if ln is None:
            continue
        color = LINE_COLORS[ln.unit % len(LINE_COLORS)]
        xs, ys, names = segs.setdefault(color, ([], [], []))
        xs += [ln.start[0], ln.end[0], None]
        ys += [ln.start[1], ln.end[1], None]
        names += [f"h{ln.unit + 1}"] * 3
        notes.append(dict(x=ln.tip[0], y=ln.tip[1], ax=ln.base[0], ay=ln.base[1], xref="x", yref="y", axref="x",
                          ayref="y", showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=2.5, arrowcolor=color,
                          text=""))
        notes.append(dict(x=ln.tip[0], y=ln.tip[1], text=f"<b>h{ln.unit + 1}</b>", showarrow=False, yshift=12,
                          font=dict(color=color, size=15), bgcolor="rgba(255,255,255,0.75)"))
    for color, (xs, ys, names) in segs.items():
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=color, width=3), text=names,
                                 showlegend=False, hovertemplate="unit %{text}: pre-activation 0 here<extra></extra>"))
    # Annotations passed in one list: adding them one by one costs ~10 ms each in plotly.
    fig = go.Figure(traces, layout=dict(annotations=notes))
    _plane_axes(fig, extent)
    _square(fig)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=FONT, plot_bgcolor="white",
                      showlegend=False)
    fig.update_xaxes(showline=True, linecolor="#999", mirror=True)
    fig.update_yaxes(showline=True, linecolor="#999", mirror=True)
    return fig


def thumbnails_figure(maps: Sequence, per_row: int = 8, height: int | None = None, gap: int = 3) -> go.Figure:
    """Each hidden unit's output over the plane, one small square per unit, a block of rows per layer.

    `maps` is [(h_l, res, res)] per layer. All squares are tiled into one image (one trace, fast to
    draw); the colour scale is centred on 0: green where a unit's output is positive, purple negative."""
    maps = [_np(m).astype(np.float32) for m in maps]
    res = maps[0].shape[-1]
    cell = res + gap
    rows_per_layer = [int(np.ceil(m.shape[0] / per_row)) for m in maps]
    n_rows = sum(rows_per_layer) + (len(maps) - 1)  # an empty row between layers
    img = np.full((n_rows * cell, per_row * cell), np.nan, dtype=np.float32)
    labels = []
    r0 = 0
    for l, m in enumerate(maps):
        for u in range(m.shape[0]):
            r, c = r0 + u // per_row, u % per_row
            img[r * cell:r * cell + res, c * cell:c * cell + res] = m[u]
            labels.append((c * cell + res / 2, r * cell + res - 1, f"h{u + 1}" if len(maps) == 1 else
                           f"{l + 1}.{u + 1}"))
        r0 += rows_per_layer[l] + 1
    vmax = float(np.nanmax(np.abs(img))) if np.isfinite(img).any() else 1.0
    vmax = max(vmax, 1e-6)
    notes = [dict(x=xc, y=yc, text=text, showarrow=False, yanchor="bottom", font=dict(size=11),
                  bgcolor="rgba(255,255,255,0.7)", borderpad=0) for xc, yc, text in labels]
    fig = go.Figure(go.Heatmap(z=img, colorscale=UNIT_SCALE, zmid=0, zmin=-vmax, zmax=vmax, hoverinfo="skip",
                               colorbar=dict(title=dict(text="output", side="right"), thickness=12, len=0.8)),
                    layout=dict(annotations=notes))
    fig.update_xaxes(visible=False, range=[-0.5, per_row * cell - gap - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    rows = n_rows
    fig.update_layout(height=height or min(520, 70 + rows * 62), margin=dict(l=0, r=0, t=4, b=4),
                      plot_bgcolor="white", font=FONT)
    return fig


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
    return [lo - frac * span, hi + frac * span]


def encoding_figure(enc, y, v=None, c: float | None = None, pca_share=None, height: int = 440) -> go.Figure:
    """The points in hidden space (N, h): a strip for 1 unit, a plane with the output layer's line
    v·a + c = 0 for 2, a 3D view with its plane for 3, a PCA projection (N, 2) above that (`pca_share`)."""
    enc, y = _np(enc).astype(np.float64), _np(y)
    h = enc.shape[1]
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10), font=FONT, plot_bgcolor="white",
                  legend=dict(orientation="h", yanchor="top", y=-0.13, x=0, font=dict(size=13)))
    v = None if v is None else _np(v).astype(np.float64).reshape(-1)
    if h == 3:
        fig = go.Figure()
        for label, color, cls in ((1, RED, "red"), (0, BLUE, "blue")):
            m = y == label
            fig.add_trace(go.Scatter3d(x=enc[m, 0], y=enc[m, 1], z=enc[m, 2], mode="markers", name=cls,
                                       marker=dict(color=color, size=3.5)))
        rng = [_pad_range(enc[:, i].min(), enc[:, i].max()) for i in range(3)]
        if v is not None and abs(v[2]) > 1e-9:
            g0, g1 = np.meshgrid(np.linspace(*rng[0], 12), np.linspace(*rng[1], 12))
            g2 = -(v[0] * g0 + v[1] * g1 + c) / v[2]
            g2 = np.where((g2 >= rng[2][0]) & (g2 <= rng[2][1]), g2, np.nan)
            fig.add_trace(go.Surface(x=g0, y=g1, z=g2, showscale=False, opacity=0.45, name="output plane",
                                     colorscale=[[0, "#444"], [1, "#444"]], hoverinfo="skip"))
        fig.update_layout(**layout, scene=dict(xaxis=dict(title="a₁", range=rng[0]), yaxis=dict(title="a₂", range=rng[1]),
                                               zaxis=dict(title="a₃", range=rng[2]), aspectmode="cube"))
        return fig
    if h >= 4:
        share = [0.0, 0.0] if pca_share is None else list(_np(pca_share))
        fig = go.Figure(_points(enc[:, :2], y, name="train", size=7))
        fig.update_xaxes(title_text=f"1st principal direction ({share[0]:.0%} of the spread)")
        fig.update_yaxes(title_text=f"2nd principal direction ({share[1]:.0%})")
        fig.update_layout(**layout)
        return fig
    if h == 1:  # a strip: a₁ across, the two classes on two rows
        fig = go.Figure()
        for label, color, cls, row in ((1, RED, "red", 1.0), (0, BLUE, "blue", 0.0)):
            m = y == label
            jitter = (np.random.default_rng(0).random(m.sum()) - 0.5) * 0.3
            fig.add_trace(go.Scatter(x=enc[m, 0], y=row + jitter, mode="markers", name=cls,
                                       marker=dict(color=color, size=7, line=dict(color="white", width=1))))
        xr = _pad_range(enc[:, 0].min(), enc[:, 0].max())
        if v is not None and abs(v[0]) > 1e-9 and xr[0] <= -c / v[0] <= xr[1]:
            fig.add_vline(x=-c / v[0], line=dict(color="black", width=3, dash="dash"))
        fig.update_xaxes(title_text="a₁ (the hidden unit's output)", range=xr)
        fig.update_yaxes(tickvals=[0, 1], ticktext=["blue", "red"], range=[-0.6, 1.6])
        fig.update_layout(**layout)
        return fig
    # Two units: the lecture's picture.
    fig = go.Figure(_points(enc, y, name="train", size=8))
    xr = _pad_range(enc[:, 0].min(), enc[:, 0].max())
    yr = _pad_range(enc[:, 1].min(), enc[:, 1].max())
    if v is not None:
        a = np.linspace(*xr, 50)
        if abs(v[1]) > 1e-9:
            fig.add_trace(go.Scatter(x=a, y=-(v[0] * a + c) / v[1], mode="lines", name="output unit's line",
                                     line=dict(color="black", width=3, dash="dash")))
        elif abs(v[0]) > 1e-9:
            fig.add_trace(go.Scatter(x=[-c / v[0]] * 2, y=yr, mode="lines", name="output unit's line",
                                     line=dict(color="black", width=3, dash="dash")))
    counts = _counts_text(enc, y)
    if counts:
        for key, text in counts:
            fig.add_annotation(x=key[0], y=key[1], text=text, showarrow=True, arrowhead=0, ax=0, ay=-28,
                               font=dict(size=15), bgcolor="rgba(255,255,255,0.85)")
    fig.update_xaxes(title_text="a₁ (unit h1)", range=xr, zeroline=False, showline=True, linecolor="#999", mirror=True)
    fig.update_yaxes(title_text="a₂ (unit h2)", range=yr, zeroline=False, showline=True, linecolor="#999", mirror=True)
    fig.update_layout(**layout)
    return fig


def loss_figure(curves: Sequence[dict], marker_epoch: int | None = None, height: int = 230) -> go.Figure:
    """Train and test loss against the epoch; a dotted line marks the replayed epoch."""
    ep = [c["epoch"] for c in curves]
    fig = go.Figure([
        go.Scatter(x=ep, y=[c["train_loss"] for c in curves], name="train loss", line=dict(color="#333", width=3)),
        go.Scatter(x=ep, y=[c["test_loss"] for c in curves], name="test loss",
                   line=dict(color="#e67e00", width=3, dash="dot")),
    ])
    if marker_epoch is not None:
        fig.add_vline(x=marker_epoch, line=dict(color="#888", width=2, dash="dot"))
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_yaxes(title_text="loss (BCE)", rangemode="tozero")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=13),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), plot_bgcolor="white")
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    return fig


def growth_figure(probs, widths: Sequence[int], extent: float, x, y, train_acc, test_acc,
                  height: int = 260) -> go.Figure:
    """One small boundary per width, side by side, with the train points and the accuracies."""
    probs = _np(probs)
    n = len(widths)
    gap = 0.012
    span = (1 - gap * (n - 1)) / n
    traces, layout, notes = [], {}, []
    for i, (w, a, t) in enumerate(zip(widths, _np(train_acc), _np(test_acc))):
        s = "" if i == 0 else str(i + 1)
        heat = _prob_heatmap(probs[i], extent, False, coloraxis="coloraxis")
        heat.update(xaxis=f"x{s}", yaxis=f"y{s}")
        traces.append(heat)
        for tr in _points(x, y, name="train", size=4, width=0, showlegend=False):
            tr.update(xaxis=f"x{s}", yaxis=f"y{s}")
            traces.append(tr)
        lo = i * (span + gap)
        axis = dict(range=[-extent, extent], showticklabels=False, showgrid=False, zeroline=False,
                    constrain="domain")
        layout[f"xaxis{s}"] = dict(axis, domain=[lo, lo + span], anchor=f"y{s}")
        layout[f"yaxis{s}"] = dict(axis, domain=[0, 1], anchor=f"x{s}", scaleanchor=f"x{s}", scaleratio=1)
        notes.append(dict(x=lo + span / 2, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                          text=f"<b>{w} unit{'s' if w != 1 else ''}</b><br>train {a:.0%} · test {t:.0%}",
                          font=dict(size=13)))
    # Built as one layout (not make_subplots + add_trace): ~10x faster for 7 panels.
    return go.Figure(traces, layout=dict(
        layout, annotations=notes, coloraxis=dict(colorscale=PROB_SCALE, cmin=0, cmax=1, showscale=False),
        height=height, margin=dict(l=0, r=0, t=58, b=0), font=FONT, showlegend=False, plot_bgcolor="white"))


def growth_accuracy_figure(widths: Sequence[int], train_acc, test_acc, height: int = 260) -> go.Figure:
    """Train and test accuracy against the number of hidden units (log scale)."""
    fig = go.Figure([
        go.Scatter(x=list(widths), y=_np(train_acc), name="train accuracy", mode="lines+markers",
                   line=dict(color="#333", width=3), marker=dict(size=9)),
        go.Scatter(x=list(widths), y=_np(test_acc), name="test accuracy", mode="lines+markers",
                   line=dict(color="#e67e00", width=3, dash="dot"), marker=dict(size=9)),
    ])
    lo = float(min(np.min(_np(train_acc)), np.min(_np(test_acc))))
    fig.update_xaxes(type="log", tickvals=list(widths), title_text="hidden units per layer", showgrid=True,
                     gridcolor="#eee")
    fig.update_yaxes(tickformat=".0%", range=[min(0.45, lo - 0.03), 1.02], title_text="accuracy", showgrid=True,
                     gridcolor="#eee")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=13), plot_bgcolor="white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig
