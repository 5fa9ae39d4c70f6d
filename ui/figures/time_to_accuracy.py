"""A finished run's test accuracy against seconds, over the benchmark's reference curve of the same model.

Pure functions: the reference curves come from `assets/time_to_accuracy.json` (written by
`bench/time_to_accuracy.py --reference`), the chart is a Vega-Lite spec like the page's others.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from fmnist_core.nn.models import ALIASES

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "assets" / "time_to_accuracy.json"
RUN_COLOR, REF_COLOR = "#ff7f0e", "#7f7f7f"


def load_references(path: str | Path = REFERENCE_PATH) -> dict:
    """The reference file as a dict ({} when it is missing or unreadable: the page then shows no reference)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def reference_key(model: str, hidden: Sequence[int], recipes: dict, long_recipes: dict | None = None) -> str | None:
    """The benchmark model a run's architecture matches: "cnn", "cnn_v1", "mlp", or None. A model's
    `long_recipes` entry (the wider CNN of long budgets) counts as that model."""
    model = ALIASES.get(model, model)
    for key in ("cnn", "cnn_v1", "mlp"):
        for r in (recipes.get(key), (long_recipes or {}).get(key)):
            # cnn_v1 has no sizes to set; an MLP or cnn_v2 of other sizes has no reference
            if r is not None and r.model == model and (model == "cnn_v1" or tuple(hidden) == tuple(r.hidden)):
                return key
    return None


def pick_reference(refs: dict, key: str | None, budget: float | None) -> dict | None:
    """The reference run of `key` whose budget is nearest `budget` (the longest one for a run by epochs)."""
    runs = [r for r in refs.get("runs", []) if key is not None and key in r.get("curves", {})]
    if not runs:
        return None
    if budget:
        best = min(runs, key=lambda r: abs(float(r["budget"]) - float(budget)))
    else:
        best = max(runs, key=lambda r: float(r["budget"]))
    seeds = best.get("seeds", "?")
    return {"budget": best["budget"], "machine": refs.get("machine", ""), "curve": best["curves"][key],
            "label": f"reference: {best['budget']:g} s budget, median of {seeds} seed{'s' if seeds != 1 else ''}"}


def chart(run: Sequence[tuple[float, float]], reference: dict | None, run_label: str = "this run",
          height: int = 300, title: str = "Test accuracy against training time") -> dict:
    """A Vega-Lite spec: the run's (seconds, accuracy) points and the reference curve, if any."""
    rows = [dict(x=float(t), y=float(a), curve=run_label) for t, a in run if a == a]  # NaN: a diverged run
    if reference:
        rows += [dict(x=float(t), y=float(a), curve=reference["label"]) for t, a in reference["curve"]]
    labels = [run_label] + ([reference["label"]] if reference else [])
    ys = [r["y"] for r in rows] or [0.5]
    low, high = max(0.0, min(min(ys), 0.95) - 0.02), min(1.0, max(ys) + 0.02)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title, "height": height, "data": {"values": rows},
        "mark": {"type": "line", "point": True, "interpolate": "step-after"},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": "seconds of training", "scale": {"zero": True}},
            "y": {"field": "y", "type": "quantitative", "title": "test accuracy",
                  "axis": {"format": ".0%"}, "scale": {"domain": [round(low, 2), round(high, 2)]}},
            "color": {"field": "curve", "type": "nominal", "title": None,
                      "scale": {"domain": labels, "range": [RUN_COLOR, REF_COLOR][:len(labels)]},
                      "legend": {"orient": "bottom", "labelLimit": 0}},
            "strokeDash": {"field": "curve", "type": "nominal", "legend": None,
                           "scale": {"domain": labels, "range": [[1, 0], [4, 3]][:len(labels)]}},
            "tooltip": [{"field": "curve", "type": "nominal"},
                        {"field": "x", "type": "quantitative", "title": "seconds", "format": ".1f"},
                        {"field": "y", "type": "quantitative", "title": "accuracy", "format": ".2%"}],
        },
    }


def run_chart(series: dict, cfg, recipes: dict, refs: dict | None = None, long_recipes: dict | None = None) -> dict:
    """The chart for a finished run: its test points (`runs.history_series`) over its model's reference."""
    key = reference_key(cfg.model, cfg.hidden, recipes, long_recipes)
    ref = pick_reference(load_references() if refs is None else refs, key, cfg.time_budget)
    return chart(list(zip(series["test_elapsed"], series["test_accuracy"])), ref)
