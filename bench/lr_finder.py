"""The learning-rate finder's time on the training page's MLP, against the plain way: a grid of short runs.

    PYTHONPATH=. .venv/bin/python -m bench.lr_finder [--repeats 3] [--threads 2] [--cnn]

Target (2-core machine): the MLP sweep (784-256-128-64, Adam, batch 512, 200 mini-batches) in <= 15 s.
The plain way tries rates one short run each: six rates from 1e-4 to 0.1, each a one-cycle run of the recipe
about as long as the sweep (2 epochs, 236 mini-batches), keeping the best test accuracy; it is timed once.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from fmnist_core.fashion.dataset import load_fashion_mnist
from fmnist_core.fashion.lr_finder import STEPS, find_lr
from fmnist_core.fashion.recipe import RECIPES
from fmnist_core.fashion.train import train

TARGET_S = 15.0
GRID = (1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)


def sweep(cfg, data, repeats: int) -> list[dict]:
    rows = []
    for r in range(repeats):
        res = find_lr(cfg.with_(seed=r), data)
        rows.append({"seed": r, "seconds": res.seconds, "steps": res.steps, "status": res.status,
                     "suggested_lr": res.suggested_lr, "lowest_smoothed_at": res.lrs[res.min_index]})
        print(f"  seed {r}: {res.seconds:.2f} s, {res.steps} steps ({res.status}), suggested lr "
              f"{res.suggested_lr:.2e}, smoothed loss lowest at {res.lrs[res.min_index]:.2e}", flush=True)
    return rows


def grid(cfg, data) -> tuple[float, float, float]:
    """(seconds, best rate, its test accuracy) of one short run per rate of GRID."""
    steps_per_epoch = -(-len(data.train_images) // cfg.batch_size)
    t, acc = time.perf_counter(), {}
    epochs = max(1, round(STEPS / steps_per_epoch))  # the whole epochs nearest the sweep's length (MLP: 2, 236 steps)
    for lr in GRID:
        res = train(cfg.with_(lr=lr, epochs=epochs, eval_every=0), data)
        acc[lr] = res.test_accuracy if res.test_accuracy == res.test_accuracy else 0.0
        print(f"  lr {lr:g}: test accuracy {acc[lr]:.4f}", flush=True)
    best = max(acc, key=acc.get)
    return time.perf_counter() - t, best, acc[best]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, help="2: the CLI's default on an idle 2-core machine")
    p.add_argument("--cnn", action="store_true", help="also time the CNN's sweep (batch 256)")
    p.add_argument("--no-grid", action="store_true", help="skip the plain way")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    data = load_fashion_mnist("cpu")
    find_lr(RECIPES["mlp"], data, steps=10)  # warm up (first calls allocate)
    print(f"MLP range test, {STEPS} mini-batches of {RECIPES['mlp'].batch_size}, {args.threads} thread(s):")
    rows = sweep(RECIPES["mlp"], data, args.repeats)
    med = statistics.median(r["seconds"] for r in rows)
    lrs = sorted(r["suggested_lr"] for r in rows)
    out = {"threads": args.threads, "mlp_seconds_median": med, "mlp_suggested_lr_median": statistics.median(lrs),
           "mlp_rows": rows}
    print(f"  median {med:.2f} s (target <= {TARGET_S:g} s: {'met' if med <= TARGET_S else 'MISSED'}); suggested lr "
          f"{statistics.median(lrs):.2e} (range {lrs[0]:.2e} .. {lrs[-1]:.2e})")
    if not args.no_grid:
        print(f"the plain way: one short run ({STEPS} mini-batches, one-cycle) at each of {len(GRID)} rates:")
        g_s, g_lr, g_acc = grid(RECIPES["mlp"], data)
        print(f"  {g_s:.1f} s in all, best lr {g_lr:g} ({g_acc:.4f}); the range test took {med / g_s:.2f}x the time")
        out.update(grid_seconds=g_s, grid_best_lr=g_lr, grid_best_accuracy=g_acc, ratio=med / g_s)
    if args.cnn:
        print(f"CNN range test ({RECIPES['cnn'].batch_size} per batch):")
        c = sweep(RECIPES["cnn"], data, 1)
        out["cnn_seconds"] = c[0]["seconds"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
