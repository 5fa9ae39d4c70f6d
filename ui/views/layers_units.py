"""The layers page's units: the first layer's weights as pictures, and each unit's top images."""
from __future__ import annotations

import numpy as np
import streamlit as st
from torch import nn

from fmnist_core.fashion.dataset import CLASS_NAMES, FashionMNIST
from fmnist_core.inside import layers as L
from ui.figures import layers as lf
from ui.kit.widgets import plotly_chart


def first_layer_weights(model: nn.Module, importance: np.ndarray, conv: bool, key: str) -> tuple[int, int]:
    """The first layer's most important units (or filters) as weight pictures, 8 a row; (shown, all)."""
    order = L.ordered(importance)
    n = min(len(order), 32)  # 8 a row: large enough to read on a projector
    labels = [f"{'channel' if conv else 'unit'} {u} · rank {r + 1}" for r, u in enumerate(order[:n])]
    plotly_chart(lf.weights_figure(L.first_layer_weights(model), order[:n], labels, cols=8,
                                   height=70 * -(-n // 8) + 10), key=key)
    return n, len(order)


def top_images(stats: L.LayerStats, data: FashionMNIST, rf: tuple[int, int, int] | None, n: int) -> None:
    """The n most important units' 9 top test images each, cropped to the receptive field of a conv layer,
    captioned with how many of the 9 are of the unit's most common class."""
    pure, cls = L.purity(stats.top_idx, data.test_labels)
    grid = st.columns(6)
    for i, u in enumerate(L.ordered(stats.importance)[:n]):
        if rf is not None:
            tiles = L.crop_patches(data.test_images, stats.top_idx[u], stats.top_pos[u], rf)
        else:
            tiles = data.test_images[stats.top_idx[u]].cpu().numpy()
        with grid[i % 6]:
            st.image(lf.unit_tile(tiles), width="stretch",
                     alt=f"The 9 test images that make {'channel' if rf else 'unit'} {u} respond most")
            st.caption(f"**{'channel' if rf else 'unit'} {u}** · {round(pure[u] * 9)}/9 {CLASS_NAMES[cls[u]]}")
