import json

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from fmnist_core.toy_data import make_dataset
from fmnist_core.packed import PackedMLP
from fmnist_core.plane import unit_lines, unit_maps
from tests.conftest import open_page, real_console_errors, screenshot, wait_idle
from ui import boundary_figures as bf

K = "boundaries"


# --------------------------------------------------------------------------- figure builders


def test_thumbnails_are_drawn_with_positive_x2_on_top():
    net = PackedMLP([(3,)], "tanh", seed=0)
    net.set_layer(0, 0, [[0.0, 0.0, 1.0], [1.0, -1.0, 0.0]], [0.0, 0.0, 0.0])  # h1 = tanh(x2), h2 = tanh(-x2)
    maps = unit_maps(net, 2.0, res=10)
    fig = bf.thumbnails_figure(maps)
    img = np.asarray(fig.data[0].z, dtype=float)
    assert fig.layout.yaxis.autorange == "reversed"  # image row 0 on top
    assert img[0, 5] > 0.9 and img[9, 5] < -0.9  # h1's top row (x2 = +2) is positive
    assert img[0, 10 + 3 + 5] < -0.9  # h2, the next square, is negative there
    assert [a.text for a in fig.layout.annotations] == ["h1", "h2", "h3"]
    two_layers = bf.thumbnails_figure([maps[0], maps[0][:2]])
    assert [a.text for a in two_layers.layout.annotations] == ["1.1", "1.2", "1.3", "2.1", "2.2"]


def test_encoding_figure_for_each_width():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    one = bf.encoding_figure(rng.normal(size=(50, 1)), y, v=[2.0], c=0.1)
    assert one.layout.shapes[0].x0 == pytest.approx(-0.05)  # the output unit's threshold
    two = bf.encoding_figure(rng.normal(size=(50, 2)), y, v=[1.0, 2.0], c=0.5)
    line = next(t for t in two.data if t.mode == "lines")
    assert np.allclose(1.0 * np.asarray(line.x) + 2.0 * np.asarray(line.y) + 0.5, 0)
    three = bf.encoding_figure(rng.normal(size=(50, 3)), y, v=[1.0, 1.0, 1.0], c=0.0)
    assert {t.type for t in three.data} == {"scatter3d", "surface"}
    many = bf.encoding_figure(rng.normal(size=(50, 2)), y, pca_share=[0.6, 0.3])
    assert "60%" in many.layout.xaxis.title.text
    # A step's encoding: points on a few corners, with their counts written there.
    corners = np.array([[0, 1], [1, 0], [1, 1], [1, 1]] * 5, dtype=float)
    labels = np.array([1, 1, 0, 0] * 5)
    step = bf.encoding_figure(corners, labels, v=[-2.0, -2.0], c=3.0)
    texts = sorted(a.text for a in step.layout.annotations)
    assert len(texts) == 3 and any("10 blue" in t for t in texts) and sum("5 red" in t for t in texts) == 2


def test_growth_figures():
    widths = (1, 2, 4)
    probs = np.random.default_rng(0).random((3, 10, 10))
    d = make_dataset("xor", n=40, seed=0)
    fig = bf.growth_figure(probs, widths, 2.0, d.x_train, d.y_train, [0.6, 0.9, 1.0], [0.55, 0.85, 0.8])
    assert sum(t.type == "heatmap" for t in fig.data) == 3
    assert "train 90%" in fig.layout.annotations[1].text and "test 85%" in fig.layout.annotations[1].text
    acc = bf.growth_accuracy_figure(widths, [0.6, 0.9, 1.0], [0.55, 0.85, 0.8])
    assert acc.layout.xaxis.type == "log" and list(acc.data[1].y) == pytest.approx([0.55, 0.85, 0.8])


# --------------------------------------------------------------------------- the page (AppTest)


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.switch_page("pages/boundaries.py")
    for name, v in (query or {}).items():
        at.query_params[name] = v
    return at.run()


