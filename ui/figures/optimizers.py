"""Figures for the optimizer race: pure functions, arrays in, a plotly Figure out.

The race plays in the browser: the paths are computed once on the server and sent as plotly frames
(float32 arrays travel as binary), so Play and the step slider redraw without a server round trip.
Plotly re-derives every trace on each frame, so the contours and whole routes are one picture and
a frame moves just two traces (the comets, the loss markers): ~12-20 visible frames a second in
headless chromium on a loaded 2-core machine, against 4 with a contour trace and a trace per path.
"""
from __future__ import annotations

import base64
import io
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from ui.figures import palette

COLORS = dict(zip(("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"), palette.series(6)))
EXTRA_COLORS = palette.series(6)
MAX_FRAMES = 150  # frames of the animation; a path longer than this moves several steps a frame
MAX_PATH_POINTS = 200  # points per whole path (thinned evenly, the end always exact)
TAIL_FRAMES = 12  # a comet's tail: where the path was this many frames ago, up to now
TAIL_POINTS = 14
FRAME_MS = 40  # 25 frames a second asked; the browser shows what it keeps up with
CLICK_RES = 31  # the invisible grid of points that shows the loss on hover and picks a start on a click


def display_values(z: np.ndarray, floor: float) -> np.ndarray:
    """log10(1 + loss - floor): contours that show a banana's floor as well as its walls."""
    return np.log10(1.0 + np.maximum(np.asarray(z, dtype=np.float64) - floor, 0.0))


