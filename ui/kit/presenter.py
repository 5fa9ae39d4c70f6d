"""Presenter mode: a toggle and a `present=1` link parameter. Larger type and lines for the back of a
room at 1280x720, the colour-blind-safe palette (ui/figures/palette.py) in every plotly figure, the sidebar
collapsed, and a one-click PNG button on every figure."""
from __future__ import annotations

import contextlib
import copy
import functools

import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.figures import palette

KEY = "presenter_on"
PARAM = "present"
FONT_SIZE = palette.PRESENTER_FONT_SIZE
LINE_WIDTH = palette.PRESENTER_LINE_WIDTH
MIN_FONT = 15  # px: explicit sizes (legends, annotations, ticks) are raised to at least this

CSS = """
<style>
html { font-size: 19px; }
[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { line-height: 1.45; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 0.95rem; color: #222 !important; }
[data-testid="stMetricValue"] { font-size: 2.2rem; }
h1 { font-size: 2.3rem !important; } h2 { font-size: 1.8rem !important; } h3 { font-size: 1.45rem !important; }
hr { border-bottom-width: 2px !important; }
.katex { font-size: 1.05em; } .katex-display { overflow-x: auto; overflow-y: hidden; }
.js-plotly-plot .plotly .modebar { opacity: 1 !important; }
.js-plotly-plot .plotly .modebar-btn svg { width: 26px; height: 26px; }
/* Fit the projector: less empty space above the title, so that the live views start on the first screen. */
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; }
h1 { padding-top: 0.2rem !important; padding-bottom: 0.2rem !important; }
/* Page 2's frame player: its square panels no taller than the screen below the controls (wide, short screens). */
.fp-grid { max-width: calc(3 * (100vh - 345px) + 2rem); }
[data-testid="stProgress"] [data-testid="stMarkdownContainer"] p { font-size: 1.1rem; }
</style>
"""


def active() -> bool:
    """Presenter mode is on for this browser session (False outside a script run)."""
    try:
        return bool(st.session_state.get(KEY, False))
    except Exception:  # no script context (a thread, a plain import)
        return False


def read_link() -> bool:
    """Turn presenter mode on or off from `present=` in the link; returns whether it is on."""
    raw = st.query_params.get(PARAM)
    if raw is not None:
        on = raw.strip().lower() in ("1", "true", "yes", "on")
        if st.session_state.get(f"_{KEY}_link") != raw:  # a new link decides; later the toggle does
            st.session_state[KEY] = on
            st.session_state[f"_{KEY}_link"] = raw
    st.session_state.setdefault(KEY, False)
    return bool(st.session_state[KEY])


def sidebar_state() -> str:
    return "collapsed" if active() else "auto"


def _on_toggle() -> None:
    st.session_state[KEY] = bool(st.session_state["presenter_toggle"])


def setup() -> None:
    """The toggle (sidebar), the link parameter kept in the URL, and the CSS when on. Call before the page."""
    st.session_state["presenter_toggle"] = active()
    st.sidebar.toggle("🎦 Presenter mode", key="presenter_toggle", on_change=_on_toggle,
                      help="Large type and lines for a projector, colour-blind-safe colours, the sidebar folded "
                           "away, and a PNG button on every figure. Link: add `present=1`.")
    if active():
        st.query_params[PARAM] = "1"
        st.session_state[f"_{KEY}_link"] = "1"
        st.html(CSS)
    elif st.query_params.get(PARAM) is not None:
        st.query_params[PARAM] = "0"
        st.session_state[f"_{KEY}_link"] = "0"


def header(title: str, about: str = "ℹ️ About this page") -> contextlib.AbstractContextManager:
    """The page's title, and where its introduction goes (`with header(...):`, now or later in the script):
    below the title as usual, or in presenter mode in a popover beside the title (it opens over the page and
    moves nothing), so that the page's live view starts higher up, on the projector's first screen."""
    if not active():
        st.title(title)
        return contextlib.nullcontext()
    left, right = st.columns([5, 2], vertical_alignment="center")
    left.title(title)
    return right.popover(about, width="stretch")


def place(container) -> contextlib.AbstractContextManager:
    """`container` in presenter mode, else where the script is: for a part that presenter mode moves."""
    return container if active() else contextlib.nullcontext()


