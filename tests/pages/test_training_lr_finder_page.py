"""The training page's learning-rate finder, driven by AppTest on the real data: Find, the suggestion, Use."""
import json

import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.fashion.recipe import RECIPES
from tests.conftest import poll_until
from ui.views.training_controls import LRS
from ui.views.training_lr_finder import slider_step


def open_training(query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()  # the router first: it installs presenter mode
    at.switch_page("pages/training.py").run()
    assert not at.exception, at.exception
    return at


def finder_chart(at: AppTest) -> dict | None:
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith("-training_lrf_chart"):
            return json.loads(c.proto.spec)
    return None


def test_slider_step_is_the_nearest_stop_on_a_log_scale():
    assert slider_step(7.2e-3) == 8e-3 and slider_step(4e-3) == 5e-3 and slider_step(2e-4) == 3e-4
    assert slider_step(1e-7) == LRS[0] and slider_step(100.0) == LRS[-1]


@pytest.mark.slow
def test_find_a_learning_rate_then_use_it():
    at = open_training({"lrf_steps": "120"})
    assert at.slider(key="training_lrf_steps").value == 120  # the finder's setting comes from the link
    assert at.select_slider(key="training_lr").value == RECIPES["mlp"].lr
    at.button(key="training_lrf_find").click().run()
    job = at.session_state["training_lrf_job"]
    try:
        if job.active:  # one job at a time per browser: the finder holds the training slot
            assert at.button(key="training_btn_start").disabled
        assert job.wait(60), "the sweep did not end"
        poll_until(at, lambda a: any(b.key == "training_lrf_use" for b in a.button), timeout=30)
    finally:
        job.stop()  # AppTests share one browser id: never leave a job for the next test
        job.wait(10)
    res = job.result
    assert res.suggested_lr is not None and job.kind == "train"  # the training queue: a class shares its slots
    assert res.lrs[1] / res.lrs[0] == pytest.approx(10 ** (7 / 119))  # 120 steps from 1e-6 to 10, as the link said
    fig = finder_chart(at)
    assert fig["layout"]["xaxis"]["type"] == "log" and len(fig["data"][1]["x"]) == len(res.lrs)
    assert fig["layout"]["shapes"][0]["x0"] == res.suggested_lr  # the suggestion, marked and labelled
    assert "suggested lr" in fig["layout"]["annotations"][0]["text"]
    lr = slider_step(res.suggested_lr)
    use = at.button(key="training_lrf_use")
    assert use.label == f"Use lr = {lr:g}"
    use.click().run()
    assert not at.exception
    assert at.select_slider(key="training_lr").value == lr
    assert float(at.query_params["lr"]) == lr and at.query_params["lrf_steps"] == "120"
    assert at.button(key="training_lrf_use").disabled  # it holds it already
    cfg = at.session_state["training_job"] if "training_job" in at.session_state else None
    assert cfg is None  # nothing trained yet: Use only sets the slider
    at.session_state["presenter_on"] = True  # presenter mode (app.py installed it) redraws the figure for the room
    at.run()
    assert not at.exception
    assert finder_chart(at)["data"][1]["line"]["width"] >= 3.5