def contour_image(values: np.ndarray, levels: int = 24, size: int = 480, routes: Sequence = (),
                  box: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)) -> str:
    """Filled contours as a PNG data URI: `values` (res, res) (row i at the i-th y, upwards) smoothed
    to size x size, cut into `levels` bands (dark = low), with a light line where a band ends; each
    route (xy (S, 2), colour) drawn on it as a line, in plane units of `box` = (x0, x1, y0, y1).

    A picture instead of a contour trace and six line traces: plotly re-derives every trace on each
    animation frame, and those made each frame cost a browser ~0.1 s; an image costs nothing to keep.
    """
    v = torch.as_tensor(np.asarray(values, dtype=np.float32))[None, None]
    v = F.interpolate(v, size=(size, size), mode="bilinear", align_corners=True)[0, 0].flip(0).numpy()  # top row first
    lo, hi = float(v.min()), float(v.max())
    band = np.clip(((v - lo) / max(hi - lo, 1e-12) * levels).astype(int), 0, levels - 1)
    palette = np.array([[int(c) for c in col[4:-1].split(",")] for col in
                        sample_colorscale("YlGnBu", list(1 - (np.arange(levels) + 0.5) / levels))], dtype=np.uint8)
    rgb = palette[band]
    edge = np.zeros_like(band, dtype=bool)
    edge[:-1] |= band[:-1] != band[1:]
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    rgb[edge] = (0.45 * rgb[edge] + 0.55 * 255).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    if len(routes):
        big = 2 * size  # drawn at twice the size, then shrunk: smooth lines
        img = img.resize((big, big), Image.NEAREST)
        draw = ImageDraw.Draw(img)
        x0, x1, y0, y1 = box
        for xy, color in routes:
            px = (np.asarray(xy[:, 0], float) - x0) / (x1 - x0) * (big - 1)
            py = (y1 - np.asarray(xy[:, 1], float)) / (y1 - y0) * (big - 1)
            pts = np.clip(np.stack([px, py], 1), -4 * big, 5 * big)  # a diverging path leaves the picture
            draw.line([tuple(p) for p in pts], fill=color, width=5, joint="curve")
        img = img.resize((size, size), Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def floor_of(z: np.ndarray, paths: Sequence) -> float:
    """The lowest loss seen on the grid or on any path."""
    lows = [float(np.nanmin(z))] + [float(np.min(p.loss)) for p in paths if len(p.loss)]
    return min(lows)


def _color(name: str, i: int) -> str:
    return COLORS.get(name, EXTRA_COLORS[i % len(EXTRA_COLORS)])


def _thin_upto(n: int, k: int) -> np.ndarray:
    """Indices 0..k thinned to about MAX_PATH_POINTS, always including k."""
    stride = max(1, int(np.ceil((n - 1) / MAX_PATH_POINTS)))
    idx = np.arange(0, k + 1, stride)
    return idx if idx[-1] == k else np.append(idx, k)


def race_figure(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, paths: Sequence, labels: Sequence[str],
                start: tuple[float, float], minima: Sequence[tuple[float, float]] = (), title: str = "",
                clickable: bool = True, height: int = 500, ylabel: str = "y",
                loss_title: str = "loss above the lowest seen (log)") -> go.Figure:
    """Contours with each path (left), loss against step (right), animated with Play and a step slider.

    `paths` have .name, .xy (S+1, 2), .loss (S+1,), .status, .diverged_at; `z` is loss[i, j] at (xs[j], ys[i]).
    Few traces on purpose: on every animation frame plotly re-derives every trace's defaults and data
    (~3 ms a trace in a browser here), so the contours and the whole routes are a picture, and the
    comets (each path's last stretch, moving) and the marks are one trace each.
    """
    floor = floor_of(z, paths)
    span = float(np.nanmax(z) - floor)
    eps = 1e-9 + 1e-7 * max(span, 1.0)
    colors = [_color(p.name, i) for i, p in enumerate(paths)]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.13)
    routes = [(p.xy[_thin_upto(len(p.loss), len(p.loss) - 1)], c) for p, c in zip(paths, colors)]
    picture = contour_image(display_values(z, floor), routes=routes,
                            box=(float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])))
    fig.add_layout_image(dict(source=picture, xref="x", yref="y", x=float(xs[0]),
                              y=float(ys[-1]), sizex=float(xs[-1] - xs[0]), sizey=float(ys[-1] - ys[0]),
                              sizing="stretch", layer="below"))
    # Hover and clicks: plotly reports them on points, so a grid of invisible points carries the loss.
    gi = np.linspace(0, len(xs) - 1, CLICK_RES).round().astype(int)
    gj = np.linspace(0, len(ys) - 1, CLICK_RES).round().astype(int)
    gx, gy = np.meshgrid(xs[gi], ys[gj])
    fig.add_trace(go.Scatter(x=gx.ravel().astype(np.float32), y=gy.ravel().astype(np.float32), mode="markers",
                             customdata=np.asarray(z)[np.ix_(gj, gi)].ravel().astype(np.float32),
                             marker=dict(size=9, color="rgba(0,0,0,0)"), showlegend=False, name="loss",
                             hovertemplate="x %{x:.2f}, y %{y:.2f}<br>loss %{customdata:.4g}<extra></extra>"
                             + ("<br>click: start here" if clickable else "")), 1, 1)
    m = np.asarray([start, *minima], dtype=float)
    fig.add_trace(go.Scatter(x=m[:, 0].tolist(), y=m[:, 1].tolist(), mode="markers", showlegend=False,
                             name="start and minima",
                             marker=dict(symbol=["circle-open"] + ["star"] * len(minima), size=[18] + [16] * len(minima),
                                         color=["black"] + ["gold"] * len(minima),
                                         line=dict(color="black", width=[3] + [1] * len(minima))),
                             text=["start"] + ["minimum"] * len(minima),
                             hovertemplate="%{text} (%{x:.2f}, %{y:.2f})<extra></extra>"), 1, 1)
    # Loss against step (right), each curve whole; a marker shows where each path is.
    for i, (p, lab) in enumerate(zip(paths, labels)):
        idx = _thin_upto(len(p.loss), len(p.loss) - 1)
        name = lab if p.status != "diverged" else f"{lab} ✖ diverged at step {p.diverged_at}"
        fig.add_trace(go.Scatter(x=idx.astype(np.float32), y=(p.loss[idx] - floor + eps).astype(np.float32),
                                 mode="lines", line=dict(color=colors[i], width=2.5), name=name,
                                 hovertemplate=f"{lab}<br>step %{{x}}<br>loss above lowest %{{y:.3g}}<extra></extra>"),
                      1, 2)
    steps = max((p.xy.shape[0] - 1 for p in paths), default=0)
    frame_steps = race_frame_steps(paths)
    grow = np.linspace(4, 9, TAIL_POINTS - 1).tolist() + [14]  # a comet: small dots behind, its head big

    def frame_data(j: int) -> list[dict]:
        """The comets (one trace) and the loss markers (one trace) at frame j (step frame_steps[j]): only
        positions change, so colours and sizes are sent once."""
        k, k0 = int(frame_steps[j]), int(frame_steps[max(0, j - TAIL_FRAMES)])
        cx, cy, lx, ly = [], [], [], []
        for p in paths:
            kk, kk0 = min(k, len(p.loss) - 1), min(k0, len(p.loss) - 1)
            idx = np.linspace(kk0, kk, TAIL_POINTS).round().astype(int)  # repeats while the tail is short
            cx.append(p.xy[idx, 0])
            cy.append(p.xy[idx, 1])
            lx.append(kk)
            ly.append(p.loss[kk] - floor + eps)
        return [dict(type="scatter", x=np.concatenate(cx).astype(np.float32), y=np.concatenate(cy).astype(np.float32)),
                dict(type="scatter", x=np.float32(lx), y=np.float32(ly))]

    last = frame_data(len(frame_steps) - 1)
    fig.add_trace(go.Scatter(x=last[0]["x"], y=last[0]["y"], mode="markers", showlegend=False, hoverinfo="skip",
                             name="comets", marker=dict(color=[c for c in colors for _ in range(TAIL_POINTS)],
                                                        size=grow * len(paths), line=dict(color="white", width=1))),
                  1, 1)
    fig.add_trace(go.Scatter(x=last[1]["x"], y=last[1]["y"], mode="markers", showlegend=False, hoverinfo="skip",
                             name="now", marker=dict(size=10, color=colors, line=dict(color="white", width=1))), 1, 2)
    traces = [len(fig.data) - 2, len(fig.data) - 1]
    fig.frames = [go.Frame(name=str(int(k)), data=frame_data(j), traces=traces) for j, k in enumerate(frame_steps)]
    quick = dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=78, b=10), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, font=dict(size=13)), hovermode="closest",
        clickmode="event+select", dragmode=False, font=dict(size=13),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=1.02, xanchor="left", yanchor="bottom",
                          showactive=False, pad=dict(t=0, r=6, b=8), font=dict(size=14), buttons=[
                              dict(label="▶ Play", method="animate",
                                   args=[None, dict(frame=dict(duration=FRAME_MS, redraw=False), fromcurrent=False,
                                                    mode="immediate", transition=dict(duration=0))]),
                              dict(label="⏸ Pause", method="animate", args=[[None], quick])])],
        sliders=[dict(active=len(frame_steps) - 1, x=0.2, y=1.02, len=0.8, xanchor="left", yanchor="bottom",
                      pad=dict(t=0, b=0), currentvalue=dict(prefix="step ", xanchor="left", offset=4,
                                                            font=dict(size=15, color="#222")),
                      ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)"),
                      steps=[dict(method="animate", label=str(int(k)), args=[[str(int(k))], quick])
                             for k in frame_steps])],
    )
    fig.update_xaxes(range=[float(xs[0]), float(xs[-1])], row=1, col=1, title_text=title or "x", showgrid=False,
                     constrain="domain")
    fig.update_yaxes(range=[float(ys[0]), float(ys[-1])], row=1, col=1, title_text=ylabel, showgrid=False,
                     scaleanchor="x", scaleratio=1, constrain="domain")  # true shapes: a long valley looks long
    top = max([float(np.max(p.loss)) - floor + eps for p in paths if len(p.loss)] + [eps * 10])
    fig.update_xaxes(range=[0, max(steps, 1)], row=1, col=2, title_text="step", gridcolor="#eee")
    fig.update_yaxes(type="log", range=[np.log10(eps) - 0.2, np.log10(top) + 0.3], row=1, col=2,
                     title_text=loss_title, gridcolor="#eee", exponentformat="power")
    return fig


