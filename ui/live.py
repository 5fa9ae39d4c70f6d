"""Live background jobs on a page: one job per browser session, drawn by a polling fragment.

Pattern (see ../shared/NOTES.md): the worker thread never touches `st.*`; it emits plain events
into its Job. A page keeps the Job in `st.session_state[key]` and draws it from a fragment with
`run_every`, calling `job.beat()` each time so that a closed tab ends the job.

    job = live.current(key)
    if st.button("Start", disabled=live.busy()):
        live.start(key, "label", lambda job: train(cfg, data, on_event=job.emit, control=job.control))

    @st.fragment(run_every=0.5)
    def view():
        job = live.current(key)
        if job: job.beat(); live.queue_notice(job); draw(job.events())
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from fmnist_core.jobs import Job, get_manager

from .common import session_id


def current(key: str) -> Job | None:
    return st.session_state.get(key)


def busy() -> bool:
    """True while this browser session has a job queued or running (on any page)."""
    return bool(get_manager().jobs_of(session_id()))


def active_elsewhere(key: str) -> Job | None:
    """This session's active job started from another page (not under `key`), if any."""
    mine = current(key)
    for j in get_manager().jobs_of(session_id()):
        if j is not mine:
            return j
    return None


def start(key: str, label: str, target: Callable[[Job], Any]) -> Job | None:
    """Submit `target(job)` for this session; shows an error instead if one is already active."""
    try:
        job = get_manager().submit(session_id(), label, target)
    except RuntimeError as e:
        st.error(str(e))
        return None
    st.session_state[key] = job
    return job


def queue_notice(job: Job) -> None:
    """'Waiting: 3rd in the queue' while queued."""
    pos = job.position()
    if job.state == "queued" and pos:
        running, queued = get_manager().counts()
        st.info(f"⏳ Waiting for a free training slot: **#{pos}** in the queue "
                f"({running} job{'s' if running != 1 else ''} training on this server, "
                f"limit {get_manager().max_running}). It starts by itself.")


def controls(job: Job | None, key: str) -> None:
    """Pause/resume and stop buttons for a running job."""
    if job is None or not job.active:
        return
    c1, c2 = st.columns(2)
    if job.control.paused:
        if c1.button("▶ Resume", key=f"{key}_resume", width="stretch"):
            job.resume()
    elif c1.button("⏸ Pause", key=f"{key}_pause", width="stretch"):
        job.pause()
    if c2.button("⏹ Stop", key=f"{key}_stop", width="stretch"):
        job.stop()
