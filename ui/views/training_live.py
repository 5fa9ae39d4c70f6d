"""The training page's live view: how the run ended, the progress line, the latest numbers, the curves.

`draw(job, lv)` is what `live.view` polls at 2 Hz; `lv` is the job's events folded so far (the
trainer's live run: progress and epoch events, test points, predictions, the end).
"""
from __future__ import annotations

import time

import streamlit as st

from fmnist_core.fashion.runs import describe_model
from fmnist_core.fashion.recipe import TrainConfig

from ui.figures import training as figs
from ui.kit import presenter
from ui.kit.common import cached, device

FIGURES = "training_figures"  # the page's figure cache (ui.kit.common.cached)
CFG_KEY = "training_job_cfg"  # the TrainConfig of the job on screen
ROOM_CHART_HEIGHT = 285  # px, the whole chart in presenter mode (fits 1280x720 under the label; 300 otherwise)


def run_header(job, lv, stop_latency: float | None, below: bool = False) -> None:
    """What this run is and how it ended (drawn by full runs: it changes only at the start and the end). The page
    calls it above the curves and again below them (`below`): it draws above, or in presenter mode below, so that
    there the progress line and the curves start on the projector's first screen."""
    if below != presenter.active():
        return
    if lv is not None and lv.done:
        status = lv.done.get("status")
        if status == "diverged":
            st.error(f"💥 **The run diverged** — {lv.done.get('message')}. The steps were so large that the "
                     "weights blew up (loss → ∞ or NaN). Lower the learning rate, or use a normalization of the "
                     "inputs.")
        elif status == "stopped":
            after = f" (the job ended {stop_latency:.2f} s after the click)" if stop_latency is not None else ""
            st.warning(f"⏹ Stopped — {lv.done.get('message')}{after}. Test accuracy of the final network: "
                       f"{lv.done['test_accuracy']:.2%}.")
        else:
            st.success(f"✅ {lv.done.get('message', '').capitalize()}. Final test accuracy: "
                       f"**{lv.done['test_accuracy']:.2%}** in {lv.done['train_seconds']:.1f} s. "
                       "The run is kept in the **Runs** tab.")
    cfg = st.session_state.get(CFG_KEY)
    if cfg is not None:
        st.caption(f"This run: {describe_model(cfg)} · {cfg.activation} · {cfg.init} init · "
                   f"{cfg.optimizer} lr {cfg.lr:g} ({cfg.schedule}) · batch {cfg.batch_size} · "
                   f"dropout {cfg.dropout:g} · {cfg.normalization} inputs · seed {cfg.seed} · on {device()}")
    curve_controls()


def curve_controls() -> tuple[float, str]:
    """Smoothing and x axis of the live curves (outside the polled view: moving them redraws the page once)."""
    o1, o2, _ = st.columns([2, 1, 2])
    smoothing = o1.slider("Smoothing (like TensorBoard's)", 0.0, 0.99, 0.6, 0.01, key="training_smoothing",
                          help="An exponential moving average of the noisy train curve; 0 shows it raw.")
    x = o2.radio("x axis", ["epoch", "elapsed"], key="training_x", horizontal=True,
                 format_func={"epoch": "epochs", "elapsed": "seconds"}.get)
    return smoothing, x


def draw(job, lv) -> None:
    """Progress, the latest numbers and the curves."""
    _progress_line(lv, st.session_state.get(CFG_KEY), job)
    _stats_line(lv)
    _curves(lv, job.id)


def _progress_line(lv, cfg: TrainConfig | None, job) -> None:
    ev = lv.done or lv.last_progress or lv.last_epoch
    if ev is None:
        if job.state == "running":
            st.container(key="training_progress").progress(0.0, text="Starting: building the network…")
        return
    p = float(ev.get("progress", 0.0))
    elapsed = float(ev.get("elapsed", 0.0))
    if lv.done:
        text = f"Ended after {elapsed:.1f} s, epoch {ev['epoch']:.1f}"
        p = 1.0 if lv.done.get("status") in ("finished", "budget") else p
    else:
        paused = job.control.paused
        if cfg is not None and cfg.time_budget:
            if not paused and lv.last_seen is not None:  # the clock runs on between two events
                elapsed = min(elapsed + time.monotonic() - lv.last_seen, cfg.time_budget)
            p = max(p, elapsed / cfg.time_budget)
            left = cfg.time_budget - elapsed
        else:
            left = elapsed * (1 - p) / p if p > 0 else float("nan")
        ips = (lv.last_progress or {}).get("images_per_sec")
        text = (f"{'⏸ Paused · ' if paused else ''}Epoch {ev['epoch']:.1f} · {elapsed:.1f} s"
                f" · {left:.0f} s left" + (f" · {ips:,.0f} images/s" if ips else "") + f" · lr {ev['lr']:.2g}")
    st.container(key="training_progress").progress(min(max(p, 0.0), 1.0), text=text)


def _stats_line(lv) -> None:
    """The latest numbers in one line (one element: cheaper to redraw twice a second than four tiles)."""
    tp = lv.test_points
    lp = lv.last_progress or lv.last_epoch or {}
    parts = []
    if "train_loss" in lp:
        parts.append(f"loss {lp['train_loss']:.3f}")
        parts.append(f"train {lp['train_accuracy']:.1%}")
    if tp:
        d = (tp[-1]["test_accuracy"] - tp[-2]["test_accuracy"]) * 100 if len(tp) > 1 else 0.0
        parts.append(f"test {tp[-1]['test_accuracy']:.1%}" + (f" ({d:+.1f} pt)" if abs(d) >= 0.05 else ""))
        best = max(tp, key=lambda e: e["test_accuracy"])
        parts.append(f"best {best['test_accuracy']:.1%} at {best['elapsed']:.0f} s")
    st.subheader(" · ".join(parts) if parts else "waiting for the first steps…", anchor=False,
                 help="Loss and accuracy on this epoch's training batches so far (dropout on), and on the 10,000 "
                      "test images after each epoch.")


def _curves(lv, job_id: int) -> None:
    smoothing = st.session_state.get("training_smoothing", 0.6)
    x = st.session_state.get("training_x", "epoch")
    room = presenter.active()
    key = (job_id, lv.n, smoothing, x, room)
    s = cached(FIGURES, "series", (job_id, lv.n), lv.series)

    def chart(metric: str, title: str) -> dict:  # presenter mode: larger text, lower (fits 1280x720 under the label)
        return presenter.room_vega(figs.curves_chart([("this run", s)], metric, smoothing, x, title=title),
                                   height=ROOM_CHART_HEIGHT)

    c1, c2 = st.container(key="training_live_charts").columns(2)
    c1.vega_lite_chart(cached(FIGURES, "loss", key, lambda: chart("loss", "Loss")), key="training_loss_chart",
                       width="stretch")
    c2.vega_lite_chart(cached(FIGURES, "acc", key, lambda: chart("accuracy", "Accuracy")), key="training_acc_chart",
                       width="stretch")
