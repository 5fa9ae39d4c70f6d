"""Test accuracy against training seconds: the new CNN, the first CNN, the classic MLP, the Keras-tutorial CNN.

    python bench/time_to_accuracy.py --budget 30,150 --threads 2 --parallel 7 --out bench-out/cpu
    python bench/time_to_accuracy.py --device cuda --budget 60 --models cnn,keras --out bench-out/cuda
    python bench/time_to_accuracy.py --quick            # a smoke run on a data subset (the test suite)

Models: `cnn` = recipe_for("cnn", budget) (what `--model cnn` trains: RECIPES["cnn"], or the wider
LONG_RECIPES["cnn"] for budgets of LONG_BUDGET = 90 s or more), `cnn_v1` = RECIPES["cnn_v1"] (the
first CNN's recipe), `mlp` = RECIPES["mlp"] (the classic 784-256-128-64-10), and `keras` = the
CNN of the Keras MNIST example that tutorials copy (conv 32, conv 64, max-pool, dropout 0.25,
dense 128, dropout 0.5), trained the tutorial way: float tensors in a DataLoader (batch 64,
shuffled), Adam 1e-3 at a constant rate, fp32.

Each (model, seed) job trains for `--budget` seconds in its own process, pinned with
os.sched_setaffinity to its own `--threads` cores, so `--parallel K` jobs do not share cores.
The curve: every `--every` seconds of training the job copies the weights (a state-dict clone,
well under a millisecond, counted); all copies are evaluated on the 10,000 test images AFTER
training, so evaluation never counts in the training seconds nor eats the budget. The last point
is the trained model at the end of the budget (as `--time-budget` ends: the schedule follows
the clock). Test-time flip is used where the recipe uses it (the new CNN).

Several budgets (`--budget 30,150`) share one queue, longest jobs first, each budget's results
in `OUT/budget-<B>/`. Output per budget: a table, `curves.csv` (model, seed, seconds,
test_accuracy), `summary.json`, and one JSON line: per model, the median over seeds of the final
accuracy and of the seconds to 90/91/92/93/94% (null where the median seed never got there).
`--reference FILE` also writes the median curves as the training page's reference curves.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MODELS = ("cnn", "cnn_v1", "mlp", "keras")
TARGETS = (0.90, 0.91, 0.92, 0.93, 0.94)
LABELS = {"cnn": "CNN (new recipe)", "cnn_v1": "CNN v1 (first recipe)", "mlp": "classic MLP",
          "keras": "Keras-tutorial CNN"}


# --------------------------------------------------------------------------- one job (in its own process)

def keras_tutorial_cnn():
    """The Keras MNIST example CNN in PyTorch: logits (N, 10) for images (N, 1, 28, 28)."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )


class Snapshots:
    """Weight copies every `every` seconds of training: [(seconds, state_dict)]."""

    def __init__(self, model, every: float):
        self.model, self.every, self.next, self.items = model, every, every, []

    def maybe(self, seconds: float) -> None:
        if seconds >= self.next:
            self.items.append((seconds, {k: v.detach().clone() for k, v in self.model.state_dict().items()}))
            self.next = (math.floor(seconds / self.every) + 1) * self.every


def run_recipe(name: str, data, budget: float, seed: int, every: float, event_every: int | None = None
               ) -> tuple[list, dict]:
    """Our trainer with the recipe for `name` and `budget` (recipe_for); ([(seconds, accuracy)], info).

    Snapshots are taken on progress events, every `event_every` steps (default: 5 on a CPU, 20 on a GPU)."""
    from fmnist_core.nn.models import build_model
    from fmnist_core.fashion.train import evaluate, recipe_for, train, use_amp
    from fmnist_core.nn.weight_init import apply_init

    cfg = recipe_for(name, budget).with_(time_budget=budget, epochs=100_000, eval_every=0, seed=seed,
                                         event_every=event_every or (5 if data.device.type == "cpu" else 20))
    import torch

    torch.manual_seed(cfg.seed)  # as train() builds it, so the weights are the same as a CLI run's
    model = build_model(cfg.model, cfg.hidden, cfg.activation, cfg.dropout, dict(cfg.activation_params))
    apply_init(model, cfg.init, seed=cfg.seed, **dict(cfg.init_params))
    snaps = Snapshots(model, every)
    res = train(cfg, data, on_event=lambda e: snaps.maybe(e["elapsed"]) if e["kind"] == "progress" else None,
                model=model)
    curve = []
    for seconds, state in snaps.items:
        model.load_state_dict(state)
        ev = evaluate(model, data.test_images, data.test_labels, res.normalization, amp=use_amp(cfg, data.device),
                      channels_last=cfg.channels_last and cfg.model != "mlp", tta_flip=cfg.tta_flip)
        curve.append((seconds, ev["accuracy"]))
    curve.append((res.train_seconds, res.test_accuracy))
    return curve, {"epochs": res.epochs, "status": res.status, "hidden": list(cfg.hidden)}


