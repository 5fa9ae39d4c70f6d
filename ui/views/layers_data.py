"""What the layers page computes once per checkpoint, keyed by its content hash: the units' top images,
the map of the feature space, and the probe and t-SNE results that background jobs fill in."""
from __future__ import annotations

import streamlit as st

from fmnist_core.inside import explain as ex
from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.inside import probe as pr
from ui.kit import checkpoints
from ui.kit.common import require_dataset


@st.cache_resource(show_spinner=False, max_entries=8)
def _summary(path: str, content: str) -> L.ModelSummary:
    model, meta = checkpoints.load(path)
    return L.cached_summary(model, content, require_dataset().test_images, tuple(meta["normalization"]))


def summary(choice: ex.ModelChoice) -> L.ModelSummary:
    """Each layer's unit statistics and top-activating test images (one pass, then cached on disk)."""
    return _summary(str(choice.path), checkpoints.digest(choice.path))


@st.cache_resource(show_spinner=False)
def store() -> dict:
    """Probe and t-SNE results shared by every session, filled by background jobs: (what, digest) -> result."""
    return {}


def probe_results(digest: str) -> list[pr.ProbeResult] | None:
    """The layer probes of this checkpoint, from memory or the on-disk cache; None before they are measured."""
    key = ("probe", digest)
    if key not in store():
        found = pr.load_results(L.cache_path(digest, pr.cache_name()))
        if found:
            store()[key] = found
    return store().get(key)


def tsne_maps(digest: str) -> dict | None:
    """{"pixels", "features": (N, 2), "seconds"}: this checkpoint's t-SNE maps, None before they are computed."""
    return store().get(("tsne", digest))


@st.cache_resource(show_spinner=False, max_entries=8)
def _map_data(path: str, content: str) -> dict:
    model, meta = checkpoints.load(path)
    data = require_dataset()
    idx = fmap.sample(data.test_labels)
    feats = fmap.model_features(model, data.test_images[idx], tuple(meta["normalization"]))
    pix = fmap.pixels(data.test_images[idx])
    return {"idx": idx, "labels": data.test_labels[idx].cpu().numpy(), "features": feats, "pixels": pix,
            "pca_features": fmap.pca_2d(feats), "pca_pixels": fmap.pca_2d(pix)}


def map_data(choice: ex.ModelChoice) -> dict:
    """The map's test images: indices, labels, pixels, last-hidden-layer features and their 2D PCAs."""
    return _map_data(str(choice.path), checkpoints.digest(choice.path))
