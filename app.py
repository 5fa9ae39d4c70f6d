"""Neural networks, seen happen: the dashboard's router and shared sidebar."""
import streamlit as st
import torch

from fmnist_core.engine.device import set_threads, tune_allocator
from ui.views import lessons
from ui.kit import presenter
from ui.kit.common import sidebar_status
from ui.kit.identity import keep_cookie

presenter.read_link()
st.set_page_config(page_title="Neural networks, seen happen", page_icon=":material/neurology:", layout="wide",
                   initial_sidebar_state=presenter.sidebar_state())
presenter.install()


@st.cache_resource
def _configure_torch() -> int:
    # One intra-op thread beside the web server: 5-10x faster than two on a 2-core machine.
    tune_allocator()
    return set_threads(beside_server=True)


_configure_torch()

# Projector-friendly: less empty space above each page's title.
st.markdown("<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}</style>", unsafe_allow_html=True)

PAGES = [
    st.Page("pages/home.py", title="Start here", icon=":material/home:", default=True),
    st.Page("pages/activations.py", title="1 · Neurons & activations", icon=":material/bolt:"),
    st.Page("pages/boundaries.py", title="2 · Decision boundaries", icon=":material/scatter_plot:"),
    st.Page("pages/learning.py", title="3 · How a network learns", icon=":material/school:"),
    st.Page("pages/initialization.py", title="4 · Weight initialization", icon=":material/casino:"),
    st.Page("pages/optimizers.py", title="5 · Optimizers", icon=":material/sports_score:"),
    st.Page("pages/training.py", title="6 · Train on Fashion-MNIST", icon=":material/checkroom:"),
    st.Page("pages/layers.py", title="7 · What each layer learns", icon=":material/layers:"),
    st.Page("pages/sketch.py", title="8 · Draw a garment", icon=":material/draw:"),
    st.Page("pages/lessons.py", title="Lessons", icon=":material/menu_book:"),
]
nav = st.navigation(PAGES)
presenter.setup()
sidebar_status()
keep_cookie()  # this browser's id in its cookie: its runs and running job survive a reload
lessons.panel(nav.url_path)
lessons.copy_as_step(nav.url_path)
nav.run()
