"""Charts for the training page: pure functions, arrays in, a Vega-Lite spec (a dict) or a picture out.

Vega-Lite rather than plotly, and pictures rather than charts of images, because this page redraws
while a network trains beside the browser on the same two cores: measured there, a plotly chart
redrawn twice a second cost the browser about twice what a Vega-Lite one did, and the charts of the
first version took the browser over half a core that the trainer needed.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from fmnist_core.fashion.metrics import ema_smooth, row_normalize, thin
from ui.figures import palette
from ui.figures.palette import DEFAULT as PALETTE

TRAIN_COLOR, TEST_COLOR = PALETTE["train"], PALETTE["test"]
OK_COLOR, BAD_COLOR = PALETTE["ok"], PALETTE["bad"]
RUN_COLORS = palette.series(10)
MAX_POINTS = 500  # a browser redraws a few hundred points several times a second without lag

METRIC_LABELS = {"loss": "cross-entropy loss", "accuracy": "accuracy"}
X_LABELS = {"epoch": "epoch", "elapsed": "seconds of training"}


def curves_chart(
    runs: Sequence[tuple[str, dict]],
    metric: str = "loss",
    smoothing: float = 0.6,
    x: str = "epoch",
    height: int = 300,
    title: str | None = None,
    compare: bool | None = None,
) -> dict:
    """A Vega-Lite spec: train (smoothed, raw faint) and test curves of `metric`, one run or several.

    `runs` holds (label, series) with series from `fmnist_core.fashion.runs.history_series`. One run: train
    blue, test orange. Comparing (several, or `compare=True`): one colour per run, train solid, test
    dashed with points.
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
                rows += [dict(x=float(a), y=float(b), run=label, curve="train (raw)")
                         for a, b in zip(tx[keep], ty[keep])]
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
    # Vega draws a layer with no rows yet (the test curve before the first epoch ends) as one unnamed graphic
    # (axe: svg-img-alt, serious): such a layer stays out of the accessibility tree until it has points.
    curves = {r["curve"] for r in rows}
    for layer in layers:
        if layer["transform"][0]["filter"].split("'")[1] not in curves:
            layer["mark"]["aria"] = False
            if "point" in layer["mark"]:
                layer["mark"]["point"]["aria"] = False
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


def confusion_chart(
    cm: np.ndarray,
    class_names: Sequence[str],
    normalized: bool = False,
    selected: tuple[int, int] | None = None,
    height: int = 430,
    title: str | None = None,
) -> dict:
    """A Vega-Lite heatmap of a confusion matrix (rows: true class, columns: predicted).

    Clicking a cell selects it through the point selection named "cell" (fields t = true, p =
    predicted); `st.vega_lite_chart(..., on_select="rerun", selection_mode=["cell"])` returns it.
    Drawn as SVG so each cell is an element a browser test can click.
    """
    cm = np.asarray(cm)
    names = list(class_names)
    share = row_normalize(cm)
    rows = []
    for t in range(len(names)):
        for p in range(len(names)):
            n, f = int(cm[t, p]), float(share[t, p])
            text = "" if n == 0 else (("<1%" if f < 0.005 else f"{f:.0%}") if normalized else str(n))
            rows.append(dict(t=t, p=p, true=names[t], pred=names[p], n=n, share=round(f, 4), v=f if normalized else n,
                             text=text, sel=selected == (t, p)))
    vmax = 1.0 if normalized else max(float(cm.max()), 1.0)
    axis = dict(labelFontSize=13, titleFontSize=14, labelAngle=0)
    spec = dict(
        data=dict(values=rows), height=height, usermeta=dict(embedOptions=dict(renderer="svg")),
        encoding=dict(
            x=dict(field="pred", type="nominal", sort=names, title="predicted class",
                   axis=dict(axis, labelAngle=-35, orient="bottom", labelOverlap=False)),
            y=dict(field="true", type="nominal", sort=names, title="true class", axis=axis),
        ),
        layer=[
            dict(params=[dict(name="cell", select=dict(type="point", fields=["t", "p"]))],
                 mark=dict(type="rect", cursor="pointer", stroke="white", strokeWidth=1),
                 encoding=dict(
                     # Empty cells white; a square-root scale so that a few dozen confusions already show.
                     color=dict(condition=dict(test="datum.n == 0", value="#ffffff"), field="v",
                                type="quantitative", legend=None,
                                scale=dict(type="sqrt", domain=[0, vmax], range=["#eef5fc", "#08519c"])),
                     tooltip=[dict(field="true", title="true class"), dict(field="pred", title="predicted"),
                              dict(field="n", title="images"), dict(field="share", title="share of the row",
                                                                     format=".1%")])),
            dict(transform=[dict(filter="datum.sel")],
                 mark=dict(type="rect", fill=None, stroke=BAD_COLOR, strokeWidth=3)),
            dict(mark=dict(type="text", fontSize=12),
                 encoding=dict(text=dict(field="text"),
                               color=dict(condition=dict(test=f"datum.v > {vmax * 0.3}", value="white"),
                                          value="#222"))),
        ],
        config=dict(view=dict(stroke=None), title=dict(fontSize=16, anchor="start")),
    )
    if title:
        spec["title"] = title
    return spec


