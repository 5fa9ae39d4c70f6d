"""The optimizers page's surfaces and races, cached: the small network trained once per process, a
surface and its grid per setting, a race per setting, the mini-batch problem's measurements."""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S


@st.cache_resource(show_spinner="Training the small network once…")
def toy() -> S.TrainedToy:
    """The boundary page's small network: 2 -> 8 tanh -> 1 on moons."""
    return S.train_toy()


@st.cache_resource(show_spinner=False, max_entries=8)
def surface(name: str, kappa: float, dirs: str, dseed: int, wi: int, wj: int) -> S.Surface:
    """An analytic surface, or ("network") a 2D slice through the small network's loss."""
    if name != "network":
        return S.make_surface(name, kappa=kappa)
    return S.network_slice(toy(), dirs, dseed, wi, wj)


@st.cache_data(show_spinner=False, max_entries=16)
def grid(key: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, z) of `surface(*key)` for the map."""
    return surface(*key).grid(100 if key[0] != "network" else 50)


@st.cache_data(show_spinner="Racing…", max_entries=16)
def run_race(key: tuple, names: tuple, start: tuple, steps: int, lr: float, lra: float, hyper: tuple):
    """Each optimizer's path on `surface(*key)` (race.race); `hyper`: (name, value) pairs."""
    return R.race(surface(*key), names, start, steps, lr, lra, **dict(hyper))


@st.cache_data(show_spinner=False)
def gradient_noise(start: tuple) -> R.GradientNoise:
    """200 batch gradients of each size at `start`, beside the true one."""
    return R.gradient_noise(R.logistic_problem(), start, (1, 8, 64), samples=200)


@st.cache_data(show_spinner="Running SGD with each batch size…", max_entries=8)
def batch_runs(start: tuple, lr: float, steps: int) -> list[R.BatchRun]:
    """Plain SGD with batches of 1, 8, 64 and the full batch."""
    return R.sgd_with_batches(R.logistic_problem(), start, (1, 8, 64, 0), lr, steps)


@st.cache_data(show_spinner=False)
def logistic_grid():
    return R.LogisticSurface(R.logistic_problem()).grid(80)
