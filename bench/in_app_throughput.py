"""Training on the page vs the CLI, in one run: images/s, accuracy in 30 s, refresh rate, stop, closed tab.

For the same settings (the page's defaults: classic MLP, Adam one-cycle peak 5e-3, batch 512, a time
budget) it alternates two measurements:

- **CLI**: a fresh process that trains alone as `python -m fmnist_core.fashion.train` does (one thread, like
  the app beside its server; `--cli-threads 0` lets the CLI pick its own count),
- **app**: a Streamlit server with the training page open in headless chromium, Start pressed, the
  live fragments polling, and the smoothing slider moved while it trains. Its images/s come from the
  run's history CSV, downloaded from the page as a user would.

Images/s is the median over the trainer's progress events (every 20 steps), the same number on both
sides. It also reports how often the progress line changed in the browser (refresh Hz), the test
accuracy the page showed at the end of the default 30 s run, the time from pressing Stop to the
page saying "Stopped", the time from closing a tab to its job freeing the training slot (a second
tab, queued behind it, starts), and what one confusion-matrix refresh costs on the server.

    .venv/bin/python bench/in_app_throughput.py                 # 2 rounds of 30 s each side (~4 min)
    .venv/bin/python bench/in_app_throughput.py --budget 15 --rounds 1   # quick look
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.st_server import CHROMIUM, CHROMIUM_ARGS, ROOT, StreamlitServer


# --------------------------------------------------------------------------- CLI side

def cli_worker(budget: float, threads: int, model: str = "mlp") -> None:
    """Runs in a fresh process: train alone like the CLI, print one JSON line."""
    import torch

    from fmnist_core.engine.device import get_device, set_threads, tune_allocator
    from fmnist_core.fashion.dataset import load_fashion_mnist
    from fmnist_core.fashion.train import RECIPES, train

    tune_allocator()
    if threads:
        torch.set_num_threads(threads)
    else:
        set_threads(beside_server=False)
    data = load_fashion_mnist(get_device())
    cfg = RECIPES[model].with_(time_budget=budget, epochs=1000)
    result = train(cfg, data)
    ips = [e["images_per_sec"] for e in result.history if e["kind"] == "progress"]
    print(json.dumps({"ips": statistics.median(ips), "test_accuracy": result.test_accuracy,
                      "threads": torch.get_num_threads(), "epochs": result.epochs}))


def run_cli(budget: float, threads: int, model: str = "mlp") -> dict:
    # `-m` from the checkout's root: the worker imports this checkout, as the server does.
    out = subprocess.run([sys.executable, "-m", "bench.in_app_throughput", "--cli-worker", "--budget", str(budget),
                          "--cli-threads", str(threads), "--model", model], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- app side

def start_server(max_jobs: int = 1) -> StreamlitServer:
    return StreamlitServer(env={"FMNIST_MAX_JOBS": str(max_jobs)}, name="in-app-throughput")


PROGRESS_JS = ("() => { const e = document.querySelector('[data-testid=\"stProgress\"]');"
               " return e ? e.innerText : ''; }")


def wait_training(page, timeout: float = 60.0) -> None:
    """Until the page's progress line shows a training epoch (the run is past its queue and start-up)."""
    t0 = time.time()
    while "Epoch" not in page.evaluate(PROGRESS_JS):
        if time.time() - t0 > timeout:
            raise TimeoutError("the run did not start training")
        page.wait_for_timeout(100)


def open_training(browser, server: StreamlitServer, query: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server.url}/training?{query}")
    page.get_by_role("button", name="Start training").wait_for(timeout=90_000)
    page.wait_for_timeout(1000)
    return page


def app_query(model: str) -> str:
    """The page's link for `model` with the settings its model menu sets (the CLI recipe's)."""
    if model == "mlp":
        return ""
    from fmnist_core.fashion.train import RECIPES

    r = RECIPES[model]
    return f"&model={model}&batch={r.batch_size}&dropout={r.dropout:g}&lr={r.lr:g}"


def run_app(browser, server: StreamlitServer, budget: float, model: str = "mlp") -> dict:
    """One run of the page's settings for `model` with `budget`; images/s from the downloaded history CSV."""
    page = open_training(browser, server, f"budget={int(budget)}{app_query(model)}")
    page.get_by_role("button", name="Start training").click()
    t0 = time.time()
    changes, last, moved = [], "", False
    while time.time() - t0 < budget + 60:
        text = page.evaluate(PROGRESS_JS)
        if text and text != last and "Epoch" in text:
            changes.append(time.time())
            last = text
        if not moved and time.time() - t0 > 5:  # another widget used while it trains
            slider = page.locator("[data-testid='stSlider']").filter(has_text="Smoothing").get_by_role("slider")
            slider.focus()
            page.keyboard.press("ArrowLeft")
            moved = True
        if page.get_by_text("Final test accuracy").count():
            break
        page.wait_for_timeout(100)
    final = page.get_by_text("Final test accuracy").inner_text()
    acc = float(final.split("Final test accuracy:")[1].split("%")[0]) / 100
    page.get_by_role("tab", name="Runs").click()
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="History as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    ips = [float(r["images_per_sec"]) for r in rows if r["kind"] == "progress"]
    span = changes[-1] - changes[0] if len(changes) > 1 else float("nan")
    page.close()
    return {"ips": statistics.median(ips), "test_accuracy": acc,
            "refresh_hz": (len(changes) - 1) / span if span == span and span > 0 else 0.0}


