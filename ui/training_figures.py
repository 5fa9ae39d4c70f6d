"""Figures for the training page: pure functions, arrays in, plotly Figure out (testable without a browser).

Each figure is built in one go from plain dicts: plotly validates a figure once that way, where
incremental `add_trace`/`add_annotation` calls validate it again each time (the live view redraws
several times a second beside a training thread, so this matters).
"""
from __future__ import annotations

import base64
import io
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from fmnist_core.metrics import ema_smooth, row_normalize, thin

TRAIN_COLOR, TEST_COLOR = "#1f77b4", "#ff7f0e"
OK_COLOR, BAD_COLOR = "#1a7f37", "#cf222e"
RUN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
              "#bcbd22", "#17becf")
FONT = dict(size=14)
MAX_POINTS = 500  # a browser redraws a few hundred points several times a second without lag

METRIC_LABELS = {"loss": "cross-entropy loss", "accuracy": "accuracy"}
X_LABELS = {"epoch": "epoch", "elapsed": "seconds of training"}
_AXIS = dict(showgrid=True, gridcolor="#eee", zeroline=False)


def _layout(height: int, title: str | None = None, margin: dict | None = None, **kw) -> dict:
    return dict(height=height, margin=margin or dict(l=10, r=10, t=40 if title else 10, b=10), font=FONT,
                title=dict(text=title, x=0, xanchor="left", font=dict(size=16)) if title else None,
                plot_bgcolor="white", **kw)


def _note(text: str) -> dict:
    return dict(text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font=dict(size=15, color="#888"))


def _list(a) -> np.ndarray:
    # numpy arrays pass plotly's validation without an element-by-element check, and travel as base64
    return np.ascontiguousarray(a, dtype=np.float64)


