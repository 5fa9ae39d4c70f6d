"""Page 10's ① Overfit, then cure: the settings, a batch as the network sees it, the run as a live job, and
every finished run overlaid with its table. Finished runs are kept for this browser (the store's page data),
written by the job itself, so a reload or a closed tab loses none."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st
import torch

from fmnist_core.fashion.augment import as_seen
from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.overfitting import lab
from fmnist_core.store import page_data
from fmnist_core.store.per_browser import get_store
from ui.figures import overfitting as figs
from ui.kit import live
from ui.kit.identity import browser_id
from ui.kit.widgets import plotly_chart
from ui.views.overfitting_url import DECAY_OPTIONS, ERASE_OPTIONS, SIZE_OPTIONS, lab_settings

JOB = "overfitting_job"
RUNS = "overfitting_runs"  # the store's page-data name
MAX_RUNS = 8
PREVIEW = 8  # images in the batch preview: two rows of 4, then the same as the network sees them


def kept_runs(bid: str | None = None) -> list[dict]:
    """This browser's finished lab runs, oldest first."""
    kept = page_data.load(get_store(), bid or browser_id(), RUNS)
    runs = kept.get("runs") if isinstance(kept, dict) else None
    return runs if isinstance(runs, list) else []


def next_index(runs: list[dict]) -> int:
    """The index (and so the colour) of the next run: one past the newest kept."""
    return max((r.get("index", 0) for r in runs), default=-1) + 1


def keep_run(bid: str, result: lab.LabResult) -> None:
    """Add a finished run to the browser's kept runs (the newest MAX_RUNS stay); a run's colour is its index."""
    runs = kept_runs(bid)
    runs.append(result.record(next_index(runs)))
    page_data.save(get_store(), bid, RUNS, {"runs": runs[-MAX_RUNS:]})


def controls(k) -> None:
    """The lab's settings in two rows: the data and the network, then the cures."""
    c1, c2, c3, c4 = st.columns([0.34, 0.26, 0.26, 0.14], vertical_alignment="bottom")
    c1.radio("Network", list(lab.MODELS), key=k("model"), format_func=lab.MODELS.get)
    c2.select_slider("Training images", SIZE_OPTIONS, key=k("n"), format_func=lambda v: f"{int(v):,}",
                     help=f"The first of one fixed shuffle of the 60,000; {lab.VALIDATION:,} others are set "
                          "aside for validation (early stopping watches them, never the test set).")
    c3.slider("Epochs", 5, 200, key=k("epochs"), step=5,
              help="Passes over the training images. Small sets need many passes before the gap opens.")
    c4.number_input("Seed", 0, 9999, key=k("seed"))
    st.markdown("**Cures**: switch on one, or several together.")
    a, b, c = st.columns(3, gap="medium")
    with a:
        st.toggle("Mirror half of each batch", key=k("flip"), help="A flipped shirt is still a shirt.")
        st.toggle("Batch normalization", key=k("bn"),
                  help="Each hidden unit's batch mean and variance normalized, then γ·x̂ + β.")
        st.toggle("Early stopping", key=k("early"),
                  help=f"Stop after {lab.LabSettings.patience} epochs without a lower validation loss, and put "
                       "back the weights of the best epoch.")
    with b:
        st.select_slider("Shift by up to", [0, 1, 2], key=k("shift"), format_func=lambda v: f"±{v} px")
        st.select_slider("Random erasing", ERASE_OPTIONS, key=k("erase"),
                         format_func=lambda v: "off" if v == "0" else f"{float(v):.0%} of the images",
                         help="A random rectangle of noise over part of the garment (Zhong et al., 2017).")
    with c:
        st.slider("Dropout", 0.0, 0.6, key=k("dropout"), step=0.1, format="%.1f",
                  help="Each hidden unit is switched off with this probability at each training step.")
        st.select_slider("Weight decay λ", DECAY_OPTIONS, key=k("wd"), format_func=lambda v: "off" if v == "0" else v,
                         help="L2: the loss adds λ/2·Σw², so each update shrinks each weight by lr·λ·w.")


