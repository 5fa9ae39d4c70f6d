"""6 · Train on Fashion-MNIST: live curves, confusion matrix, mistakes, run comparison and ensembles.

The views live in ui/: training_controls (settings), training_live (progress and curves),
training_eval (confusion matrix and answers), training_runs (kept runs, comparison, ensembles).
"""
from __future__ import annotations

import streamlit as st

from fmnist_core.fashion.runs import RunFeed
from fmnist_core.fashion.train import train
from ui.kit import live, persist, presenter
from ui.views import training_eval as evaluation
from ui.views import training_live as live_view
from ui.views import training_lr_finder as lr_finder
from ui.views import training_runs as runs
from ui.kit.common import ensure_router, require_dataset
from ui.views.training_controls import config_from_state, seed_settings, settings_panel

JOB_KEY = "training_job"
POLL_S = 0.5  # 2 Hz: fast enough to watch, light enough to leave the training thread its core
EVAL_POLL_S = 2.0  # evaluations come once per epoch (1-2 s for the MLP); each redraw costs the browser CPU


def _start(data) -> None:
    runs.record_if_ended(live.current(JOB_KEY))  # keep the previous run before its job is replaced
    cfg, error = config_from_state()
    if cfg is None:
        return
    job = live.start(JOB_KEY, "training", lambda job: train(cfg, data, on_event=job.emit, control=job.control),
                     keep=cfg)  # stored for this browser: a reload or a server restart loses nothing
    if job is not None:
        st.session_state[live_view.CFG_KEY] = cfg
        st.session_state.pop("training_cell_clicked", None)


def _reset() -> None:
    """After live.forget: the live view's own state goes too; ended runs stay."""
    for k in (live_view.CFG_KEY, "training_cell_clicked", live_view.FIGURES):
        st.session_state.pop(k, None)


ensure_router()
with presenter.header("👕 Train on Fashion-MNIST"):  # presenter mode: the introduction folded, beside the title
    st.markdown(
        "Press **Start** and watch a network learn ten kinds of garments. Each step takes a batch of training "
        "images, computes the **cross-entropy loss** of the softmax outputs against the one-hot labels, "
        "**backpropagates** and steps $w \\leftarrow w - \\text{lr}\\cdot\\partial L/\\partial w$. After each epoch "
        "(one pass over the 60,000 training images) it is tested on 10,000 test images it never trains on. The "
        "classic recipe (784-256-128-64-10, ReLU, dropout, Adam) reaches about 88–89%."
    )
data = require_dataset()
seed_settings()
cfg, _ = config_from_state()

live.control_row(JOB_KEY, "▶ Start training", _start, (data,), prefix="training_btn", disabled=cfg is None,
                 on_reset=_reset, reset_help="Stop and clear the live view; ended runs stay in the Runs tab.")
job = live.current(JOB_KEY)  # after a reload: this browser's running job, reattached
if job is not None and job.meta.get("config") is not None:
    st.session_state[live_view.CFG_KEY] = job.meta["config"]
active = bool(job and job.active)
persist.sync_runs(runs.RUNS_KEY, job)  # this browser's stored runs: after a reload, a restart, or from another tab
place = presenter.first("settings", "live", lead="live")  # presenter mode: the live view above the settings
with place["settings"]:
    settings_panel(active)
    lr_finder.section(data, ready=cfg is not None)
runs.record_if_ended(job)

n_runs = len(st.session_state.get(runs.RUNS_KEY, []))
with place["live"]:
    tab_live, tab_runs = st.tabs(["📈 Live training", f"🗂️ Runs, comparison & ensembles ({n_runs})"])
with tab_live:
    if job is not None:
        live_view.run_header(job, live.reader(JOB_KEY, fold=RunFeed), live.stop_latency(JOB_KEY))
    live.view(JOB_KEY, live_view.draw, every=POLL_S, show_controls=False, fold=RunFeed)
    if job is not None:  # presenter mode: the run's notice, settings and curve controls come here, below the curves
        live_view.run_header(job, live.reader(JOB_KEY, fold=RunFeed), live.stop_latency(JOB_KEY), below=True)
        st.caption("The **train** curve is measured on the batches the network is learning from (with dropout on); "
                   "the **test** points on 10,000 images it never sees. Train keeps improving while test stalls or "
                   "gets worse: the network is starting to **overfit** (memorize instead of generalize).")
    live.view(JOB_KEY, evaluation.draw, idle=evaluation.idle, every=EVAL_POLL_S, show_controls=False, notices=False,
              fold=RunFeed)
with tab_runs:
    runs.runs_view()
