"""The training page: AppTest drives real runs on the real data; a real browser watches one live."""
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fmnist_core.fashion import metrics
from fmnist_core.fashion.runs import RunRecord
from fmnist_core.fashion.train import RECIPES, train
from tests.conftest import open_page, poll_until, real_console_errors, screenshot, wait_idle


def open_training(query: dict | None = None) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page("pages/training.py").run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, key: str) -> dict | None:
    """The plotly figure of the chart with this key."""
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith(f"-{key}"):
            return json.loads(c.proto.spec)
    return None


def vega(at: AppTest, title: str | None = None, key: str | None = None) -> dict | None:
    """The Vega-Lite spec with this title (or key), its data rows back in place (Streamlit ships them as Arrow).

    Streamlit gives an element id (which ends with the key) only to charts with a selection; the others
    are found by title.
    """
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    for c in at.get("vega_lite_chart"):
        spec = json.loads(c.proto.spec)
        t = spec.get("title")
        if (key and (c.proto.id or "").endswith(f"-{key}")) or (
                title and (t == title or (isinstance(t, str) and t.startswith(title)))):
            rows = convert_arrow_bytes_to_pandas_df(c.proto.data.data).to_dict("records") if c.proto.data.data else []
            return {**spec, "data": {"values": rows}}
    return None


def curve_names(spec: dict) -> set[str]:
    """The curves a Vega-Lite curves spec draws (from its inline data rows)."""
    rows = spec["data"]["values"] if "values" in spec.get("data", {}) else []
    return {r["curve"] for r in rows} | {f'{r["run"]} · {r["curve"]}' for r in rows}


def pictures(at) -> list[str]:
    """The PNG pictures (image grids) the page shows inline."""
    return [h.proto.body for h in at.get("html") if "data:image/png;base64," in h.proto.body]


def test_page_defaults_to_the_classic_recipe_and_reads_links():
    at = open_training()
    assert at.selectbox(key="training_model").value == "classic"
    assert at.slider(key="training_budget").value == 30
    assert at.select_slider(key="training_lr").value == RECIPES["mlp"].lr
    assert not at.button(key="training_btn_start").disabled
    assert pictures(at), "no picture of the test images before training"
    linked = open_training({"optimizer": "sgd", "lr": "0.09", "batch": "100", "until": "epochs", "epochs": "3"})
    assert linked.selectbox(key="training_optimizer").value == "sgd"
    assert linked.select_slider(key="training_lr").value == 0.1  # snapped to the slider's nearest step
    assert linked.select_slider(key="training_batch").value == 128
    assert linked.slider(key="training_epochs").value == 3


def test_bad_hidden_sizes_get_a_message_not_a_traceback():
    at = open_training()
    at.selectbox(key="training_model").set_value("mlp").run()
    at.text_input(key="training_hidden").input("256, lots").run()
    assert not at.exception
    assert any("whole numbers" in e.value for e in at.error)
    assert at.button(key="training_btn_start").disabled


def test_a_run_shows_curves_and_the_confusion_matrix_then_stops():
    at = open_training({"budget": "60"})
    at.button(key="training_btn_start").click().run()
    job = at.session_state["training_job"]
    assert job.active
    try:
        _watch_then_stop(at, job)
    finally:
        job.stop()  # never leave a job running for the next test (AppTests share one session id)
        job.wait(10)


