"""The training page's learning-rate finder: a range test of the page's current settings as a training job
(ui.kit.live), the loss drawn live as the rate grows, the suggested rate and a button that puts it on the
learning-rate slider. Its one setting, the number of mini-batches, is in the page's link (training_controls)."""
from __future__ import annotations

import math

import streamlit as st

from fmnist_core.fashion.lr_finder import LR_MAX, LR_MIN, LRFinderResult, find_lr
from fmnist_core.fashion.runs import describe_model
from ui.figures.lr_finder import lr_finder_figure
from ui.kit import live
from ui.kit.widgets import plotly_chart
from ui.views.training_controls import LRS, config_from_state

JOB_KEY = "training_lrf_job"
CFG_KEY = "training_lrf_cfg"  # the TrainConfig the finder on screen swept
LR_KEY, STEPS_KEY, OPEN_KEY = "training_lr", "training_lrf_steps", "training_lrf_open"


def power_of_ten(x: float) -> str:
    """1e-06 as '10⁻⁶', 10 as '10', 1 as '1'."""
    e = round(math.log10(x))
    if e in (0, 1):
        return "1" if e == 0 else "10"
    return "10" + str(e).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def slider_step(lr: float) -> float:
    """The learning-rate slider's stop nearest `lr` (on a log scale): what a link can carry and restore."""
    return min(LRS, key=lambda o: abs(math.log10(o) - math.log10(lr)))


def _use(lr: float) -> None:
    st.session_state[LR_KEY] = lr


def _start(data) -> None:
    cfg, _ = config_from_state()
    if cfg is None:
        return
    steps = int(st.session_state[STEPS_KEY])
    job = live.start(JOB_KEY, "learning-rate finder",
                     lambda job: find_lr(cfg, data, steps=steps, on_event=job.emit, control=job.control))
    if job is not None:
        st.session_state[CFG_KEY] = cfg
        st.session_state[OPEN_KEY] = True  # stays open while notices above it come and go


def _draw(job, reader) -> None:
    """The curve as the points arrive; the suggestion once the sweep has ended."""
    events = job.events()
    points = [e for e in events if e.get("kind") == "point"]
    res: LRFinderResult | None = job.result if job.state == "done" else None
    if not points:
        if job.state == "running":
            st.progress(0.0, text="Building the network…")
        return
    last = points[-1]
    if res is None:
        st.progress(min(float(last["progress"]), 1.0),
                    text=f"Mini-batch {last['index'] + 1} · lr {last['lr']:.1e} · loss {last['loss']:.3f}")
    fig = lr_finder_figure([p["lr"] for p in points], [p["loss"] for p in points], [p["smoothed"] for p in points],
                           suggested_lr=res.suggested_lr if res else None, min_index=res.min_index if res else None,
                           lr_range=(LR_MIN, LR_MAX))
    plotly_chart(fig, key="training_lrf_chart")
    if res is not None:
        _summary(res)


def _summary(res: LRFinderResult) -> None:
    end = {"diverged": f"It stopped early: {res.message}, so larger rates were not tried.",
           "stopped": f"Stopped after {res.steps} mini-batches.",
           "finished": f"It swept every rate up to {res.lrs[-1]:g} without the smoothed loss reaching 4 times its "
                       "lowest value."}[res.status]
    low = f" The smoothed loss was lowest at lr {res.lrs[res.min_index]:.1e}." if res.min_index is not None else ""
    st.caption(f"{res.steps} mini-batches in {res.seconds:.1f} s. {end}{low}")
    if res.suggested_lr is None:
        st.warning("No suggestion: " + ("the sweep was too short." if res.status == "stopped" else
                   "the loss never fell clearly, so these settings do not learn at any of these rates "
                   "(look at the activation, the initializer and the input normalization)."))


def _use_button(job) -> None:
    """Once the sweep has a suggestion: a button that sets the learning-rate slider to it."""
    res = job.result if job is not None and job.state == "done" else None
    if res is None or res.suggested_lr is None:
        return
    lr = slider_step(res.suggested_lr)
    c1, c2 = st.columns([1, 2], vertical_alignment="center")
    c1.button(f"Use lr = {lr:g}", key="training_lrf_use", type="primary", on_click=_use, args=(lr,),
              disabled=st.session_state.get(LR_KEY) == lr, width="stretch")
    holds = "The slider holds it: press **Start training**." if st.session_state.get(LR_KEY) == lr else \
        "One click puts it on the learning-rate slider."
    c2.markdown(f"Suggested learning rate **{res.suggested_lr:.1e}**" +
                (f" (the slider's nearest step: {lr:g})" if not math.isclose(lr, res.suggested_lr) else "") +
                f". {holds}")


def section(data, ready: bool) -> None:
    """The finder, folded under the settings; `ready`: the settings describe a network (a Start is possible)."""
    # Keyed and tracked: an unkeyed expander is a new one (closed) when a notice above it appears or goes.
    with st.expander("🔎 Find a learning rate (a range test of these settings, a few seconds)", key=OPEN_KEY,
                     on_change="rerun"):
        st.markdown(
            f"The rate grows **exponentially**, from {power_of_ten(LR_MIN)} to {power_of_ten(LR_MAX)}, one "
            "mini-batch at a time. Tiny steps barely move the loss; larger ones learn and it falls; past some rate "
            "each step **overshoots** the valley it aims at, and the loss climbs, then explodes. The suggestion sits "
            "at the bottom of the batches' losses, left of the smoothed curve's lowest point: that curve averages the "
            "last ~50 batches, so it trails behind, and its bottom is where the steps already overshoot.")
        c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
        with c2:
            st.slider("Mini-batches to sweep", 100, 300, step=10, key=STEPS_KEY,
                      help="More batches: a smoother curve, a few seconds more. Leslie Smith and fast.ai use 100-300.")
        # A callback, as the Start button's: the job exists before the page draws, so Start shows it is taken.
        c1.button("Find a learning rate", key="training_lrf_find", type="primary", on_click=_start, args=(data,),
                  disabled=not ready or live.busy(JOB_KEY), width="stretch")
        if live.busy(JOB_KEY) and not live.running(JOB_KEY):
            st.caption("Available once the training run has ended (one job at a time per browser).")
        cfg = st.session_state.get(CFG_KEY)
        if cfg is not None and live.current(JOB_KEY) is not None:
            st.caption(f"Swept: {describe_model(cfg)} · {cfg.optimizer} · batch {cfg.batch_size} · "
                       f"dropout {cfg.dropout:g} · {cfg.normalization} inputs · seed {cfg.seed}")
        live.view(JOB_KEY, _draw, controls_key="training_lrf")
        _use_button(live.current(JOB_KEY))
