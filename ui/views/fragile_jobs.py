"""Page 9's background jobs (ui.kit.live): the robustness curve and the knock-out study. Each result goes
into the shared store (ui.views.fragile_data), so every session sees it once it is measured."""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.fragile import adversarial as adv
from fmnist_core.fragile import knockout as ko
from fmnist_core.inside import explain as ex
from ui.figures import fragile as ff
from ui.kit import checkpoints, live
from ui.kit.widgets import plotly_chart
from ui.views import fragile_data as fd

CURVE_JOB, STUDY_JOB = "fragile_curve_job", "fragile_study_job"


def curve_section(models: dict[str, ex.ModelChoice], key: str) -> list[dict] | None:
    """The robustness curve of `models`: from the store when measured, else a start button and the curve
    growing live, point by point. Returns the finished points, or None."""
    store_key = fd.curve_key(models)
    done = fd.store().get(store_key)
    if done is not None:
        plotly_chart(ff.robustness_figure(done, adv.CURVE_EPS), key=key)
        return done
    names = " and the ".join(m.upper() for m in models)
    if live.start_button(CURVE_JOB, "Measure the robustness curve", type="primary",
                         help=f"{adv.CURVE_IMAGES:,} test images × {len(adv.CURVE_EPS)} values of ε for the {names}: "
                              "about 20 s on two CPU cores"):
        pixel_models = {name: fd.pixel_model(c) for name, c in models.items()}
        x, y = fd.test_subset(adv.CURVE_IMAGES)

        def run_curve(job, pixel_models=pixel_models, store_key=store_key):
            pts = adv.robustness_curve(pixel_models, x, y, on_point=lambda p: job.emit({"kind": "point", **vars(p)}),
                                       should_stop=job.control.should_stop)
            if len(pts) == len(pixel_models) * len(adv.CURVE_EPS):
                fd.store()[store_key] = [vars(p) for p in pts]
            return pts

        live.start(CURVE_JOB, "robustness curve", run_curve)

    def draw(job, reader):
        pts = [e for e in job.events() if e.get("kind") == "point"]
        if pts:
            plotly_chart(ff.robustness_figure(pts, adv.CURVE_EPS), key=f"{key}_live")
            last = pts[-1]
            st.caption(f"{len(pts)} of {len(models) * len(adv.CURVE_EPS)} points · ε = {last['eps']}/255 for the "
                       f"{last['model'].upper()} · {last['seconds']:.1f} s so far")
        elif job.active:
            st.caption("Attacking the first images…")

    live.view(CURVE_JOB, draw, idle="Not measured for these models yet: press the button.")
    return None


def study_section(choice: ex.ModelChoice, layer: str, n_units: int, unit_word: str, key: str) -> ko.Study | None:
    """The knock-out study of one layer: each unit switched off alone, on STUDY_IMAGES test images. From the
    store when measured, else a start button and the heatmap filling in, unit by unit."""
    store_key = ("study", checkpoints.digest(choice.path), layer)
    done = fd.store().get(store_key)
    if done is not None:
        plotly_chart(ff.study_heatmap(done.drops, unit_word), key=key)
        return done
    if live.start_button(STUDY_JOB, f"Knock out each {unit_word} alone ({ko.STUDY_IMAGES:,} test images each)",
                         type="primary"):
        model = fd.pixel_model(choice)
        x, y = fd.test_subset(ko.STUDY_IMAGES)

        def run_study(job, model=model, store_key=store_key):
            res = ko.study(model, layer, x, y, should_stop=job.control.should_stop,
                           on_unit=lambda u, d: job.emit({"kind": "unit", "unit": u, "drop": d.tolist()}))
            if not np.isnan(res.drops).any():
                fd.store()[store_key] = res
            return res

        live.start(STUDY_JOB, "knock-out study", run_study)

    def draw(job, reader):
        rows = [e for e in job.events() if e.get("kind") == "unit"]
        if rows:
            drops = np.full((n_units, 10), np.nan)
            for r in rows:
                drops[r["unit"]] = r["drop"]
            plotly_chart(ff.study_heatmap(drops, unit_word), key=f"{key}_live")
            st.caption(f"{len(rows)} of {n_units} {unit_word}s knocked out so far")
        elif job.active:
            st.caption("Measuring the model with every unit on…")

    live.view(STUDY_JOB, draw, idle="Not measured for this layer yet: press the button.")
    return None
