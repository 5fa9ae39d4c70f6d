"""Optimizer race timings against their targets (issue 13), one JSON line of medians.

Targets on a 2-core CPU: six optimizers x 500 steps on a 2D surface < 100 ms; the surface grid < 50 ms.
Also measured: the same race as the textbook loop (autograd + zero_grad/backward/step), the real
network's slice (grid and race), and building the animated figure the page sends.

    python bench/optimizer_race.py --repeats 7
"""
from __future__ import annotations

import argparse
import json
import statistics
import time


import torch

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from fmnist_core.engine.optim import OPTIMIZERS, make_optimizer


def median_ms(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def textbook_race(surface, names, start, steps, lr, lra):
    """The plain way: autograd on the surface's torch function, one optimizer after another."""
    for n in names:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = make_optimizer(n, [p], R.lr_for(n, lr, lra))
        for _ in range(steps):
            opt.zero_grad()
            surface.torch_value(p).backward()
            opt.step()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = list(OPTIMIZERS)
    out: dict = {"optimizers": len(names), "steps": args.steps, "threads": 1}
    for name in ("valley", "rosenbrock"):
        s = S.make_surface(name)
        lr, lra = S.lr_preset(name, "good")
        out[f"race_{name}_ms"] = median_ms(lambda: R.race(s, names, s.start, args.steps, lr, lra), args.repeats)
        out[f"textbook_{name}_ms"] = median_ms(lambda: textbook_race(s, names, s.start, args.steps, lr, lra),
                                               max(3, args.repeats // 2))
        out[f"grid100_{name}_ms"] = median_ms(lambda: s.grid(100), args.repeats)
        out[f"grid200_{name}_ms"] = median_ms(lambda: s.grid(200), args.repeats)
    out["race_target_ms"], out["grid_target_ms"] = 100, 50
    out["race_ok"] = max(out["race_valley_ms"], out["race_rosenbrock_ms"]) < 100
    out["grid_ok"] = max(out["grid100_valley_ms"], out["grid100_rosenbrock_ms"]) < 50
    toy = S.train_toy()
    sl = S.network_slice(toy, "random", seed=0)
    out["network_grid50_ms"] = median_ms(lambda: sl.grid(50), args.repeats)
    lr, lra = sl.lr_presets["good"]
    out["network_race_ms"] = median_ms(lambda: R.race(sl, names, sl.start, 300, lr, lra), max(3, args.repeats // 2))
    try:
        from ui.figures import optimizers as figs

        s = S.make_surface("valley")
        xs, ys, z = s.grid(100)
        paths = R.race(s, names, s.start, args.steps, *S.lr_preset("valley", "good"))
        ordered = [paths[n] for n in names]
        out["figure_build_ms"] = median_ms(lambda: figs.race_figure(xs, ys, z, ordered, names, s.start), 3)
        import plotly.io as pio

        out["figure_kb"] = round(len(pio.to_json(figs.race_figure(xs, ys, z, ordered, names, s.start))) / 1000)
    except ImportError:
        pass
    print(json.dumps(out))


if __name__ == "__main__":
    main()
