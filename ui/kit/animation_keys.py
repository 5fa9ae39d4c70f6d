"""Keyboard and screen-reader access to a plotly animation with a step slider (the optimizer race): the
chart gets focus (a ring), Space plays or pauses, the arrows step a frame (Shift: ten), Home/End go to the
ends, and a visually hidden live region says what the frame shows. Drawn by plotly in the browser, so
this small `st.components.v2` renderer, mounted right after the chart, finds the chart by its element key
and drives it with `Plotly.animate` (the frames' names are in the figure); it draws nothing but a key hint.

`reading`: {"steps": [the step each frame shows], "of": the last step, "quantity": "loss", "series":
[{"label", "values": [one per frame, None where there is none], "stop": its last step or None, "note"}]}
(e.g. ui.figures.optimizers.race_reading). Only this module's own code goes in as html/css/js.
"""
from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

_JS = (Path(__file__).with_name("animation_keys.js")).read_text()
# The chart's focus ring is drawn inside it, over plotly's layers: its element container scrolls and would cut one
# drawn outside.
_CSS = """
.ak-root{font-family:"Source Sans Pro",sans-serif;font-size:13px;color:#666;margin-top:-.6rem}
.ak-root.ak-on .ak-keys{color:#12407f;font-weight:600}
.fmnist-ak-chart{outline:none;position:relative}
.fmnist-ak-chart:focus-visible::after{content:"";position:absolute;inset:0;z-index:5;pointer-events:none;
  border-radius:4px;border:3px solid #1f5fbf;box-shadow:inset 0 0 0 4px rgba(31,95,191,.2)}
.ak-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
  clip-path:inset(50%);white-space:nowrap;border:0}
"""


@functools.cache
def _component():
    return st.components.v2.component("fmnist_animation_keys", html="<div class='ak-root'></div>", css=_CSS, js=_JS,
                                      isolate_styles=False)


def keys(key: str, chart_key: str, reading: dict, *, what: str, frame_ms: int = 40):
    """Give the plotly chart mounted with `key=chart_key` its keys and live text. `what`: what the chart is
    ("The optimizer race"); `frame_ms`: a frame's time while Space plays (reduced motion: 250 ms at least)."""
    return _component()(key=key, data={"chart": chart_key, "what": what, "frame_ms": int(frame_ms), **reading})
