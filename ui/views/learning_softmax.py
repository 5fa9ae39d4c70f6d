"""The learning page's softmax section: the bundled MLP's logits for a test image, softmax at a
temperature, the one-hot target and cross-entropy, every number in a table."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from fmnist_core.basics.class_scores import class_scores
from fmnist_core.fashion.checkpoint import CheckpointError
from fmnist_core.fashion.dataset import CLASS_NAMES, FashionMNIST
from fmnist_core.inside.explain import ASSETS
from ui.figures import learning as lf
from ui.kit import checkpoints
from ui.kit.widgets import plotly_chart

MODEL = ASSETS / "mlp.pt"  # the bundled classic MLP


def softmax_section(k: Callable[[str], str], fm: FashionMNIST, temperatures: tuple[str, ...]) -> None:
    """A test image (widget k("img")), a temperature (k("temp")) and what softmax makes of the model's logits."""
    try:
        model, meta = checkpoints.load(MODEL)
    except (CheckpointError, OSError) as e:
        st.error(f"The bundled model could not be loaded: {e}")
        return
    c1, c2, c3 = st.columns([1, 1, 3])
    c1.number_input("Test image", 0, len(fm.test_labels) - 1, key=k("img"))
    c2.select_slider("Temperature T", temperatures, key=k("temp"))
    i, T = int(st.session_state[k("img")]), float(st.session_state[k("temp")])
    img, label = fm.test_images[i].cpu(), int(fm.test_labels[i])
    c1.image(img.numpy(), width=112, caption=f"true class {label}: {CLASS_NAMES[label]}",
             alt=f"Test image {i}, a {CLASS_NAMES[label]}, 28 by 28 grey pixels")
    s = class_scores(model, meta["normalization"], img, label, T)
    sm, sm1 = s.soft, s.soft_t1
    with c3:
        st.markdown(
            f"The last layer has **one output unit per class** (10). Its raw scores, the **logits** z, become "
            f"probabilities by **softmax**: p_k = exp(z_k/T) / Σ_j exp(z_j/T). The highest is the prediction: "
            f"**{CLASS_NAMES[sm.prediction]}** (p = {sm.probs[sm.prediction]:.3f}). The target is **one-hot**: "
            f"class {label} → `{''.join(str(int(t)) for t in s.target)}`. Cross-entropy keeps only the true "
            f"class: **L = −log p({CLASS_NAMES[label]}) = −log {sm1.probs[label]:.4f} = "
            f"{sm1.cross_entropy(label):.4f}** (at T = 1).")
        plotly_chart(lf.softmax_figure([n.split("/")[0] for n in CLASS_NAMES], sm.probs, sm1.probs, label, T),
                     k("softmax_chart"))
    table = pd.DataFrame({"class": CLASS_NAMES, "logit z": s.logits, "z / T": sm.scaled,
                          "exp(z/T)" + (" ÷ e^max" if sm.shift else ""): sm.exp, "p": sm.probs,
                          "one-hot y": s.target.astype(int)})
    st.dataframe(table.style.format({"logit z": "{:.3f}", "z / T": "{:.3f}", table.columns[3]: "{:.4g}",
                                     "p": "{:.4f}"}), hide_index=True)
    st.caption(f"Sum of the exp column: {sm.total:.4g}; each p is its exp divided by that sum. A small T "
               "sharpens the probabilities towards the top class, a large T flattens them towards 1/10; the "
               f"prediction never changes. Cross-entropy at T = {T:g}: {sm.cross_entropy(label):.4f}. "
               f"Model: the bundled classic MLP ({meta['metrics'].get('test_accuracy', 0):.1%} test accuracy).")
