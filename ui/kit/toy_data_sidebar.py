"""The toy-data controls of the pages that train on 2D points (2 · boundaries, 3 · learning): one
sidebar section over the link fields of `fmnist_core.toy.data.url_fields`, so both pages read the same
dataset the same way."""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import streamlit as st


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