def _chart(at, kind: str) -> dict:
    """The figure JSON of the chart whose key contains `kind`."""
    for c in at.get("plotly_chart"):
        if kind in c.proto.id:
            return json.loads(c.proto.spec)
    raise AssertionError(f"no chart {kind}; ids: {[c.proto.id for c in at.get('plotly_chart')]}")


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_renders_every_view_and_writes_the_url():
    at = _app()
    assert not at.exception, at.exception
    ids = " ".join(c.proto.id for c in at.get("plotly_chart"))
    for kind in ("boundary_chart", "loss_chart", "units_chart", "thumbs_chart", "encoding_chart", "growth_chart",
                 "growth_acc_chart"):
        assert kind in ids
    assert at.query_params["dataset"] == "xor" and at.query_params["units"] == "2"
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    for phrase in ("linear classifier", "w₁x₁ + w₂x₂ + b = 0", "exactly one unit fires", "overfit"):
        assert phrase in text, phrase
    boundary = _chart(at, "boundary_chart")
    assert boundary["data"][0]["type"] == "heatmap" and len(boundary["data"]) == 5  # P(red), train and test
    growth = _chart(at, "growth_chart")
    assert sum(t["type"] == "heatmap" for t in growth["data"]) == 7


def test_link_sets_the_experiment_and_bad_values_are_corrected():
    at = _app({"dataset": "spiral", "noise": "0.1", "units": "3", "layers": "2", "act": "relu", "lr": "0.1",
               "points": "abc", "seed": "99999"})
    assert not at.exception
    assert at.selectbox(key=f"{K}_dataset").value == "spiral"
    assert at.slider(key=f"{K}_units").value == 3 and at.slider(key=f"{K}_layers").value == 2
    assert at.selectbox(key=f"{K}_act").value == "relu"
    assert at.slider(key=f"{K}_points").value == 400 and at.number_input(key=f"{K}_seed").value == 9999
    notes = " ".join(t.value for t in at.toast)
    assert "'points' in the link was not a whole number" in notes and "'seed'" in notes
    enc = _chart(at, "encoding_chart")
    assert enc["layout"]["scene"]  # 3 units in the last hidden layer: a 3D view
    assert at.session_state[f"{K}_run"].net.hidden == [(3, 3)]


def test_step_start_pause_replay_and_reset():
    at = _app({"dataset": "moons", "units": "8", "speed": "25", "lr": "0.1"})
    run = at.session_state[f"{K}_run"]
    assert run.epoch == 0
    at.button(key=f"{K}_step").click().run()
    assert at.session_state[f"{K}_run"].epoch == 1
    at.button(key=f"{K}_start").click().run()  # running: every run of the fragment trains 25 epochs
    assert at.session_state[f"{K}_running"]
    epoch = at.session_state[f"{K}_run"].epoch
    assert epoch >= 26
    at.run()
    assert at.session_state[f"{K}_run"].epoch == epoch + 25
    loss_now = float(_metric(at, "Train loss"))
    at.button(key=f"{K}_pause").click().run()
    assert not at.session_state[f"{K}_running"]
    last = at.session_state[f"{K}_run"].epoch
    replay = at.slider(key=f"{K}_replay")
    assert replay.value == last and replay.max == last
    now = _chart(at, "boundary_chart")
    replay.set_value(0).run()
    assert not at.exception
    assert "Epoch 0** of" in " ".join(m.value for m in at.markdown)
    assert float(_metric(at, "Train loss")) > loss_now  # the untrained network is back on screen
    assert _chart(at, "boundary_chart") != now
    assert _chart(at, "loss_chart")["layout"]["shapes"][0]["x0"] == 0
    at.button(key=f"{K}_reset").click().run()
    assert at.session_state[f"{K}_run"].epoch == 0 and not at.session_state[f"{K}_running"]


