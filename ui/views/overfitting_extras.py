"""Page 10's ② Normalize the inputs and ③ Batch norm, seen: each one job (ui.kit.live) that trains a few short
runs one after another, drawn live as their curves grow."""
from __future__ import annotations

import math

import streamlit as st

from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.overfitting import batchnorm_seen as bs
from fmnist_core.overfitting import inputs
from ui.figures import overfitting as figs
from ui.kit import live
from ui.kit.widgets import plotly_chart
from ui.views.page_registry import PAGES

INPUTS_JOB, SEEN_JOB = "overfitting_inputs_job", "overfitting_seen_job"
ACT_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
INIT_LABELS = {"default": "PyTorch default", "xavier_normal": "Xavier normal", "he_normal": "He normal"}


# --------------------------------------------------------------------------- ② normalize the inputs

def inputs_section(k, data: FashionMNIST, s: dict) -> None:
    settings = inputs.InputsSettings(optimizer=s["opt"], seed=int(s["seed"]))
    c1, c2 = st.columns([0.55, 0.45], vertical_alignment="bottom")
    c1.radio("Optimizer", list(inputs.OPTIMIZERS), key=k("opt"), format_func=inputs.OPTIMIZERS.get, horizontal=True)
    with c2:
        if live.start_button(INPUTS_JOB, f"Train 4 MLPs for {settings.epochs} epochs", type="primary",
                             help="One MLP per normalization, one after another: 11-15 s on one CPU core."):
            live.start(INPUTS_JOB, "normalization comparison",
                       lambda job, st_=settings: inputs.compare(st_, data, on_event=job.emit, control=job.control))

    def draw(job, reader):
        curves = {m: [] for m in inputs.MODES}
        done = {}
        for e in job.events():
            if e.get("kind") == "loss":
                curves[e["mode"]].append(e)
            elif e.get("kind") == "mode_done":
                done[e["mode"]] = e
        diverged = {m: e["steps"] for m, e in done.items() if e["status"] == "diverged"}
        plotly_chart(figs.normalization_figure(curves, inputs.MODES, diverged), key=k("norm_chart"))
        if done:
            st.markdown(" · ".join(_mode_result(m, e) for m, e in done.items()))
        if job.active and len(done) < len(inputs.MODES):
            running = next((m for m in inputs.MODES if m not in done), None)
            st.caption(f"Training with inputs *{inputs.MODES.get(running, '')}*…")

    live.view(INPUTS_JOB, draw, idle="Press the button: the same MLP, the same start, four ways of scaling "
                                     "its inputs.", show_controls=True)


def _mode_result(mode: str, e: dict) -> str:
    if e["status"] == "diverged":
        return f"**{inputs.MODES[mode]}**: diverged (loss → NaN)"
    accs = ", ".join(f"{a:.1%}" for a in e["epoch_accuracy"])
    return f"**{inputs.MODES[mode]}**: test {accs} after epoch{'s' if len(e['epoch_accuracy']) > 1 else ''} 1–2"


# --------------------------------------------------------------------------- ③ batch norm, seen

def seen_section(k, data: FashionMNIST, s: dict) -> None:
    settings = bs.SeenSettings(activation=s["act"], init=s["init"], seed=int(s["seed"]))
    c1, c2, c3 = st.columns([0.3, 0.3, 0.4], vertical_alignment="bottom")
    c1.selectbox("Activation", list(bs.ACTS), key=k("act"), format_func=ACT_LABELS.get)
    c2.selectbox("Initialization", list(bs.INITS), key=k("init"), format_func=INIT_LABELS.get)
    with c3:
        if live.start_button(SEEN_JOB, "Train without, then with batch norm", type="primary",
                             help=f"{bs.DEPTH} hidden layers of {bs.WIDTH} units, {bs.EPOCHS} epochs on "
                                  f"{bs.N_TRAIN:,} images each: about 3 s on one CPU core."):
            live.start(SEEN_JOB, "batch norm, seen",
                       lambda job, st_=settings: bs.compare(st_, data, on_event=job.emit, control=job.control))

    def draw(job, reader):
        runs = {"without batch norm": {"steps": [], "mean": [], "std": []},
                "with batch norm": {"steps": [], "mean": [], "std": []}}
        finals = {}
        for e in job.events():
            name = "with batch norm" if e.get("bn") else "without batch norm"
            if e.get("kind") == "layers":
                r = runs[name]
                r["steps"].append(e["step"]), r["mean"].append(e["mean"]), r["std"].append(e["std"])
            elif e.get("kind") == "seen_done":
                finals[name] = e
        plotly_chart(figs.layer_stats_figure(runs), key=k("seen_chart"))
        if finals:
            st.markdown(" · ".join(
                f"**{n}**: test accuracy {e['test_accuracy']:.1%} after {bs.EPOCHS} epochs"
                if e["status"] != "diverged" and math.isfinite(e["test_accuracy"]) else f"**{n}**: diverged"
                for n, e in finals.items()))

    live.view(SEEN_JOB, draw, idle="Press the button to watch every layer's activations while the network trains.")
    c1, c2 = st.columns([0.72, 0.28], vertical_alignment="center")
    c1.caption(f"Before training, *{PAGES['initialization'].title}* shows the same measure, each layer's spread, "
               "for one initialization at a time. Batch norm makes the network far less sensitive to that choice: "
               "try the sigmoid with the default initialization, then He.")
    with c2:
        st.page_link(PAGES["initialization"].file, label=f"Open {PAGES['initialization'].title}",
                     icon=":material/arrow_forward:")
