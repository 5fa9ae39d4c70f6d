"""The training page's runs of this session: each ended run kept (with its settings, curves and
test probabilities), their curves compared, one saved as a checkpoint or its history downloaded,
and several averaged into an ensemble.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.fashion import metrics
from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.fashion.runs import RunRecord, history_csv, history_series, list_saved_runs, runs_dir, save_run
from fmnist_core.fashion.tensorboard_log import run_logs_zip

from ui.kit import persist
from ui.figures import training as figs
from ui.kit.common import test_arrays
from ui.views import model_download

RUNS_KEY = "training_runs"
MAX_RUNS = 8  # each kept run holds its model and 10,000 x 10 probabilities


def record_if_ended(job) -> RunRecord | None:
    """Keep an ended job's result as a run of this browser (once; stored by ui.kit.persist)."""
    return persist.record_ended(job, RUNS_KEY, MAX_RUNS)


def runs_view() -> None:
    runs: list[RunRecord] = st.session_state.get(RUNS_KEY, [])
    if not runs:
        st.info("Every run that ends is kept here for this browser, with its settings: train a few with different "
                "optimizers, learning rates or normalizations and compare their curves.")
        saved_list()
        return
    import pandas as pd

    st.dataframe(pd.DataFrame([r.summary_row() for r in runs]), hide_index=True, width="stretch")
    names = [r.name for r in runs]
    by_name = {r.name: r for r in runs}
    # New runs join the comparison by themselves; forgotten ones leave every selection.
    ss = st.session_state
    known = ss.get("training_cmp_known", [])
    picked = [n for n in ss.get("training_cmp_runs", names[-6:]) if n in names]
    ss["training_cmp_runs"] = (picked + [n for n in names if n not in known and n not in picked])[-8:]
    ss["training_cmp_known"] = names
    if ss.get("training_keep_run") not in names:
        ss.pop("training_keep_run", None)
    chosen = st.multiselect("Compare", names, key="training_cmp_runs")
    c0, c1, _ = st.columns([2, 1, 2])
    smoothing = c0.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="training_cmp_smoothing")
    x = c1.radio("x axis", ["epoch", "elapsed"], key="training_cmp_x", horizontal=True,
                 format_func={"epoch": "epochs", "elapsed": "seconds"}.get)
    series = [(n, history_series(by_name[n].history)) for n in chosen]
    if series:
        a, b = st.columns(2)
        a.vega_lite_chart(figs.curves_chart(series, "loss", smoothing, x, title="Loss", compare=True),
                          key="training_cmp_loss", width="stretch")
        b.vega_lite_chart(figs.curves_chart(series, "accuracy", smoothing, x, title="Accuracy", compare=True),
                          key="training_cmp_acc", width="stretch")
        st.caption("Solid: train (smoothed); dashed with points: test. Compare at equal time (seconds) as well as "
                   "at equal epochs: a bigger batch does fewer, cheaper steps per second.")

    st.markdown("##### Keep a run")
    k1, k2, k3 = st.columns([2, 1, 1])
    name = k1.selectbox("Run", names[::-1], key="training_keep_run")
    rec = by_name[name]
    k2.button("💾 Save as checkpoint", key="training_save", width="stretch", disabled=not rec.can_ensemble,
              on_click=_save, args=(rec.run_id,),
              help="For the 'Draw a garment' page, which lists the saved checkpoints")
    k3.download_button("⬇ History as CSV", history_csv(rec.history), file_name=f"run-{rec.run_id}-history.csv",
                       mime="text/csv", key="training_csv", width="stretch")
    labels = test_arrays()[1]  # read here: the zip is built on click, in another thread
    k3.download_button("⬇ TensorBoard (zip)", lambda: run_logs_zip(f"run-{rec.run_id}", rec.history, rec.config,
                       rec.model, rec.predictions, labels), file_name=f"run-{rec.run_id}-tensorboard.zip",
                       mime="application/zip", key="training_tb_zip", width="stretch",
                       help="Unzip into a folder, then run: tensorboard --logdir that-folder")
    note = st.session_state.pop("training_save_note", None)
    if note:
        (st.error if note.startswith("Could not") else st.success)(note)
    elif rec.saved_path:
        st.caption(f"Saved as `{rec.saved_path}`.")
    model_download.section("training_take_home", lambda key: model_download.run_view(key, rec))

    ensemble_view(runs)
    saved_list()