def run_keras(data, budget: float, seed: int, every: float) -> tuple[list, dict]:
    """The tutorial way: DataLoader of float tensors, batch 64, Adam 1e-3 constant, fp32."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    from fmnist_core.engine.loop import Loop

    device = data.device
    torch.manual_seed(seed)
    model = keras_tutorial_cnn().to(device)
    train_x = data.train_images.cpu().float().div(255).unsqueeze(1)  # (60000, 1, 28, 28), as Keras' x / 255
    loader = DataLoader(TensorDataset(train_x, data.train_labels.cpu()), batch_size=64, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    snaps = Snapshots(model, every)
    loop = Loop(10**9, time_budget=budget, steps_per_epoch=len(loader))
    batches = iter(loader)
    for _ in loop.steps():
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        if not loop.after_step(loss.detach() if device.type == "cpu" else None):  # before the update (loop.py)
            break
        opt.step()
        if loop.elapsed() >= snaps.next:
            if device.type == "cuda":
                torch.cuda.synchronize()  # the clock then includes the queued GPU work
            snaps.maybe(loop.elapsed())
    seconds = loop.elapsed()
    snaps.items.append((seconds, {k: v.detach().clone() for k, v in model.state_dict().items()}))
    test_x = data.test_images.float().div(255).unsqueeze(1)
    curve = []
    model.eval()
    for t, state in snaps.items:
        model.load_state_dict(state)
        with torch.no_grad():
            pred = torch.cat([model(test_x[i:i + 1000]).argmax(1) for i in range(0, len(test_x), 1000)])
        curve.append((t, (pred == data.test_labels).float().mean().item()))
    return curve, {"epochs": loop.epoch, "status": loop.status}


def run_job(args) -> dict:
    """Train one (model, seed) in this process; the curve as a dict."""
    if args.cores:
        os.sched_setaffinity(0, {int(c) for c in args.cores.split(",")})
    import torch

    from fmnist_core.engine.device import get_device, tune_allocator
    from fmnist_core.fashion.dataset import FashionMNIST, load_fashion_mnist

    tune_allocator()
    torch.set_num_threads(args.threads)
    device = get_device(args.device)
    data = load_fashion_mnist(device)
    if args.quick:  # a subset, so the smoke run takes seconds
        data = FashionMNIST(data.train_images[:6000], data.train_labels[:6000], data.test_images[:1000],
                            data.test_labels[:1000], source=data.source)
    model, seed = args.job
    seed = int(seed)
    every = args.every or max(0.5, args.budget / 20)
    if model == "keras":
        curve, info = run_keras(data, args.budget, seed, every)
    else:
        # the smoke run may take only a few steps on a busy machine: an event each step keeps its curve
        curve, info = run_recipe(model, data, args.budget, seed, every, event_every=1 if args.quick else None)
    return {"model": model, "seed": seed, "budget": args.budget, "device": str(device), "threads": args.threads,
            "cores": args.cores, "curve": [[round(t, 3), round(a, 4)] for t, a in curve], **info}


# --------------------------------------------------------------------------- many jobs

def core_sets(threads: int, parallel: int) -> list[str]:
    """Disjoint sets of `threads` cores this process may use, at most `parallel` of them."""
    cores = sorted(os.sched_getaffinity(0))
    n = max(1, min(parallel, len(cores) // threads))
    return [",".join(str(c) for c in cores[i * threads:(i + 1) * threads]) for i in range(n)]


def run_all(args, jobs: list[tuple[str, int, float]], out: Path) -> list[dict]:
    """Run the jobs as subprocesses, at most one per core set at a time; their results in job order."""
    sets = core_sets(args.threads, 1 if args.device == "cuda" else args.parallel)  # one GPU: one job at a time
    base = [sys.executable, str(Path(__file__).resolve()), "--threads", str(args.threads), "--device",
            args.device] + (["--quick"] if args.quick else []) + (["--every", str(args.every)] if args.every else [])
    pending, running, done = list(jobs), {}, {}
    try:
        _loop(sets, base, pending, running, done, out)
    except Interrupted:  # a timeout's SIGTERM: keep what finished, say what did not
        for proc, job, _ in running.values():
            proc.kill()
        print(f"stopped by a signal: {len(done)} of {len(jobs)} jobs finished; the summary has only those",
              file=sys.stderr, flush=True)
    return [done[j] for j in jobs if j in done]


class Interrupted(Exception):
    pass


def _loop(sets, base, pending, running, done, out) -> None:
    while pending or running:
        for cores in sets:
            if pending and cores not in running:
                job = pending.pop(0)
                model, seed, budget = job
                path = out / "jobs" / f"{model}-seed{seed}-{budget:g}s.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                cmd = base + ["--budget", str(budget), "--job", model, str(seed), "--cores", cores, "--job-out",
                              str(path)]
                running[cores] = (subprocess.Popen(cmd, cwd=ROOT), job, path)
        time.sleep(0.2)
        for cores, (proc, job, path) in list(running.items()):
            if proc.poll() is not None:
                del running[cores]
                if proc.returncode != 0 or not path.exists():
                    print(f"job {job} failed (exit {proc.returncode})", file=sys.stderr)
                    continue
                r = done[job] = json.loads(path.read_text())
                print(f"  {job[0]:7s} seed {job[1]}, budget {job[2]:g} s: {r['curve'][-1][1]:.4f} after "
                      f"{r['curve'][-1][0]:.1f} s, {r['epochs']:.2f} epochs (cores {cores})", flush=True)


def seconds_to(curve: list, target: float) -> float:
    return next((t for t, a in curve if a >= target), math.inf)


def median_curve(curves: list[list], step: float, budget: float) -> list[list[float]]:
    """[[seconds, median accuracy]] on a grid: each seed's last accuracy at or before each time."""
    out = []
    for i in range(1, int(budget / step + 1e-9) + 2):
        t = min(i * step, budget)
        accs = [([a for s, a in c if s <= t + 1e-9] or [None])[-1] for c in curves]
        accs = [a for a in accs if a is not None]
        if len(accs) == len(curves):
            out.append([round(t, 2), round(statistics.median(accs), 4)])
        if t >= budget:
            break
    final = [c[-1] for c in curves]
    out.append([round(statistics.median(t for t, _ in final), 2), round(statistics.median(a for _, a in final), 4)])
    return out


