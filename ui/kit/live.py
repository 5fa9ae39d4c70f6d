"""The one live-job pattern for pages: start, queue place, poll, pause/resume/stop, heartbeat,
the final redraw. A page supplies what to run and how to draw; it keeps no polling flags.

Pattern (see ../shared/NOTES.md): the worker thread never touches `st.*`; it emits plain events
into its Job. The page keeps the Job in `st.session_state[key]` and draws it from a fragment
with `run_every`, which beats the job's heartbeat so that a closed tab ends the job.

    if live.start_button(KEY, "Train", disabled=not ready):
        live.start(KEY, "label", lambda job: train(cfg, data, on_event=job.emit, control=job.control))

    def draw(job, reader):           # reader: fmnist_core.engine.events.EventReader, already up to date
        st.line_chart(reader.run(0).column("progress", "train_loss"))

    live.view(KEY, draw, idle="Press **Train** to start.")

A page whose buttons sit in a row above its settings uses `live.control_row` (Start, Pause/Resume,
Stop, Reset as callbacks) and `live.view(..., show_controls=False)`. A second view of the same job
(a slower fragment, or a caption on another tab) is one more `live.view` call with its own `every`.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

from fmnist_core.engine.events import EventReader
from fmnist_core.engine.jobs import SHORT, TOY, TRAIN, Job, get_manager

from ui.kit.identity import browser_id

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


def busy(key: str | None = None, kind: str = TRAIN) -> bool:
    """True while this browser has a job queued or running that keeps it from starting one of `kind`
    under `key` (a training job: any training job, on any page, in any tab; see jobs.KINDS)."""
    return bool(get_manager().blocking(browser_id(), key, kind))


def active_elsewhere(key: str, kind: str = TRAIN) -> Job | None:
    """This session's active job started from another page (not under `key`) that blocks this one, if any."""
    mine = current(key)
    for j in get_manager().blocking(browser_id(), key, kind):
        if j is not mine:
            return j
    return None


def running(key: str) -> bool:
    job = current(key)
    return job is not None and job.active


def start(key: str, label: str, target: Callable[[Job], Any], keep: Any = None, kind: str = TRAIN) -> Job | None:
    """Submit `target(job)` for this browser; shows an error instead if one is already active.

    `keep` (the run's settings, e.g. a TrainConfig): snapshot the job's events while it runs and store
    its TrainResult for this browser (ui.kit.persist), so that a reload or a server restart loses nothing.
    """
    if keep is not None:
        from ui.kit import persist

        target = persist.keep(key, keep, target)
    try:
        job = get_manager().submit(browser_id(), label, target, key=key, meta={"config": keep}, kind=kind)
    except RuntimeError as e:
        st.error(str(e))
        return None
    st.session_state[key] = job
    _drop_readers(key)
    st.session_state.pop(f"{key}__stop_clicked", None)
    return job


def start_button(key: str, text: str, disabled: bool = False, help: str | None = None,
                 button_key: str | None = None, notice: bool = True, kind: str = TRAIN, **button_kw) -> bool:
    """A Start button that is disabled while this session has a job, with a note when that job
    was started on another page (`notice=False`: the page places `elsewhere_notice` itself).
    True when pressed."""
    pressed = st.button(text, key=button_key or f"{key}__start", disabled=disabled or busy(key, kind), help=help,
                        **button_kw)
    if notice:
        elsewhere_notice(key, kind)
    return pressed and not busy(key, kind)


def elsewhere_notice(key: str, kind: str = TRAIN) -> None:
    """Says so when this session's job was started elsewhere (it blocks starting one here): on another page,
    or on this one (job keys start with their page's name, as widget keys do)."""
    other = active_elsewhere(key, kind)
    if other is not None:
        here = str(other.key or "").split("_")[0] == key.split("_")[0]
        st.info(f"Another training job of yours (**{other.label}**) is running "
                + ("on this page; stop it, " if here else "on another page; stop it there, ")
                + "or wait for it to end, to start one here.")


def stop(key: str) -> None:
    """Stop this page's job (a button callback), remembering when the click came."""
    job = current(key)
    if job is not None and job.active:
        st.session_state[f"{key}__stop_clicked"] = time.time()
        job.stop()


def stop_latency(key: str) -> float | None:
    """Seconds from the Stop click to the job's end, when it ended after one."""
    job, clicked = current(key), st.session_state.get(f"{key}__stop_clicked")
    if job is None or clicked is None or job.finished is None:
        return None
    return job.finished - clicked


STOP_WAIT_S = 2.0  # a stopped job ends within a step or an epoch; until it ends it still blocks a new Start


def forget(key: str, wait: float = STOP_WAIT_S) -> None:
    """Stop this page's job and drop it and its events from the session (back to the idle view). Waits up
    to `wait` s for the job to end, so that Start is enabled when the page draws (0: do not wait)."""
    job = current(key)
    stop(key)
    _drop_readers(key)
    for k in (key, f"{key}__stop_clicked"):
        st.session_state.pop(k, None)
    if job is not None and wait > 0:
        job.wait(timeout=wait)


