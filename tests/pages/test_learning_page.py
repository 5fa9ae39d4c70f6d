import base64
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from fmnist_core.basics import backprop as bp
from fmnist_core.toy.data import make_dataset
from tests.conftest import chart_spec, open_app, open_page, poll_until, real_console_errors, screenshot, wait_idle
from ui.figures import learning as lf

K = "learning"


def _app(query: dict | None = None) -> AppTest:
    return open_app("pages/learning.py", query)


def _chart(at, kind: str) -> dict:
    return chart_spec(at, kind)


def _arr(v) -> np.ndarray:
    """A plotly array from the figure JSON (plain list, or typed base64)."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.asarray(v)


def _text(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [x.value for x in at.latex])


def _expected(query: dict, mb: int = 1) -> bp.Pass:
    d = make_dataset(query.get("dataset", "xor"), int(query.get("points", 400)), float(query.get("noise", 0.2)),
                     0.5, int(query.get("seed", 0)))
    x, y = d.x_train.double().numpy(), d.y_train.double().numpy()
    pt = int(query.get("point", 0))
    idx = [(pt + i) % len(y) for i in range(mb)]
    w = bp.initial_weights(int(query.get("units", 2)), int(query.get("seed", 0)))
    return bp.run_pass(w, query.get("act", "tanh"), query.get("loss", "bce"), x[idx], y[idx])


# --------------------------------------------------------------------------- figures


def test_network_figure_labels_every_unit_and_edge_and_colours_by_gradient():
    p = _expected({"units": 3})
    fwd = lf.network_figure(3, p.values(0), p.weights.named())
    texts = " ".join(a.text for a in fwd.layout.annotations)
    assert "w<sub>11</sub> = <b>" in texts and "v<sub>3</sub>" in texts and "ŷ = σ(z)" in texts
    assert "∂L" not in texts and len([t for t in fwd.data if t.mode == "lines"]) == 3 * 2 + 3
    back = lf.network_figure(3, p.values(0), p.weights.named(), p.mean.named(), highlight="w21")
    grads = {n: abs(g) for n, g in p.mean.named().items() if n[0] in "wv"}
    biggest = max(grads, key=grads.get)
    widths = [t.line.width for t in back.data if t.line.color != lf.PICK]
    assert max(widths) == pytest.approx(8.5)  # the largest gradient gets the widest, darkest edge
    assert any(t.line.color == lf.PICK for t in back.data)  # the followed weight is highlighted
    assert f"∂L/∂{biggest[0]}<sub>{biggest[1:]}</sub>" in " ".join(a.text for a in back.layout.annotations)


def test_fmt_never_prints_nan():
    assert lf.fmt(float("inf")) == "∞" and lf.fmt(float("nan")) == "undefined" and lf.fmt(-0.5) == "−0.500"


# --------------------------------------------------------------------------- the page (AppTest)


def test_page_renders_and_writes_the_url():
    at = _app()
    assert not at.exception, at.exception
    for kind in ("diagram", "plane", "softmax_chart", "loss_curves"):
        _chart(at, kind)
    assert at.query_params["stage"] == "forward" and at.query_params["dataset"] == "xor"
    text = _text(at)
    for phrase in ("w_new = w_old − lr · dL/dw", "ŷ = σ(z)", "0010000000", "confidently wrong", "one-hot"):
        assert phrase in text, phrase


def test_steps_through_every_stage_with_the_numbers_shown():
    at = _app()
    p = _expected({})
    v = p.values(0)
    assert f"= {v['z1']:.3f}" in _text(at) and f"= {v['y_hat']:.3f}" in _text(at)
    at.button(key=f"{K}_next").click().run()
    assert at.session_state[f"{K}_stage"] == "loss" and at.query_params["stage"] == "loss"
    assert lf.fmt(p.losses[0]) in _text(at)
    at.button(key=f"{K}_next").click().run()
    assert at.session_state[f"{K}_stage"] == "backward"
    chain = next(x.value for x in at.latex if "partial w_{11}" in x.value)
    assert "x_1 \\cdot f'(z_1) \\cdot v_1 \\cdot (\\hat y - y)" in chain
    assert f"{p.grads[0].named()['w11']:.4g}" in chain
    check = next(s.value for s in at.success)
    assert float(re.search(r"\*\*([0-9.e+-]+)\*\*", check).group(1)) < 1e-10
    spec = _chart(at, "diagram")
    assert "∂L/∂w<sub>11</sub>" in json.dumps(spec, ensure_ascii=False)
    at.selectbox(key=f"{K}_weight").set_value("v2").run()
    chain = next(x.value for x in at.latex if "partial v_{2}" in x.value)
    assert "\\begin{aligned}" in chain and "a_2" in chain and at.query_params["weight"] == "v2"
    at.button(key=f"{K}_next").click().run()
    assert at.session_state[f"{K}_stage"] == "update"
    table = at.dataframe[0].value
    lr = 1.0
    np.testing.assert_allclose(table["new"], table["old"] - lr * np.array(list(p.mean.named().values())), atol=1e-12)
    before = at.session_state[f"{K}_weights"]
    at.button(key=f"{K}_apply").click().run()
    assert not at.exception
    assert at.session_state[f"{K}_stage"] == "forward" and at.session_state[f"{K}_steps"] == 1
    np.testing.assert_allclose(at.session_state[f"{K}_weights"].vector(), bp.update(p, lr).new.vector())
    assert not np.allclose(before.vector(), at.session_state[f"{K}_weights"].vector())
    at.button(key=f"{K}_reset").click().run()
    assert at.session_state[f"{K}_steps"] == 0


def test_mini_batch_shows_each_points_gradient_and_their_mean():
    at = _app({"mb": "1", "mbsize": "6", "point": "5", "stage": "backward", "loss": "mse", "act": "relu"})
    assert not at.exception
    p = _expected({"point": 5, "loss": "mse", "act": "relu"}, mb=6)
    df = at.dataframe[0].value
    assert list(df.columns) == [f"point {i}" for i in range(6)] + ["mean (step)"]
    np.testing.assert_allclose(df["mean (step)"], p.mean.vector(), atol=1e-12)
    np.testing.assert_allclose(df.iloc[:, :6].mean(1), df["mean (step)"], atol=1e-12)
    assert len(_chart(at, "plane")["data"][-1]["x"]) == 6  # the batch is ringed


def test_a_decision_boundary_link_opens_the_same_network():
    at = _app({"dataset": "moons", "units": "8", "act": "relu", "lr": "0.1", "seed": "5", "layers": "2",
               "opt": "adam", "speed": "25"})
    assert not at.exception
    assert at.selectbox(key=f"{K}_dataset").value == "moons" and at.slider(key=f"{K}_units").value == 4
    assert any("'units' in the link was clamped" in t.value for t in at.toast)
    assert at.selectbox(key=f"{K}_act").value == "relu" and at.select_slider(key=f"{K}_lr").value == "0.1"
    np.testing.assert_array_equal(at.session_state[f"{K}_weights"].w, bp.initial_weights(4, 5).w)
    assert "layers" not in at.query_params and at.query_params["seed"] == "5"
    at2 = _app({"act": "step"})
    assert any("stand-in slope" in i.value for i in at2.info)


def test_a_diverging_learning_rate_is_reported_not_drawn():
    at = _app({"lr": "100", "stage": "update"})
    assert not at.exception
    assert any("The step diverged" in e.value for e in at.error)
    assert not any(b.proto.id.endswith("apply") for b in at.button)  # nothing to apply
    assert "nan" not in json.dumps(_chart(at, "diagram")).lower()


def test_softmax_section_numbers(fmnist):
    at = _app({"img": "48", "temp": "0.5"})
    table = next(d.value for d in at.dataframe if "logit z" in d.value.columns)
    logits = torch.tensor(table["logit z"].to_numpy())
    np.testing.assert_allclose(table["p"], torch.softmax(logits / 0.5, 0).numpy(), atol=1e-12)
    assert list(table["one-hot y"]) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0] and int(fmnist.test_labels[48]) == 2
    ce = F.cross_entropy(logits[None], torch.tensor([2])).item()
    assert f"{ce:.4f}" in _text(at)


def test_softmax_section_reports_a_damaged_bundled_model(fmnist, tmp_path, monkeypatch):
    from ui.views import learning_softmax

    junk = tmp_path / "mlp.pt"
    junk.write_bytes(b"not a checkpoint")
    monkeypatch.setattr(learning_softmax, "MODEL", junk)  # AppTest runs the page in this process
    at = _app()
    assert not at.exception
    assert any("The bundled model could not be loaded" in e.value for e in at.error)
    assert not any("logit z" in d.value.columns for d in at.dataframe)  # nothing drawn from a model it lacks
    _chart(at, "loss_curves")  # the rest of the page still runs


def test_live_bce_vs_mse_comparison():
    at = _app({"units": "2", "lr": "1"})
    at.button(key=f"{K}_job__start").click().run()
    assert not at.exception
    poll_until(at, lambda at: not at.session_state[f"{K}_job"].active, timeout=90)
    at.run()
    job = at.session_state[f"{K}_job"]
    assert job.state == "done" and job.result.status == "finished"
    spec = _chart(at, "compare_chart")
    names = {t["name"] for t in spec["data"]}
    assert names == {"Binary cross-entropy", "Mean squared error (MSE)"}
    ce = {t["name"]: _arr(t["y"]) for t in spec["data"] if t["xaxis"] == "x"}
    assert ce["Binary cross-entropy"][-1] < ce["Mean squared error (MSE)"][-1]  # from confidently wrong


# --------------------------------------------------------------------------- a real browser


@pytest.mark.browser
def test_browser_click_a_point_and_step_through(app_server, page):
    open_page(page, app_server, "learning", "dataset=xor&units=2&act=tanh&lr=1&point=0")
    page.wait_for_selector("text=Stage 1 of 4", timeout=90_000)
    wait_idle(page, 90_000)
    # Click the training point farthest from the others, at its pixel from plotly's own axes.
    d = make_dataset("xor", 400, 0.2, 0.5, 0)
    xs = d.x_train.numpy()
    dist = ((xs[:, None] - xs[None]) ** 2).sum(-1) + np.eye(len(xs)) * 1e9
    target = int(dist.min(1).argmax())
    x1, x2 = (float(v) for v in xs[target])
    plane = page.locator(".js-plotly-plot").nth(1)
    plane.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    xy = plane.evaluate("""(gd, p) => { const L = gd._fullLayout, r = gd.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.l2p(p[0]), r.top + L.yaxis._offset + L.yaxis.l2p(p[1])]; }""",
        [x1, x2])
    page.mouse.click(*xy)
    page.wait_for_function(f"() => /point={target}(&|$)/.test(location.search)", timeout=30_000)
    wait_idle(page)
    assert page.get_by_text(f"Point {target}: x1").count() == 1
    for stage in ("Loss", "Backward", "Update"):
        page.get_by_role("button", name=re.compile("^Next")).click()
        page.wait_for_selector(f"text=Stage {('Loss', 'Backward', 'Update').index(stage) + 2} of 4 · {stage}",
                               timeout=30_000)
        wait_idle(page)
        page.get_by_text("1 · One training step").first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        screenshot(page, f"learning_{stage.lower()}", full_page=False)
    assert page.get_by_text("Checked by autograd").count() == 0  # the update stage shows the table instead
    page.get_by_role("button", name=re.compile("Apply the step")).click()
    page.wait_for_selector("text=Stage 1 of 4 · Forward", timeout=30_000)
    wait_idle(page)
    assert page.get_by_text("Steps taken so far: 1").count() == 1
    assert "stage=forward" in page.url and f"point={target}" in page.url
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []
