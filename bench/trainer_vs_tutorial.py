"""The project's trainer against the plain tutorial loop, on the same data, in one run.

Tutorial loop: float tensors in a TensorDataset, DataLoader(batch 64, shuffle), constant Adam 3e-3,
the same 784-256-128-64-10 ReLU MLP with dropout 0.2. Ours: fmnist_core.fashion.train with its default
MLP recipe (uint8 data on the device, batches by permutation, batch 512, one-cycle, bf16 autocast).
Both are timed on the wall clock including their per-epoch test evaluations.

    .venv/bin/python bench/trainer_vs_tutorial.py [--repeats 3] [--threads 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from fmnist_core.fashion.dataset import load_fashion_mnist
from fmnist_core.nn.models import MLP
from fmnist_core.fashion.train import RECIPES, train

TARGET = 0.875


def tutorial_loop(data, seconds: float, seed: int) -> list[tuple[float, float]]:
    """[(wall seconds, test accuracy)] after each epoch, until `seconds` pass."""
    torch.manual_seed(seed)
    mean, std = 0.2860, 0.3530
    xtr = ((data.train_images.float() / 255 - mean) / std).view(-1, 784)
    xte = ((data.test_images.float() / 255 - mean) / std).view(-1, 784)
    loader = DataLoader(TensorDataset(xtr, data.train_labels), batch_size=64, shuffle=True)
    model = MLP(dropout=0.2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    out, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        model.train()
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == data.test_labels).float().mean().item()
        out.append((time.perf_counter() - t0, acc))
    return out


def ours(data, budget: float, seed: int) -> list[tuple[float, float]]:
    curve = []
    cfg = RECIPES["mlp"].with_(time_budget=budget, epochs=1000, seed=seed)
    res = train(cfg, data, on_event=lambda e: curve.append((e["elapsed"], e["test_accuracy"]))
                if e["kind"] == "epoch" and "test_accuracy" in e else None)
    curve.append((res.train_seconds, res.test_accuracy))
    return curve


def first_time(curve, target):
    return next((t for t, a in curve if a >= target), float("inf"))


def acc_within(curve, seconds):
    accs = [a for t, a in curve if t <= seconds]
    return accs[-1] if accs else float("nan")


def per_epoch(curve):
    ts = [t for t, _ in curve]
    return (ts[-1] - 0) / len(ts) if ts else float("nan")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="the same for both loops; 1 stays steady on a busy machine")
    p.add_argument("--tutorial-seconds", type=float, default=60)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    t = time.perf_counter()
    data = load_fashion_mnist("cpu")
    print(f"dataset loaded in {time.perf_counter() - t:.2f} s; {args.threads} thread(s)")
    rows = []
    for r in range(args.repeats):
        tut = tutorial_loop(data, args.tutorial_seconds, seed=r)
        o30 = ours(data, 30, seed=r)
        o60 = ours(data, 60, seed=r)
        # time per epoch of ours: from the 60 s run's epoch events
        row = {
            "tutorial_s_per_epoch": tut[-1][0] / len(tut),
            "ours_s_per_epoch": o60[-1][0] / max(len(o60) - 1, 1),
            "tutorial_acc_30s": acc_within(tut, 30), "tutorial_acc_60s": acc_within(tut, 60),
            "ours_acc_30s": o30[-1][1], "ours_acc_60s": o60[-1][1],
            "tutorial_time_to_875": first_time(tut, TARGET), "ours_time_to_875": first_time(o30, TARGET),
        }
        row["epoch_speedup"] = row["tutorial_s_per_epoch"] / row["ours_s_per_epoch"]
        # A tutorial run that never reached the target within its time gives an upper bound.
        tut_t = row["tutorial_time_to_875"]
        row["time_to_875_ratio"] = row["ours_time_to_875"] / (tut_t if tut_t != float("inf") else tut[-1][0])
        row["tutorial_reached_875"] = float(tut_t != float("inf"))
        rows.append(row)
        print(f"repeat {r}: " + json.dumps({k: round(v, 4) for k, v in row.items()}), flush=True)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print("\nmedians over", args.repeats, "repeat(s):")
    print(f"  time per epoch: tutorial {med['tutorial_s_per_epoch']:.2f} s, ours {med['ours_s_per_epoch']:.2f} s "
          f"-> {med['epoch_speedup']:.1f}x faster per epoch")
    print(f"  test accuracy within 30 s: tutorial {med['tutorial_acc_30s']:.4f}, ours {med['ours_acc_30s']:.4f}")
    print(f"  test accuracy within 60 s: tutorial {med['tutorial_acc_60s']:.4f}, ours {med['ours_acc_60s']:.4f}")
    reached = int(sum(r["tutorial_reached_875"] for r in rows))
    print(f"  time to {TARGET:.1%}: tutorial {med['tutorial_time_to_875']:.1f} s (reached in {reached} of {len(rows)} "
          f"repeats), ours {med['ours_time_to_875']:.1f} s -> ratio {med['time_to_875_ratio']:.2f} (target <= 0.33; "
          f"a repeat where the tutorial never reached it counts its whole run as an upper bound)")
    print(json.dumps({"medians": med}))


if __name__ == "__main__":
    main()
