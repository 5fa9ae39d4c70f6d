"""Lazy tabs bound to the URL: the open tab is a link parameter and only its content runs; the
widgets inside such a tab keep their values while it is closed; a job whose view sits in a tab keeps
its heartbeat while another tab is open."""
from __future__ import annotations

from typing import Any, Callable, Mapping

import streamlit as st

from ui.kit import live
from ui.kit.widgets import keys


def binder(page: str) -> Callable[..., Any]:
    """`bound(widget, name, *args, after=None, **kwargs)`: a widget inside a lazy tab whose value lives
    in the plain key f"{page}_{name}" (bound to the URL); the widget itself is keyed f"{page}_w_{name}"."""
    key = keys(page)

    def bound(widget: Callable[..., Any], name: str, *args: Any, after: Callable[[], None] | None = None,
              **kwargs: Any) -> Any:
        # A widget's own state is dropped on the runs where its tab is closed: copy the value in each run.
        wkey = key(f"w_{name}")
        st.session_state[wkey] = st.session_state[key(name)]

        def sync() -> None:
            st.session_state[key(name)] = st.session_state[wkey]
            if after is not None:
                after()

        return widget(*args, key=wkey, on_change=sync, **kwargs)

    return bound


def url_tabs(page: str, tabs: Mapping[str, str], views: Mapping[str, Callable[[], None]],
             state: str = "view") -> None:
    """`st.tabs` with `tabs` (name -> label); the open one's name is f"{page}_{state}" (a URL parameter),
    and only `views[name]()` of the open tab runs."""
    key = keys(page)
    label = tabs[st.session_state[key(state)]]
    if st.session_state.get(key("tab")) != label:  # a link or a lesson step opened another tab
        st.session_state[key("tab")] = label

    def on_change() -> None:
        st.session_state[key(state)] = {v: n for n, v in tabs.items()}[st.session_state[key("tab")]]

    for tab, name in zip(st.tabs(list(tabs.values()), key=key("tab"), on_change=on_change), tabs):
        with tab:
            if tab.open:
                views[name]()


def background_job(job_key: str, draw: Callable[[Any, Any], None], shown: bool) -> None:
    """While the job runs and its own tab is not `shown`: a slow view above the tabs keeps its
    heartbeat, and `draw(job, reader)` says where it is."""
    if live.running(job_key) and not shown:
        live.view(job_key, draw, every=1.0, show_controls=False, notices=False)