def _save(run_id: int) -> None:
    rec = next((r for r in st.session_state.get(RUNS_KEY, []) if r.run_id == run_id), None)
    if rec is None:
        return
    try:
        path = save_run(rec)
        st.session_state["training_save_note"] = f"Saved to `{path}`: the **Draw a garment** page can load it."
    except (OSError, ValueError) as e:
        st.session_state["training_save_note"] = f"Could not save: {e}"


def ensemble_view(runs: list[RunRecord]) -> None:
    st.markdown("##### Ensemble: average the networks' probabilities")
    usable = [r for r in runs if r.can_ensemble]
    if len(usable) < 2:
        st.caption("Two or more ended runs (not diverged) can be averaged into an ensemble: train another one.")
        return
    names = [r.name for r in usable]
    ss = st.session_state
    # New runs join the ensemble by themselves (up to 5 members); forgotten ones leave it.
    known = ss.get("training_ens_known", [])
    picked = [n for n in ss.get("training_ens_members", names[-3:]) if n in names]
    picked += [n for n in names if n not in known and n not in picked]
    ss["training_ens_members"] = picked[-5:] if len(picked) >= 2 else names[-3:]
    ss["training_ens_known"] = names
    members = st.multiselect("Members", names, key="training_ens_members")
    if len(members) < 2:
        st.caption("Pick at least two members.")
        return
    by_name = {r.name: r for r in usable}
    _, labels = test_arrays()
    ens = metrics.ensemble([by_name[n].probabilities for n in members], labels)
    best_i = int(np.argmax(ens["member_accuracies"]))
    best = ens["member_accuracies"][best_i]
    st.markdown(f"The ensemble of {len(members)} networks gets **{ens['accuracy']:.2%}** on the test set; its best "
                f"member {best:.2%} ({(ens['accuracy'] - best) * 100:+.2f} points).")
    st.vega_lite_chart(figs.ensemble_chart(members, ens["member_accuracies"], ens["accuracy"],
                                           title="Test accuracy: members and their ensemble"),
                       key="training_ens_bars", width="stretch")
    view = st.radio("Show", ["counts", "row %"], key="training_ens_view", horizontal=True,
                    format_func={"counts": "counts", "row %": "row-normalized"}.get)
    if ss.get("training_ens_member") not in members or ss.get("training_ens_for") != members:
        ss["training_ens_member"] = members[best_i]  # the best member: the one to beat
    ss["training_ens_for"] = list(members)
    member = st.selectbox("Compare with member", members, key="training_ens_member")
    a, b = st.columns(2)
    a.vega_lite_chart(figs.confusion_chart(ens["confusion"], CLASS_NAMES, view == "row %", height=380,
                                           title=f"Ensemble · {ens['accuracy']:.2%}"),
                      key="training_ens_cm", width="stretch")
    m = by_name[member]
    a_m = metrics.accuracy(labels, m.predictions)
    b.vega_lite_chart(figs.confusion_chart(metrics.confusion_matrix(labels, m.predictions), CLASS_NAMES,
                                           view == "row %", height=380,
                                           title=f"Member {member.split(' ')[0]} · {a_m:.2%}"),
                      key="training_ens_member_cm", width="stretch")
    st.caption("Networks trained from different seeds or settings make partly different mistakes; averaging their "
               "probabilities cancels some of them, so the ensemble is usually right more often than any member.")


def saved_list() -> None:
    saved = list_saved_runs()
    with st.expander(f"Saved checkpoints in `{runs_dir()}` ({len(saved)})"):
        if not saved:
            st.caption("None yet.")
        for row in saved:
            if "error" in row:
                st.caption(f"⚠️ `{row['file']}`: {row['error']}")
            else:
                acc = row.get("test_accuracy")
                st.caption(f"`{row['file']}` — {row['architecture'].upper()} {row['activation']}"
                           + (f", test accuracy {acc:.2%}" if isinstance(acc, (int, float)) else ""))
        usable = {row["file"]: row for row in saved if "error" not in row}
        if usable:
            pick = st.selectbox("Take one home (checkpoint and ONNX, with code that uses them)", [None, *usable],
                                format_func=lambda f: "—" if f is None else f, key="training_saved_take_home")
            if pick in usable:
                model_download.file_view("training_saved_take_home_file", usable[pick]["path"], usable[pick]["name"])
