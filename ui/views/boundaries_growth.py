"""Section 4 of the boundary page, the growth grid: the same data and seed trained with 1 to 32 units per
hidden layer. It trains as a short job (ui/kit/live.py, fmnist_core.engine.jobs.SHORT: ~0.3 s, at most
~1-3 s), so a long grid never holds up the page or the live player above it; every session shares the
grids trained so far (a class on one preset trains it once)."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable

import streamlit as st

from fmnist_core.engine.jobs import SHORT
from fmnist_core.engine.loop import TrainControl
from fmnist_core.toy.data import ToyData
from fmnist_core.toy.packed import GROWTH_WIDTHS, GrowthResult

from ui.figures import boundaries as bf
from ui.kit import live
from ui.kit.widgets import plotly_chart

MAX_GRIDS = 32  # grids kept for all sessions (~0.3 MB each)
WAIT_S = 0.5  # a new grid is waited for this long before the page goes on without it (most take ~0.3 s)
RES = 100  # each small boundary at 100x100 points


class Grids:
    """The last `MAX_GRIDS` grids by their settings, shared by the sessions and their jobs' threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._grids: OrderedDict[tuple, dict] = OrderedDict()

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            if key in self._grids:
                self._grids.move_to_end(key)
            return self._grids.get(key)

    def put(self, key: tuple, grid: dict) -> None:
        with self._lock:
            self._grids[key] = grid
            while len(self._grids) > MAX_GRIDS:
                self._grids.popitem(last=False)


@st.cache_resource
def shared_grids() -> Grids:
    return Grids()


def _job_key(prefix: str, key: tuple) -> str:
    """One job key per grid: a reload, or a second tab, finds the job training the same grid."""
    return f"{prefix}_growth_{hashlib.sha1(repr(key).encode()).hexdigest()[:12]}"


def _trained(key: tuple, grids: Grids, train: Callable[[TrainControl], GrowthResult | None], extent: float,
             control: TrainControl) -> dict | None:
    """The job's work: the grid (what the section draws), kept for everyone; None when stopped."""
    if (done := grids.get(key)) is not None:  # another session's job trained it meanwhile
        return done
    g = train(control)
    if g is None:
        return None
    grid = dict(probs=g.probabilities(extent, RES), train_acc=g.train_acc, test_acc=g.test_acc, seconds=g.seconds,
                packed=g.packed)
    grids.put(key, grid)
    return grid


def grid(key: tuple, train: Callable[[TrainControl], GrowthResult | None], extent: float, prefix: str) -> dict | None:
    """The grid for the settings `key`: shared, else trained by a job (started here when none trains it);
    None while it trains: then a polling view says so and redraws the page once it is done."""
    grids, job_key = shared_grids(), _job_key(prefix, key)
    before = st.session_state.get(f"{prefix}_growth_job")
    if before != job_key:  # the settings changed: an unfinished grid of the old ones is not wanted
        if before:
            live.forget(before, wait=0)  # a grid job blocks nothing: the page need not wait for it
        st.session_state[f"{prefix}_growth_job"] = job_key
    if (g := grids.get(key)) is not None:
        return g
    job = live.current(job_key)
    if job is None or job.state == "cancelled" or (job.state == "done" and job.result is None):
        job = live.start(job_key, "growth grid", lambda job: _trained(key, grids, train, extent, job.control),
                         kind=SHORT)
        if job is not None:
            job.wait(WAIT_S)
    if job is not None and job.state == "done" and job.result is not None:
        return job.result
    live.view(job_key, lambda job, _: st.caption(f"Training the {len(GROWTH_WIDTHS)} networks…"),
              show_controls=False)
    return None


def growth_charts(g: dict, data: ToyData, prefix: str, device_name: str) -> None:
    """The small boundaries side by side, then accuracy against width, the best test accuracy and the time."""
    plotly_chart(bf.growth_figure(g["probs"], GROWTH_WIDTHS, data.extent, data.x_train, data.y_train,
                                  g["train_acc"], g["test_acc"]), f"{prefix}_growth_chart")
    left, right = st.columns([3, 2])
    with left:
        plotly_chart(bf.growth_accuracy_figure(GROWTH_WIDTHS, g["train_acc"], g["test_acc"]),
                     f"{prefix}_growth_acc_chart")
    with right:
        best = int(GROWTH_WIDTHS[int(g["test_acc"].argmax())])
        st.metric("Best test accuracy", f"{g['test_acc'].max():.1%}", help=f"reached with {best} units")
        st.caption(
            f"All {len(GROWTH_WIDTHS)} networks trained in **{g['seconds']:.2f} s** on `{device_name}`"
            + (", packed side by side into one wide network whose weights never cross between them (each learns "
               "exactly as it would alone)." if g["packed"] else ", one after another.")
            + " Try *Overfitting* at the top (30 noisy training points), then *Overfitting, cured by L2*.")
