"""The toy-data controls of the pages that train on 2D points (2 · boundaries, 3 · learning): one
sidebar section and its URL fields, so both pages read the same dataset the same way."""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import streamlit as st

from fmnist_core.engine import url_state as us


def url_fields(names: Iterable[str], default: str = "xor", points: int = 400) -> dict:
    """The data's link parameters: dataset, noise, points, test share, seed."""
    return {
        "dataset": us.Choice(default, tuple(names)),
        "noise": us.Float(0.2, 0.0, 1.0),
        "points": us.Int(points, 20, 2000),
        "test": us.Float(0.5, 0.1, 0.9),
        "seed": us.Int(0, 0, 9999),
    }


def data_section(k: Callable[[str], str], labels: Mapping[str, str], *, title: str = "Data",
                 fixed: Iterable[str] = ()) -> None:
    """The sidebar's data section (call inside `with st.sidebar:`); `k` makes the page's widget keys.
    Datasets named in `fixed` (e.g. only the student's own points) have no noise, size or split to set."""
    st.subheader(title)
    st.selectbox("Dataset", list(labels), key=k("dataset"), format_func=labels.get)
    locked = st.session_state[k("dataset")] in set(fixed)
    st.slider("Noise (std of each coordinate)", 0.0, 1.0, step=0.05, key=k("noise"), disabled=locked)
    st.slider("Points", 20, 2000, step=10, key=k("points"), disabled=locked)
    st.slider("Share kept for testing", 0.1, 0.9, step=0.05, key=k("test"), disabled=locked)
    st.number_input("Seed", 0, 9999, step=1, key=k("seed"))
