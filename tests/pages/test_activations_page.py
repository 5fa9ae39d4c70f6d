"""The activations page driven by AppTest, and once in a real browser."""
from __future__ import annotations

import base64
import json
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import open_app, open_page, real_console_errors, screenshot, wait_idle
from tests.conftest import chart_on_page

PAGE = "pages/activations.py"
JOB_KEY = "activations_compare_job"


def open_activations(query: dict | None = None) -> AppTest:
    at = open_app(PAGE, query, timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def curves_figure(at: AppTest) -> dict:
    """The f / f' figure: the one whose first subplot is titled f(x)."""
    for fig in figures(at):
        titles = [a.get("text") for a in fig["layout"].get("annotations", [])]
        if "f(x)" in titles:
            return fig
    raise AssertionError("no curves figure on the page")


def latex(at: AppTest) -> str:
    return " ".join(e.value for e in at.get("latex"))


def test_page_renders_every_section():
    at = open_activations()
    headers = [h.value for h in at.header]
    assert headers == ["A neuron by hand: does the patient have flu?", "Activation functions and their slopes",
                       "A custom backward: BReLU", "Train with it"]
    # The flu example as the lecture gives it: (1, 0, 1) -> -1 + 0 + 3 = 2 < 5: no flu.
    assert r"&= (-1)\cdot1 + 3\cdot0 + 3\cdot1\\ &= 2" in latex(at) and r"\text{no flu}" in latex(at)
    names = [d["name"] for d in curves_figure(at)["data"] if d.get("showlegend") is not False]
    assert names == ["Sigmoid", "Tanh", "ReLU"]
    assert any("gradcheck passed" in s.value for s in at.success)
    text = " ".join(m.value for m in at.markdown)
    for phrase in ("slope is 0 for every x ≠ 0", "Dead ReLUs", "vanishing gradients", "Zero-centred", "Trainable shapes"):
        assert phrase in text


def test_neuron_follows_the_inputs():
    at = open_activations()
    at.checkbox(key="activations_x1").uncheck()
    at.checkbox(key="activations_x2").check()
    at.run()
    assert not at.exception
    assert r"0\cdot1" in latex(at) or r"(-1)\cdot0" in latex(at)
    assert r"6 \ge 5" in latex(at) and r"\text{flu}" in latex(at)
    drawing = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", at.get("html")[0].proto.body)[1]).decode()
    assert "f(1) = 1" in drawing and "f(1) = 0.731" in drawing  # the step and ReLU fire 1; sigmoid(1)
    assert not any("answer" in t.value.columns for t in at.table)  # the closed expander draws nothing
    at.session_state["activations_patients"] = True  # opened (it reruns the page, as a click does)
    at.run()
    patients = next(t.value for t in at.table if "answer" in t.value.columns)  # every combination, its answer
    assert len(patients) == 8 and list(patients["answer"]).count("flu") == 2  # fever and cough: 6 and 5 >= 5
    at.number_input(key="activations_threshold").set_value(7.0).run()
    assert r"6 < 7" in latex(at) and not at.exception


def test_choosing_activations_and_moving_a_slider_redraws_the_curves():
    at = open_activations()
    at.multiselect(key="activations_show").set_value(["softexp", "srelu", "brelu"]).run()
    assert not at.exception
    fig = curves_figure(at)
    assert {d["name"] for d in fig["data"]} == {"SoftExponential", "SReLU", "BReLU (bipolar) (even units)",
                                                "BReLU (bipolar) (odd units)"}
    assert at.slider(key="activations_softexp_alpha").value == 0.0
    before = curves_figure(at)["data"][0]["y"]
    at.slider(key="activations_softexp_alpha").set_value(0.8).run()
    assert not at.exception
    after = curves_figure(at)["data"][0]["y"]
    assert after != before
    assert at.query_params["softexp_alpha"] == ["0.8"] or at.query_params["softexp_alpha"] == "0.8"
    assert "softexp,srelu,brelu" in str(at.query_params["show"])
    # Formulas and the properties table follow the choice.
    assert r"\alpha" in latex(at) and "t_r" in latex(at)
    props = next(t.value for t in at.table if "zero-centred" in t.value.columns)
    assert props.index.tolist() == ["SoftExponential", "SReLU", "BReLU (bipolar)"]
    assert props["zero-centred"].tolist() == ["✗", "✓", "✓"] and "trained" in props["parameters"].iloc[1]


def test_a_link_restores_the_choice_and_bad_values_get_a_note():
    at = open_activations({"show": "isru,step", "isru_alpha": "2.5", "w2": "banana", "xmax": "99"})
    assert list(at.multiselect(key="activations_show").value) == ["isru", "step"]
    assert at.slider(key="activations_isru_alpha").value == 2.5
    assert at.slider(key="activations_xmax").value == 10.0  # clamped
    assert at.number_input(key="activations_w2").value == 3.0  # the default
    notes = " ".join(str(t.proto.body) for t in at.toast)
    assert "w2" in notes and "xmax" in notes
    assert [d["name"] for d in curves_figure(at)["data"] if d.get("showlegend") is not False] == ["ISRU", "Binary step"]


def test_gradcheck_reruns_at_new_points():
    at = open_activations()
    first = [f for f in figures(at) if "backward() (even units)" in [d.get("name") for d in f["data"]]][0]
    at.button(key="activations_gradcheck_again").click().run()
    assert not at.exception and any("gradcheck passed" in s.value for s in at.success)
    second = [f for f in figures(at) if "backward() (even units)" in [d.get("name") for d in f["data"]]][0]
    assert first["data"][0]["x"] != second["data"][0]["x"]


def test_comparison_runs_live_and_ends_in_a_table():
    at = open_activations()
    at.multiselect(key="activations_train").set_value(["step", "softexp"])
    at.session_state["activations_softexp_alpha"] = -0.3  # a log-shaped start: the page explains why it lags
    at.slider(key="activations_budget").set_value(1.0)
    at.run()
    assert at.button(key="activations_train_start").disabled is False
    at.button(key="activations_train_start").click().run()
    assert not at.exception
    job = at.session_state[JOB_KEY]
    deadline = time.monotonic() + 60
    while job.active and time.monotonic() < deadline:
        job.beat()  # AppTest does not fire run_every: stand in for the polling page
        job.wait(0.5)
    assert job.state == "done", job.error
    at.run()
    assert not at.exception
    table = [d for d in at.dataframe if "hidden weights moved" in d.value.columns][0].value
    assert table["activation"].tolist() == ["Binary step", "SoftExponential"]
    assert table["status"].tolist() == ["budget", "budget"]
    assert table["hidden weights moved"].tolist()[0] == 0.0
    assert table["test accuracy"].tolist()[1] > 0.3
    chart = chart_on_page(at)  # the curves, drawn in the browser by ui/live_chart
    assert not chart["live"] and [len(p["series"]) for p in chart["panels"]] == [2, 4]
    loss, acc = chart["panels"]
    assert [ln["key"] for ln in loss["series"]] == ["step/loss", "softexp/loss"]
    assert [ln["name"] for ln in loss["series"]] == ["Binary step", "SoftExponential"]
    assert all(ln["n"] > 1 for ln in loss["series"]) and acc["refs"][0]["label"] == "chance (10%)"
    assert loss["x_range"] == pytest.approx([0, 1.05])  # the budget
    params = [f for f in figures(at) if any("SoftExponential: alpha" == a.get("text")
                                            for a in f["layout"].get("annotations", []))]
    assert params, "no trace of the trainable alpha"
    assert any("Step:" in c.value for c in at.caption)
    assert any("SoftExponential with α < 0" in c.value for c in at.caption)


def test_fewer_than_two_activations_cannot_start():
    at = open_activations()
    at.multiselect(key="activations_train").set_value(["relu"]).run()
    assert not at.exception
    assert at.button(key="activations_train_start").disabled
    assert any("at least 2" in i.value for i in at.info)


@pytest.mark.browser
def test_activations_page_in_a_real_browser(app_server, page):
    query = "train=relu,brelu&budget=1&show=sigmoid,tanh,relu,srelu"
    # The home page first: on a fresh server a direct first visit to /activations runs the page
    # without app.py (Streamlit's pages/ folder discovery); see the report to the lead.
    open_page(page, app_server, "")
    page.wait_for_selector("text=Device:", timeout=30_000)  # app.py, the router, has run
    open_page(page, app_server, "activations", query)
    page.wait_for_selector("text=Device:", timeout=30_000)  # the page runs inside the router
    page.wait_for_selector("text=A neuron by hand", timeout=30_000)
    page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot", timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 2  # the curves and the gradient check
    drawing = page.locator("img[alt^=\"The neuron's z\"]")  # the neuron's panels: an SVG image
    drawing.scroll_into_view_if_needed()
    assert drawing.evaluate("img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 300")
    page.get_by_text("All eight patients").click()  # drawn when opened
    page.wait_for_selector("[data-testid='stTable'] >> text=no flu", timeout=15_000)
    screenshot(page, "activations-top", full_page=False)
    screenshot(page, "activations-full")
    # The URL keeps the page's state, including defaults it filled in.
    assert re.search(r"show=sigmoid%2Ctanh%2Crelu%2Csrelu|show=sigmoid,tanh,relu,srelu", page.url)
    assert "srelu_t_r=1" in page.url
    # A slider reruns only its section (a fragment), which still keeps the link up to date.
    thumb = page.locator("[data-testid='stSlider']", has_text="SReLU: t_r").get_by_role("slider")
    thumb.scroll_into_view_if_needed()
    thumb.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('srelu_t_r=1.01')", timeout=15_000)
    page.get_by_role("button", name="▶ Train each").click()
    page.wait_for_selector("text=⏹ Stop", timeout=20_000)  # the live view is up
    page.wait_for_selector("text=⏹ Stop", state="detached", timeout=60_000)
    wait_idle(page)
    page.locator('canvas[data-fmnist="live-chart"]').scroll_into_view_if_needed()  # the curves (ui/live_chart)
    legend = page.locator('[data-fmnist="live-chart-legend"]').inner_text()
    assert "ReLU" in legend and "BReLU" in legend
    page.wait_for_timeout(800)
    screenshot(page, "activations-trained", full_page=False)
    screenshot(page, "activations-trained-full")
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []
