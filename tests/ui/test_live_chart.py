"""The live line chart (ui/kit/live_chart.py): the data it is given, and in a real browser that it draws
and that a curve grows between two updates instead of jumping."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fmnist_core.initialization.compare import RunCurves
from tests.conftest import chart_on_page, charts_on_page, open_page, real_console_errors, screenshot, wait_idle
from ui.figures import initialization as init_figures
from ui.kit import live_chart
from ui.figures import palette
from ui.kit import presenter

E = np.zeros(0)


def run(init: str, status: str, steps, loss, diverged_at=None) -> RunCurves:
    return RunCurves(init, status, "", np.asarray(steps), np.asarray(loss, dtype=float), E, E, E, E,
                     diverged_at=diverged_at)


def test_non_finite_points_are_dropped():
    s = live_chart.series("a", [0, 1, 2, 3, 4], [1.0, np.nan, np.inf, 2.0, -np.inf], color="#000")
    assert s["x"].tolist() == [0, 3] and s["y"].tolist() == [1.0, 2.0]
    log = live_chart.panel("p", [live_chart.series("b", [0, 1, 2], [0.0, -1.0, 5.0], color="#000")], y_log=True)
    assert log["series"][0]["x"].tolist() == [2]  # a log axis cannot show 0 or less
    data = live_chart.chart_data({"panels": [log]})
    line = data["panels"][0]["series"][0]
    assert line["n"] == 1 and live_chart.values(line["y"]).tolist() == [5.0]
    json.dumps(data, allow_nan=False)  # no NaN reaches the browser
    with pytest.raises(ValueError):
        live_chart.series("c", [0, 1], [1.0], color="#000")
    with pytest.raises(ValueError):
        live_chart.panel("p", [], y_range=[1.0, float("nan")])
    with pytest.raises(ValueError):
        live_chart.panel("p", [], y_range=[0.0, 10.0], y_log=True)


def test_loss_chart_marks_divergence_and_labels_the_legend():
    runs = [run("normal", "diverged", [0, 5], [2.4, 80.0], diverged_at=7),
            run("he_normal", "finished", [0, 5, 10], [2.3, 1.0, 0.5]),
            run("xavier_normal", "running", [0, 5], [2.3, 1.4]),
            run("lecun", "stopped", [0, 5], [2.3, 1.9])]
    spec = init_figures.loss_chart(runs, ["N", "He", "Xavier", "LeCun"], title="Training loss")
    assert live_chart.legend(spec) == ["N — diverged at step 7", "He", "Xavier (training…)", "LeCun — stopped"]
    (p,) = spec["panels"]
    assert p["title"] == "Training loss" and not p["y_log"]  # the diverged run's 80 does not count
    assert p["y_range"] == pytest.approx([0, 2.3 * 1.1]) and p["y_title"] == "training loss"
    end = p["series"][0]["end"]
    assert end["text"] == "diverged at step 7" and end["x"] == 7
    assert end["y"] == pytest.approx(2.3 * 1.1 / 1.05)  # off the chart: at its top edge
    assert [s["end"] for s in p["series"][1:]] == [None, None, None]
    assert [s["key"] for s in p["series"]] == ["run0", "run1", "run2", "run3"]  # kept while the status changes


def test_loss_chart_goes_log_when_losses_exceed_50():
    runs = [run("normal", "finished", [0, 5, 10], [400.0, 60.0, 3.0]), run("he_normal", "finished", [0, 5], [2.3, 1.0])]
    (p,) = init_figures.loss_chart(runs, ["N", "He"])["panels"]
    assert p["y_log"] and p["y_title"] == "training loss (log)"
    assert p["y_range"] == pytest.approx([1.0 / 1.5, 1200.0])
    only_nan = init_figures.loss_chart([run("normal", "diverged", [0], [math.nan], diverged_at=1)], ["N"])
    (q,) = only_nan["panels"]
    assert len(q["series"][0]["x"]) == 0
    assert q["series"][0]["end"]["text"] == "diverged at step 1" and q["y_range"][1] > 0


def test_presenter_mode_recolours_and_thickens():
    spec = {"panels": [live_chart.panel("p", [
        live_chart.series("a", [0, 1], [1, 2], color=palette.DEFAULT["train"], width=3),
        live_chart.series("b", [0, 1], [1, 2], color="#9467bd", width=1.5, dash="dot", markers=8)])]}
    plain, room = live_chart.chart_data(spec), live_chart.chart_data(spec, presenter_on=True)
    a, b = room["panels"][0]["series"]
    assert a["color"] == palette.PRESENTER["train"] and a["width"] == presenter.LINE_WIDTH
    assert b["color"] == "#9467bd" and 1.5 < b["width"] < presenter.LINE_WIDTH and b["markers"] > 8
    assert room["font"] > plain["font"] and room["height"] > plain["height"] and room["presenter"]
    assert plain["panels"][0]["series"][0]["color"] == palette.DEFAULT["train"]


# --------------------------------------------------------------------------- in a real browser

# Sampled in the page at every animation frame: [updates received, points drawn, coloured pixels].
SAMPLE_JS = """async (ms) => {
  const c = document.querySelector('canvas[data-fmnist="live-chart"]'), root = c.parentElement, out = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let coloured = 0;
    for (let i = 0; i < d.length; i += 16) if (Math.abs(d[i] - d[i + 1]) + Math.abs(d[i + 1] - d[i + 2]) > 60) coloured++;
    out.push([+root.dataset.updates, +root.dataset.points, coloured]);
    await new Promise(r => requestAnimationFrame(r));
  }
  return out;
}"""


@pytest.mark.browser
def test_comparison_chart_draws_and_grows_between_updates(app_server, page):
    open_page(page, app_server, "")
    page.wait_for_selector("text=Neural networks, seen happen", timeout=60_000)
    open_page(page, app_server, "initialization",
              "data=spiral&depth=3&width=32&act=tanh&init=xavier_normal&cmp=xavier_normal,he_normal&secs=4&view=train")
    page.get_by_role("button", name="Train them").click()
    chart = page.locator('canvas[data-fmnist="live-chart"]').first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_function("() => +document.querySelector('canvas[data-fmnist=\"live-chart\"]').parentElement"
                           ".dataset.updates >= 2", timeout=30_000)
    samples = page.evaluate(SAMPLE_JS, 2500)
    assert max(s[2] for s in samples) > 300, "the curves' coloured pixels"
    points = [s[1] for s in samples]
    assert points[-1] > points[0] and all(b >= a for a, b in zip(points, points[1:])), "the lines only grow"
    # Between two updates the revealed part grows over several display frames, not in one jump.
    per_update: dict[int, set] = {}
    for u, n, _ in samples:
        per_update.setdefault(u, set()).add(n)
    assert samples[-1][0] > samples[0][0], "updates arrived while sampling"
    assert max(len(v) for v in per_update.values()) >= 3, per_update
    screenshot(page, "live-chart-training", full_page=False)
    page.wait_for_selector("text=⏹ Stop", state="detached", timeout=90_000)
    wait_idle(page)
    page.wait_for_function("() => document.querySelector('canvas[data-fmnist=\"live-chart\"]')?.parentElement"
                           ".dataset.busy === '0'", timeout=10_000)
    legend = page.locator('[data-fmnist="live-chart-legend"]').first.inner_text()
    assert "Xavier/Glorot normal" in legend and "He/Kaiming normal" in legend and "training…" not in legend
    box = chart.bounding_box()  # hovering reads out the nearest point (somewhere down the plot's middle)
    for frac in (0.2, 0.35, 0.5, 0.65, 0.8):
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * frac)
        page.wait_for_timeout(150)
        if chart.evaluate("e => e.parentElement.dataset.hover"):
            break
    assert "training step:" in chart.evaluate("e => e.parentElement.dataset.hover")
    screenshot(page, "live-chart-trained", full_page=False)
    assert page.locator("[data-testid='stException']").count() == 0
    assert real_console_errors(page) == []
