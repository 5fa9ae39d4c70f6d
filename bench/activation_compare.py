"""Activation lab speed and accuracy targets, measured on the real data.

    .venv/bin/python bench/activation_compare.py                 # every activation, 8 s each
    .venv/bin/python bench/activation_compare.py --only relu,tanh,sigmoid,srelu --budget 8

Prints, per activation, the test accuracy after its budget (target > 80% except the step), the
wall time of the whole comparison (target for 4 x 8 s: < 45 s), and the median time of one
curves() call (part of the < 300 ms slider target). One training thread, as beside the server.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from fmnist_core.activation_lab import curves, gradcheck_activation, run_comparison  # noqa: E402
from fmnist_core.activations import ACTIVATIONS  # noqa: E402
from fmnist_core.fashion import load_fashion_mnist  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--only", help="comma-separated activations (default: all)")
    p.add_argument("--budget", type=float, default=8.0, help="seconds of training per activation")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    names = args.only.split(",") if args.only else list(ACTIVATIONS)

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
