"""Live line charts as plain data: series and panels (x, y as numpy), and what the browser renderer gets.

A chart spec is {"height": 340, "panels": [panel(...), ...]}; `chart_data` turns it into the renderer's
input (arrays as base64 float32; presenter mode: its colours, larger text, thicker lines). The
renderer itself is ui/kit/live_chart.py. Never imports streamlit.
"""
from __future__ import annotations

import base64
import math
from typing import Sequence

import numpy as np

from ui.figures import palette

POLL_SECONDS = 0.5  # ui.kit.live's poll: the first guess of how long a reveal lasts (the browser then measures it)
FONT = 14  # px, tick labels and legend; titles 1.1x
PRESENTER_FONT = palette.PRESENTER_FONT_SIZE
DASHES = ("solid", "dot", "dash")


def b64(a: np.ndarray) -> str:
    """A float32 array's bytes (little-endian), base64: a compact array in JSON."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def values(encoded: str) -> np.ndarray:
    """A series' x or y as the renderer gets it, back as numpy (for tests)."""
    return np.frombuffer(base64.b64decode(encoded), dtype="<f4")


def series(name: str, x: Sequence[float], y: Sequence[float], *, color: str, width: float = 2.5,
           dash: str = "solid", markers: float = 0, key: str | None = None, label: str | None = None,
           end: dict | None = None) -> dict:
    """One line. `name`: its legend entry (series with the same name share one entry, across panels);
    `label`: its name in the hover readout (default `name`); `key`: stays the same across updates
    while the name may change ("(training…)" → "— stopped"); `markers`: dot diameter in px (0: none);
    `end`: {"x", "y", "text"}, a ✖ with a text drawn once the line is complete (a diverged run).
    Points whose x or y is NaN or infinite are dropped."""
    if dash not in DASHES:
        raise ValueError(f"dash must be one of {DASHES}, got {dash!r}")
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length ({len(x)} and {len(y)})")
    ok = np.isfinite(x) & np.isfinite(y)
    if end is not None and not (math.isfinite(end["x"]) and math.isfinite(end["y"])):
        end = None
    return {"key": key or name, "name": name, "label": label or name, "color": color, "width": float(width),
            "dash": dash, "markers": float(markers), "x": x[ok], "y": y[ok],
            "end": None if end is None else {"x": float(end["x"]), "y": float(end["y"]), "text": str(end["text"])}}


def panel(title: str, lines: Sequence[dict], *, x_title: str = "", y_title: str = "",
          x_range: Sequence[float] | None = None, y_range: Sequence[float] | None = None, y_log: bool = False,
          x_zero: bool = True, y_zero: bool = False, refs: Sequence[dict] = ()) -> dict:
    """One plot. Ranges in data units (a log axis too); without one the axis follows the data (from 0
    when `x_zero`/`y_zero`). `refs`: horizontal lines [{"y", "label"}] such as a chance level.
    On a log axis points at or below 0 are dropped."""
    lines = list(lines)
    if y_log:
        lines = [{**s, "x": s["x"][s["y"] > 0], "y": s["y"][s["y"] > 0]} for s in lines]
    for r in (x_range, y_range):
        if r is not None and not (len(r) == 2 and all(math.isfinite(v) for v in r) and r[0] < r[1]):
            raise ValueError(f"a range is two finite numbers, low < high; got {r}")
    if y_log and y_range is not None and y_range[0] <= 0:
        raise ValueError("a log axis's range must be above 0")
    return {"title": title, "x_title": x_title, "y_title": y_title,
            "x_range": None if x_range is None else [float(v) for v in x_range],
            "y_range": None if y_range is None else [float(v) for v in y_range],
            "y_log": bool(y_log), "x_zero": bool(x_zero), "y_zero": bool(y_zero),
            "refs": [{"y": float(r["y"]), "label": str(r.get("label", ""))} for r in refs], "series": lines}


def legend(spec: dict) -> list[str]:
    """The legend's entries in order: one per series name, across every panel."""
    out: list[str] = []
    for p in spec["panels"]:
        for s in p["series"]:
            if s["name"] not in out:
                out.append(s["name"])
    return out


def chart_data(spec: dict, *, run: str = "", live: bool = False, presenter_on: bool = False,
               every: float = POLL_SECONDS) -> dict:
    """What the renderer gets: arrays as base64 float32; presenter mode's colours, text and lines.
    `run`: a new value starts the picture afresh; `live`: more points are coming (they are revealed
    smoothly; a finished chart opened afresh is drawn at once)."""
    panels = []
    for p in spec["panels"]:
        lines = []
        for s in p["series"]:
            color, width = s["color"], s["width"]
            if presenter_on:
                color = palette.remap(color)
                width = max(width, palette.PRESENTER_LINE_WIDTH if width >= 2 else 2.5)  # thin dotted lines stay thinner
            lines.append({**s, "color": color, "width": width, "n": int(len(s["x"])),
                          "x": b64(s["x"]), "y": b64(s["y"]),
                          "markers": s["markers"] * (1.3 if presenter_on else 1)})
        panels.append({**p, "series": lines})
    return {"run": str(run), "live": bool(live), "every": float(every), "presenter": bool(presenter_on),
            "font": PRESENTER_FONT if presenter_on else FONT,
            "height": int(spec.get("height", 340) * (1.15 if presenter_on else 1)), "panels": panels}
