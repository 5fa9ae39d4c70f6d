"""bench/browser_rates.py measures in a real browser: its short mode runs here and must produce numbers.
Timing targets are the benchmark's business, not this test's (the machine may be busy)."""
import json

import pytest

from bench import browser_rates


def test_rates_from_samples():
    samples = [[0, "Epoch 1", 5], [20, "Epoch 1", 5], [40, "Epoch 2", 6], [60, "Epoch 3", 6], [1040, "Epoch 4", 7]]
    r = browser_rates.rates(samples)
    assert r["label_fps"] == pytest.approx(3 / 1.04, abs=0.01) and r["picture_fps"] == pytest.approx(2 / 1.04, abs=0.01)
    assert r["sync"] == 1.0  # each picture change came with a label change
    assert browser_rates.rates(samples[:1])["label_fps"] == 0.0


@pytest.mark.browser
def test_quick_benchmark_measures_every_rate(app_server, browser):
    """The short mode on the suite's server and browser (`main(["--quick"])` starts its own of each)."""
    out = browser_rates.measure(browser, app_server.url, quick=True)
    json.loads(json.dumps(out))  # one JSON line
    for key in ("boundary_label_fps", "boundary_picture_fps", "scrub_ms_median", "activation_redraw_ms_median",
                "training_refresh_hz"):
        assert isinstance(out[key], (int, float)) and out[key] > 0, (key, out)
    assert out["boundary_sync"] > 0.5  # the label and the picture change together
    assert out["scrub_steps"] >= 1 and out["activation_tries"] >= 1
    assert out["comparison_kind"] == "canvas" and out["comparison_fps"] > 0 and out["comparison_samples"] > 10