def _watch_then_stop(at: AppTest, job) -> None:
    # after the first epoch; the loss chart and the matrix may show it one refresh apart on a busy machine
    poll_until(at, lambda a: vega(a, key="training_cm_chart") is not None
               and "test" in curve_names(vega(a, "Loss") or {}), timeout=90)
    names = curve_names(vega(at, "Loss"))
    assert "train" in names and "test" in names
    cells = vega(at, key="training_cm_chart")["data"]["values"]
    assert len(cells) == 100 and sum(c["n"] for c in cells) == 10_000  # every test image, once
    assert vega(at, "Per class") is not None and len(pictures(at)) >= 2  # cell images + the 20 answers
    assert any("Confusion matrix after epoch" in m.value for m in at.markdown)

    at.button(key="training_btn_pause").click().run()
    assert job.control.paused and any("Paused" in p.proto.text for p in at.get("progress"))
    at.button(key="training_btn_resume").click().run()
    assert not job.control.paused

    at.button(key="training_btn_stop").click().run()
    assert job.wait(10), "the job did not end after Stop"
    poll_until(at, lambda a: any("Stopped" in w.value for w in a.warning))
    assert job.result.status == "stopped"
    runs = at.session_state["training_runs"]
    assert len(runs) == 1 and runs[0].status == "stopped" and runs[0].probabilities.shape == (10000, 10)
    assert "(1)" in at.tabs[1].label
    assert any("most confident mistakes" in m.value for m in at.markdown)  # from the final probabilities
    assert len(pictures(at)) >= 3
    assert not at.button(key="training_btn_start").disabled


def test_a_diverging_run_stops_with_a_clear_message():
    at = open_training({"optimizer": "sgd", "lr": "3", "norm": "none", "budget": "30"})
    at.button(key="training_btn_start").click().run()
    poll_until(at, lambda a: any("diverged" in e.value for e in a.error), timeout=60)
    job = at.session_state["training_job"]
    assert job.result.status == "diverged"
    assert any("Lower the learning rate" in e.value for e in at.error)
    assert at.session_state["training_runs"][0].can_ensemble is False
    at.button(key="training_btn_reset").click().run()  # back to the idle view; the run stays kept
    assert "training_job" not in at.session_state and any("Press **▶ Start" in i.value for i in at.info)
    assert len(at.session_state["training_runs"]) == 1


def test_initializer_parameters_reach_the_trainer():
    at = open_training({"budget": "2"})
    at.selectbox(key="training_init").set_value("normal").run()
    at.number_input(key="training_init_normal_std").set_value(0.05).run()
    assert not at.exception
    at.button(key="training_btn_start").click().run()
    job = at.session_state["training_job"]
    job.wait(60)
    cfg = job.result.config
    assert cfg.init == "normal" and dict(cfg.init_params) == {"std": 0.05}
    first = job.result.model.net[0].weight  # trained 2 s from N(0, 0.05): still near that scale
    assert 0.03 < float(first.detach().std()) < 0.08  # PyTorch's default here is ~0.02


def test_the_chosen_optimizers_own_hyperparameters_are_sliders_in_the_link_and_reach_the_trainer():
    at = open_training({"budget": "2", "beta2": "0.98"})  # Adam: the classic recipe's optimizer
    sliders = {s.key for s in at.select_slider}
    assert {"training_beta1", "training_beta2"} <= sliders and not {"training_momentum", "training_alpha"} & sliders
    assert at.select_slider(key="training_beta1").value == 0.9  # the registry's default
    assert at.select_slider(key="training_beta2").value == 0.99  # the link's 0.98 on the slider's nearest stop
    assert at.select_slider(key="training_beta1").label == "β₁ (momentum)"
    at.select_slider(key="training_beta1").set_value(0.5).run()
    assert at.query_params["beta1"] == "0.5" and at.query_params["beta2"] == "0.99"
    at.button(key="training_btn_start").click().run()
    job = at.session_state["training_job"]
    job.stop()
    assert job.wait(30)
    assert dict(job.result.config.optimizer_params) == {"beta1": 0.5, "beta2": 0.99}
    at.selectbox(key="training_optimizer").set_value("rmsprop").run()
    sliders = {s.key for s in at.select_slider}
    assert "training_alpha" in sliders and not {"training_beta1", "training_momentum"} & sliders
    at.selectbox(key="training_optimizer").set_value("sgd").run()
    assert not {s.key for s in at.select_slider} & {"training_alpha", "training_beta1", "training_momentum"}


