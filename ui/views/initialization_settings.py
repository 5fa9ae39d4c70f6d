"""The initialization page's settings in session state: link values snapped onto the sliders, the
presets, the chosen initializer's own scale widgets, and the initializer parameters they give."""
from __future__ import annotations

import streamlit as st

from fmnist_core.engine.params import log_options, nearest
from fmnist_core.initialization import settings, stats
from fmnist_core.nn.weight_init import INITS
from ui.kit.widgets import keys

SCALE_STEPS = 20  # a log-scale parameter's slider: steps a decade


def snap_state(page: str) -> None:
    """Link values need not sit on a slider's options: move them to the nearest one."""
    s, key = st.session_state, keys(page)
    s[key("width")] = nearest(int(s[key("width")]), stats.WIDTHS)
    for name, p in settings.SCALES.items():
        v = float(s[key(name)])
        s[key(name)] = nearest(v, log_options(p, SCALE_STEPS)) if p.log else round(v, 2)
    if key("cmp") in s:
        s[key("cmp")] = list(s[key("cmp")])


def apply_preset(page: str, values: dict) -> None:
    """A preset button's settings (an on_click callback: it runs before the widgets are drawn)."""
    for name, v in values.items():
        st.session_state[keys(page)(name)] = v


def scale_widgets(page: str, init: str, act: str) -> None:
    """The initializer's own parameters from its registry entry: a slider per scale, the gain for tanh."""
    key = keys(page)
    for p in INITS[init].params:
        if p.name in settings.SCALES and p.log:
            st.select_slider(f"{p.title} (log scale)", log_options(p, SCALE_STEPS), key=key(p.name),
                             format_func=lambda v: f"{v:g}")
        elif p.name in settings.SCALES:
            st.slider(p.title, p.low, p.high, step=0.01, key=key(p.name))
        elif act == "tanh":  # the gain
            st.checkbox("gain 5/3", key=key("gain"),
                        help="PyTorch's calculate_gain('tanh'): makes up for tanh squashing a little at "
                             "every layer. Glorot's paper uses 1.")


def current_params(page: str) -> dict[str, float]:
    """Every initializer parameter the page's settings give (settings.init_params)."""
    s, key = st.session_state, keys(page)
    return settings.init_params({name: s[key(name)] for name in settings.SCALES}, s[key("act")], s[key("gain")],
                                s[key("noise")])
