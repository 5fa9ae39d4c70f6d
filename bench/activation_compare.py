"""Activation lab speed and accuracy targets, measured on the real data.

    .venv/bin/python bench/activation_compare.py                 # every activation, 8 s each
    .venv/bin/python bench/activation_compare.py --only relu,tanh,sigmoid,srelu --budget 8
    .venv/bin/python bench/activation_compare.py --page-only --browser   # slider response only

Prints, per activation, the test accuracy after its budget (target > 80% except the step), the
wall time of the whole comparison (target for 4 x 8 s: < 45 s), and the median time of one
curves() call (part of the < 300 ms slider target). One training thread, as beside the server.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from fmnist_core.basics.activation_lab import curves, gradcheck_activation, run_comparison
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.fashion.dataset import load_fashion_mnist


SHOWN = ("softexp", "srelu", "isru", "brelu", "gelu", "sigmoid")


def slider_work_ms(moves: int = 15) -> tuple[list[float], list[float]]:
    """What the curves fragment computes per slider move (6 curves, the figure, its JSON):
    (wall ms, this thread's CPU ms). CPU time hardly depends on what else the machine runs."""
    from ui.figures.activations import curves_figure

    wall, cpu = [], []
    for i in range(moves):
        t0, c0 = time.perf_counter(), time.thread_time()
        cs = [c for n in SHOWN for c in curves(n, {"alpha": -0.5 + 0.07 * i} if n == "softexp" else None)]
        curves_figure(cs).to_json()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return wall, cpu


def page_slider_ms(moves: int = 9) -> list[float]:
    """Whole-page rerun times (ms) after moving a parameter slider, measured through AppTest
    (server-side work only: no network or browser rendering)."""
    from streamlit.testing.v1 import AppTest

    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.query_params["show"] = ",".join(SHOWN)
    at.switch_page("pages/activations.py").run()
    times = []
    for i in range(moves):
        at.slider(key="activations_softexp_alpha").set_value(round(-0.9 + 0.2 * i, 2))
        t0 = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t0) * 1000)
        assert not at.exception, at.exception
    return times


def browser_slider_ms(moves: int = 9) -> list[float]:
    """Milliseconds from a key press on a parameter slider to the redrawn curve in headless chromium
    (server, network and browser rendering included)."""
    from playwright.sync_api import sync_playwright

    from bench.st_server import CHROMIUM, CHROMIUM_ARGS, StreamlitServer

    times = []
    with StreamlitServer(name="bench-activations") as server:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server.url)  # the router first (a fresh server's first direct visit skips app.py)
            page.wait_for_selector("text=Device:", timeout=60_000)
            page.goto(f"{server.url}/activations?show={','.join(SHOWN)}")
            page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot", timeout=60_000)
            page.wait_for_timeout(2000)
            curve_y = ("() => { for (const el of document.querySelectorAll('.js-plotly-plot')) {"
                       " const a = (el.layout.annotations || []).map(x => x.text);"
                       " if (a.includes('f(x)')) return JSON.stringify(el.data[0].y); } return ''; }")
            thumb = page.locator("[data-testid='stSlider']", has_text="SoftExponential: alpha").get_by_role("slider")
            thumb.scroll_into_view_if_needed()
            for _ in range(moves):
                before = page.evaluate(curve_y)
                t0 = time.perf_counter()
                thumb.press("ArrowRight")
                page.wait_for_function(f"(before) => ({curve_y})() !== before", arg=before, timeout=10_000,
                                       polling="raf")
                times.append((time.perf_counter() - t0) * 1000)
                page.wait_for_timeout(300)
            browser.close()
    return times


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--only", help="comma-separated activations (default: all)")
    p.add_argument("--budget", type=float, default=8.0, help="seconds of training per activation")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--page-only", action="store_true", help="only time the page's slider response")
    p.add_argument("--browser", action="store_true", help="also time the slider in headless chromium")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    names = args.only.split(",") if args.only else list(ACTIVATIONS)

    wall, cpu = slider_work_ms()
    print(f"curves fragment work per slider move (6 activations): median {statistics.median(wall):.0f} ms wall, "
          f"{statistics.median(cpu):.0f} ms CPU")
    page = page_slider_ms()
    print(f"whole page rerun through AppTest (6 activations shown): median {statistics.median(page):.0f} ms, "
          f"max {max(page):.0f} ms (target < 300 ms)")
    if args.browser:
        b = browser_slider_ms()
        print(f"browser: key press on a slider -> curve redrawn: median {statistics.median(b):.0f} ms, "
              f"max {max(b):.0f} ms (target < 300 ms)")
    if args.page_only:
        return 0

    times = {}
    for name in ACTIVATIONS:
        runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            curves(name)
            runs.append(time.perf_counter() - t0)
        times[name] = statistics.median(runs) * 1000
    print("curves() median ms: " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))
    t0 = time.perf_counter()
    gc = gradcheck_activation("brelu")
    print(f"BReLU gradcheck: passed={gc['passed']} max|hand-numerical|={gc['max_abs_diff']:.2e} "
          f"in {1000 * (time.perf_counter() - t0):.0f} ms")

    data = load_fashion_mnist("cpu")
    t0 = time.perf_counter()
    results = run_comparison(data, names, budget=args.budget)
    wall = time.perf_counter() - t0
    print(f"\n{'activation':<12} {'status':<7} {'test acc':>8} {'epochs':>6} {'train s':>7}  target")
    ok = True
    for r in results:
        learns = ACTIVATIONS[r["activation"]].learns_by_gradient
        hit = r["test_accuracy"] > 0.80
        ok &= hit or not learns
        target = ("> 0.80 " + ("ok" if hit else "MISSED")) if learns else "(cannot learn by gradient)"
        print(f"{r['activation']:<12} {r['status']:<7} {r['test_accuracy']:8.4f} {r['epochs']:6.2f} "
              f"{r['seconds']:7.1f}  {target}")
    print(f"\n{len(names)} activations x {args.budget:g} s: wall {wall:.1f} s "
          f"({wall / len(names):.1f} s per activation, threads={torch.get_num_threads()})")
    print(json.dumps({"wall_s": round(wall, 1), "budget": args.budget, "curves_ms": {k: round(v, 1) for k, v in times.items()},
                      "accuracy": {r["activation"]: round(r["test_accuracy"], 4) for r in results}}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
