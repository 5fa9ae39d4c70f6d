"""The training page's evaluation view: the confusion matrix (click a cell to see its images),
precision and recall per class, the network's answers on 20 test images, its most confident mistakes.

`draw(job, lv)` is what `live.view` polls (every 2 s: evaluations come once per epoch); `idle()`
shows the test images before the first run.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.fashion import metrics
from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.fashion.recipe import LONG_RECIPES, RECIPES

from ui.figures import time_to_accuracy as tta_fig
from ui.figures import training as figs
from ui.kit.common import cached, device, png, test_arrays
from ui.views.training_live import FIGURES

SHORT = [n.replace("T-shirt/top", "T-shirt") for n in CLASS_NAMES]  # fits under a 28-pixel tile


@st.cache_resource(show_spinner=False)
def _sample(device_name: str) -> np.ndarray:
    _, labels = test_arrays()
    rng = np.random.default_rng(0)
    # Two test images of each class, the same ones in every run, so the class sees them change.
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), 2, replace=False) for c in range(10)])


def sample_indices() -> np.ndarray:
    return _sample(str(device()))


def idle() -> None:
    images, labels = test_arrays()
    sample = sample_indices()
    st.info("Press **▶ Start training**. The curves, the confusion matrix and the network's answers appear here "
            "and update while it learns; the settings stay usable.")
    st.markdown("##### 20 of the 10,000 test images, with their true class")
    png(cached(FIGURES, "idle", 0, lambda: figs.png(figs.image_grid(images[sample],
                                                                           [SHORT[i] for i in labels[sample]]))))


def draw(job, lv) -> None:
    """Confusion matrix, precision/recall and the network's answers: they change at each evaluation."""
    if lv.predictions is None:
        if job.active:
            st.info("The confusion matrix and the network's answers appear after the first epoch's test.")
        return
    _, labels = test_arrays()
    probs = lv.probabilities
    if probs is None and not job.active and job.result is not None:
        probs = job.result.probabilities
    where = f"after epoch {lv.eval_epoch:.0f}" if not lv.done else "of the final network"
    _confusion_section(lv.predictions, labels, where, (job.id, lv.n_evals))
    _predictions_section(lv.predictions, probs, labels, (job.id, lv.n_evals, probs is not None))
    if lv.done and job.result is not None:  # this run against the benchmark's curve of the same model
        st.vega_lite_chart(tta_fig.run_chart(lv.series(), job.result.config, RECIPES, long_recipes=LONG_RECIPES),
                           key="training_tta_chart", width="stretch")
        st.caption("Grey: the same model on the benchmark machine (`bench/time_to_accuracy.py`, test time not "
                   "counted). Here each test evaluation counts in the seconds, and the web server shares the CPU.")


def _confusion_section(preds: np.ndarray, labels: np.ndarray, where: str, version) -> None:
    cm = cached(FIGURES, "cm", version, lambda: metrics.confusion_matrix(labels, preds))
    st.markdown(f"##### Confusion matrix {where} — accuracy {metrics.accuracy(labels, preds):.1%}")
    view = st.radio("Show", ["counts", "row %"], key="training_cm_view", horizontal=True,
                    format_func={"counts": "counts", "row %": "share of each true class (row-normalized)"}.get)
    ss = st.session_state
    ss.setdefault("training_cell_true", 6)  # Shirt taken for a T-shirt: the classic confusion
    ss.setdefault("training_cell_pred", 0)
    t, p = ss["training_cell_true"], ss["training_cell_pred"]
    c1, c2 = st.columns([3, 2])
    with c1:
        spec = cached(FIGURES, "cm_spec", (version, view, t, p),
                      lambda: figs.confusion_chart(cm, CLASS_NAMES, normalized=view == "row %", selected=(t, p)))
        event = st.vega_lite_chart(spec, key="training_cm_chart", on_select="rerun", selection_mode=["cell"],
                                   width="stretch")
    picked = (event.selection.get("cell") if event else None) or []
    if picked:
        cell = (int(picked[0]["t"]), int(picked[0]["p"]))
        if cell != ss.get("training_cell_clicked"):  # only a new click moves the choice
            ss["training_cell_clicked"] = cell
            ss["training_cell_true"], ss["training_cell_pred"] = cell
            _rerun_here()
    with c2:
        st.vega_lite_chart(cached(FIGURES, "pr", version, lambda: figs.precision_recall_chart(
            *metrics.precision_recall(cm), CLASS_NAMES, title="Per class")), key="training_pr_chart", width="stretch")
    st.caption("Row = the true class, column = what the network said: the diagonal is right, everything else a "
               "mistake. Shirt, T-shirt/top, Pullover and Coat confuse every model. **Precision**: of the images "
               "*called* a class, the share that are. **Recall**: of the images *of* a class, the share found. "
               "**Click a cell** (or pick it below) to see its images.")
    s1, s2, _ = st.columns([1, 1, 2])
    s1.selectbox("True class", range(10), key="training_cell_true", format_func=lambda i: CLASS_NAMES[i])
    s2.selectbox("Predicted class", range(10), key="training_cell_pred", format_func=lambda i: CLASS_NAMES[i])
    images, _ = test_arrays()
    idx = metrics.cell_indices(labels, preds, t, p)
    shown = idx[:30]
    st.markdown(f"**True {CLASS_NAMES[t]}, predicted {CLASS_NAMES[p]}: {len(idx)} images**"
                + (f" (the first {len(shown)})" if len(idx) > len(shown) else ""))
    if len(shown):
        png(cached(FIGURES, "cell", (version, t, p),
                        lambda: figs.png(figs.image_grid(images[shown], [f"#{i}" for i in shown]))))


def _rerun_here() -> None:
    """Redraw just this fragment (a click arrives as a fragment run); the whole page otherwise."""
    try:
        st.rerun(scope="fragment")
    except st.errors.StreamlitAPIException:
        st.rerun()


def _predictions_section(preds: np.ndarray, probs: np.ndarray | None, labels: np.ndarray, version) -> None:
    images, _ = test_arrays()
    sample = sample_indices()
    ok = preds[sample] == labels[sample]
    st.markdown(f"##### What it says about 20 test images: {ok.sum()} of 20 right")
    png(cached(FIGURES, "sample", version, lambda: figs.png(figs.image_grid(
        images[sample], [SHORT[i] for i in preds[sample]], ok=ok,
        subtitles=["right" if o else f"true: {SHORT[labels[i]]}" for o, i in zip(ok, sample)]))))
    if probs is None:
        st.caption("The most confident mistakes appear when the run ends (they need the probabilities).")
        return

    def mistakes_grid():
        worst = metrics.most_confident_mistakes(probs, labels, k=20)
        pred = probs.argmax(1)
        return figs.image_grid(images[worst], [SHORT[pred[i]] for i in worst], ok=[False] * len(worst),
                               subtitles=[f"{probs[i].max():.0%} sure\ntrue: {SHORT[labels[i]]}" for i in worst])

    st.markdown("##### Its most confident mistakes: what it said, how sure, and the truth")
    png(cached(FIGURES, "mistakes", version, lambda: figs.png(mistakes_grid())))
    st.caption("The wrong answers it was surest of: often garments a person would hesitate over too, "
               "sometimes a mislabelled image.")
