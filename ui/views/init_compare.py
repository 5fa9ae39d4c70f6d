"""The initialization page's comparison (tab ④): its controls and live job, and the view `ui.kit.live.view`
draws from the job's events: the loss curves, a table of the runs, and each run's gradients and
symmetry during training. The curves are ui.kit.live_chart charts: they grow at display rate between polls."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.engine.optim import OPTIMIZERS
from fmnist_core.initialization import compare as init_compare, stats as init_stats
from fmnist_core.initialization.settings import OPT_LRS
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.weight_init import INITS, SYMMETRIC

from ui.figures import initialization as figs
from ui.views import init_text
from ui.kit import live, live_chart, tabs
from ui.kit.widgets import keys


def opt_label(name: str) -> str:
    return f"{OPTIMIZERS[name].label}, lr {OPT_LRS[name]:g}"


def job_labels(page: str) -> list[str]:
    """The initializers' names as the comparison was started."""
    return st.session_state.get(keys(page)("job_labels"), [])


def train_tab(page: str, data: init_compare.DiagData, depth: int, width: int, act: str, params: dict) -> None:
    """Pick 2 to 5 initializers and an optimizer; train them one after another as a live job, and compare.
    The network is the page's (`depth` x `width` `act` units); `params`: its initializer parameters."""
    key, bound = keys(page), tabs.binder(page)
    job_key = key("job")
    running = live.running(job_key)
    c = st.columns([2.2, 1, 1.4])
    with c[0]:
        bound(st.multiselect, "cmp", "Initializers to compare (2 to 5)", list(INITS),
              format_func=lambda n: init_text.init_label(n, params), max_selections=5, disabled=running)
    with c[1]:
        bound(st.slider, "secs", "Seconds each", 2, 15, disabled=running)
    with c[2]:
        bound(st.radio, "opt", "Optimizer", list(OPT_LRS), format_func=opt_label, disabled=running)
    chosen = list(st.session_state[key("cmp")])
    secs = int(st.session_state[key("secs")])
    b = st.columns([1, 3])
    with b[0]:
        start = live.start_button(job_key, "▶ Train them", disabled=running or not 2 <= len(chosen) <= 5,
                                  button_key=key("start"), notice=False, type="primary", width="stretch")
    b[1].caption(f"The same {depth} × {width} {ACTIVATIONS[act].label} network and the same batches, once per "
                 f"initializer, {secs} s each (about {len(chosen) * (secs + 1)} s in all), one after another. "
                 "A run whose loss becomes NaN or infinite is stopped and reported.")
    if len(chosen) < 2:
        st.warning("Pick at least 2 initializers to compare.")
    live.elsewhere_notice(job_key)
    if start:
        opt_name = st.session_state[key("opt")]
        cfg = init_compare.CompareConfig(inits=tuple(chosen), depth=depth, width=width, activation=act,
                                         init_params=tuple(sorted(params.items())), optimizer=opt_name,
                                         lr=OPT_LRS[opt_name], budget=float(secs))
        st.session_state[key("job_labels")] = [init_text.init_label(n, params) for n in chosen]
        st.session_state[key("job_depth")] = depth
        live.start(job_key, "init comparison",
                   lambda job, cfg=cfg, data=data: init_compare.compare_inits(cfg, data, job.emit, job.control))
    live.view(job_key, lambda job, reader: comparison_view(job, reader, job_labels(page),
                                                           st.session_state.get(key("job_depth"), depth), page),
              idle="Press **Train them** to watch the loss curves side by side.", controls_key=key("ctl"))


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
