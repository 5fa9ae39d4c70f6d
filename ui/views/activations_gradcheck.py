"""The activation page's BReLU check: its hand-written backward against finite differences
(`torch.autograd.gradcheck`), at new random points on request, and the code being checked."""
from __future__ import annotations

import inspect

import streamlit as st

from fmnist_core.basics import activation_lab as lab
from fmnist_core.nn.activations import BReLUFunction
from ui.figures import activations as figs


@st.cache_data(max_entries=64, show_spinner=False)
def cached_gradcheck(seed: int) -> dict:
    return lab.gradcheck_activation("brelu", n=12, units=2, seed=seed)


@st.fragment
def gradcheck_section(key: str) -> None:
    """The check's verdict, a button for new points, the code, and the two gradients plotted (`key` prefixes the keys)."""
    seed_key = f"{key}_gradcheck_seed"
    st.session_state.setdefault(seed_key, 0)
    g1, g2 = st.columns([2, 3])
    with g1:
        if st.button("🎲 Check again at new random points", key=f"{key}_gradcheck_again"):
            st.session_state[seed_key] += 1
        check = cached_gradcheck(st.session_state[seed_key])
        if check["passed"]:
            st.success(f"**gradcheck passed** on {check['points']} points (float64).  \n"
                       f"Largest |hand-written − numerical| gradient: **{check['max_abs_diff']:.1e}**")
        else:
            st.error(f"**gradcheck failed**: {check['error']}  \n"
                     f"Largest |hand-written − numerical| gradient: {check['max_abs_diff']:.1e}")
        with st.expander("The code being checked"):
            st.code(inspect.getsource(BReLUFunction), language="python")
    with g2:
        st.plotly_chart(figs.gradcheck_figure(check), key=f"{key}_gradcheck_fig")
