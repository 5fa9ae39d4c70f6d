"""Speed of the weight-initialization page: init-time views for 10x256, and a 4-init comparison.

    .venv/bin/python bench/init_views.py            # views only (~30 s)
    .venv/bin/python bench/init_views.py --train    # + 4 initializers x 8 s (~45 s)

Prints medians. Targets (2-core machine): init-time views for a 10x256 network < 1 s; 4
initializers x 8 s trained one after another in < 45 s. One torch thread, as beside the server.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from fmnist_core.initialization import compare as init_compare, report as init_report, stats as init_stats, symmetry
from fmnist_core.fashion.dataset import load_fashion_mnist
from ui.figures import initialization as figs


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def views(data, init: str, act: str, params: dict):
    r = init_report.init_report(data, 10, 256, act, init, **params)
    fs = [
        figs.activation_violins(r.acts.hist, r.acts.edges, r.acts.std, r.acts.saturated),
        figs.std_by_depth(r.acts.std, r.reference.std, "reference"),
        figs.gradient_bars(r.grads.weight, r.verdict.labels, init_stats.layer_names(10)),
    ]
    return r, [f.to_json() for f in fs]  # what st.plotly_chart sends to the browser


def page_rerun(repeats: int) -> float:
    """A full AppTest run of the page after changing the initializer (init views + symmetry run)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.switch_page("pages/initialization.py").run()
    times = []
    for i in range(repeats):
        at.selectbox(key="initialization_init").set_value(["xavier_normal", "he_uniform", "lecun"][i % 3])
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        assert not at.exception
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--train", action="store_true", help="also time the 4-initializer comparison")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = init_compare.fashion_data(load_fashion_mnist("cpu"))
    views(data, "xavier_normal", "tanh", {})  # warm up
    print("init-time views, 10 hidden layers x 256 units, batch 512 (median of %d):" % args.repeats)
    for init, act, params in (("standard_normal", "tanh", {}), ("normal", "tanh", {"std": 0.01}),
                              ("xavier_normal", "tanh", {"gain": 5 / 3}), ("he_normal", "relu", {})):
        t_core, _ = timed(lambda: init_report.init_report(data, 10, 256, act, init, **params), args.repeats)
        t_all, _ = timed(lambda: views(data, init, act, params), args.repeats)
        print(f"  {init:16s} {act:5s}  measure {t_core * 1000:6.0f} ms   + 3 figures as JSON {t_all * 1000:6.0f} ms")
    t_sym, _ = timed(lambda: symmetry.symmetry_run(data, 3, 64, "tanh", "constant", noise=1e-3), 3)
    print(f"  symmetry run (3 x 64, 100 Adam steps)              {t_sym * 1000:6.0f} ms")
    print(f"  whole page re-run in AppTest after a new initializer {page_rerun(3) * 1000:6.0f} ms")
    if args.train:
        cfg = init_compare.CompareConfig(inits=("normal", "standard_normal", "xavier_normal", "he_normal"),
                                 init_params=(("std", 0.01),), budget=8.0)
        t = time.perf_counter()
        out = init_compare.compare_inits(cfg, data)
        total = time.perf_counter() - t
        steps = ", ".join(f"{r['init']} {r['steps'] if 'steps' in r else r['step']} steps {r['status']}" for r in out)
        print(f"4 initializers x 8 s, 10 x 256 tanh, SGD+momentum: {total:.1f} s in all ({steps})")


if __name__ == "__main__":
    main()