def test_a_changed_setting_starts_a_fresh_network():
    at = _app()
    at.button(key=f"{K}_step").click().run()
    assert at.session_state[f"{K}_run"].epoch == 1
    at.slider(key=f"{K}_units").set_value(5).run()
    assert not at.exception
    run = at.session_state[f"{K}_run"]
    assert run.epoch == 0 and run.net.hidden == [(5,)]
    assert at.query_params["units"] == "5"
    assert "principal direction" in json.dumps(_chart(at, "encoding_chart")["layout"])  # 5 units: PCA


def test_lecture_preset_collapses_xor_onto_the_corners():
    at = _app()
    at.button(key=f"{K}_preset_0").click().run()
    assert not at.exception
    assert at.selectbox(key=f"{K}_act").value == "step" and at.checkbox(key=f"{K}_lecture").value
    assert _metric(at, "Hidden space") == "100%"
    assert int(_metric(at, "Input plane").rstrip("%")) < 80
    enc = _chart(at, "encoding_chart")
    texts = [a["text"] for a in enc["layout"]["annotations"]]
    assert len(texts) == 3 and sum("red" in t for t in texts) == 2 and sum("blue" in t for t in texts) == 1
    assert any("set by hand to the lecture's two lines" in i.value for i in at.info)
    W, b = at.session_state[f"{K}_run"].net.layer(0, 0)
    torch.testing.assert_close(W, torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
    # The lines cannot be fixed for another architecture: the box is disabled and ignored.
    at.slider(key=f"{K}_units").set_value(3).run()
    assert at.checkbox(key=f"{K}_lecture").disabled
    assert not at.session_state[f"{K}_run"].net.frozen


def test_mini_batches_of_one_cap_the_growth_grid():
    at = _app({"dataset": "moons", "points": "100", "batch": "1", "gepochs": "1000"})
    assert not at.exception
    assert any("Only 200 epochs" in c.value for c in at.caption)  # 50 points: 50 steps per epoch
    assert "(200 epochs each" in " ".join(m.value for m in at.markdown)


def test_step_without_the_lecture_lines_explains_the_surrogate():
    at = _app({"act": "step", "units": "4"})
    assert not at.exception
    assert any("stand-in slope" in i.value for i in at.info)


# --------------------------------------------------------------------------- the page in a real browser


@pytest.mark.browser
def test_browser_views_live_training_and_url(app_server, page):
    open_page(page, app_server, "boundaries", "dataset=xor&units=2&act=tanh&lr=0.1&speed=10")
    page.wait_for_selector("text=4 · More hidden units", timeout=90_000)
    wait_idle(page, 90_000)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "boundaries_top", full_page=False)
    for name, heading in (("boundary", "1 · The boundary"), ("units", "2 · Each hidden unit is a line"),
                          ("encoding", "3 · The encoding"), ("growth", "4 · More hidden units")):
        page.get_by_text(heading).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(800)
        screenshot(page, f"boundaries_{name}", full_page=False)
    assert page.locator(".js-plotly-plot").count() >= 7

    # Live training: the epoch counter climbs while the page redraws by itself.
    page.get_by_role("button", name="Start").click()
    status = page.locator("text=/Epoch [0-9,]+/").first
    page.wait_for_function(
        "() => /Epoch ([0-9,]+)/.test(document.body.innerText) &&"
        " parseInt(document.body.innerText.match(/Epoch ([0-9,]+)/)[1].replace(/,/g, '')) >= 30",
        timeout=60_000)
    seen = set()
    for _ in range(6):
        seen.add(status.inner_text())
        page.wait_for_timeout(700)
    assert len(seen) >= 3, seen  # several different epochs shown without any click
    screenshot(page, "boundaries_training", full_page=False)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_selector("text=/paused/", timeout=30_000)
    wait_idle(page, 60_000)
    assert page.get_by_text("Replay: show the network as it was at epoch").count() == 1
    assert "dataset=xor" in page.url and "act=tanh" in page.url and "lr=0.1" in page.url
    screenshot(page, "boundaries_paused", full_page=False)
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []
