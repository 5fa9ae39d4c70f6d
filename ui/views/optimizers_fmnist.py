"""The optimizers page's race on Fashion-MNIST (tab ③), drawn by `ui.kit.live.view` from the job's
events: loss and accuracy curves per optimizer, and a table of the finished runs."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.engine.optim import OPTIMIZERS
from fmnist_core.fashion.runs import history_series
from ui.figures.training import curves_chart
from ui.kit import presenter

ROOM_HEIGHT = 270  # px, the whole chart in presenter mode (fits 1280x720 under the label; 300 otherwise)


def race_view(job, reader, names: Sequence[str], key: str) -> None:
    """The race so far; `names`: the optimizers as the job was started, widget keys start with `key`."""
    runs = [(f"{OPTIMIZERS[names[k]].label}", history_series([e for e in reader.history if e.get("run") == k]))
            for k in reader.runs if isinstance(k, int) and k < len(names)]
    if job.active and runs:
        st.container(key=f"{key}_fm_label").caption(f"Training {len(runs)} of {len(names)}: **{runs[-1][0]}**.")
    a, b = st.container(key=f"{key}_fm_charts").columns(2)
    # Presenter mode: larger text, the legend in a row above, lower (the label and both charts on the first screen).
    a.vega_lite_chart(presenter.room_vega(curves_chart(runs, "loss", 0.6, "elapsed", compare=True), ROOM_HEIGHT),
                      key=f"{key}_fm_loss")
    b.vega_lite_chart(presenter.room_vega(curves_chart(runs, "accuracy", 0.6, "elapsed", compare=True), ROOM_HEIGHT),
                      key=f"{key}_fm_acc")
    rows = []
    for k, r in reader.runs.items():
        if isinstance(k, int) and k < len(names) and r.end is not None:
            e = r.end
            rows.append({"optimizer": OPTIMIZERS[names[k]].label, "status": e.get("message", ""),
                         "test accuracy": f"{e['test_accuracy']:.1%}" if np.isfinite(e.get("test_accuracy", np.nan))
                         else "–", "seconds": f"{e.get('train_seconds', 0):.1f}"})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{key}_fm_table")


def background_view(job, reader) -> None:
    """While another tab of this page is open: keeps the race's heartbeat, says where it is."""
    if job.active:
        st.caption("⏳ The Fashion-MNIST race is training in the background; tab ③ shows it live.")