@pytest.fixture(scope="module")
def two_real_runs(fmnist):
    """Two short real runs on the full data (different seeds), as the page keeps them."""
    cfg = RECIPES["mlp"].with_(hidden=(64,), epochs=1, batch_size=1024, eval_every=0)
    return [RunRecord.from_result(train(cfg.with_(seed=s), fmnist), run_id=100 + s, name=f"#{s + 1} seed {s}")
            for s in (0, 1)]


def test_runs_tab_compares_saves_and_ensembles(two_real_runs, fmnist, tmp_path, monkeypatch):
    monkeypatch.setenv("FMNIST_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file("../../app.py", default_timeout=60)
    at.session_state["training_runs"] = list(two_real_runs)
    at.switch_page("pages/training.py").run()
    assert not at.exception, at.exception
    overlay = curve_names(vega(at, "Accuracy"))  # the live view is empty: the only one is the comparison
    assert overlay >= {"#1 seed 0 · test", "#2 seed 1 · test", "#1 seed 0 · train"}
    labels = fmnist.test_labels.numpy()
    want = metrics.ensemble([r.probabilities for r in two_real_runs], labels)["accuracy"]
    text = " ".join(m.value for m in at.markdown)
    assert f"gets **{want:.2%}**" in text
    bars = vega(at, "Test accuracy: members and their ensemble")["data"]["values"]
    assert bars[-1]["label"] == f"{want:.2%}" and bars[-1]["kind"] == "ensemble"
    ens_cells = vega(at, "Ensemble")["data"]["values"]
    assert sum(c["n"] for c in ens_cells if c["t"] == c["p"]) == round(want * 10_000)
    assert at.get("download_button"), "no CSV download"
    at.button(key="training_save").click().run()
    assert not at.exception
    saved = list(tmp_path.glob("*.pt"))
    assert len(saved) == 1 and any(str(saved[0]) in s.value for s in at.success)


@pytest.mark.browser
def test_browser_watches_a_run_live(app_server, page):
    open_page(page, app_server, "training", "budget=60")
    page.get_by_role("button", name="Start training").click()
    progress = page.locator("[data-testid='stProgress']")
    seen = []
    deadline = time.time() + 60
    while len(seen) < 4 and time.time() < deadline:  # the first one may be the 'Starting' line
        text = progress.inner_text() if progress.count() else ""
        if "Epoch" in text and (not seen or text != seen[-1]):
            seen.append(text)
        page.wait_for_timeout(150)
    assert len(seen) >= 3, f"the progress line changed only {len(seen)} times: {seen}"
    curve = page.locator("[data-testid='stVegaLiteChart']").first
    curve.locator("canvas, svg").first.wait_for(timeout=30_000)  # the loss curve is drawn
    screenshot(page, "training-running", full_page=False)

    # Another widget, used while it trains: the smoothing slider reruns only its view.
    slider = page.locator("[data-testid='stSlider']").filter(has_text="Smoothing").get_by_role("slider")
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(1500)
    assert "0.55" in page.locator("[data-testid='stSlider']").filter(has_text="Smoothing").inner_text()
    later = progress.inner_text()
    page.wait_for_timeout(1500)
    assert progress.inner_text() != later, "the live view stopped updating after the widget moved"

    page.get_by_role("button", name="⏹ Stop").click()
    page.get_by_text("Stopped").first.wait_for(timeout=20_000)
    wait_idle(page)
    # The settings survive the run: they come back as they were, and the link still carries them.
    assert "budget=60" in page.url and "optimizer=adam" in page.url, page.url
    page.locator("[data-testid='stMain']").evaluate("e => e.scrollTo(0, 0)")
    screenshot(page, "training-stopped", full_page=False)
    # Clicking a confusion-matrix cell (true Coat, predicted Shirt) shows the test images in it.
    cells = page.locator("[data-testid='stVegaLiteChart'] g.mark-rect path")
    cells.nth(0).scroll_into_view_if_needed()
    cells.nth(4 * 10 + 6).click()  # rows: true class, columns: predicted
    page.get_by_text("True Coat, predicted Shirt").first.wait_for(timeout=20_000)
    screenshot(page, "training-stopped-confusion", full_page=False)
    page.get_by_text("True Coat, predicted Shirt").first.scroll_into_view_if_needed()
    screenshot(page, "training-stopped-cell", full_page=False)
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []


# --------------------------------------------------------------------------- figure builders (pure)

def test_confusion_chart_has_one_clickable_cell_per_pair():
    from ui.figures.training import confusion_chart

    cm = np.arange(100).reshape(10, 10)
    spec = confusion_chart(cm, [str(i) for i in range(10)], normalized=True, selected=(6, 0))
    rows = spec["data"]["values"]
    assert len(rows) == 100
    cell = next(r for r in rows if (r["t"], r["p"]) == (6, 0))
    assert cell["n"] == 60 and cell["v"] == pytest.approx(60 / cm[6].sum()) and cell["sel"] is True
    assert sum(r["sel"] for r in rows) == 1 and cell["text"] == f"{60 / cm[6].sum():.0%}"
    assert spec["layer"][0]["params"][0]["name"] == "cell"  # the selection the page reads
    assert spec["layer"][0]["params"][0]["select"]["fields"] == ["t", "p"]
    counts = confusion_chart(cm, [str(i) for i in range(10)])["data"]["values"]
    assert [r["text"] for r in counts[:3]] == ["", "1", "2"]  # empty cells stay blank
    json.dumps(spec)


def test_precision_recall_chart_rows():
    from ui.figures.training import precision_recall_chart

    spec = precision_recall_chart(np.linspace(0.5, 0.95, 10), np.linspace(0.9, 0.6, 10), list("abcdefghij"))
    rows = spec["data"]["values"]
    assert len(rows) == 20 and {r["metric"] for r in rows} == {"precision", "recall"}
    assert next(r for r in rows if r["cls"] == "j" and r["metric"] == "recall")["v"] == pytest.approx(0.6)


def test_curves_chart_smooths_and_keeps_charts_light():
    from fmnist_core.fashion.metrics import ema_smooth
    from ui.figures.training import MAX_POINTS, curves_chart

    n = 5000
    s = {"train_epoch": np.linspace(0, 10, n), "train_elapsed": np.linspace(0, 30, n),
         "train_loss": np.linspace(2, 0.3, n) + np.random.default_rng(0).normal(0, 0.05, n),
         "train_accuracy": np.linspace(0.3, 0.9, n), "test_epoch": np.arange(1.0, 11.0),
         "test_elapsed": np.arange(3.0, 33.0, 3.0), "test_loss": np.linspace(0.6, 0.33, 10),
         "test_accuracy": np.linspace(0.8, 0.89, 10)}
    spec = curves_chart([("run", s)], "loss", smoothing=0.9, title="Loss")
    rows = spec["data"]["values"]
    assert len(rows) <= MAX_POINTS + 10
    raw = [r["y"] for r in rows if r["curve"] == "train (raw)"]
    smooth = [r["y"] for r in rows if r["curve"] == "train"]
    assert smooth[-1] == pytest.approx(ema_smooth(s["train_loss"], 0.9)[-1])
    assert np.std(np.diff(smooth)) < np.std(np.diff(raw))  # smoother than the raw curve
    assert [r["x"] for r in rows if r["curve"] == "test"] == list(s["test_epoch"])
    assert spec["title"] == "Loss" and json.dumps(spec)  # plain JSON, as Vega-Lite wants it
    overlay = curves_chart([("a", s), ("b", s)], "accuracy", smoothing=0.0, x="elapsed")
    assert curve_names(overlay) >= {"a · train", "a · test", "b · train", "b · test"}
    assert len(overlay["data"]["values"]) <= MAX_POINTS + 20
    assert overlay["layer"][0]["encoding"]["y"]["axis"]["format"] == ".0%"
    nan_run = dict(s, test_loss=np.full(10, np.nan))  # a diverged run
    assert all(np.isfinite(r["y"]) for r in curves_chart([("d", nan_run)], "loss")["data"]["values"])


def test_image_grid_and_ensemble_chart():
    from ui.figures.training import BAD_COLOR, OK_COLOR, ensemble_chart, image_grid

    images = np.zeros((12, 28, 28), dtype=np.uint8)
    images[:, 10:18, 10:18] = 255  # a bright square: drawn dark on white
    pic = image_grid(images, [f"t{i}" for i in range(12)], ok=[i % 2 == 0 for i in range(12)],
                     subtitles=["a\nb"] * 12, cols=5, scale=3)
    assert pic.dtype == np.uint8 and pic.ndim == 3 and pic.shape[2] == 3
    assert pic.shape[1] == 5 * (84 + 10) + 10  # 5 columns of 84-pixel tiles
    px = pic.reshape(-1, 3).astype(int)

    def has(hex_color):
        rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
        return (np.abs(px - rgb).sum(1) < 40).any()

    assert has(OK_COLOR) and has(BAD_COLOR)  # green titles for right answers, red for wrong ones
    assert (px == 0).all(1).sum() >= 12 * 24 * 24  # the squares, inverted
    ens = ensemble_chart(["a", "b"], [0.88, 0.885], 0.893)
    assert [r["label"] for r in ens["data"]["values"]] == ["88.00%", "88.50%", "89.30%"]
    assert ens["data"]["values"][-1]["kind"] == "ensemble"


def test_choosing_the_cnn_brings_its_recipe():
    at = open_training()
    at.selectbox(key="training_model").set_value("cnn").run()
    assert not at.exception
    r = RECIPES["cnn"]
    assert at.select_slider(key="training_batch").value == r.batch_size
    assert at.session_state["training_dropout"] == r.dropout
    assert at.select_slider(key="training_lr").value == r.lr
    at.selectbox(key="training_model").set_value("classic").run()
    assert at.select_slider(key="training_batch").value == RECIPES["mlp"].batch_size


def test_the_cnn_says_when_a_long_budget_makes_it_wider():
    from fmnist_core.fashion.recipe import LONG_BUDGET, LONG_RECIPES

    at = open_training({"model": "cnn", "budget": str(int(LONG_BUDGET))})
    wide = "-".join(map(str, LONG_RECIPES["cnn"].hidden))
    captions = [c.value for c in at.caption if "Small CNN: channels" in c.value]
    assert len(captions) == 1 and f"({wide})" in captions[0]
    at.selectbox(key="training_model").set_value("classic").run()
    assert not [c for c in at.caption if "Small CNN: channels" in c.value]


def test_a_link_to_the_cnn_brings_its_recipe_where_it_names_no_value():
    """?model=cnn (a lesson step, a hand-written link) trains with the CNN recipe's batch, dropout and
    learning rate, not the MLP's defaults; a value the link names wins."""
    r = RECIPES["cnn"]
    at = open_training({"model": "cnn", "budget": "30"})
    ss = at.session_state
    assert (ss["training_lr"], ss["training_batch"], ss["training_dropout"]) == (r.lr, r.batch_size, r.dropout)
    assert r.lr != RECIPES["mlp"].lr and r.batch_size != RECIPES["mlp"].batch_size  # else this checks nothing
    at = open_training({"model": "cnn", "lr": "0.003"})
    assert at.session_state["training_lr"] == 0.003 and at.session_state["training_batch"] == r.batch_size
    at = open_training({"model": "classic"})
    assert at.session_state["training_lr"] == RECIPES["mlp"].lr
