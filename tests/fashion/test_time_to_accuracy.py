"""The time-to-accuracy benchmark (a quick real run in subprocesses) and its figure."""
import csv
import json
import math
import subprocess
import sys

import pytest

from bench import time_to_accuracy as tta
from fmnist_core.fashion.recipe import LONG_RECIPES
from fmnist_core.fashion.train import RECIPES
from tests.conftest import ROOT
from ui.figures import time_to_accuracy as fig


@pytest.mark.slow
def test_quick_run_writes_curves_and_summary(tmp_path):
    out = subprocess.run(
        [sys.executable, "bench/time_to_accuracy.py", "--quick", "--models", "cnn,keras", "--threads", "1",
         "--parallel", "2", "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(line["models"]) == {"cnn", "keras"} and line["budget"] == 2.0
    for m in ("cnn", "keras"):
        s = line["models"][m]
        assert 0.3 < s["final_accuracy"] <= 1 and set(s["seconds_to"]) == {"0.90", "0.91", "0.92", "0.93", "0.94"}
    with open(tmp_path / "curves.csv") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"model", "seed", "seconds", "test_accuracy"}
    for m in ("cnn", "keras"):
        ts = [float(r["seconds"]) for r in rows if r["model"] == m]
        assert len(ts) >= 2 and ts == sorted(ts) and ts[-1] < 3.0  # the 2 s budget, evaluation not counted
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["models"]["cnn"]["median_curve"][-1][1] == line["models"]["cnn"]["final_accuracy"]


def test_medians_and_times_to_targets():
    curves = [[[1, 0.85], [2, 0.905], [3, 0.915]], [[1, 0.89], [2, 0.91], [3, 0.925]], [[1, 0.80], [3, 0.89]]]
    results = [{"model": "cnn", "seed": i, "curve": c, "epochs": 1.0} for i, c in enumerate(curves)]
    s = tta.summarize(results, budget=3)["cnn"]
    assert s["final_accuracy"] == 0.915
    assert s["seconds_to"]["0.90"] == 2 and s["seconds_to"]["0.91"] == 3  # seeds: (2, 2, never), (3, 2, never)
    assert s["seconds_to"]["0.92"] is None  # only one seed of three got there
    assert tta.seconds_to(curves[2], 0.9) == math.inf
    assert s["median_curve"][0] == [1.0, 0.85] and s["median_curve"][-1] == [3, 0.915]


def test_core_sets_are_disjoint():
    sets = tta.core_sets(threads=1, parallel=8)
    cores = [c for s in sets for c in s.split(",")]
    assert len(cores) == len(set(cores)) == len(sets) >= 1


def test_figure_with_and_without_reference(tmp_path):
    refs = {"machine": "test", "runs": [
        {"budget": 30, "seeds": 3, "curves": {"cnn": [[10, 0.9], [30, 0.92]]}},
        {"budget": 150, "seeds": 3, "curves": {"cnn": [[50, 0.92], [150, 0.935]], "mlp": [[150, 0.9]]}}]}
    assert fig.reference_key(RECIPES["cnn"].model, RECIPES["cnn"].hidden, RECIPES) == "cnn"
    assert fig.reference_key("mlp", (256, 128, 64), RECIPES) == "mlp"
    assert fig.reference_key("mlp", (32,), RECIPES) is None  # another MLP: no reference
    wide = LONG_RECIPES["cnn"]  # the CNN of long budgets is the same benchmark model
    assert fig.reference_key(wide.model, wide.hidden, RECIPES, LONG_RECIPES) == "cnn"
    assert fig.reference_key(wide.model, wide.hidden, RECIPES) is None
    ref = fig.pick_reference(refs, "cnn", 40)
    assert ref["budget"] == 30 and ref["curve"][-1] == [30, 0.92]
    assert fig.pick_reference(refs, "cnn", None)["budget"] == 150
    assert fig.pick_reference(refs, None, 30) is None and fig.pick_reference({}, "cnn", 30) is None
    spec = fig.chart([(12.0, 0.905), (31.0, float("nan"))], ref)
    curves = {r["curve"] for r in spec["data"]["values"]}
    assert curves == {"this run", ref["label"]} and len(spec["data"]["values"]) == 3  # the NaN is dropped
    assert fig.chart([(1.0, 0.5)], None)["encoding"]["color"]["scale"]["domain"] == ["this run"]
    assert fig.load_references(tmp_path / "missing.json") == {}
    shipped = fig.load_references()
    assert fig.pick_reference(shipped, "cnn", 30) is not None
