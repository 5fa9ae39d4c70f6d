"""The activation page's live comparison: which activation trains now, the curves (drawn in the
browser), the results table, the trainable parameters over training, and what to look for."""
from __future__ import annotations

import streamlit as st

from fmnist_core.basics import activation_lab as lab
from fmnist_core.nn.activations import ACTIVATIONS
from ui.figures import activations as figs
from ui.kit import live_chart

COLUMNS = {  # the results table's columns
    "activation": st.column_config.TextColumn(width="medium"),
    "status": st.column_config.TextColumn(width="small"),
    "test accuracy": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f"),
    "train loss": st.column_config.NumberColumn(width="small", format="%.3f"),
    "epochs": st.column_config.NumberColumn(width="small"),
    "seconds": st.column_config.NumberColumn(width="small"),
    "hidden weights moved": st.column_config.NumberColumn(
        format="%.3f", help="‖W₁ − W₁(start)‖ / ‖W₁(start)‖ for the first layer's weights"),
    "learned parameters": st.column_config.TextColumn(
        width="large", help="mean over the units of every hidden layer at the end"),
}


def compare_view(job, reader, key: str) -> None:
    """The comparison so far (a live.view draw function; `key` prefixes its element keys)."""
    events = reader.history  # every event once, without numpy payloads (the comparison sends none)
    last = events[-1] if events else None
    if job.state == "running" and last is not None:
        frac = (last["index"] + (last.get("progress", 0.0) if last["kind"] != "result" else 1.0)) / last["of"]
        st.progress(min(frac, 1.0), text=f"Training **{ACTIVATIONS[last['activation']].label}** "
                                         f"({last['index'] + 1} of {last['of']})")
    series = lab.training_series(reader)
    if not series:
        return
    start_ev = next((e for e in events if e["kind"] == "start"), {})
    # Drawn in the browser: the curves grow at display rate between polls (ui/kit/live_chart.py).
    live_chart.show(f"{key}_train_chart", figs.training_chart(series, start_ev.get("budget")), run=job.id,
                    live=job.active)
    st.dataframe(lab.results_table(reader), hide_index=True, width="stretch", column_config=COLUMNS)
    st.caption(
        "**What to look for:** how fast each loss falls in the first seconds (the sigmoid's slope of at "
        "most 0.25 slows it), where the test accuracy ends, and how far the first layer's weights moved "
        "from their start. Each run gets the same seconds, so a cheaper activation also sees more images."
    )
    traces = lab.parameter_traces(reader)
    if traces:
        st.markdown("**Trainable activation parameters over training** (line: mean over the units of "
                    "each hidden layer; band: 10th–90th percentile of the units)")
        st.plotly_chart(figs.parameter_figure(traces), key=f"{key}_param_fig")
    started = {e["activation"]: e for e in events if e["kind"] == "start"}
    if "softexp" in started and started["softexp"]["params"].get("alpha", 0.0) < 0:
        st.caption(
            "**SoftExponential with α < 0** is a logarithm, defined only for x > 1/α − α; inputs "
            "below that are held at the edge value and pass no gradient, so it learns slowly. "
            "Start it at α = 0 (the identity) and let each unit find its own α."
        )
    if "step" in series:
        st.caption(
            "**Step:** its hidden weights moved 0: no gradient reaches them. Only the output layer, "
            "which has no step after it, learns, on a fixed random 0/1 code of the image; that is "
            "why it stays far below the others."
        )