def curves_chart(
    runs: Sequence[tuple[str, dict]],
    metric: str = "loss",
    smoothing: float = 0.6,
    x: str = "epoch",
    height: int = 280,
    title: str | None = None,
    compare: bool | None = None,
) -> dict:
    """A Vega-Lite spec: train (smoothed, raw faint) and test curves of `metric`, one run or several.

    `runs` holds (label, series) with series from `fmnist_core.runs.history_series`. One run: train
    blue, test orange. Comparing (several, or `compare=True`): one colour per run, train solid, test
    dashed with points. Vega-Lite, not plotly, because these curves are redrawn twice a second while a
    network trains beside the browser: a browser redraws a Vega-Lite line for about half of what a
    plotly chart costs it (measured on the 2-core machine), and that CPU is the trainer's.
    """
    if metric not in METRIC_LABELS or x not in X_LABELS:
        raise ValueError(f"metric must be one of {list(METRIC_LABELS)} and x one of {list(X_LABELS)}")
    single = len(runs) == 1 if compare is None else not compare
    budget = max(50, MAX_POINTS // max(len(runs), 1))
    rows: list[dict] = []
    for label, s in runs:
        tx, ty = np.asarray(s[f"train_{x}"]), np.asarray(s[f"train_{metric}"])
        if len(tx):
            keep = thin(len(tx), budget // 2 if single and smoothing > 0 else budget)  # raw + smoothed share it
            smooth = ema_smooth(ty, smoothing) if smoothing > 0 else ty
            if single and smoothing > 0:
                rows += [dict(x=float(a), y=float(b), run=label, curve="train (raw)") for a, b in zip(tx[keep], ty[keep])]
            rows += [dict(x=float(a), y=float(b), run=label, curve="train") for a, b in zip(tx[keep], smooth[keep])]
        ex, ey = np.asarray(s[f"test_{x}"]), np.asarray(s[f"test_{metric}"])
        rows += [dict(x=float(a), y=float(b), run=label, curve="test") for a, b in zip(ex, ey)]
    rows = [r for r in rows if np.isfinite(r["y"])]  # a diverged run's NaN would blank the whole axis
    fmt = ".0%" if metric == "accuracy" else ".2f"
    x_enc = dict(field="x", type="quantitative", title=X_LABELS[x], scale=dict(zero=True))
    y_enc = dict(field="y", type="quantitative", title=METRIC_LABELS[metric], axis=dict(format=fmt),
                 scale=dict(zero=False))
    tip = [dict(field="run", title="run"), dict(field="curve", title="curve"),
           dict(field="x", title=X_LABELS[x], format=".2f"), dict(field="y", title=metric, format=".4f")]
    if single:
        color = dict(field="curve", type="nominal", title=None,
                     scale=dict(domain=["train", "test"], range=[TRAIN_COLOR, TEST_COLOR]),
                     legend=dict(orient="top", direction="horizontal", title=None))
        layers = [
            dict(transform=[dict(filter="datum.curve == 'train (raw)'")],
                 mark=dict(type="line", color=TRAIN_COLOR, opacity=0.3, strokeWidth=1),
                 encoding=dict(x=x_enc, y=y_enc)),
            dict(transform=[dict(filter="datum.curve == 'train'")], mark=dict(type="line", strokeWidth=2.5),
                 encoding=dict(x=x_enc, y=y_enc, color=color, tooltip=tip)),
            dict(transform=[dict(filter="datum.curve == 'test'")],
                 mark=dict(type="line", strokeWidth=2.5, point=dict(size=50, filled=True)),
                 encoding=dict(x=x_enc, y=y_enc, color=color, tooltip=tip)),
        ]
    else:
        labels = [label for label, _ in runs]
        color = dict(field="run", type="nominal", title=None, sort=labels,
                     scale=dict(domain=labels, range=[RUN_COLORS[i % len(RUN_COLORS)] for i in range(len(labels))]),
                     legend=dict(orient="bottom", direction="vertical", labelLimit=400))
        layers = [
            dict(transform=[dict(filter="datum.curve == 'train'")], mark=dict(type="line", strokeWidth=2),
                 encoding=dict(x=x_enc, y=y_enc, color=color, detail=dict(field="run"), tooltip=tip)),
            dict(transform=[dict(filter="datum.curve == 'test'")],
                 mark=dict(type="line", strokeWidth=2, strokeDash=[5, 4], point=dict(size=40, filled=True)),
                 encoding=dict(x=x_enc, y=y_enc, color=color, detail=dict(field="run"), tooltip=tip)),
        ]
    spec = dict(
        data=dict(values=rows), layer=layers, height=height,
        config=dict(axis=dict(labelFontSize=13, titleFontSize=14, gridColor="#eee"),
                    legend=dict(labelFontSize=13), title=dict(fontSize=16, anchor="start")),
    )
    if title:
        spec["title"] = title
    if not rows:
        spec["layer"].append(dict(data=dict(values=[dict(t="the curves appear after the first steps")]),
                                  mark=dict(type="text", fontSize=15, color="#888"),
                                  encoding=dict(text=dict(field="t"))))
    return spec


def confusion_figure(
    cm: np.ndarray,
    class_names: Sequence[str],
    normalized: bool = False,
    selected: tuple[int, int] | None = None,
    height: int = 470,
    title: str | None = None,
) -> go.Figure:
    """Heatmap of a confusion matrix (rows: true class, columns: predicted), one clickable point per cell.

    A transparent scatter marker sits on each cell because plotly selects points of scatter traces,
    not heatmap cells; clicking one selects (true, predicted) in `customdata`.
    """
    cm = np.asarray(cm)
    n = len(class_names)
    share = row_normalize(cm)
    z = share if normalized else cm.astype(np.float64)
    if normalized:
        text = [["" if c == 0 else ("<1%" if v < 0.005 else f"{v:.0%}") for c, v in zip(cr, vr)]
                for cr, vr in zip(cm, z)]
    else:
        text = [["" if c == 0 else str(int(c)) for c in cr] for cr in cm]
    names = list(class_names)
    tt, pp = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    data = [
        dict(type="heatmap", z=_list(z), x=names, y=names, text=text, texttemplate="%{text}",
             textfont=dict(size=12), colorscale="Blues", zmin=0, zmax=1 if normalized else max(float(z.max()), 1.0),
             showscale=False, hoverinfo="skip", xgap=1, ygap=1),
        dict(type="scatter", x=[names[p] for p in pp.ravel()], y=[names[t] for t in tt.ravel()], mode="markers",
             marker=dict(symbol="square", size=34, color="rgba(0,0,0,0)", opacity=0.01),
             customdata=np.stack([tt.ravel(), pp.ravel(), cm.ravel(), share.ravel()], axis=1).tolist(),
             hovertemplate="true <b>%{y}</b>, predicted <b>%{x}</b><br>%{customdata[2]} images "
                           "(%{customdata[3]:.1%} of this class)<extra>click to see them</extra>",
             showlegend=False, name="cells"),
    ]
    shapes = []
    if selected is not None:
        t, p = selected
        shapes.append(dict(type="rect", x0=p - 0.5, x1=p + 0.5, y0=t - 0.5, y1=t + 0.5,
                           line=dict(color=BAD_COLOR if t != p else OK_COLOR, width=3)))
    layout = _layout(
        height, title, clickmode="event+select", dragmode=False, shapes=shapes,
        xaxis=dict(title=dict(text="predicted class"), side="bottom", tickangle=-35, showgrid=False, fixedrange=True),
        yaxis=dict(title=dict(text="true class"), autorange="reversed", showgrid=False, fixedrange=True),
    )
    return go.Figure(data=data, layout=layout)


def precision_recall_figure(precision: np.ndarray, recall: np.ndarray, class_names: Sequence[str],
                            height: int = 470, title: str | None = None) -> go.Figure:
    """Grouped horizontal bars: per-class precision and recall."""
    names = list(class_names)
    data = [
        dict(type="bar", y=names, x=_list(precision), orientation="h", name="precision", marker_color="#6f42c1",
             text=[f"{v:.0%}" for v in precision], textposition="outside", textfont=dict(size=11),
             hovertemplate="%{y}: precision %{x:.1%}<extra>of the images predicted as this class, "
                           "the share that really are</extra>"),
        dict(type="bar", y=names, x=_list(recall), orientation="h", name="recall", marker_color="#20a39e",
             text=[f"{v:.0%}" for v in recall], textposition="outside", textfont=dict(size=11),
             hovertemplate="%{y}: recall %{x:.1%}<extra>of the images of this class, the share found</extra>"),
    ]
    layout = _layout(height, title, barmode="group", bargap=0.25,
                     legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                     xaxis=dict(range=[0, 1.13], tickvals=[0, 0.25, 0.5, 0.75, 1], tickformat=".0%", **_AXIS),
                     yaxis=dict(autorange="reversed", showgrid=False))
    return go.Figure(data=data, layout=layout)


def _png_data_uri(img: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def mosaic(images: np.ndarray, cols: int, pad: int = 2, scale: int = 3) -> np.ndarray:
    """uint8 tiles (K, 28, 28) -> one uint8 image of ceil(K/cols) rows, upscaled `scale` times (nearest)."""
    images = np.asarray(images, dtype=np.uint8)
    k, h, w = images.shape
    rows = max(1, -(-k // cols))
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.uint8)
    for i in range(k):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = images[i]
    return out.repeat(scale, 0).repeat(scale, 1)


def image_grid_figure(
    images: np.ndarray,
    titles: Sequence[str],
    ok: Sequence[bool] | None = None,
    subtitles: Sequence[str] | None = None,
    cols: int = 10,
    title: str | None = None,
) -> go.Figure:
    """Test images (K, 28, 28) uint8 in a grid, each with a title (green when `ok`, red when not).

    The grid travels as one small PNG, so redrawing it several times a second costs little.
    """
    images = np.asarray(images, dtype=np.uint8)
    k = len(images)
    if k == 0:
        return go.Figure(layout=_layout(120, title, annotations=[_note("no images here")],
                                        xaxis=dict(visible=False), yaxis=dict(visible=False)))
    cols = max(1, min(cols, k))
    rows = -(-k // cols)
    pad, scale, tile = 2, 3, 28
    lines = max((str(t).count("<br>") + 1 for t in subtitles), default=1) if subtitles is not None else 0
    band = 30 + 16 * lines  # room above each row for its labels, in image pixels
    m = 255 - mosaic(images, cols, pad, scale)  # garments dark on white, as in the original photos
    row_px = (tile + pad) * scale
    parts = [m[: pad * scale]]
    for r in range(rows):
        parts.append(np.full((band, m.shape[1]), 255, dtype=np.uint8))
        parts.append(m[pad * scale + r * row_px: pad * scale + (r + 1) * row_px])
    img = np.concatenate(parts)
    notes = []
    for i in range(k):
        r, c = divmod(i, cols)
        x = (pad + c * (tile + pad) + tile / 2) * scale
        y_top = pad * scale + r * (band + row_px)
        color = "#333" if ok is None else (OK_COLOR if ok[i] else BAD_COLOR)
        notes.append(dict(x=x, y=y_top + 14, text=f"<b>{titles[i]}</b>", showarrow=False,
                          font=dict(size=12, color=color)))
        if subtitles is not None:
            notes.append(dict(x=x, y=y_top + 24 + 8 * lines, text=subtitles[i], showarrow=False,
                              font=dict(size=11, color="#555")))
    height = int(img.shape[0] * min(1.0, 1200 / img.shape[1])) + (40 if title else 10)
    layout = _layout(height, title, margin=dict(l=0, r=0, t=40 if title else 5, b=5), annotations=notes,
                     xaxis=dict(visible=False, fixedrange=True),
                     yaxis=dict(visible=False, fixedrange=True, scaleanchor="x"))
    data = [dict(type="image", source=_png_data_uri(np.stack([img] * 3, axis=-1)), hoverinfo="skip")]
    return go.Figure(data=data, layout=layout)


def ensemble_figure(member_names: Sequence[str], member_accuracies: Sequence[float], ensemble_accuracy: float,
                    height: int | None = None, title: str | None = None) -> go.Figure:
    """Horizontal bars: each member's test accuracy and the ensemble's (highlighted)."""
    names = list(member_names) + ["ensemble (averaged probabilities)"]
    accs = [float(a) for a in member_accuracies] + [float(ensemble_accuracy)]
    colors = ["#9aa5b1"] * len(member_names) + [OK_COLOR]
    lo = max(0.0, min(accs) - 0.03)
    data = [dict(type="bar", y=names, x=accs, orientation="h", marker_color=colors,
                 text=[f"{a:.2%}" for a in accs], textposition="outside", hovertemplate="%{y}: %{x:.2%}<extra></extra>")]
    layout = _layout(height or 90 + 40 * len(names), title,
                     xaxis=dict(range=[lo, min(1.0, max(accs) + 0.02)], tickformat=".0%",
                                title=dict(text=f"test accuracy (axis starts at {lo:.0%})"), **_AXIS),
                     yaxis=dict(autorange="reversed", showgrid=False))
    return go.Figure(data=data, layout=layout)
