"""The one live-job pattern for pages: start, queue place, poll, pause/resume/stop, heartbeat,
the final redraw. A page supplies what to run and how to draw; it keeps no polling flags.

Pattern (see ../shared/NOTES.md): the worker thread never touches `st.*`; it emits plain events
into its Job. The page keeps the Job in `st.session_state[key]` and draws it from a fragment
with `run_every`, which beats the job's heartbeat so that a closed tab ends the job.

    if live.start_button(KEY, "Train", disabled=not ready):
        live.start(KEY, "label", lambda job: train(cfg, data, on_event=job.emit, control=job.control))

    def draw(job, reader):           # reader: fmnist_core.events.EventReader, already up to date
        st.line_chart(reader.run(0).column("progress", "train_loss"))

    live.view(KEY, draw, idle="Press **Train** to start.")
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from fmnist_core.events import EventReader
from fmnist_core.jobs import Job, get_manager

from .identity import browser_id

POLL_SECONDS = 0.5  # 2 Hz: what a browser redraws smoothly beside a training thread


def current(key: str) -> Job | None:
    """This page's job: the session's own, else (after a reload, or in another tab) this browser's
    active job started under `key`, which the page then reattaches to."""
    job = st.session_state.get(key)
    if job is None or not job.active:
        mine = next((j for j in get_manager().jobs_of(browser_id())
                     if j.key == key and not j.control.should_stop()), None)  # not one being stopped (Reset)
        if mine is not None and mine is not job:
            st.session_state[key] = job = mine
            st.session_state.pop(f"{key}__reader", None)
    return job


def busy() -> bool:
    """True while this browser has a job queued or running (on any page, in any tab)."""
    return bool(get_manager().jobs_of(browser_id()))


def active_elsewhere(key: str) -> Job | None:
    """This session's active job started from another page (not under `key`), if any."""
    mine = current(key)
    for j in get_manager().jobs_of(browser_id()):
        if j is not mine:
            return j
    return None


def running(key: str) -> bool:
    job = current(key)
    return job is not None and job.active


def start(key: str, label: str, target: Callable[[Job], Any], keep: Any = None) -> Job | None:
    """Submit `target(job)` for this browser; shows an error instead if one is already active.

    `keep` (the run's settings, e.g. a TrainConfig): snapshot the job's events while it runs and store
    its TrainResult for this browser (ui.persist), so that a reload or a server restart loses nothing.
    """
    if keep is not None:
        from . import persist

        target = persist.keep(key, keep, target)
    try:
        job = get_manager().submit(browser_id(), label, target, key=key, meta={"config": keep})
    except RuntimeError as e:
        st.error(str(e))
        return None
    st.session_state[key] = job
    st.session_state.pop(f"{key}__reader", None)
    return job


def start_button(key: str, text: str, disabled: bool = False, help: str | None = None, **button_kw) -> bool:
    """A Start button that is disabled while this session has a job, with a note when that job
    was started on another page. True when pressed."""
    other = active_elsewhere(key)
    pressed = st.button(text, key=f"{key}__start", disabled=disabled or busy(), help=help, **button_kw)
    if other is not None:
        st.info(f"Another training job of yours (**{other.label}**) is running on another page; "
                f"stop it there, or wait for it to end, to start one here.")
    return pressed and not busy()


def queue_notice(job: Job) -> None:
    """'Waiting: 3rd in the queue' while queued."""
    pos = job.position()
    if job.state == "queued" and pos:
        running_, queued = get_manager().counts()
        st.info(f"⏳ Waiting for a free training slot: **#{pos}** in the queue "
                f"({running_} job{'s' if running_ != 1 else ''} training on this server, "
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


def reader(key: str, run_key: str = "run") -> EventReader | None:
    """The job's events folded so far (each event read once, kept across polls)."""
    job = current(key)
    if job is None:
        return None
    r = st.session_state.get(f"{key}__reader")
    if r is None or r.job_id != job.id:
        r = st.session_state[f"{key}__reader"] = EventReader(run_key, job_id=job.id)
    r.update(job.events(r.n))
    return r


def state_notice(job: Job) -> None:
    """A failed or cancelled job says so; the queue place while waiting."""
    queue_notice(job)
    if job.state == "failed":
        st.error(f"Training failed: {job.error}")
    elif job.state == "cancelled":
        st.info("The job was cancelled before it started.")


def view(key: str, draw: Callable[[Job, EventReader], None], idle: str | None = None,
         every: float = POLL_SECONDS, run_key: str = "run", show_controls: bool = True) -> None:
    """Draw this page's job live: a fragment polling every `every` s while the job is active.

    Beats the heartbeat, shows the queue place, pause/resume/stop, a failure; calls
    `draw(job, reader)`; when the job ends, one full rerun shows the final state and stops polling.
    """
    polling = running(key)

    @st.fragment(run_every=every if polling else None)
    def _live() -> None:
        job = current(key)
        if job is None:
            if idle:
                st.caption(idle)
            return
        job.beat()
        state_notice(job)
        if show_controls:
            controls(job, key)
        draw(job, reader(key, run_key))
        if polling and not job.active:
            st.rerun()  # one full run to stop polling and show the final state

    _live()
