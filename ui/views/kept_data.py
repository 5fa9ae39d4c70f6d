"""What this server keeps for a browser, where, for how long, and a button that clears it (the Lessons page).

The numbers are the store's own limits (fmnist_core.store.per_browser.Limits, from the environment), so the
page says what this server really does.
"""
from __future__ import annotations

import streamlit as st

from fmnist_core.engine.jobs import get_manager
from fmnist_core.store.per_browser import get_store
from ui.kit import persist
from ui.kit.identity import COOKIE, browser_id
from ui.views.overfitting_lab import MAX_RUNS as LAB_RUNS
from ui.views.page_registry import PAGES
from ui.views.training_runs import RUNS_KEY

CONFIRM, CLEARED = "lessons_clear_confirm", "lessons_cleared"  # on the Lessons page: its keys


def what_is_kept() -> str:
    """The page's account of what is kept, where and for how long, with this server's limits."""
    lim = get_store().limits
    days, train = f"{lim.max_age_s / 86400:g}", PAGES["training"].title
    return (
        f"No name and no account. This browser gets a random id (256 random bits) in a cookie, `{COOKIE}`, and "
        "this server keeps your work **on its own disk, in a folder for this browser only**, named by that id, so "
        "that a reload or a server restart loses nothing. Another browser or computer starts afresh.\n\n"
        f"- **Your lesson progress**: the steps you did, the predictions you locked in and whether they were "
        f"right (at most {lim.progress_bytes // 1024} KB).\n"
        f"- **Your runs on *{train}***: each finished run's settings, curves and scores, its predictions for "
        f"the 10,000 test images and its weights. The newest {lim.runs_per_browser} are kept, older ones are "
        "removed.\n"
        f"- **Your runs on *{PAGES['overfitting'].title}***: each finished lab run's curves and scores, the newest "
        f"{LAB_RUNS}.\n"
        f"- **A training job while it runs**: its curves so far, written every {lim.snapshot_s:g} s so that a "
        "server restart leaves an *interrupted* run; removed when the job ends.\n\n"
        f"**For how long**: what was not written for {days} days is removed, and the cookie ends {days} days after "
        f"your last visit. All browsers together may keep at most {lim.total_bytes / 1024**2:g} MB; past that "
        "the oldest runs go first.\n\n"
        f"**Not in your folder**: a checkpoint you *save* on *{train}* goes into the server's shared checkpoint "
        f"folder, where anyone's *{PAGES['layers'].title}* and *{PAGES['sketch'].title}* can open it; it does not "
        "expire and is not cleared below. While a tab is open, its settings and the networks it trains are also "
        "in the server's memory, gone shortly after the tab closes."
    )


def _ask() -> None:
    st.session_state[CONFIRM] = True


def _clear(session_keys: tuple[str, ...]) -> None:
    persist.clear((RUNS_KEY,))
    for key in session_keys:
        st.session_state.pop(key, None)
    st.session_state[CONFIRM], st.session_state[CLEARED] = False, True


def _cancel() -> None:
    st.session_state[CONFIRM] = False


def section(session_keys: tuple[str, ...] = ()) -> None:
    """The account, the clear button (with a confirmation) and the teacher's command; a clear also drops
    `session_keys` (this session's copy of what was cleared)."""
    st.subheader("What this server keeps about you")
    st.markdown(what_is_kept())
    if st.session_state.pop(CLEARED, False):
        st.success("Cleared: this server keeps nothing for this browser now.", icon="🧹")
    jobs = get_manager().jobs_of(browser_id())
    if jobs:
        st.info("A training job of yours is running or waiting: stop it (or let it end) first, or it would store "
                "its run again after the clear.", icon="⏳")
    if not st.session_state.get(CONFIRM):
        st.button("Clear what this server keeps for this browser…", key="lessons_clear", disabled=bool(jobs),
                  on_click=_ask)
    else:
        st.warning("This removes your lesson progress and your runs from this server, for good.", icon="⚠️")
        yes, no = st.columns(2)
        yes.button("Yes, clear it", key="lessons_clear_yes", type="primary", disabled=bool(jobs), on_click=_clear,
                   args=(session_keys,), width="stretch")
        no.button("Cancel", key="lessons_clear_no", on_click=_cancel, width="stretch")
    with st.expander("For the teacher: clearing from the server"):
        st.markdown("Whoever runs the server can clear one browser's data from a terminal, `du` shows the "
                    "store's size and `clear-all` clears every browser's. This browser's id:")
        st.code(f"python -m fmnist_core.store clear {browser_id()}", language="bash")