def summarize(results: list[dict], budget: float) -> dict:
    """Per model: medians over seeds of the final accuracy, epochs and seconds to each target."""
    by_model: dict[str, list[dict]] = {}
    for r in results:
        by_model.setdefault(r["model"], []).append(r)
    summary = {}
    for model, rs in by_model.items():
        curves = [r["curve"] for r in rs]
        times = {f"{t:.2f}": statistics.median(seconds_to(c, t) for c in curves) for t in TARGETS}
        summary[model] = {
            "seeds": len(rs),
            "final_accuracy": round(statistics.median(c[-1][1] for c in curves), 4),
            "final_accuracies": [c[-1][1] for c in curves],
            "epochs": round(statistics.median(r["epochs"] for r in rs), 2),
            "seconds_to": {k: (round(v, 1) if math.isfinite(v) else None) for k, v in times.items()},
            "median_curve": median_curve(curves, max(0.5, budget / 20), budget),
        }
    return summary


def write_outputs(results: list[dict], summary: dict, args, budget: float, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "curves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "seed", "seconds", "test_accuracy"])
        for r in results:
            for t, a in r["curve"]:
                w.writerow([r["model"], r["seed"], t, a])
    meta = {"budget": budget, "device": args.device, "threads": args.threads, "parallel": args.parallel,
            "seeds": args.seeds, "quick": args.quick, "cpu_count": os.cpu_count(),
            "clock": "training seconds; test evaluations run after training on weight copies (not counted)"}
    (out / "summary.json").write_text(json.dumps({**meta, "models": summary}, indent=1))


def write_reference(path: Path, summaries: dict[float, dict], args) -> None:
    """The training page's reference curves: per budget, each model's median curve (small JSON)."""
    import platform

    import torch

    runs = [{"budget": b, "seeds": args.seeds, "device": args.device, "threads": args.threads,
             "curves": {m: s["median_curve"] for m, s in summ.items()}} for b, summ in sorted(summaries.items())]
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
               f"load average {os.getloadavg()[0]:.1f} at the end")
    path.write_text(json.dumps({"machine": machine, "command": " ".join(sys.argv), "runs": runs}, indent=None) + "\n")


