"""ui/kit/tabs.py, lazy tabs bound to the URL, driven by AppTest on a tiny page."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _page() -> None:
    """Two lazy tabs; tab "a" holds a bound slider, and each view counts its runs."""
    import streamlit as st

    from ui.kit import tabs

    s = st.session_state
    s.setdefault("demo_view", "a")  # what bind_url seeds from the link
    s.setdefault("demo_level", 3)
    bound = tabs.binder("demo")

    def view_a() -> None:
        s["runs_a"] = s.get("runs_a", 0) + 1
        bound(st.slider, "level", "Level", 0, 10, after=lambda: s.update(after_called=True))
        st.markdown(f"level {s['demo_level']}")

    def view_b() -> None:
        s["runs_b"] = s.get("runs_b", 0) + 1
        st.markdown("tab b")

    tabs.url_tabs("demo", {"a": "First", "b": "Second"}, {"a": view_a, "b": view_b})


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_only_the_open_tab_runs_and_the_link_picks_it():
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.session_state["demo_tab"] == "First" and "level 3" in _texts(at)
    assert at.session_state["runs_a"] == 1 and "runs_b" not in at.session_state  # tab b's view never ran
    at.session_state["demo_view"] = "b"  # a link (or a lesson step) naming the other tab
    at.run()
    assert at.session_state["demo_tab"] == "Second" and _texts(at) == ["tab b"]
    assert at.session_state["runs_a"] == 1 and at.session_state["runs_b"] == 1


def test_a_bound_widget_keeps_its_value_while_its_tab_is_closed():
    at = AppTest.from_function(_page, default_timeout=30).run()
    at.slider(key="demo_w_level").set_value(7).run()
    assert at.session_state["demo_level"] == 7 and at.session_state["after_called"]
    at.session_state["demo_view"] = "b"
    at.run()
    assert "demo_w_level" not in [w.key for w in at.slider]  # closed: the widget is gone with its own state
    at.session_state["demo_view"] = "a"
    at.run()
    assert at.slider(key="demo_w_level").value == 7 and "level 7" in _texts(at)
