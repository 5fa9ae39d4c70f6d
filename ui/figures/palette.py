"""The figures' shared colours, and the presenter palette that replaces them in front of a class.

Figure modules take their colour constants from `DEFAULT`; presenter mode swaps each for its
`PRESENTER` entry when a figure is drawn (`remap`), so the figure builders stay pure. The presenter
palette is Okabe & Ito's colour-blind-safe set: the two classes are vermillion and blue, which
stay apart for protanopes, deuteranopes and tritanopes, and keep their names ("red", "blue").
"""
from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT = {
    "class_red": "#d62418", "class_blue": "#1d5fb4",  # the two classes of the 2D pages
    "prob_0": "#6f9ad6", "prob_25": "#b3cbeb", "prob_50": "#f6f6f6", "prob_75": "#f2b3ab", "prob_100": "#e5695d",
    "train": "#1f77b4", "test": "#ff7f0e",  # training curves
    "ok": "#00796b", "bad": "#cf222e",
    "healthy": "#009E73", "vanishing": "#0072B2", "exploding": "#D55E00", "zero": "#555555",
}
PRESENTER = {
    "class_red": "#D55E00", "class_blue": "#0072B2",
    "prob_0": "#0072B2", "prob_25": "#7fb8d8", "prob_50": "#f7f7f7", "prob_75": "#eaae7f", "prob_100": "#D55E00",
    "train": "#0072B2", "test": "#E69F00",
    "ok": "#009E73", "bad": "#D55E00",
    "healthy": "#009E73", "vanishing": "#0072B2", "exploding": "#D55E00", "zero": "#555555",
}


# Series and classes (runs, optimizers, activations, garment classes, unit lines): Okabe & Ito's seven
# (their yellow is too light on white), then seven more picked one at a time to stay as far as possible
# from those already chosen under normal vision and simulated protanopia, deuteranopia and tritanopia
# (Machado et al. 2009, full severity; CIEDE2000 in CIELAB). Any first k of them stay apart: the closest
# pair is 10.7 for k <= 13 and 10.1 for all 14 (bench/colour_vision.py measures every palette).
SERIES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
          "#792400", "#002486", "#AA3D6D", "#8679FF", "#0000E7", "#C2003D", "#86B66D")
# The named colours that are drawn side by side, as palettes to check (the P(red) scale is a ramp, not one).
GROUPS = {"2D classes": ("class_red", "class_blue"), "train and test": ("train", "test"),
          "right and wrong": ("ok", "bad"), "gradient verdicts": ("healthy", "vanishing", "exploding", "zero")}


def series(n: int, skip: int = 0) -> tuple[str, ...]:
    """The first n colours of SERIES after `skip` (cycling past the end)."""
    return tuple(SERIES[(skip + i) % len(SERIES)] for i in range(n))


def color(name: str, presenter: bool = False) -> str:
    """The colour called `name` in the default or the presenter palette."""
    return (PRESENTER if presenter else DEFAULT)[name]


def prob_scale(presenter: bool = False) -> list[list]:
    """P(red) colour scale: blue at 0, near-white at 0.5, red at 1."""
    return [[p / 100, color(f"prob_{p}", presenter)] for p in (0, 25, 50, 75, 100)]


_SWAP = {DEFAULT[k].lower(): PRESENTER[k] for k in DEFAULT}


def remap(obj: Any) -> Any:
    """A figure's JSON with every default palette colour replaced by its presenter colour."""
    if isinstance(obj, str):
        return _SWAP.get(obj.lower(), obj)
    if isinstance(obj, dict):
        return {k: remap(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return np.vectorize(lambda v: _SWAP.get(str(v).lower(), v), otypes=[object])(obj) \
            if obj.dtype.kind in "UO" and obj.size else obj
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)) and not isinstance(obj[0], bool):
            return obj  # numbers (coordinates, z values): nothing to swap
        return type(obj)(remap(v) for v in obj)
    return obj

PRESENTER_FONT_SIZE = 18  # px, plotly text: readable from the back of a room on a 1280x720 projector
PRESENTER_LINE_WIDTH = 3.5  # px, plotly lines
