"""The initialization page's live comparison (tab ④), drawn by `ui.kit.live.view` from the job's events:
the loss curves, a table of the runs, and each run's gradients and symmetry during training. The
curves are ui.kit.live_chart charts: they grow at display rate between polls."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.initialization import compare as init_compare, stats as init_stats
from fmnist_core.nn.weight_init import SYMMETRIC

from ui.figures import initialization as figs
from ui.views import init_text
from ui.kit import live_chart


def comparison_view(job, reader, labels: Sequence[str], depth: int, key: str) -> None:
    """The comparison so far: loss curves, a table, gradients and symmetry during training. `labels`:
    the initializers' names as the job was started, `depth`: its hidden layers; widget keys start with `key`."""
    runs = init_compare.comparison_curves(reader)
    if not runs:
        return
    names = [labels[i] if i < len(labels) else r.init for i, r in enumerate(runs)]
    current = runs[-1]
    if job.active:
        last = current.steps[-1] if len(current.steps) else 0
        st.caption(f"Training {len(runs)} of {len(labels)}: **{names[-1]}**, step {last}.")
    for r, n in zip(runs, names):
        if r.status == "diverged":
            st.error(f"**{n}**: {r.message}.")
    # Drawn in the browser: the curves grow at display rate between polls (ui/kit/live_chart.py).
    live_chart.show(f"{key}_loss_chart", figs.loss_chart(runs, names, title="Training loss, one curve per initializer"),
                    run=job.id, live=job.active)
    rows = [{"initializer": n,
             "status": f"diverged at step {r.diverged_at}" if r.status == "diverged" else r.status,
             "steps": r.diverged_at if r.diverged_at else (int(r.steps[-1]) if len(r.steps) else 0),
             "last loss": f"{r.loss[-1]:.3g}" if len(r.loss) and r.status != "diverged" else "NaN",
             "test accuracy": "–" if np.isnan(r.test_accuracy) else f"{r.test_accuracy:.1%}"}
            for r, n in zip(runs, names)]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{key}_table")
    left, right = st.columns(2)
    with left:
        pick = st.selectbox("Gradients during training of", range(len(runs)), format_func=lambda i: names[i],
                            index=len(runs) - 1, key=f"{key}_grad_run")
        r = runs[pick]
        if len(r.grad_steps):
            live_chart.show(f"{key}_fig_grad_lines",
                            figs.gradient_chart(r.grad_steps, r.grad_norms, init_stats.layer_names(depth),
                                                title=f"Gradient norm per layer: {names[pick]}"),
                            run=f"{job.id}-{pick}", live=job.active)
            v = init_stats.name_gradient_flow(r.grad_norms[-1])
            st.caption(f"Latest step: {init_text.gradient_sentence(v)}")
        else:
            st.caption("No gradient norms yet (a run that diverged at once has none).")
    with right:
        sym_runs = [(n, r) for n, r in zip(names, runs) if r.init in SYMMETRIC and len(r.sym_steps)]
        if sym_runs:
            n, r = sym_runs[0]
            live_chart.show(f"{key}_fig_cmp_sym",
                            figs.symmetry_chart(r.sym_steps, r.symmetry, title=f"Symmetry during training: {n}"),
                            run=f"{job.id}-{n}", live=job.active)
        else:
            st.caption("Add *All zeros* or *Constant c* to the comparison to watch the symmetry measure "
                       "(tab ③) stay at 0 while it trains.")
    st.caption("Loss is the mean over the last 5 steps. A run is **diverged** when its loss becomes NaN or "
               "infinite; its curve stops there, marked ✖. Test accuracy: the first "
               f"{init_compare.EVAL_SIZE:,} test inputs.")


def background_view(job, reader, labels: Sequence[str]) -> None:
    """Above the tabs while tab ④ is closed: keeps the comparison alive (its heartbeat) and says so."""
    if job.active:
        st.caption(f"⏳ Training in the background ({len(init_compare.comparison_curves(reader))} of "
                   f"{len(labels)} initializers); tab ④ shows it live.")
