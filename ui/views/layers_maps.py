"""The layers page's feature maps: which image goes through the CNN (a test image or the drawing from
page 8), and one conv layer's maps as a grid."""
from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from fmnist_core.fashion.dataset import CLASS_NAMES, FashionMNIST
from ui.figures import layers as lf
from ui.kit.widgets import plotly_chart


def input_image(key: Callable[[str], str], data: FashionMNIST, drawing: np.ndarray | None,
                hint: str = "Draw something on page 8 to see your own drawing go through the layers.",
                ) -> tuple[np.ndarray, str]:
    """(uint8 (28, 28) image, its name): the chosen test image, or the drawing when one exists and is chosen;
    `hint` says how to get a drawing when there is none."""
    options = ["test", "drawing"] if drawing is not None else ["test"]
    if st.session_state[key("input")] not in options:
        st.session_state[key("input")] = "test"
    c1, c2 = st.columns([0.5, 0.5])
    if drawing is None:
        c1.caption(hint)
    else:
        c1.radio("Input", options, key=key("input"), horizontal=True,
                 format_func={"test": "a test image", "drawing": "your drawing (page 8)"}.get)
    if st.session_state[key("input")] == "drawing":
        return np.asarray(drawing, np.uint8), "your drawing"
    c2.number_input("Test image (0–9,999)", 0, 9999, key=key("image"), step=1)
    i = st.session_state[key("image")]
    return data.test_images[i].cpu().numpy(), f"test image #{i} ({CLASS_NAMES[int(data.test_labels[i])]})"


def feature_maps(maps: np.ndarray, order: np.ndarray, key: str) -> None:
    """One conv layer's maps (C, H, W) in `order`, 16 a row when small (8 when larger)."""
    per_row = 16 if maps.shape[-1] < 20 else 8
    plotly_chart(lf.maps_figure(maps, order, [f"channel {c}" for c in order], cols=per_row,
                                height=650 // per_row * -(-maps.shape[0] // per_row) + 10), key=key)
