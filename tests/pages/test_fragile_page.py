"""Page 9 · Fool, dream, break: AppTest drives the four labs on the bundled models (an attack that fools, a
targeted one, noise beside it, the drawing from page 8), the robustness-curve and knock-out jobs and their
shared results, bad links; a headless browser watches the robustness curve grow and takes screenshots."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.fragile import adversarial as adv
from ui.figures.fragile import MEASURES
from tests.conftest import (arr, chart_spec, open_app_with, open_page, real_console_errors, screenshot,
                            wait_for_job, wait_idle)

PAGE = "pages/fragile.py"
pytestmark = pytest.mark.usefixtures("own_runs_dir")  # every test: no saved runs, nothing cached on disk


def open_fragile(query: dict | None = None, state: dict | None = None) -> AppTest:
    return open_app_with(PAGE, query, state)


def test_eps_zero_changes_nothing_then_pgd_fools_the_cnn_within_8_grey_levels():
    at = open_fragile({"view": "fool", "model": "cnn", "image": "12"})
    assert any("nothing may change" in i.value for i in at.info)
    a = at.session_state["fragile__last_attack"]
    assert a.eps == 0 and np.array_equal(a.original, a.adversarial) and not a.fooled
    at.segmented_control(key="fragile_attack").set_value("pgd")
    at.slider(key="fragile_eps").set_value(8).run()
    assert not at.exception
    a = at.session_state["fragile__last_attack"]
    assert a.fooled and a.label == a.before == 7  # a sneaker, and the CNN knew it
    assert any(e.value.startswith("**Fooled.**") and "8 of 255" in e.value for e in at.error)
    delta = arr(chart_spec(at, "fragile_delta")["data"][0]["z"])
    assert np.abs(delta).max() <= 8 + 1e-3 and np.abs(delta).max() > 7  # PGD uses the whole budget
    bars = chart_spec(at, "fragile_bars")["data"]
    assert [b["name"] for b in bars] == ["original", "attacked"]
    assert not a.noise_fooled  # the same ε as random noise: still a sneaker
    assert "left the answer alone" in " ".join(m.value for m in at.markdown)


def test_a_targeted_attack_reaches_its_target():
    at = open_fragile({"view": "fool", "model": "mlp", "image": "12", "attack": "pgd", "eps": "32", "target": "8"})
    a = at.session_state["fragile__last_attack"]
    assert a.target == 8 and a.after == 8 and a.fooled
    assert any("Bag" in e.value for e in at.error)


def test_the_drawing_from_page_8_is_attacked_off_the_models_own_answer(fmnist):
    drawing = fmnist.test_images[0].numpy()  # an ankle boot, as page 8 would hand it over (uint8 28x28)
    at = open_fragile({"view": "fool", "input": "drawing", "attack": "pgd", "eps": "64"},
                      {"sketch_input28": drawing})
    a = at.session_state["fragile__last_attack"]
    assert a.label == a.before == 9 and a.fooled
    assert np.allclose(a.original * 255, drawing)


def test_the_robustness_curve_runs_as_a_job_and_is_shared():
    at = open_fragile({"view": "curve"})
    at.button(key="fragile_curve_job__start").click().run()
    wait_for_job(at.session_state["fragile_curve_job"], 180)
    at.run()
    assert not at.exception
    data = chart_spec(at, "fragile_curve")["data"]
    assert [d["name"] for d in data] == [f"{m}: {label}" for m in ("CNN", "MLP")
                                         for label, _ in MEASURES.values()]
    for d in data:
        assert len(d["y"]) == len(adv.CURVE_EPS)
    for m in range(2):
        pgd, uniform = arr(data[3 * m]["y"]), arr(data[3 * m + 1]["y"])
        assert np.all(np.diff(pgd) <= 0) and pgd[0] == uniform[0] > 0.85  # ε = 0: the model's own accuracy
        assert pgd[-1] < 0.05 and uniform[3] > pgd[3] + 0.1  # at ε = 4 the attack, not noise, does the damage
    assert "at ε = 8 (3 % of the range)" in " ".join(m.value for m in at.markdown)
    again = open_fragile({"view": "curve"})  # a new session reads the finished curve from the shared store
    assert len(chart_spec(again, "fragile_curve")["data"]) == 6 and not again.button


def test_dreams_raise_their_score_and_offer_the_drawing_as_a_start(fmnist):
    at = open_fragile({"view": "dream", "model": "mlp", "dream_class": "1"})
    text = " ".join(m.value for m in at.markdown)
    start, end = map(float, re.search(r"from (-?[\d.]+) to \*\*(-?[\d.]+)\*\*", text).groups())
    assert end > start and "logit of **Trouser**" in text
    assert len(chart_spec(at, "fragile_dream_all")["layout"]["annotations"]) == 10
    assert list(at.radio(key="fragile_start").options) == ["grey", "noise"]
    at = open_fragile({"view": "dream", "model": "cnn", "dream": "unit", "dream_layer": "conv2", "dream_unit": "5",
                       "start": "drawing"}, {"sketch_input28": fmnist.test_images[1].numpy()})
    assert at.session_state["fragile_start"] == "drawing"
    d = at.session_state["fragile__last_dream"]
    assert d.end_score > d.start_score and 0 <= d.image.min() and d.image.max() <= 1
    assert "channel 5 of conv block 2" in " ".join(m.value for m in at.markdown)


def test_knock_out_the_most_important_units_then_restore_all():
    at = open_fragile({"view": "break", "model": "mlp", "ko_layer": "hidden3", "ko_top": "48"})
    ko = at.session_state["fragile__last_knockout"]
    assert ko["off"] == 48 and ko["accuracy"] < 0.8 < ko["baseline"]
    assert at.metric[0].value == f"{ko['accuracy']:.1%}"
    at.button(key="fragile_restore").click().run()
    ko = at.session_state["fragile__last_knockout"]
    assert ko["off"] == 0 and ko["accuracy"] == ko["baseline"]
    at.multiselect(key="fragile_ko_units").set_value(["3", "7"]).run()
    assert at.session_state["fragile__last_knockout"]["off"] == 2
    assert at.query_params["ko_units"] in (["3,7"], "3,7")  # one by one, in the link too


def test_the_knock_out_study_fills_a_heatmap_and_is_shared():
    at = open_fragile({"view": "break", "model": "mlp", "ko_layer": "hidden3"})
    at.button(key="fragile_study_job__start").click().run()
    wait_for_job(at.session_state["fragile_study_job"], 120)
    at.run()
    z = arr(chart_spec(at, "fragile_study")["data"][0]["z"])
    assert z.shape == (64, 10) and np.isfinite(z).all() and z.max() > 0
    again = open_fragile({"view": "break", "model": "mlp", "ko_layer": "hidden3"})
    assert arr(chart_spec(again, "fragile_study")["data"][0]["z"]).shape == (64, 10)


def test_layers_follow_the_model_and_bad_links_are_corrected():
    at = open_fragile({"view": "break", "model": "cnn", "ko_layer": "hidden2", "eps": "1e9", "target": "77"})
    assert at.session_state["fragile_ko_layer"] == "conv1"  # an MLP layer asked of the CNN
    assert at.session_state["fragile_eps"] == adv.EPS_MAX and at.session_state["fragile_target"] == 9
    assert at.toast


@pytest.mark.browser
def test_browser_the_robustness_curve_grows_live(app_server, page):
    open_page(page, app_server, "fragile", "view=fool&model=cnn&image=12&attack=pgd&eps=8", timeout=120_000)
    page.get_by_text("Fooled.").first.wait_for(timeout=60_000)
    screenshot(page, "fragile-fool-cnn", full_page=False)
    open_page(page, app_server, "fragile", "view=curve", timeout=120_000)
    page.get_by_role("button", name="Measure the robustness curve").click()
    counts, deadline = [], time.monotonic() + 120
    js = ("() => [...document.querySelectorAll('.js-plotly-plot')].map(g => (g.data || [])"
          ".reduce((n, t) => n + (t.x ? t.x.length : 0), 0)).reduce((a, b) => Math.max(a, b), 0)")
    while time.monotonic() < deadline:
        counts.append(page.evaluate(js))
        if counts[-1] == 6 * len(adv.CURVE_EPS):
            break
        page.wait_for_timeout(250)
    grown = sorted(set(c for c in counts if c))
    assert grown[-1] == 6 * len(adv.CURVE_EPS), counts
    assert len(grown) >= 3, f"the curve appeared all at once, not point by point: {counts}"
    wait_idle(page)
    screenshot(page, "fragile-curve", full_page=False)
    assert real_console_errors(page) == []


def test_a_saved_run_is_fooled_dreamed_and_broken(own_runs_dir, fmnist_small):
    """A run saved from the training page (cnn_v2: three strided blocks, no dense hidden layer) in every lab."""
    from fmnist_core.fashion.runs import RunRecord, save_run
    from fmnist_core.fashion.train import RECIPES, train

    result = train(RECIPES["cnn"].with_(time_budget=2.0, epochs=50, eval_every=0), fmnist_small)
    key = f"run:{save_run(RunRecord.from_result(result, 1), own_runs_dir).name}"
    at = open_fragile({"model": key, "view": "fool", "image": "12", "attack": "pgd", "eps": "32"})
    assert at.session_state["fragile_model"] == key
    a = at.session_state["fragile__last_attack"]
    assert np.abs(a.perturbation).max() <= 32 + 1e-3
    at = open_fragile({"model": key, "view": "dream", "dream": "unit", "dream_layer": "conv3", "dream_unit": "7"})
    d = at.session_state["fragile__last_dream"]
    assert d.end_score > d.start_score
    last = RECIPES["cnn"].hidden[-1]  # channels of the last block
    at = open_fragile({"model": key, "view": "break", "ko_layer": "conv3", "ko_top": str(last)})
    ko = at.session_state["fragile__last_knockout"]
    assert ko["off"] == last and ko["accuracy"] <= 0.2  # every channel of the last block off: chance
    at = open_fragile({"model": key, "view": "curve"})
    assert at.button(key="fragile_curve_job__start").proto.help.startswith("1,000 test images × 8 values of ε for the "
                                                                            "CNN and the MLP and the ")
