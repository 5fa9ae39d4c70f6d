"""Section 1 of the boundary page, live: the page's run (a ToyRun, kept while the settings that define it
stay), trained by a toy job (ui/kit/live.py; its worker calls `ToyRun.play`), the control row, and the
frame player (ui/kit/frame_player.py). While the job trains, a polling view takes the frames it made
and the browser plays them; queued, paused, stopped or not started, the player replays the stored
epochs and the detailed views (`details`) show the epoch the replay rests at."""
from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

from fmnist_core.engine.jobs import TOY, Job
from fmnist_core.toy import own_points as op
from fmnist_core.toy.frames import MAX_ENCODED
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.run import ToyRun

from ui.kit import live, presenter
from ui.kit.frame_player import player
from ui.kit.widgets import keys

P = "boundaries"
k = keys(P)
JOB, RUN, RUN_KEY = k("job"), k("run"), k("run_key")


def playing(job: Job | None) -> bool:
    """The job trains now (not queued, paused or stopping): the player plays what it makes."""
    return job is not None and job.state == "running" and not job.control.paused and not job.control.should_stop()


def the_run(run_key: tuple, make: Callable[[], ToyRun]) -> ToyRun:
    """The page's run: kept while `run_key` (the settings that make it) stays, else `make()`. After a
    reload, or in a second tab, the job that trains these settings brings its own run; a job that
    trains other settings is stopped (a changed setting starts a fresh network)."""
    ss = st.session_state
    job = live.current(JOB)
    if job is not None and job.meta.get("run_key") != run_key:
        live.forget(JOB)
    elif job is not None and ss.get(RUN) is not job.meta.get("run"):
        ss[RUN], ss[RUN_KEY] = job.meta["run"], run_key
    if ss.get(RUN_KEY) != run_key or RUN not in ss:
        ss[RUN], ss[RUN_KEY] = make(), run_key
    return ss[RUN]


def _start(run: ToyRun, run_key: tuple) -> None:
    job = live.start(JOB, "decision boundaries", lambda job: run.play(job.control), kind=TOY)
    if job is not None:
        job.meta.update(run=run, run_key=run_key)


def _reset() -> None:
    live.forget(JOB)
    st.session_state.pop(RUN_KEY, None)  # the next run builds a fresh network from the settings


def controls(run: ToyRun, run_key: tuple, speeds: Sequence[str], no_points: bool, every: float) -> None:
    """Start · Pause/Resume · Stop (the kit's), Step and Reset, and the speed, in one row."""
    left, mid, right = st.columns([3, 2, 2], vertical_alignment="bottom")
    with left:
        live.control_row(JOB, "▶ Start", _start, (run, run_key), prefix=P, disabled=no_points, kind=TOY)
    a, b = mid.columns(2)
    a.button("⏭ Step", key=k("step"), on_click=run.advance, args=(1,), width="stretch", help="Train one epoch.",
             disabled=playing(live.current(JOB)) or no_points)
    b.button("↺ Reset", key=k("reset"), on_click=_reset, width="stretch", help="Start again from a fresh network.")
    right.select_slider("Epochs per frame", speeds, key=k("speed"),
                        help=f"The server trains ahead and sends the frames every {every:g} s; your browser plays "
                             "them in between.")


def scrubbed(run: ToyRun) -> int | None:
    """The epoch the replay slider rests at, while the run is where it was then (else None: the latest)."""
    at = (st.session_state.get(k("player")) or {}).get("epoch")
    return int(at[0]) if isinstance(at, list) and len(at) == 2 and at[1] == run.epoch else None


def _clicked() -> None:
    click = (st.session_state.get(k("player")) or {}).get("click") or {}
    text, changed = op.clicked(st.session_state[k("pts")], float(click.get("x1", 99)), float(click.get("x2", 99)),
                               str(click.get("mode")))
    if changed:
        st.session_state[k("pts")] = text
    elif click.get("mode") != "remove" and len(op.decode(text)[0]) >= op.MAX_POINTS:
        st.session_state[k("note")] = f"At most {op.MAX_POINTS} of your own points fit in a link."


def _views(run: ToyRun, own: Sequence[op.Point], pts: str, details: Callable[[PackedMLP | None], None],
           write_url: Callable[[], None], live_mode: bool) -> None:
    if st.session_state[k("pts")] != pts:
        st.rerun()  # a click changed the points: the whole page (data, growth grid) follows
    if note := st.session_state.pop(k("note"), None):
        st.toast(note, icon="🔗")
    if not presenter.active():  # presenter mode: the player's epoch line heads it, one screen holds the picture
        st.header("1 · Watch it learn")
    scrub = None if live_mode else scrubbed(run)
    d = run.data
    player(k("player"), run_id=str(id(run)), mode="live" if live_mode else "replay",
           frames=run.take_frames() if live_mode else run.replay_frames(), seq=run.made, curve=run.curves(),
           extent=d.extent, train=(d.x_train, d.y_train), test=(d.x_test, d.y_test) if len(d.x_test) else None,
           own=own, enc_labels=d.y_train[:MAX_ENCODED], show_test=bool(st.session_state[k("show_test")]),
           discrete=bool(st.session_state[k("discrete")]), scrub_epoch=scrub, on_click=_clicked)
    if run.status == "diverged":
        st.error(f"Training stopped: {run.message}. Lower the learning rate and press Reset.")
    t1, t2, t3 = st.columns([1, 1, 3])
    t1.toggle("Show test points", key=k("show_test"))
    t2.toggle("Discretize", key=k("discrete"), help="Only the two sides of P(red) = 0.5")
    t3.caption(
        "Colour: the network's probability that a point is **red**; the boundary is where it crosses 0.5. White "
        "rings: training points; black rings: test points it never learns from; thick dark rings: your own points. "
        "Train accuracy far above test accuracy is overfitting: try L2, L1 or dropout (sidebar). The histogram "
        "shows all weights; with L1, the red bar counts those at exactly 0.")
    details(None if live_mode else run.at_epoch(run.epoch if scrub is None else scrub)[1])
    write_url()  # the toggles above live in this fragment: a click reruns only it


def _watch(job: Job, _reader) -> None:
    if playing(job):
        st.rerun()  # it left the queue, or was resumed elsewhere: the page plays it


def section(run: ToyRun, own: Sequence[op.Point], details: Callable[[PackedMLP | None], None],
            write_url: Callable[[], None], every: float) -> None:
    """'1 · Watch it learn' and the detailed views below it: live while the job trains (a view that polls
    every `every` s), else a replay (a fragment that reruns when a widget in it changes); meanwhile
    a small view of the queued or paused job shows its place in the queue and beats its heartbeat."""
    pts = st.session_state[k("pts")]
    if playing(live.current(JOB)):
        live.view(JOB, lambda job, _: _views(run, own, pts, details, write_url, live_mode=True), every=every,
                  show_controls=False)
        return
    live.view(JOB, _watch, every=every, show_controls=False)
    st.fragment(_views)(run, own, pts, details, write_url, live_mode=False)
