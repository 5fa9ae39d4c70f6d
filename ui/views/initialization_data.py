"""The initialization page's data and measurements, cached: each toy set once per process, a report
and a symmetry run per setting (the symmetry run alone costs ~0.3 s)."""
from __future__ import annotations

import streamlit as st

from fmnist_core.initialization import compare, report as init_report, symmetry
from ui.kit.common import dataset


@st.cache_resource(show_spinner=False)
def _toy(name: str) -> compare.DiagData:
    return compare.toy_data(name)


def get_data(name: str) -> compare.DiagData | None:
    """A toy 2D set, or "fashion": None when Fashion-MNIST is not on this machine."""
    if name != "fashion":
        return _toy(name)
    data = dataset()
    return None if data is None else compare.fashion_data(data)


@st.cache_data(max_entries=64, show_spinner=False)
def report(data_name: str, depth: int, width: int, act: str, init: str, params: tuple) -> init_report.InitReport:
    """What the network looks like at initialization; `params`: the initializer's, as sorted (name, value) pairs."""
    return init_report.init_report(get_data(data_name), depth, width, act, init, **dict(params))


@st.cache_data(max_entries=32, show_spinner=False)
def symmetry_run(data_name: str, depth: int, width: int, act: str, init: str, params: tuple) -> symmetry.SymmetryRun:
    """A short training of the network, measuring how alike its units stay."""
    return symmetry.symmetry_run(get_data(data_name), depth, width, act, init, **dict(params))
