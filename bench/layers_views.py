"""Speed of the layers page on the bundled MLP and CNN.

    .venv/bin/python bench/layers_views.py            # views + first summaries + t-SNE (~1 min)
    .venv/bin/python bench/layers_views.py --probe    # + the per-layer probes of both models (~1-2 min)

Prints medians of the views (weights, filters, feature maps: computed and turned into figure JSON, as
the page sends them), the one-off summaries (top images of every unit over the 10,000 test images),
the t-SNE maps of 3,000 test images, and with --probe each layer's linear-probe accuracy. Targets
(2-core machine): views < 1 s; t-SNE of 3,000 points < 20 s. One torch thread, as beside the server.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path


import torch

from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.inside import probe as pr
from fmnist_core.fashion.checkpoint import load_checkpoint
from fmnist_core.fashion.dataset import load_fashion_mnist
from ui.figures import layers as lf

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def median_s(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_fashion_mnist("cpu")
    for name in ("mlp", "cnn"):
        model, meta = load_checkpoint(ASSETS / f"{name}.pt")
        norm = tuple(meta["normalization"])
        t = time.perf_counter()
        summ = L.summarize(model, data.test_images, norm)
        print(f"{name}: top images of every unit, first time: {time.perf_counter() - t:.2f} s")
        first = L.model_layers(model)[0]
        order = L.ordered(summ.stats[first.key].importance)

        def weights():
            w = L.first_layer_weights(model)
            n = len(order) if name == "cnn" else 64
            lf.weights_figure(w, order[:n], [str(u) for u in order[:n]]).to_json()

        print(f"{name}: weights/filters view {median_s(weights) * 1000:.0f} ms (median of 5)")
        if name == "cnn":
            def maps():
                fm = L.feature_maps(model, data.test_images[3].numpy(), norm)
                for key, m in fm.items():
                    o = L.ordered(summ.stats[key].importance)
                    lf.maps_figure(m, o, [str(c) for c in o]).to_json()

            print(f"{name}: feature maps view {median_s(maps) * 1000:.0f} ms (median of 5)")
        idx = fmap.sample(data.test_labels)
        feats = fmap.model_features(model, data.test_images[idx], norm)
        t = time.perf_counter()
        res = fmap.tsne_pair(feats, fmap.pixels(data.test_images[idx]))
        print(f"{name}: t-SNE of {len(idx):,} points: pixels {res['seconds']['pixels']:.1f} s, "
              f"features {res['seconds']['features']:.1f} s (both {time.perf_counter() - t:.1f} s)")
        if args.probe:
            t = time.perf_counter()
            out = pr.probe_layers(model, data.train_images, data.train_labels, data.test_images, data.test_labels, norm)
            print(f"{name}: probes, first time {time.perf_counter() - t:.1f} s: "
                  + ", ".join(f"{r.label} {r.test_accuracy:.1%}" for r in out))


if __name__ == "__main__":
    main()
