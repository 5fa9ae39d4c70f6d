"""Speed of page 9's labs on this machine, one torch thread as the app gives a job beside the server.

Targets (issue 24, on a 2-core CPU): FGSM on one image ≤ 50 ms; PGD with 10 steps ≤ 300 ms; one dream
≤ 5 s; the robustness curve (1,000 images × 8 values of ε × 2 models) ≤ 30 s. Medians of --repeats runs.

    .venv/bin/python -m bench.fool_dream_break --repeats 5
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.fashion.dataset import load_fashion_mnist
from fmnist_core.fragile import adversarial as adv
from fmnist_core.fragile import dreams as dr
from fmnist_core.fragile import knockout as ko
from fmnist_core.fragile.pixels import PixelModel, balanced_subset, to_pixels
from fmnist_core.inside.explain import ASSETS
from bench.layers_views import median_s

TARGETS = {"fgsm_ms": 50, "pgd10_ms": 300, "dream_s": 5, "curve_s": 30}


def pixel_model(name: str) -> PixelModel:
    model, meta = load_checkpoint(ASSETS / f"{name}.pt")
    return PixelModel(model, tuple(meta["normalization"]))


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: torch's first call on a shape sets things up
    return median_s(fn, repeats)


def plain_curve(models: dict[str, PixelModel], x: torch.Tensor, y: torch.Tensor) -> dict[tuple[str, int], float]:
    """The plain way: at every ε, PGD with 10 steps from the clean images, on all of them."""
    out = {}
    for eps in adv.CURVE_EPS:
        for name, m in models.items():
            right = 0
            for i in range(0, len(y), 250):
                a = adv.pgd(m, x[i:i + 250], y[i:i + 250], eps / 255, 10)
                right += int((m.predict(a) == y[i:i + 250]).sum())
            out[(name, eps)] = right / len(y)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain curve (PGD-10 from scratch at each ε)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_fashion_mnist("cpu")
    models = {name: pixel_model(name) for name in ("mlp", "cnn")}
    img, label = data.test_images[0].numpy(), int(data.test_labels[0])
    got: dict[str, float] = {}
    for name, m in models.items():
        got[f"{name} fgsm_ms"] = 1000 * median_time(lambda: adv.attack_image(m, img, label, 8, "fgsm"), args.repeats)
        got[f"{name} pgd10_ms"] = 1000 * median_time(lambda: adv.attack_image(m, img, label, 8, "pgd", 10),
                                                     args.repeats)
        got[f"{name} dream_s"] = median_time(lambda: dr.dream(m, dr.DreamTarget(0), dr.start_image("gray")),
                                             max(1, args.repeats // 2))
    idx = balanced_subset(data.test_labels, adv.CURVE_IMAGES)
    x, y = to_pixels(data.test_images[idx]), data.test_labels[idx]
    curves = []
    for _ in range(max(1, args.repeats // 2)):
        t0 = time.perf_counter()
        pts = adv.robustness_curve(models, x, y)
        curves.append(time.perf_counter() - t0)
    got["curve_s"] = statistics.median(curves)
    if not args.no_plain:
        t0 = time.perf_counter()
        plain = plain_curve(models, x, y)
        got["plain_curve_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = ko.study(models["cnn"], "conv2", x, y)
    got["cnn conv2 knock-out study_s"] = time.perf_counter() - t0
    print(f"torch threads: {args.threads}; medians of {args.repeats} (dreams and curve: {max(1, args.repeats // 2)})")
    for k, v in got.items():
        target = TARGETS.get(k.split(" ", 1)[-1])  # "cnn fgsm_ms" -> "fgsm_ms"
        verdict = "" if target is None else f"  target ≤ {target}: {'met' if v <= target else 'MISSED'}"
        print(f"{k:32s} {v:9.3f}{verdict}")
    if not args.no_plain:
        print(f"the curve vs the plain way: {got['plain_curve_s'] / got['curve_s']:.1f}x faster")
    print("curve (accuracy: PGD / uniform / gaussian" + ("; plain PGD-10 from scratch" if not args.no_plain else "")
          + "):")
    for p in pts:
        extra = "" if args.no_plain else f"  plain {plain[(p.model, p.eps)]:.3f}"
        print(f"  {p.model} ε={p.eps:2d}/255  {p.pgd:.3f} / {p.uniform:.3f} / {p.gaussian:.3f}  "
              f"at {p.seconds:.1f} s{extra}")
    print("knock-out, CNN conv2: most important channels", ko.most_important(st.importance, 5),
          "mean drop", [f"{d:.3f}" for d in sorted(st.importance, reverse=True)[:5]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
