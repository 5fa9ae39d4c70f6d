"""Page 10's claims and run times, as medians over seeds: each cure against no cure on the MLP with 1,000
training images for 40 epochs (tests/overfitting/test_lab.py checks the same claims with seed 0), the
normalization comparison and batch norm, seen. One torch thread, as the app gives a job beside the server.

    .venv/bin/python -m bench.overfitting_lab --seeds 3
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from fmnist_core.fashion.dataset import load_fashion_mnist
from fmnist_core.overfitting import batchnorm_seen as bs
from fmnist_core.overfitting import inputs
from fmnist_core.overfitting import lab

CURES = {
    "no cure": ({}, 1000),
    "4x the images (4,000)": ({}, 4000),
    "dropout 0.3": (dict(dropout=0.3), 1000),
    "mirror + shift ±2 px": (dict(flip=True, shift=2), 1000),
    "mirror + shift ±2 px + dropout 0.3": (dict(flip=True, shift=2, dropout=0.3), 1000),
    "random erasing 50 %": (dict(erase=0.5), 1000),
    "weight decay 1e-3": (dict(weight_decay=1e-3), 1000),
    "batch norm": (dict(batchnorm=True), 1000),
    "early stopping": (dict(early_stopping=True), 1000),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--skip-extras", action="store_true", help="only the cures, not parts ② and ③")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    data = load_fashion_mnist("cpu")
    med = statistics.median
    print(f"MLP, {args.epochs} epochs, medians of {args.seeds} seeds (train / test / gap in %, seconds)")
    base = None
    for name, (cures, n) in CURES.items():
        rows = []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            r = lab.run(lab.LabSettings(n_train=n, epochs=args.epochs, cures=lab.Cures(**cures), seed=seed), data)
            rows.append((r.final["train_accuracy"], r.final["test_accuracy"], r.final["gap"],
                         time.perf_counter() - t0, len(r.points)))
        tr, te, gap, sec, ep = (med(c) for c in zip(*rows))
        base = te if base is None else base
        print(f"  {name:38s} train {tr:6.1%}  test {te:6.1%} ({(te - base) * 100:+.1f})  gap {gap * 100:5.1f}  "
              f"{sec:5.1f} s  {ep:.0f} epochs", flush=True)
    if args.skip_extras:
        return 0
    for opt in inputs.OPTIMIZERS:
        t0 = time.perf_counter()
        out = inputs.compare(inputs.InputsSettings(optimizer=opt), data)
        accs = "  ".join(f"{m}: " + ("diverged" if v["status"] == "diverged"
                                       else " / ".join(f"{a:.1%}" for a in v["epoch_accuracy"]))
                         for m, v in out.items())
        print(f"normalization, {opt}: {accs}  ({time.perf_counter() - t0:.1f} s)", flush=True)
    for act in bs.ACTS:
        t0 = time.perf_counter()
        out = bs.compare(bs.SeenSettings(activation=act), data)
        print(f"batch norm, seen, {act}: test {out[False]['final_accuracy']:.1%} without, "
              f"{out[True]['final_accuracy']:.1%} with ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