def report(summary: dict, models: list[str], args, budget: float) -> None:
    print(f"\nmedians of {args.seeds} seed(s), {budget:g} s budget, {args.device}, {args.threads} thread(s) per job:")
    print(f"  {'model':24s} {'final':>7s} {'epochs':>7s} " + " ".join(f"{'to ' + format(t, '.0%'):>7s}" for t in TARGETS))
    for model in models:
        s = summary.get(model)
        if s is None:
            print(f"  {LABELS[model]:24s} (failed)")
            continue
        cells = " ".join(f"{(format(v, '.1f') + ' s') if v is not None else '-':>7s}" for v in s["seconds_to"].values())
        print(f"  {LABELS[model]:24s} {s['final_accuracy']:7.2%} {s['epochs']:7.2f} {cells}")
    print(json.dumps({"budget": budget, "device": args.device, "threads": args.threads,
                      "models": {m: {k: s[k] for k in ("final_accuracy", "final_accuracies", "epochs", "seconds_to")}
                                 for m, s in summary.items()}}), flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, from {', '.join(MODELS)}")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budget", default="30", help="training seconds per run; several: 30,150")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (and pinned cores) per job")
    p.add_argument("--parallel", type=int, default=1, help="jobs at once, each on its own cores (cpu only)")
    p.add_argument("--every", type=float, default=0.0, help="seconds between weight copies (default budget/30)")
    p.add_argument("--out", default="bench-out/time_to_accuracy")
    p.add_argument("--reference", help="also write the median curves here (e.g. assets/time_to_accuracy.json)")
    p.add_argument("--quick", action="store_true", help="smoke run: 6,000 training images, 2 s, 1 seed")
    p.add_argument("--job", nargs=2, metavar=("MODEL", "SEED"), help=argparse.SUPPRESS)
    p.add_argument("--cores", default="", help=argparse.SUPPRESS)
    p.add_argument("--job-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.job:
        args.budget = float(args.budget)
        Path(args.job_out).write_text(json.dumps(run_job(args)))
        return 0
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    try:
        budgets = sorted({float(b) for b in args.budget.split(",")}, reverse=True)
    except ValueError:
        p.error(f"--budget takes seconds, e.g. 30 or 30,150 (got {args.budget!r})")
    if args.quick:
        budgets, args.seeds = [min(budgets[-1], 2.0)], min(args.seeds, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(m, s, b) for b in budgets for s in range(args.seeds) for m in models]  # longest first
    sets = core_sets(args.threads, 1 if args.device == "cuda" else args.parallel)
    print(f"{len(jobs)} jobs ({', '.join(f'{b:g}' for b in budgets)} s) on {args.device}, {args.threads} thread(s) "
          f"each, {len(sets)} at a time on cores {' | '.join(sets)}", flush=True)
    t0 = time.perf_counter()

    def on_term(*_):
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_term)
    results = run_all(args, jobs, out)
    summaries = {}
    for b in budgets:
        rs = [r for r in results if r["budget"] == b]
        if not rs:
            continue
        summaries[b] = summarize(rs, b)
        write_outputs(rs, summaries[b], args, b, out / f"budget-{b:g}" if len(budgets) > 1 else out)
    print(f"\nall jobs done in {time.perf_counter() - t0:.0f} s wall")
    for b in reversed(sorted(summaries)):
        report(summaries[b], models, args, b)
    if args.reference:
        write_reference(Path(args.reference), summaries, args)
    return 0 if len(results) == len(jobs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
