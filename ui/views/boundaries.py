"""The boundary page's detailed views at the shown epoch (sections 2 and 3, drawn while the player
replays): each unit's output over the plane, the encoding with its separability, and the learner's
sentences around them."""
from __future__ import annotations

import streamlit as st

from fmnist_core.toy.features import FEATURES, PLAIN, all_linear, featurize
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.plane import linear_accuracy, pca_2d, unit_maps
from fmnist_core.toy.data import ToyData

from ui.figures import boundaries as bf
from ui.kit.widgets import plotly_chart


def inputs_text(features) -> str:
    return ", ".join(FEATURES[f].label for f in features)


def units_section(net: PackedMLP | None, data: ToyData, hidden, surrogate: bool, lecture: bool, key: str) -> None:
    """Section 2: the unit lines explained, each unit's output over the plane (when `net` is given)."""
    st.header("2 · Each hidden unit is a line")
    features = net.features if net is not None else PLAIN
    if net is not None:
        left, right = st.columns([3, 2])
        with right:
            st.markdown("**Each unit's output over the plane**" + (" (layer.unit)" if len(hidden) > 1 else "")
                        + "  \n:green[green: positive] · white: 0 · :violet[purple: negative]")
        with left:
            plotly_chart(bf.thumbnails_figure(unit_maps(net, data.extent, 40)), f"{key}_thumbs_chart")
    st.caption(
        "Each unit of the first hidden layer draws the line where **w₁x₁ + w₂x₂ + b = 0** (the panel *Each hidden "
        "unit's line* above); the arrow points to the side where that sum is positive (where a step unit fires, "
        "where a tanh unit is above 0). The squares show each unit's output over the same plane, green where it "
        "is positive: the boundary is built from these pieces."
        + (" Units of the second and third layers combine lines, so their squares show curves." if len(hidden) > 1
           else "")
        + ("" if all_linear(features) else
           f" Here the units read {inputs_text(features)}: a sum of such inputs is zero along a **curve** "
           "(a circle, a hyperbola, a wave), so each square shows a curved edge.")
    )
    if surrogate:
        st.info(
            "**The step has slope 0 everywhere** (and none at 0), so backpropagation gets no signal through it. "
            + ("Here the hidden layer is **set by hand to the lecture's two lines** and only the output unit "
               "learns." if lecture else
               "So that its lines can still move, this page trains the hidden layers with a stand-in slope, "
               "that of a steep sigmoid, while the forward pass stays a true step (the *straight-through* "
               "trick). For XOR with 2 units you can instead fix the lecture's lines (sidebar)."),
            icon="ℹ️")


def encoding_section(net: PackedMLP | None, data: ToyData, hidden, dataset: str, surrogate: bool, key: str) -> None:
    """Section 3: the training points at the last hidden layer, and how well one line separates them."""
    st.header("3 · The encoding: the points as the hidden units see them")
    if net is None or len(data.x_train) < 2:
        st.caption("Pause to see the encoding of the shown epoch in detail (and in 3D for three units).")
        return
    enc = net.hidden_outputs(data.x_train)[-1].cpu().numpy()
    h = enc.shape[1]
    v, c = net.layer(0, len(hidden))
    v, c = v.cpu().numpy().reshape(-1), float(c)
    shown_enc, share = (pca_2d(enc) if h >= 4 else (enc, None))
    plain = tuple(net.features) == PLAIN
    lin_in = linear_accuracy(featurize(data.x_train, net.features), data.y_train)
    lin_enc = linear_accuracy(enc, data.y_train)
    left, right = st.columns([3, 2])
    with left:
        plotly_chart(bf.encoding_figure(shown_enc, data.y_train.cpu().numpy(), v, c, share), f"{key}_encoding_chart")
    with right:
        st.markdown("**How many points one straight line separates**")
        a, b = st.columns(2)
        a.metric("Input plane" if plain else "Input features", f"{lin_in:.0%}",
                 help="Training accuracy of the best straight line (logistic regression) on the inputs: "
                      f"{inputs_text(net.features)}.")
        b.metric("Hidden space", f"{lin_enc:.0%}",
                 help="Training accuracy of the best straight line (hyperplane) on the hidden outputs.")
        layer_name = "the last hidden layer" if len(hidden) > 1 else "the hidden layer"
        where = {1: "a₁ across (one row per class); the dashed line is the output unit's threshold",
                 2: "(a₁, a₂); the dashed line is where the output unit's sum is 0",
                 3: "(a₁, a₂, a₃); the grey plane is where the output unit's sum is 0"}.get(
            h, f"the two directions in which the {h} outputs vary most (PCA); the output unit's hyperplane lives "
               f"in all {h} dimensions, so it is not drawn")
        st.markdown(
            f"Each training point, re-drawn at the outputs of {layer_name}: {where}. The output unit is again a "
            "linear classifier, so the network is right exactly where **one straight line separates the "
            "encoding**.")
        if not plain and lin_in > 0.98:
            st.markdown(f"With the inputs {inputs_text(net.features)}, **one straight line already separates the "
                        "points**: the right features make a linear model enough.")
        if dataset == "xor" and h == 2:
            st.markdown(
                "With two units on XOR, red points go where **exactly one unit fires** ((0, 1) or (1, 0)) and blue "
                "points where **both fire** (1, 1): in the new encoding one line separates them, which no single "
                "line can do in the input plane.")
        if surrogate:
            st.caption("A step outputs only 0 or 1, so the points collapse onto the corners (counts on the "
                       "corners). With tanh or ReLU each point keeps its own position: more information is kept, "
                       "one reason steps are not used in hidden layers.")
        else:
            st.caption("With a step the points would collapse onto the corners; this activation keeps each point "
                       "at its own position, so more information survives.")
