"""Live line charts drawn in the browser: the comparisons' curves grow at display rate between polls.

A page's live view sends the whole chart (panels of series, x and y as base64 float32) on every poll;
a small `st.components.v2` renderer (live_chart.js) draws it on one canvas, and when an update brings
more points it reveals the new part of each line over about the time between updates while the axes
ease to their new range, so the curves grow continuously instead of jumping twice a second, and an
update costs a canvas redraw, not a plotly re-render. One renderer while training and after, so the
picture keeps its look when the run ends. Only this module's own code goes in as html/css/js;
everything from the run goes in as `data`.

Without a mouse: the canvas takes focus (a ring, a label naming the keys); Left/Right move a reading cursor
along x (Shift: ten points), Home/End to the ends, Escape hides it. A visually hidden aria-live text gives
each series' last value (at most every 2 s while live, 10 s without focus) or the values at the cursor.
With prefers-reduced-motion nothing is revealed or eased: each update is drawn at once.

A chart spec (what `panel`/`series` build, the figure modules' job) is plain data:
    {"height": 340, "panels": [panel(...), ...]}
and `chart_data` turns it into what the renderer gets (presenter mode: its colours, larger text,
thicker lines), `show` mounts it.
"""
from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from ui.figures.live_chart_spec import (DASHES, FONT, POLL_SECONDS, PRESENTER_FONT, b64, chart_data,  # noqa: F401
                                        legend, panel, series, values)
from ui.kit import presenter

_JS = (Path(__file__).with_name("live_chart.js")).read_text()
_CSS = """
.lc-root{font-family:"Source Sans Pro",sans-serif;color:#222;position:relative}
.lc-legend{display:flex;flex-wrap:wrap;gap:.15rem 1.3rem;margin:0 0 .25rem 0;font-size:15px;line-height:1.35}
.lc-present .lc-legend{font-size:19px;gap:.2rem 1.6rem}
.lc-item{display:inline-flex;align-items:center;gap:.45rem;white-space:nowrap}
.lc-swatch{display:inline-block;width:28px;height:0;border-top:3px solid #333}
.lc-present .lc-swatch{width:34px;border-top-width:5px}
.lc-root canvas{width:100%;display:block}
"""


# The keyboard canvas's focus ring, and the screen readers' live text (visually hidden).
_A11Y_CSS = """
.lc-root canvas{outline:none;border-radius:4px}
.lc-root canvas:focus-visible{outline:3px solid #1f5fbf;outline-offset:3px;box-shadow:0 0 0 6px rgba(31,95,191,.2)}
.lc-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
  clip-path:inset(50%);white-space:nowrap;border:0}
"""


@functools.cache
def _component():
    return st.components.v2.component("fmnist_live_chart", html="<div class='lc-root'></div>", css=_CSS + _A11Y_CSS,
                                      js=_JS, isolate_styles=False)


def show(key: str, spec: dict, *, run: str = "", live: bool = False):
    """Mount the chart (presenter mode from the session)."""
    return _component()(key=key, data=chart_data(spec, run=run, live=live, presenter_on=presenter.active()))
