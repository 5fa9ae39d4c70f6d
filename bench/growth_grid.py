"""The decision-boundary page's speed targets, measured.

1. Growth grid: 7 widths (1, 2, 3, 4, 8, 16, 32), 500 training points, 1000 full-batch Adam epochs
   each. Packed into one network (fmnist_core.toy.packed.train_growth) against the same 7 widths
   trained one after another in plain PyTorch (ToyNet: nn.Linear + torch.optim.Adam + autograd).
   Target: packed <= 0.5 s.
2. A 200x200 boundary evaluation of a 2-32-1 tanh net. Target: <= 10 ms.
3. The page: server time of a script run after a slider change (AppTest), for the replay slider
   (the live views only) and for the noise slider (new data, new network, growth grid retrained: a
   short job, which the run waits for at most 0.5 s). Target: the static views re-render in < 500 ms.

    .venv/bin/python bench/growth_grid.py [--repeats 7] [--threads 1] [--no-page]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from fmnist_core.engine.device import tune_allocator
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.packed import GROWTH_WIDTHS, PackedMLP, train_growth
from fmnist_core.toy.plane import grid_probabilities
from fmnist_core.toy.net import ToyNet, train_reference

ROOT = Path(__file__).resolve().parents[1]


def median_time(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def bench_grid(repeats: int, epochs: int) -> None:
    data = make_dataset("spiral", n=1000, noise=0.1, test_fraction=0.5, seed=0)  # 500 train points
    assert len(data.x_train) == 500

    def packed():
        return train_growth(data, GROWTH_WIDTHS, epochs=epochs, seed=0)

    def plain_one_by_one():
        for w in GROWTH_WIDTHS:
            train_reference(ToyNet((w,), "tanh", seed=0), data.x_train, data.y_train, epochs, "adam", 0.03)

    def engine_one_by_one():
        for w in GROWTH_WIDTHS:
            PackedMLP([(w,)], "tanh", seed=0).train_epochs(data.x_train, data.y_train, epochs)

    packed()  # warm-up
    t_packed, all_packed = median_time(packed, repeats)
    t_plain, _ = median_time(plain_one_by_one, max(3, repeats // 2))
    t_engine, _ = median_time(engine_one_by_one, max(3, repeats // 2))
    g = packed()
    print(f"growth grid, {len(GROWTH_WIDTHS)} widths x {epochs} full-batch Adam epochs on 500 points:")
    print(f"  packed into one network        median {t_packed:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in all_packed)})"
          f"  target <= 0.5 s: {'OK' if t_packed <= 0.5 else 'MISSED'}")
    print(f"  plain PyTorch, one after other median {t_plain:.3f} s  -> packed is {t_plain / t_packed:.1f}x faster")
    print(f"  same engine, one after other   median {t_engine:.3f} s  -> packing alone gains {t_engine / t_packed:.1f}x")
    print("  test accuracy by width: " + ", ".join(f"{w}: {a:.1%}" for w, a in zip(GROWTH_WIDTHS, g.test_acc)))


def bench_eval(repeats: int) -> None:
    data = make_dataset("spiral", n=600, noise=0.1, seed=0)
    net = PackedMLP([(32,)], "tanh", seed=0)
    net.train_epochs(data.x_train, data.y_train, 200)
    grid_probabilities(net, data.extent)
    t, _ = median_time(lambda: grid_probabilities(net, data.extent, 200), repeats * 10)
    print(f"200x200 boundary evaluation, 2-32-1 tanh: median {1000 * t:.1f} ms  "
          f"target <= 10 ms: {'OK' if t <= 0.010 else 'MISSED'}")


def bench_page(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    from fmnist_core.engine.jobs import get_manager

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/boundaries.py")
    at.query_params.update({"dataset": "spiral", "noise": "0.1", "points": "600", "units": "32", "speed": "50"})
    at.run()
    run = at.session_state["boundaries_run"]
    at.button(key="boundaries_start").click().run()
    while run.epoch < 200:  # the job trains; each run of the page takes its frames (and beats its heartbeat)
        time.sleep(0.1)
        at.run()
    at.button(key="boundaries_pause").click().run()
    last = run.epoch
    replay, noise = [], []
    for i in range(repeats):
        at.session_state["boundaries_player"] = {"epoch": [(i * 37) % (last + 1), last]}  # the replay slider rests
        t0 = time.perf_counter()
        at.run()
        replay.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    for i in range(max(3, repeats // 2)):
        t0 = time.perf_counter()
        at.slider(key="boundaries_noise").set_value(0.1 + 0.05 * ((i % 4) + 1)).run()
        noise.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
    get_manager().stop_all()
    print("page, server time of one script run (AppTest, whole page):")
    print(f"  replay slider moved (live views redrawn)                  median {1000 * statistics.median(replay):.0f} ms"
          f"  target < 500 ms: {'OK' if statistics.median(replay) < 0.5 else 'MISSED'}")
    print(f"  noise slider moved (new data, new net; the growth grid, a job, waited for <= 0.5 s) "
          f"median {1000 * statistics.median(noise):.0f} ms")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (the app uses 1 beside its server)")
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--no-page", action="store_true", help="skip the AppTest page timings")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    tune_allocator()  # as app.py does: without it each 5 MB temporary is a fresh mmap (3-10x slower evaluation)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), cpu")
    bench_grid(args.repeats, args.epochs)
    bench_eval(args.repeats)
    if not args.no_page:
        bench_page(args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
