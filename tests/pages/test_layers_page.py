"""The layers page: AppTest drives every view on both bundled models and a saved run; the probe and t-SNE
jobs; the drawing from page 8; a clicked map dot; a headless-browser screenshot."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.fashion.dataset import CLASS_NAMES
from tests.conftest import (arr, chart_spec, open_app_with, open_page, real_console_errors, screenshot,
                            wait_for_job, wait_idle)

PAGE = "pages/layers.py"
pytestmark = pytest.mark.usefixtures("own_runs_dir")  # every test: no saved runs, nothing cached on disk


def open_layers(query: dict | None = None, state: dict | None = None) -> AppTest:
    return open_app_with(PAGE, query, state)


def test_weights_for_mlp_and_cnn():
    at = open_layers({"model": "mlp", "view": "weights"})
    z = arr(chart_spec(at, "layers_weights")["data"][0]["z"])
    assert z.shape == (4 * 28 + 3 * 2, 8 * 28 + 7 * 2)  # the 32 most important units as 28x28 images, 8 a row
    assert np.nanmax(np.abs(z)) == pytest.approx(1.0)  # each scaled to its own largest weight
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "784 weights" in text and "Importance" in text
    at.selectbox(key="layers_model").set_value("cnn").run()
    assert not at.exception
    z = arr(chart_spec(at, "layers_weights")["data"][0]["z"])
    assert z.shape == (4 * 3 + 3, 8 * 3 + 7)  # 32 filters of 3x3
    assert at.query_params["model"] == "cnn" and at.query_params["view"] == "weights"


@pytest.mark.parametrize("model, layer, n", [("mlp", "hidden3", 12), ("cnn", "conv2", 8), ("cnn", "fc", 6)])
def test_top_images_per_unit(model, layer, n):
    at = open_layers({"model": model, "view": "units", "layer": layer, "units": str(n)})
    assert at.session_state["layers_layer"] == layer
    assert len(at.get("image")) == n
    captions = [c.value for c in at.caption if "/9 " in c.value]
    assert len(captions) == n
    metrics = at.metric
    assert len(metrics) == 3 and all(m.value.endswith("%") for m in metrics)
    if layer == "conv2":
        assert any("8×8 pixels" in m.value for m in at.markdown)  # patches cropped to the receptive field


def test_feature_maps_on_cnn_and_a_sentence_on_mlp():
    at = open_layers({"model": "mlp", "view": "maps"})
    assert any("no convolutions" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "layers_maps" in c.proto.id]
    at.selectbox(key="layers_model").set_value("cnn").run()
    at.number_input(key="layers_image").set_value(42).run()
    assert not at.exception
    assert arr(chart_spec(at, "layers_maps_conv1")["data"][0]["z"]).shape == (4 * 28 + 3, 8 * 28 + 7)  # 32 maps, 8 a row
    assert arr(chart_spec(at, "layers_maps_conv2")["data"][0]["z"]).shape == (4 * 14 + 3, 16 * 14 + 15)
    assert any("test image #42" in c.value for c in at.caption)
    assert at.query_params["image"] == "42"


def test_the_drawing_goes_through_the_cnn_and_onto_the_map(fmnist):
    sneaker = fmnist.test_images[(fmnist.test_labels == 7).nonzero()[0, 0]].numpy()
    at = open_layers({"model": "cnn", "view": "maps", "input": "drawing"}, state={"sketch_input28": sneaker})
    assert any("your drawing" in c.value and "Sneaker" in c.value for c in at.caption)
    at.session_state["layers_view"] = "space"
    at.run()
    assert not at.exception
    fig = chart_spec(at, "layers_map_features")
    star = [t for t in fig["data"] if t.get("name") == "your drawing"]
    assert len(star) == 1
    assert sum(len(arr(t["x"])) for t in fig["data"] if t.get("name") != "your drawing") == 3000
    said = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any("looks like the training images" in s and "Sneaker" in s for s in said), said  # a real test photo


def test_a_scribble_is_flagged_unlike_the_training_images():
    scribble = np.zeros((28, 28), np.uint8)
    scribble[np.arange(28), np.arange(28)] = 255  # one thin diagonal line
    at = open_layers({"model": "cnn", "view": "space"}, state={"sketch_input28": scribble})
    assert any("unlike the training images" in w.value for w in at.warning)


def test_clicking_a_dot_shows_its_test_image(fmnist):
    at = open_layers({"model": "mlp", "view": "space"})
    assert not [c for c in at.get("plotly_chart") if "layers_picked" in c.proto.id]
    at.session_state["layers_map_features"] = {"selection": {"points": [{"x": 0.1, "y": 0.2, "customdata": [42]}]}}
    at.run()
    assert not at.exception
    np.testing.assert_array_equal(arr(chart_spec(at, "layers_picked")["data"][0]["z"]), fmnist.test_images[42].numpy())
    said = [m.value for m in at.markdown if "Test image **#42**" in m.value]
    assert len(said) == 1 and CLASS_NAMES[int(fmnist.test_labels[42])] in said[0]


def test_probe_runs_in_the_background_then_is_cached(own_runs_dir):
    at = open_layers({"model": "mlp", "view": "probe"})
    assert any("Not measured" in c.value for c in at.caption)
    at.button(key="layers_probe_job__start").click().run()
    job = at.session_state["layers_probe_job"]
    wait_for_job(job, 240)
    at.run()
    fig = chart_spec(at, "layers_probe")
    test_curve = fig["data"][-1]
    assert list(test_curve["x"]) == ["raw pixels", "hidden layer 1", "hidden layer 2", "hidden layer 3"]
    acc = arr(test_curve["y"])
    assert acc[-1] > acc[0] + 0.03
    assert list((own_runs_dir / ".cache").glob("*-probe-*.json"))
    again = open_layers({"model": "mlp", "view": "probe"})  # a new session: no job, read from the cache
    assert chart_spec(again, "layers_probe")


@pytest.mark.slow
def test_tsne_in_the_background():
    at = open_layers({"model": "mlp", "view": "space", "method": "tsne"})
    at.button(key="layers_tsne_job__start").click().run()
    wait_for_job(at.session_state["layers_tsne_job"], 240)
    at.run()
    assert not at.exception
    for key in ("layers_map_pixels", "layers_map_features"):
        pts = np.concatenate([arr(t["x"]) for t in chart_spec(at, key)["data"]])
        assert len(pts) == 3000 and np.isfinite(pts).all()
    assert any("t-SNE keeps near neighbours near" in c.value for c in at.caption)


def test_a_saved_run_is_offered_and_shown(own_runs_dir, fmnist_small):
    from fmnist_core.fashion.runs import RunRecord, save_run
    from fmnist_core.fashion.train import TrainConfig, train

    result = train(TrainConfig(model="mlp", hidden=(24, 12), time_budget=2.0, epochs=50, eval_every=0), fmnist_small)
    path = save_run(RunRecord.from_result(result, 1), own_runs_dir)
    at = open_layers({"view": "units"})
    key = f"run:{path.name}"
    assert any(o.startswith("Saved run: #1 MLP 24-12") for o in at.selectbox(key="layers_model").options)
    at.selectbox(key="layers_model").set_value(key).run()
    assert not at.exception
    assert list(at.segmented_control(key="layers_layer").options) == ["hidden layer 1", "hidden layer 2"]
    assert len(at.get("image")) == 12
    at.session_state["layers_view"] = "weights"
    at.run()
    assert arr(chart_spec(at, "layers_weights")["data"][0]["z"]).shape == (3 * 28 + 2 * 2, 8 * 28 + 7 * 2)  # 24 units
    at.session_state["layers_view"] = "maps"
    at.run()
    assert any("no convolutions" in i.value for i in at.info)


def test_a_saved_demo_cnn_shows_its_three_blocks(own_runs_dir, fmnist_small):
    """cnn_v2 (the training page's CNN): strided blocks, no dense hidden layer, 4x4 maps in block 3."""
    from fmnist_core.fashion.runs import RunRecord, save_run
    from fmnist_core.fashion.train import RECIPES, train

    result = train(RECIPES["cnn"].with_(time_budget=2.0, epochs=50, eval_every=0), fmnist_small)
    path = save_run(RunRecord.from_result(result, 1), own_runs_dir)
    at = open_layers({"model": f"run:{path.name}", "view": "units", "layer": "conv3", "units": "8"})
    assert at.session_state["layers_layer"] == "conv3"
    assert list(at.segmented_control(key="layers_layer").options) == ["conv block 1", "conv block 2", "conv block 3"]
    assert len(at.get("image")) == 8 and len(at.metric) == 3
    assert any("15×15 pixels" in m.value for m in at.markdown)  # three stride-2 convolutions see 15x15
    at.session_state["layers_view"] = "maps"
    at.run()
    assert not at.exception
    rows = [-(-c // 16) for c in RECIPES["cnn"].hidden]  # maps 16 to a row: 24 (14x14) and 96 (4x4) make 2 and 6
    assert arr(chart_spec(at, "layers_maps_conv1")["data"][0]["z"]).shape == (rows[0] * 15 - 1, 16 * 14 + 15)
    assert arr(chart_spec(at, "layers_maps_conv3")["data"][0]["z"]).shape == (rows[2] * 5 - 1, 16 * 4 + 15)


def test_bad_links_are_corrected():
    at = open_layers({"model": "nope", "view": "x", "layer": "conv9", "units": "1000", "image": "-5"})
    assert at.session_state["layers_model"] == "cnn" and at.session_state["layers_view"] == "weights"
    assert at.session_state["layers_units"] == 48 and at.session_state["layers_image"] == 0
    assert at.toast


@pytest.mark.browser
def test_browser_screenshot(app_server, page):
    open_page(page, app_server, "layers", "model=cnn&view=units&layer=conv1&units=12", timeout=120_000)
    page.get_by_text("top images are of one class").first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    screenshot(page, "layers-units-cnn", full_page=False)
    open_page(page, app_server, "layers", "model=cnn&view=maps&image=3", timeout=120_000)
    page.get_by_text("conv block 2").first.wait_for(timeout=60_000)
    wait_idle(page)
    screenshot(page, "layers-maps-cnn", full_page=False)
    open_page(page, app_server, "layers", "model=mlp&view=space", timeout=120_000)
    page.get_by_text("Last hidden layer").first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    screenshot(page, "layers-space-mlp", full_page=False)
    assert "view=space" in page.url
    assert real_console_errors(page) == []