def race_frame_steps(paths: Sequence) -> np.ndarray:
    """The step each of the race's animation frames shows (its name is the step): at most MAX_FRAMES + 1."""
    steps = max((p.xy.shape[0] - 1 for p in paths), default=0)
    n_frames = max(1, min(MAX_FRAMES, steps))
    return np.unique(np.round(np.linspace(0, steps, n_frames + 1)).astype(int))


def race_reading(paths: Sequence, labels: Sequence[str]) -> dict:
    """What the race says to a screen reader at each frame (ui.kit.animation_keys): the frames' steps and each
    path's loss there; a diverged path's loss is None from its last point on, and `diverged_at` says where."""
    ks = race_frame_steps(paths)
    series = []
    for p, lab in zip(paths, labels):
        last = len(p.loss) - 1
        diverged = p.status == "diverged"
        loss = [None if (diverged and k > last) or last < 0 or not np.isfinite(p.loss[min(k, last)])
                else float(f"{float(p.loss[min(k, last)]):.4g}") for k in ks]
        series.append({"label": str(lab), "values": loss, "stop": int(last) if diverged else None,
                       "note": f"diverged at step {p.diverged_at}" if diverged else ""})
    return {"steps": [int(k) for k in ks], "of": int(ks[-1]) if len(ks) else 0, "quantity": "loss", "series": series}