@st.cache_data(max_entries=16, show_spinner=False)
def _preview(_data: FashionMNIST, n_train: int, flip: bool, shift: int, erase: float, draw: int) -> np.ndarray:
    sp = lab.split(_data, n_train)
    raw = sp.data.train_images[:PREVIEW].cpu()
    cfg = lab.BASE["mlp"].with_(flip=flip, shift=shift, erase=erase)
    seen = as_seen(raw, cfg, torch.Generator().manual_seed(draw))
    return np.concatenate([raw.numpy(), seen.numpy()])


def batch_preview(k, data: FashionMNIST, s: dict) -> None:
    """The run's first images, and the same images as the network sees them in one step (its augmentation)."""
    settings = lab_settings(s)
    c = settings.cures
    draw = st.session_state.get(k("draw"), 0)
    imgs = _preview(data, settings.n_train, c.flip, c.shift, c.erase, draw)
    plotly_chart(figs.batch_figure(imgs, PREVIEW // 2, height=330), key=k("preview"))
    aug = [n for n in c.names() if n.split()[0] in ("mirror", "shift", "erase")]
    st.caption(("Top: training images. Bottom: the same images as the network sees them at one step, with "
                + " + ".join(aug) + ". Every epoch draws anew: the network never sees exactly the same image twice.")
               if aug else "Top: training images. Bottom: as the network sees them: the same, since no augmentation "
                           "is on. Switch on mirror, shift or erasing to see what the network gets instead.")
    st.button("Draw another batch", key=k("draw_btn"), on_click=lambda: st.session_state.update(
        {k("draw"): draw + 1}), disabled=not aug)


def start(data: FashionMNIST, s: dict) -> None:
    settings = lab_settings(s)
    bid = browser_id()

    def target(job, settings=settings, data=data, bid=bid):
        result = lab.run(settings, data, on_event=job.emit, control=job.control)
        if result.points:
            keep_run(bid, result)
        return result.summary()

    live.start(JOB, settings.label, target)


def _live_points(job) -> list[dict]:
    return [e for e in job.events() if e.get("kind") == "epoch"]


def runs_chart(k, runs: list[dict]) -> None:
    """Every kept run overlaid, and the running one live."""
    def draw(job, reader):
        pts = _live_points(job)
        shown = list(runs)
        if job.active:
            shown.append({"index": next_index(runs), "label": f"{job.label} (running)", "points": pts})
            last = pts[-1] if pts else None
            st.caption(f"Epoch {last['epoch']}: train {last['train_accuracy']:.1%}, test {last['test_accuracy']:.1%}, "
                       f"gap {last['gap'] * 100:.1f} points" if last else "Training the first epoch…")
        elif job.state == "done" and isinstance(job.result, dict):
            st.caption(f"**{job.label}**: {job.result['message']}.")
        if any(r["points"] for r in shown):
            plotly_chart(figs.gap_figure(shown), key=k("chart_live"))

    def idle():
        if runs:
            plotly_chart(figs.gap_figure(runs), key=k("chart"))
        else:
            st.info("Press **Train** to start. After each epoch the chart adds the accuracy on the training images "
                    "(dashed) and on the 10,000 test images (solid); every run you train stays on it, to compare.")

    live.view(JOB, draw, idle=idle, show_controls=False)


def runs_table(runs: list[dict]) -> None:
    if not runs:
        return
    rows = [{"run": r["index"] + 1, "settings": r["label"], "train": _pct(r["train_accuracy"]),
             "test": _pct(r["test_accuracy"]), "gap (points)": _pts(r["gap"]),
             "best epoch": r["best_epoch"], "epochs": r["epochs"],
             "ended": "early stop, best restored" if r["restored"] else r["status"], "seconds": r["seconds"]}
            for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _pct(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.1%}"


def _pts(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v * 100:.1f}"


def clear_runs() -> None:
    page_data.save(get_store(), browser_id(), RUNS, {"runs": []})
