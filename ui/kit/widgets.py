"""Small widget helpers every page shares: widget keys, the plotly chart call, a chart's clicked points."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

CHART_CONFIG = {"displayModeBar": False}  # projected pages: no plotly toolbar over the figure


def keys(page: str) -> Callable[[str], str]:
    """The page's widget-key maker: keys("boundaries")("units") == "boundaries_units" (one convention)."""
    return lambda name: f"{page}_{name}"


def plotly_chart(fig, key: str, **kwargs: Any):
    """`st.plotly_chart` with the app's chart config; returns the selection event when `on_select` is set."""
    return st.plotly_chart(fig, key=key, config=CHART_CONFIG, **kwargs)


def selected_points(event: Any) -> list[dict]:
    """The clicked points of a plotly chart's selection: from the call's return value or from
    `st.session_state[key]` (a dict, or an attribute object), [] when nothing is selected."""
    if not event:
        return []
    selection = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    if not selection:
        return []
    points = selection.get("points") if isinstance(selection, dict) else getattr(selection, "points", None)
    return list(points or [])