def first(*names: str, lead: str) -> dict[str, contextlib.AbstractContextManager]:
    """Places for parts of a page, drawn in the order the script calls them: as they come, or in presenter mode
    with `lead` (the live view) placed above the others, so that it is on the first screen."""
    if not active():
        return {n: contextlib.nullcontext() for n in names}
    boxes = {lead: st.container()}
    boxes.update({n: st.container() for n in names if n != lead})
    return boxes


def room_vega(spec: dict, height: int | None = None) -> dict:
    """A Vega-Lite spec for the room (a copy; the spec itself outside presenter mode): larger text, thicker
    lines, legends in rows of four above the chart, and `height` (px, the whole chart: Streamlit fits the plot in)."""
    if not active():
        return spec
    d = copy.deepcopy(spec)
    if height is not None:
        d["height"] = height
    cfg = d.setdefault("config", {})
    ink = "#222"  # the theme's grey labels fade on a projector
    cfg.setdefault("axis", {}).update(labelFontSize=MIN_FONT + 1, titleFontSize=MIN_FONT + 2, labelColor=ink,
                                      titleColor=ink)
    cfg.setdefault("legend", {}).update(labelFontSize=MIN_FONT + 2, labelColor=ink, symbolStrokeWidth=4,
                                        symbolSize=140, offset=4, padding=0, rowPadding=2)
    cfg.setdefault("title", {}).update(fontSize=MIN_FONT + 4, offset=4, color=ink)

    def walk(obj) -> None:
        if isinstance(obj, dict):
            mark = obj.get("mark")
            if isinstance(mark, dict) and mark.get("type") == "line":
                mark["strokeWidth"] = max(float(mark.get("strokeWidth") or 2) * 1.5, 1.5)
            legend = obj.get("legend")
            if isinstance(legend, dict):
                legend.update(orient="top", direction="horizontal", columns=4, labelFontSize=MIN_FONT + 2)
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
    walk(d.get("layer", []))
    walk(d.get("encoding", {}))
    return d


def export_config(config: dict | None, name: str = "figure") -> dict:
    """Plotly config with the modebar always shown and a single PNG button (2x for slides)."""
    return {**(config or {}), "displayModeBar": True, "displaylogo": False, "modeBarButtons": [["toImage"]],
            "toImageOptions": {"format": "png", "scale": 2, "filename": name}}


def _larger_text(obj) -> None:
    """Every explicit font size in a figure's JSON made 20% larger, at least MIN_FONT (in place)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.endswith("font") and isinstance(v, dict) and isinstance(v.get("size"), (int, float)):
                v["size"] = max(round(v["size"] * 1.2), MIN_FONT)
            elif isinstance(v, (dict, list)):
                _larger_text(v)
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict):
        for v in obj:
            _larger_text(v)


def for_room(fig: go.Figure) -> dict:
    """The figure as JSON with presenter colours, larger text and thicker lines (a copy)."""
    d = palette.remap(fig.to_plotly_json())
    _larger_text(d)
    layout = d.setdefault("layout", {})
    for name, axis in layout.items():  # tick labels follow the layout font unless a figure sets their size
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            axis.setdefault("tickfont", {}).setdefault("size", MIN_FONT)
    font = layout.setdefault("font", {})
    font["size"] = max(float(font.get("size") or 12), FONT_SIZE)
    for trace in d.get("data", []):
        if trace.get("type", "scatter") in ("scatter", "scattergl") and "lines" in str(trace.get("mode", "lines")):
            line = trace.setdefault("line", {})
            if (line.get("width") or 2) > 0:
                line["width"] = max(float(line.get("width") or 2), LINE_WIDTH)
    return d


_ORIGINAL = DeltaGenerator.plotly_chart


@functools.wraps(_ORIGINAL)
def _plotly_chart(self, figure_or_data, *args, **kwargs):
    if active() and isinstance(figure_or_data, go.Figure):
        figure_or_data = for_room(figure_or_data)
        kwargs["config"] = export_config(kwargs.get("config"), str(kwargs.get("key") or "figure"))
    return _ORIGINAL(self, figure_or_data, *args, **kwargs)


def install() -> None:
    """Route every st.plotly_chart through presenter mode (a no-op for sessions where it is off)."""
    if getattr(DeltaGenerator.plotly_chart, "_presenter", False):
        return
    _plotly_chart._presenter = True
    DeltaGenerator.plotly_chart = _plotly_chart
    st.plotly_chart = _plotly_chart.__get__(st._main, DeltaGenerator)
