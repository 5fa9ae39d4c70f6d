"""Neural networks, seen happen: the dashboard's router and shared sidebar."""
import streamlit as st
import torch

from fmnist_core.engine.device import set_threads, tune_allocator
from ui.views import lessons
from ui.views.page_registry import PAGES
from ui.kit import a11y, presenter
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

nav = st.navigation([st.Page(e.file, title=e.title, icon=e.icon, default=e.default) for e in PAGES.values()])
presenter.setup()
sidebar_status()
keep_cookie()  # this browser's id in its cookie: its runs and running job survive a reload
a11y.install()  # WCAG AA contrast for captions, a tab stop for each equation that scrolls sideways
lessons.panel(nav.url_path)
lessons.copy_as_step(nav.url_path)
nav.run()