def stop_latency(browser, server: StreamlitServer) -> tuple[float, float]:
    """(seconds from pressing Stop to the job's end, as the page reports it; to the page saying 'Stopped')."""
    page = open_training(browser, server, "budget=60")
    page.get_by_role("button", name="Start training").click()
    wait_training(page)
    page.wait_for_timeout(2000)
    t0 = time.time()
    page.get_by_role("button", name="⏹ Stop").click()
    page.get_by_text("Stopped").first.wait_for(timeout=30_000)
    dt = time.time() - t0
    text = page.get_by_text("Stopped").first.inner_text()
    job_s = float(text.split("the job ended ")[1].split(" s after")[0]) if "the job ended" in text else float("nan")
    page.close()
    return job_s, dt


def closed_tab_latency(browser, server: StreamlitServer) -> float:
    """Seconds from closing a training tab until a second tab, queued behind it (1 slot), starts training."""
    a = open_training(browser, server, "budget=120")
    a.get_by_role("button", name="Start training").click()
    wait_training(a)
    b = open_training(browser, server, "budget=5")
    b.get_by_role("button", name="Start training").click()
    b.get_by_text("in the queue").first.wait_for(timeout=30_000)
    t0 = time.time()
    a.close()
    wait_training(b, timeout=120)
    dt = time.time() - t0
    b.get_by_text("Final test accuracy").wait_for(timeout=90_000)
    b.close()
    return dt


# --------------------------------------------------------------------------- confusion refresh cost

def confusion_cost(repeats: int = 5) -> dict:
    """Seconds for one refresh: evaluate 10k test images (MLP, 1 thread) + matrix, charts and a grid of answers."""
    import torch

    from fmnist_core.engine.device import fast_bf16
    from fmnist_core.fashion import metrics
    from fmnist_core.fashion.dataset import CLASS_NAMES, load_fashion_mnist
    from fmnist_core.nn.models import build_model
    from fmnist_core.fashion.train import data_normalization, evaluate
    from ui.figures.training import confusion_chart, image_grid, precision_recall_chart

    torch.set_num_threads(1)
    data = load_fashion_mnist("cpu")
    model = build_model("mlp")
    norm = data_normalization(data, "standard")
    labels = data.test_labels.numpy()
    ev_t, draw_t = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ev = evaluate(model, data.test_images, data.test_labels, norm, amp=fast_bf16(data.device))
        t1 = time.perf_counter()
        cm = metrics.confusion_matrix(labels, ev["predictions"])
        for spec in (confusion_chart(cm, CLASS_NAMES), precision_recall_chart(*metrics.precision_recall(cm),
                                                                             CLASS_NAMES)):
            json.dumps(spec)
        image_grid(data.test_images[:20].numpy(), [CLASS_NAMES[int(p)] for p in ev["predictions"][:20]])
        draw_t.append(time.perf_counter() - t1)
        ev_t.append(t1 - t0)
    return {"evaluate_s": statistics.median(ev_t), "draw_s": statistics.median(draw_t)}


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=30.0, help="seconds of training per run (page default: 30)")
    ap.add_argument("--rounds", type=int, default=2, help="CLI/app pairs, alternated")
    ap.add_argument("--cli-threads", type=int, default=1, help="CLI threads (0: the CLI's own choice)")
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp", help="the page's classic MLP, or its CNN")
    ap.add_argument("--skip-extras", action="store_true", help="only throughput: no stop/closed-tab/confusion")
    ap.add_argument("--cli-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cli_worker:
        cli_worker(args.budget, args.cli_threads, args.model)
        return 0

    from playwright.sync_api import sync_playwright

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other processes inflate every timing below)")
    cli, app = [], []
    server = start_server(max_jobs=1)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for r in range(args.rounds):
                c = run_cli(args.budget, args.cli_threads, args.model)
                cli.append(c)
                print(f"round {r + 1}: CLI  {c['ips']:9,.0f} images/s  ({c['threads']} thread(s), "
                      f"test acc {c['test_accuracy']:.4f})", flush=True)
                a = run_app(browser, server, args.budget, args.model)
                app.append(a)
                print(f"round {r + 1}: app  {a['ips']:9,.0f} images/s  (page showed test acc "
                      f"{a['test_accuracy']:.4f}, progress refreshed at {a['refresh_hz']:.1f} Hz)", flush=True)
            extras = {}
            if not args.skip_extras:
                extras["stop_job_s"], extras["stop_page_s"] = stop_latency(browser, server)
                print(f"stop: the job ended {extras['stop_job_s']:.2f} s after the click; the page said 'Stopped' "
                      f"{extras['stop_page_s']:.2f} s after it", flush=True)
                extras["closed_tab_s"] = closed_tab_latency(browser, server)
                print(f"closed tab: the queued tab started {extras['closed_tab_s']:.1f} s after the first tab "
                      "closed", flush=True)
            browser.close()
    finally:
        server.stop()
    if not args.skip_extras:
        extras.update(confusion_cost())
        print(f"confusion refresh: evaluate 10k {extras['evaluate_s']:.3f} s + matrix and figures "
              f"{extras['draw_s']:.3f} s", flush=True)
    cli_ips = statistics.median(c["ips"] for c in cli)
    app_ips = statistics.median(a["ips"] for a in app)
    summary = {
        "model": args.model, "budget_s": args.budget, "rounds": args.rounds,
        "cli_test_accuracy_median": statistics.median(c["test_accuracy"] for c in cli),
        "cli_ips_median": round(cli_ips), "app_ips_median": round(app_ips), "ratio": round(app_ips / cli_ips, 3),
        "app_test_accuracy_median": statistics.median(a["test_accuracy"] for a in app),
        "refresh_hz_median": round(statistics.median(a["refresh_hz"] for a in app), 2),
        **{k: round(v, 3) for k, v in extras.items()},
    }
    print(f"\nmedian images/s: CLI {cli_ips:,.0f}, app {app_ips:,.0f} -> ratio {app_ips / cli_ips:.2f} "
          f"(target >= 0.8)")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
