"""Page 10 · Overfitting and its cures: AppTest trains a lab run as a job (its curve, its table row, kept for
the browser across a new session), the batch preview follows the augmentations, the normalization and
batch-norm jobs draw their charts, and a link sets every cure."""
from __future__ import annotations

import numpy as np
import pytest

from fmnist_core.store.per_browser import get_store
from tests.conftest import arr, chart_spec, open_app_with, wait_for_job
from ui.views import overfitting_extras as extras
from ui.views import overfitting_lab as lab_view

PAGE = "pages/overfitting.py"


@pytest.fixture(autouse=True)
def own_store(tmp_path, monkeypatch):
    """An empty store for each test (get_store follows $FMNIST_DATA_STORE)."""
    monkeypatch.setenv("FMNIST_DATA_STORE", str(tmp_path / "store"))


def _job(at, key):
    return at.session_state[key]


def test_a_link_sets_the_cures_and_the_preview_shows_them():
    at = open_app_with(PAGE, {"n": "2000", "flip": "1", "shift": "2", "erase": "0.5", "dropout": "0.3",
                              "wd": "0.001", "bn": "1", "early": "1"})
    ss = at.session_state
    assert ss["overfitting_n"] == "2000" and ss["overfitting_flip"] and ss["overfitting_shift"] == 2
    assert ss["overfitting_dropout"] == pytest.approx(0.3) and ss["overfitting_wd"] == "0.001"
    top, bottom = _preview_rows(at)
    assert not np.array_equal(top, bottom, equal_nan=True)  # shifted, mirrored, erased
    assert "mirror + shift ±2 px + erase 50%" in " ".join(c.value for c in at.caption)
    at.button(key="overfitting_draw_btn").click().run()
    assert not np.array_equal(_preview_rows(at)[1], bottom, equal_nan=True)  # another draw


def _preview_rows(at) -> tuple[np.ndarray, np.ndarray]:
    """The preview's images as stored (two rows of 4), and as the network sees them (two more rows); a mosaic with
    3 px between columns and 12 px under each row."""
    z = arr(chart_spec(at, "overfitting_preview")["data"][0]["z"])
    return z[0:68], z[80:148]


def test_no_augmentation_shows_the_same_images_twice():
    at = open_app_with(PAGE, {"n": "500"})
    assert "no augmentation is on" in " ".join(c.value for c in at.caption)
    top, bottom = _preview_rows(at)
    assert np.array_equal(top, bottom, equal_nan=True) and np.nanmax(top) > 200
    assert at.button(key="overfitting_draw_btn").disabled


def test_a_lab_run_trains_as_a_job_and_is_kept_for_the_browser():
    at = open_app_with(PAGE, {"n": "500", "epochs": "10"})
    at.button(key=f"{lab_view.JOB}__start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for_job(_job(at, lab_view.JOB), 120)
    at.run()
    spec = chart_spec(at, "overfitting_chart")
    names = [t["name"] for t in spec["data"]]
    assert "MLP · 500 images · no cure · train" in names and "MLP · 500 images · no cure · test" in names
    train, test = ([t for t in spec["data"] if t["name"].endswith(end)][0] for end in ("· train", "· test"))
    assert train["x"] == list(range(1, 11)) and train["y"][-1] > test["y"][-1] + 0.05  # the gap opens
    table = at.dataframe[0].value
    assert list(table["settings"]) == ["MLP · 500 images · no cure"] and float(table["gap (points)"][0]) > 10
    # A new session of the same browser (a reload) finds the run in the store.
    bid = next(iter(get_store().browsers()))
    assert lab_view.kept_runs(bid)[0]["epochs"] == 10
    at.button(key="overfitting_clear").click().run()
    assert lab_view.kept_runs(bid) == []


def test_the_normalization_and_batch_norm_parts_train_and_draw():
    at = open_app_with(PAGE, {"view": "inputs", "opt": "adam"})
    at.button(key=f"{extras.INPUTS_JOB}__start").click().run()
    wait_for_job(_job(at, extras.INPUTS_JOB), 180)
    at.run()
    spec = chart_spec(at, "overfitting_norm_chart")
    assert len(spec["data"]) == 4 and all(len(t["x"]) > 5 for t in spec["data"])
    at = open_app_with(PAGE, {"view": "bn", "act": "sigmoid"})
    at.button(key=f"{extras.SEEN_JOB}__start").click().run()
    wait_for_job(_job(at, extras.SEEN_JOB), 180)
    at.run()
    spec = chart_spec(at, "overfitting_seen_chart")
    assert len([t for t in spec["data"] if t.get("showlegend") is not False]) == 6  # a legend entry per layer
    assert "with batch norm**: test accuracy" in " ".join(m.value for m in at.markdown)