def precision_recall_chart(precision: np.ndarray, recall: np.ndarray, class_names: Sequence[str],
                           height: int = 430, title: str | None = None) -> dict:
    """A Vega-Lite spec: per-class precision and recall as grouped horizontal bars."""
    names = list(class_names)
    rows = [dict(cls=n, metric=m, v=float(v)) for m, vals in (("precision", precision), ("recall", recall))
            for n, v in zip(names, vals)]
    color = dict(field="metric", type="nominal", title=None,
                 scale=dict(domain=["precision", "recall"], range=["#6f42c1", "#20a39e"]),
                 legend=dict(orient="top", labelFontSize=13))
    y = dict(field="cls", type="nominal", sort=names, title=None, axis=dict(labelFontSize=13))
    x = dict(field="v", type="quantitative", title=None, scale=dict(domain=[0, 1.12]),
             axis=dict(format=".0%", values=[0, 0.25, 0.5, 0.75, 1], labelFontSize=12))
    spec = dict(
        data=dict(values=rows), height=height,
        encoding=dict(y=y, yOffset=dict(field="metric", sort=["precision", "recall"]), x=x),
        layer=[
            dict(mark=dict(type="bar"), encoding=dict(color=color, tooltip=[
                dict(field="cls", title="class"), dict(field="metric"), dict(field="v", format=".1%")])),
            dict(mark=dict(type="text", align="left", dx=3, fontSize=11, color="#555"),
                 encoding=dict(text=dict(field="v", format=".0%"))),
        ],
        config=dict(view=dict(stroke=None), title=dict(fontSize=16, anchor="start")),
    )
    if title:
        spec["title"] = title
    return spec


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


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled scalable font: no system fonts needed
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def image_grid(
    images: np.ndarray,
    titles: Sequence[str],
    ok: Sequence[bool] | None = None,
    subtitles: Sequence[str] | None = None,
    cols: int = 10,
    scale: int = 3,
) -> np.ndarray:
    """RGB uint8 picture of test images (K, 28, 28) in a grid, each under its title (green when `ok`, red
    when not) and optional subtitle lines ('\\n' separated).

    One picture, not a chart: a page shows it as an <img>, which costs a browser next to nothing to
    redraw, where a chart of 20 images with 40 labels costs it tens of milliseconds.
    """
    from PIL import Image, ImageDraw

    images = np.asarray(images, dtype=np.uint8)
    k = len(images)
    cols = max(1, min(cols, max(k, 1)))
    rows = max(1, -(-k // cols))
    tile, gap = 28 * scale, 10
    n_sub = max((str(t).count("\n") + 1 for t in subtitles), default=0) if subtitles is not None else 0
    band = 19 + 16 * n_sub  # label lines above each tile
    w, h = cols * (tile + gap) + gap, rows * (tile + band + gap) + gap
    canvas = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(canvas)
    f_title, f_sub = _font(15), _font(13)

    def centred(x: float, y: float, text: str, font, fill) -> None:
        width = draw.textlength(text, font=font)
        draw.text((x - width / 2, y), text, font=font, fill=fill)

    for i in range(k):
        r, c = divmod(i, cols)
        x0, y0 = gap + c * (tile + gap), gap + r * (tile + band + gap)
        color = "#333333" if ok is None else (OK_COLOR if ok[i] else BAD_COLOR)
        centred(x0 + tile / 2, y0, str(titles[i]), f_title, color)
        centred(x0 + tile / 2 + 0.6, y0, str(titles[i]), f_title, color)  # a touch bolder
        if subtitles is not None:
            for j, line in enumerate(str(subtitles[i]).split("\n")):
                centred(x0 + tile / 2, y0 + 19 + 16 * j, line, f_sub, "#555555")
        # Garments dark on white, as in the original photos.
        img = 255 - images[i].repeat(scale, 0).repeat(scale, 1)
        canvas.paste(Image.fromarray(img).convert("RGB"), (x0, y0 + band))
    return np.asarray(canvas)


def png(picture: np.ndarray) -> bytes:
    """PNG bytes of an RGB picture; st.image then only hashes them on each poll instead of encoding again."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG")
    return buf.getvalue()


def ensemble_chart(member_names: Sequence[str], member_accuracies: Sequence[float], ensemble_accuracy: float,
                   title: str | None = None) -> dict:
    """A Vega-Lite spec: each member's test accuracy and the ensemble's (highlighted), as bars."""
    names = list(member_names) + ["ensemble (averaged probabilities)"]
    accs = [float(a) for a in member_accuracies] + [float(ensemble_accuracy)]
    rows = [dict(name=n, acc=a, label=f"{a:.2%}", kind="member" if i < len(member_names) else "ensemble")
            for i, (n, a) in enumerate(zip(names, accs))]
    lo = max(0.0, np.floor((min(accs) - 0.02) * 100) / 100)
    hi = min(1.0, max(accs) + 0.015)
    y = dict(field="name", type="nominal", sort=names, title=None, axis=dict(labelFontSize=13, labelLimit=420))
    x = dict(field="acc", type="quantitative", scale=dict(domain=[lo, hi], zero=False),
             axis=dict(format=".1%", labelFontSize=12), title=f"test accuracy (the axis starts at {lo:.0%})")
    spec = dict(
        data=dict(values=rows), height=dict(step=36),
        encoding=dict(y=y, x=x),
        layer=[
            dict(mark=dict(type="bar", clip=True, height=dict(band=0.8)),
                 encoding=dict(color=dict(field="kind", type="nominal", legend=None,
                                          scale=dict(domain=["member", "ensemble"], range=["#9aa5b1", OK_COLOR])),
                               tooltip=[dict(field="name"), dict(field="acc", format=".2%")])),
            dict(mark=dict(type="text", align="right", dx=-4, fontSize=13, color="white", fontWeight="bold"),
                 encoding=dict(text=dict(field="label"))),
        ],
        config=dict(view=dict(stroke=None), title=dict(fontSize=16, anchor="start")),
    )
    if title:
        spec["title"] = title
    return spec
