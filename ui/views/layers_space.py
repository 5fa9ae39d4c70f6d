"""The layers page's map of the feature space: test images placed by their raw pixels and by the last
hidden layer, side by side, with the drawing from page 8 as a star; a click picks a test image."""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.inside import feature_map as fmap
from ui.figures import layers as lf
from ui.kit.widgets import plotly_chart, selected_points
from ui.views.layers_data import tsne_maps


def positions(md: dict, method: str, digest: str, drawing: dict | None) -> tuple[dict | None, dict | None]:
    """({"pixels", "features": (N, 2)} map coordinates, the drawing's (2,) star on each map or None);
    (None, None) while the t-SNE maps are not computed."""
    if method == "pca":
        coords = {k: md[f"pca_{k}"].coords for k in ("pixels", "features")}
        stars = None if drawing is None else {k: md[f"pca_{k}"].project(drawing[k])[0] for k in coords}
        return coords, stars
    tsne = tsne_maps(digest)
    if tsne is None:
        return None, None
    coords = {k: tsne[k] for k in ("pixels", "features")}
    stars = None if drawing is None else {k: fmap.place(md[k], tsne[k], drawing[k])[0] for k in coords}
    return coords, stars


def maps(md: dict, coords: dict, stars: dict | None) -> int | None:
    """The two maps side by side; the test image (index) of the dot last clicked, None without a click."""
    picked = None
    titles = ("Raw pixels (784 numbers per image)", f"Last hidden layer ({md['features'].shape[1]} numbers)")
    for col, k, title in zip(st.columns(2, gap="medium"), ("pixels", "features"), titles):
        with col:
            event = plotly_chart(lf.map_figure(coords[k], md["labels"], md["idx"], title,
                                               None if stars is None else stars[k], legend=k == "features"),
                                 key=f"layers_map_{k}", on_select="rerun", selection_mode="points")
            points = selected_points(event)
            if points and points[0].get("customdata") is not None:
                picked = int(np.ravel(points[0]["customdata"])[0])
    return picked