def surface_3d(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, paths: Sequence, labels: Sequence[str],
               height: int = 520) -> go.Figure:
    """The same surface in 3D (log10(1 + loss − lowest)), each path drawn on it."""
    floor = floor_of(z, paths)
    fig = go.Figure(go.Surface(x=xs, y=ys, z=display_values(z, floor), colorscale="YlGnBu", reversescale=True,
                               showscale=False, opacity=0.9, name="loss",
                               hovertemplate="x %{x:.2f}, y %{y:.2f}<extra></extra>"))
    zmax = float(display_values(z, floor).max())
    for i, (p, lab) in enumerate(zip(paths, labels)):
        idx = _thin_upto(len(p.loss), len(p.loss) - 1)
        inside = ((p.xy[idx, 0] >= xs[0]) & (p.xy[idx, 0] <= xs[-1]) & (p.xy[idx, 1] >= ys[0]) & (p.xy[idx, 1] <= ys[-1]))
        idx = idx[inside]
        fig.add_trace(go.Scatter3d(x=p.xy[idx, 0], y=p.xy[idx, 1], z=display_values(p.loss[idx], floor) + 0.01 * zmax,
                                   mode="lines", name=lab, line=dict(color=_color(p.name, i), width=6)))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h"),
                      scene=dict(xaxis_title="x", yaxis_title="y", zaxis_title="log₁₀(1 + loss − lowest)",
                                 camera=dict(eye=dict(x=1.4, y=-1.6, z=1.1))))
    return fig


def direction_fans(noise, max_arrows: int = 60, height: int = 330) -> go.Figure:
    """One panel per batch size: sampled mini-batch gradient directions (grey) around the true one (red)."""
    bs = list(noise.batch_sizes)
    titles = [f"{'1 example' if b == 1 else f'batch of {b}'}: mean cos {np.mean(noise.cosines[b]):.2f}" for b in bs]
    fig = make_subplots(rows=1, cols=len(bs), subplot_titles=titles, horizontal_spacing=0.04)
    t = noise.true_direction
    for c, b in enumerate(bs, start=1):
        d = noise.directions[b][:max_arrows]
        xx = np.stack([np.zeros(len(d)), d[:, 0], np.full(len(d), np.nan)], 1).ravel()
        yy = np.stack([np.zeros(len(d)), d[:, 1], np.full(len(d), np.nan)], 1).ravel()
        fig.add_trace(go.Scatter(x=xx, y=yy, mode="lines", line=dict(color="rgba(90,90,90,0.45)", width=1.5),
                                 name="a mini-batch's gradient", showlegend=c == 1, hoverinfo="skip"), 1, c)
        fig.add_trace(go.Scatter(x=[0, t[0]], y=[0, t[1]], mode="lines+markers", name="the true (full-batch) gradient",
                                 line=dict(color="#d62728", width=4), marker=dict(size=[0, 10]), showlegend=c == 1,
                                 hoverinfo="skip"), 1, c)
        fig.update_xaxes(range=[-1.15, 1.15], visible=False, row=1, col=c)
        fig.update_yaxes(range=[-1.15, 1.15], visible=False, scaleanchor=f"x{c if c > 1 else ''}", row=1, col=c)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.05), font=dict(size=13))
    return fig


def cosine_boxes(noise, height: int = 300) -> go.Figure:
    """Cosine of each sampled mini-batch gradient with the true gradient, per batch size."""
    fig = go.Figure()
    for b in noise.batch_sizes:
        fig.add_trace(go.Box(y=noise.cosines[b], name=f"batch {b}", boxpoints="all", jitter=0.4, pointpos=0,
                             marker=dict(size=3, opacity=0.5), line=dict(width=2)))
    fig.add_hline(y=1.0, line=dict(color="#d62728", dash="dot"), annotation_text="the true direction (cos 1)")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), showlegend=False, plot_bgcolor="white",
                      yaxis=dict(title="cosine with the true gradient", range=[-1.05, 1.1], gridcolor="#eee"),
                      font=dict(size=13))
    return fig