def control_row(key: str, start_text: str, on_start: Callable[..., None], args: tuple = (), *, prefix: str,
                disabled: bool = False, on_reset: Callable[[], None] | None = None,
                reset_help: str | None = None, kind: str = TRAIN) -> None:
    """Start · Pause/Resume · Stop (· Reset) in one row, acting in callbacks; keys f"{prefix}_start" etc.

    `on_start(*args)` must call `live.start`; `on_reset()` clears the page's own keys after the job
    is stopped and forgotten. Start is disabled while this session has a job, here or elsewhere.
    """
    job = current(key)
    active = job is not None and job.active
    cols = st.columns(4 if on_reset else 3)
    cols[0].button(start_text, key=f"{prefix}_start", type="primary", width="stretch", on_click=on_start, args=args,
                   disabled=disabled or busy(key, kind))
    if active and job.control.paused:
        cols[1].button("▶ Resume", key=f"{prefix}_resume", width="stretch", on_click=job.resume)
    else:
        cols[1].button("⏸ Pause", key=f"{prefix}_pause", width="stretch",
                       disabled=not active or job.state != "running", on_click=job.pause if active else None)
    cols[2].button("⏹ Stop", key=f"{prefix}_stop", width="stretch", disabled=not active, on_click=stop, args=(key,))
    if on_reset:
        def reset() -> None:
            forget(key)
            on_reset()

        cols[3].button("↺ Reset", key=f"{prefix}_reset", width="stretch", disabled=job is None, on_click=reset,
                       help=reset_help)
    elsewhere_notice(key, kind)


QUEUE_WORDS = {TRAIN: ("training slot", "job"), TOY: ("slot for live 2D networks", "2D network"),
               SHORT: ("slot for short computations", "short job")}  # bench/many_students.py reads the TRAIN line


def queue_notice(job: Job) -> None:
    """'Waiting: 3rd in the queue' while queued."""
    pos = job.position()
    if job.state == "queued" and pos:
        running_, queued = get_manager().counts(job.kind)
        slot, unit = QUEUE_WORDS[job.kind]
        st.info(f"⏳ Waiting for a free {slot}: **#{pos}** in the queue "
                f"({running_} {unit}{'s' if running_ != 1 else ''} training on this server, "
                f"limit {get_manager().limit(job.kind)}). It starts by itself.")


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


def reader(key: str, run_key: str = "run", fold: type | None = None) -> Any:
    """The job's events folded so far (each event read once, kept across polls).

    An `EventReader(run_key)` by default; `fold` is another folding class (defined at module level),
    built as `fold(job_id=...)`, with `.n`, `.job_id` and `.update(events)` (such as the trainer's live
    run, which keeps the test predictions). Each (run_key, fold) keeps a reader of its own.
    """
    job = current(key)
    if job is None:
        return None
    slot = f"{key}__reader" + (f"[{fold.__module__}.{fold.__qualname__}]" if fold is not None
                               else "" if run_key == "run" else f"[{run_key}]")
    r = st.session_state.get(slot)
    if r is None or r.job_id != job.id or (fold is not None and not isinstance(r, fold)):
        r = fold(job_id=job.id) if fold is not None else EventReader(run_key, job_id=job.id)
        st.session_state[slot] = r
    r.update(job.events(r.n))
    return r


def _drop_readers(key: str) -> None:
    for k in [k for k in st.session_state if str(k).startswith(f"{key}__reader")]:
        del st.session_state[k]


def state_notice(job: Job) -> None:
    """A failed or cancelled job says so; the queue place while waiting."""
    queue_notice(job)
    if job.state == "failed":
        st.error(f"Training failed: {job.error}")
    elif job.state == "cancelled":
        st.info("The job was cancelled before it started.")


def view(key: str, draw: Callable[[Job, Any], None], idle: str | Callable[[], None] | None = None,
         every: float = POLL_SECONDS, run_key: str = "run", show_controls: bool = True, notices: bool = True,
         controls_key: str | None = None, fold: type | None = None) -> None:
    """Draw this page's job live: a fragment polling every `every` s while the job is active.

    Beats the heartbeat; shows the queue place and a failure (`notices`), pause/resume/stop
    (`show_controls`, keys f"{controls_key or key}_pause" etc.); calls `draw(job, reader)` with
    `reader(key, run_key, fold)`; `idle` (a caption, or a function that draws) while there is no job.
    When the job ends, one full rerun shows the final state and stops polling. A page may call it
    more than once for the same job (views that poll at different rates).
    """
    polling = running(key)

    def _live() -> None:
        job = current(key)
        if job is None:
            if callable(idle):
                idle()
            elif idle:
                st.caption(idle)
            return
        job.beat()
        if notices:
            state_notice(job)
        if show_controls:
            controls(job, controls_key or key)
        draw(job, reader(key, run_key, fold))
        if polling and not job.active:
            st.rerun()  # one full run to stop polling and show the final state

    st.fragment(_live, run_every=every if polling else None)()  # its id includes its place on the page
