"""10 · Overfitting and its cures: too few images, the train-test gap, and the cures on the real data; the
inputs' normalization; batch norm seen layer by layer."""
from __future__ import annotations

import streamlit as st

from ui.kit import live, presenter
from ui.kit.common import bind_url, ensure_router, require_dataset, show_url_notes, write_url
from ui.kit.widgets import keys
from ui.views import overfitting_extras as extras
from ui.views import overfitting_lab as lab_view
from ui.views.overfitting_url import SCHEMA, VIEWS, lab_settings

ensure_router()
P = "overfitting"
k = keys(P)

show_url_notes(bind_url(P, SCHEMA))
st.title("🩹 Overfitting and its cures")
st.markdown("With few images a network learns **the images themselves**: train accuracy climbs to 100 % while "
            "test accuracy stalls. The gap between them is the *overfit*. Train on a few hundred real "
            "Fashion-MNIST images, watch the gap open, then close it with more data or with the cures.")
data = require_dataset()
st.segmented_control("Part", list(VIEWS), key=k("view"), format_func=VIEWS.get, required=True,
                     label_visibility="collapsed")
s = {name: st.session_state[k(name)] for name in SCHEMA}

if s["view"] == "lab":
    if presenter.active():  # the chart on the projector's first screen; the settings one click away
        with st.expander(f"Settings: {lab_settings(s).label}"):
            lab_view.controls(k)
    else:
        lab_view.controls(k)
    runs = lab_view.kept_runs()
    chart, side = st.columns([0.68, 0.32], gap="large")
    with side:
        st.markdown("**A batch as the network sees it**")
        lab_view.batch_preview(k, data, s)
    with chart:
        b1, b2, b3 = st.columns([0.4, 0.3, 0.3])
        with b1:
            if live.start_button(lab_view.JOB, "Train", type="primary", width="stretch",
                                 help="Adds a run to the chart; earlier runs stay for comparison."):
                lab_view.start(data, s)
        job = live.current(lab_view.JOB)
        b2.button("⏹ Stop", key=k("stop"), width="stretch", disabled=not (job and job.active),
                  on_click=live.stop, args=(lab_view.JOB,))
        b3.button("Clear runs", key=k("clear"), width="stretch", disabled=not runs or bool(job and job.active),
                  on_click=lab_view.clear_runs)
        lab_view.runs_chart(k, runs)
    lab_view.runs_table(runs)
    st.caption("Dashed: accuracy on the run's own training images (no augmentation, no dropout); solid: on the "
               "10,000 test images; the shaded band between them is the gap. A ring marks the epoch early stopping "
               "went back to. Measured on the MLP with 1,000 images over 40 epochs (medians of 3 seeds): every cure "
               "narrows the gap, mostly by lowering train accuracy, while test accuracy moves by a point or two "
               "(batch norm +1.3, dropout +0.8; mirror and shifts −2.6, as an MLP has no notion of neighbouring "
               "pixels). Four times more images add 4.0 points: more data is the strongest cure.")
elif s["view"] == "inputs":
    st.markdown("The network's first layer multiplies each input by a weight. Raw grey levels (0 to 255) make those "
                "sums hundreds of times larger than scaled inputs do: the same story as a bad initialization, told "
                "by the data. Here four MLPs start from the same weights; only the inputs' scale differs.")
    extras.inputs_section(k, data, s)
else:
    st.markdown("Batch normalization re-centres and re-scales each hidden unit over every mini-batch: "
                "x̂ = (x − mean) / std, then γ·x̂ + β, with γ and β learnt; at test time the running averages are "
                "used. Below, a deep MLP (6 layers) trains twice from the same start, without and with it, and each "
                "layer's activations are measured on every 5th mini-batch.")
    extras.seen_section(k, data, s)

write_url(P, SCHEMA)
