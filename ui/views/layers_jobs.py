"""The layers page's two background jobs (ui.kit.live): probing each layer, and the t-SNE maps. Each
result goes into the shared store (ui.views.layers_data), the probes also to the on-disk cache."""
from __future__ import annotations

import time

import streamlit as st
from torch import nn

from fmnist_core.fashion.dataset import FashionMNIST
from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.inside import probe as pr
from ui.kit import live
from ui.views.layers_data import store

PROBE_JOB, TSNE_JOB = "layers_probe_job", "layers_tsne_job"


def probe_section(model: nn.Module, digest: str, data: FashionMNIST, norm: tuple[float, float], n_layers: int) -> None:
    """A start button, then the probes' progress: one linear probe per layer, raw pixels first."""
    total = n_layers + 1
    if live.start_button(PROBE_JOB, "Measure each layer (about 20–60 s, once per model)", type="primary"):
        tr, ytr, te, yte = data.train_images, data.train_labels, data.test_images, data.test_labels

        def run_probe(job, model=model, digest=digest):
            res = pr.probe_layers(model, tr, ytr, te, yte, norm,
                                  on_layer=lambda i, n, r: job.emit({"kind": "progress", "done": i, "total": n,
                                                                     "label": r.label if r else ""}),
                                  should_stop=job.control.should_stop)
            if len(res) == total:
                store()[("probe", digest)] = res
                pr.save_results(L.cache_path(digest, pr.cache_name()), res)
            return res

        live.start(PROBE_JOB, "layer probes", run_probe)

    def draw_probe(job, reader):
        last = reader.latest.get("progress")
        if job.active:
            done, n = (last["done"], last["total"]) if last else (0, total)
            text = f"Probes trained: {done} of {n}" if last else "Computing every layer’s activations…"
            st.progress(done / n, text=text + (f" (last: {last['label']})" if last and last["label"] else ""))

    live.view(PROBE_JOB, draw_probe, idle="Not measured for this model yet: press the button.")


def tsne_section(md: dict, digest: str) -> None:
    """A start button, then the t-SNE's progress, map by map (pixels, then features)."""
    if live.start_button(TSNE_JOB, f"Compute the t-SNE maps ({len(md['idx']):,} images, pixels and features)",
                         type="primary"):
        def run_tsne(job, md=md, digest=digest):
            t0 = time.perf_counter()
            res = fmap.tsne_pair(md["features"], md["pixels"], should_stop=job.control.should_stop,
                                 on_stage=lambda i, n, name: job.emit({"kind": "progress", "done": i, "total": n,
                                                                      "stage": name or "",
                                                                      "t": time.perf_counter() - t0}))
            if res is not None:
                store()[("tsne", digest)] = res
            return res

        live.start(TSNE_JOB, "t-SNE map", run_tsne)

    def draw_tsne(job, reader):
        last = reader.latest.get("progress")
        if job.active and last:
            since = time.time() - job.started if job.started else 0.0
            what = {"pixels": "the raw pixels", "features": "the last hidden layer"}.get(last["stage"], "")
            st.progress(last["done"] / last["total"], text=f"t-SNE of {what}: map {last['done'] + 1} of "
                        f"{last['total']} · {since:.0f} s so far (each map takes ~6 s on one core)")
            st.caption("scikit-learn's t-SNE reports nothing until a map is finished, so the bar moves per map.")

    live.view(TSNE_JOB, draw_tsne, idle="t-SNE not computed for this model yet: press the button (PCA is shown "
              "meanwhile on the other setting).")
