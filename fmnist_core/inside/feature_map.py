"""A map of the feature space: a layer's features of a few thousand test images projected to 2D.

PCA is instant and has an exact projection for a new image (a drawing); t-SNE (scikit-learn's
Barnes-Hut) shows clusters far better but takes seconds, reports no progress from inside, and cannot
place a new point: a drawing goes where its nearest map neighbours (in the original space) went.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.fashion.dataset import normalize

MAP_SIZE = 3000  # test images on the map: t-SNE of 3,000 takes ~6 s on one CPU core
TSNE_PCA = 50  # t-SNE runs on the first 50 principal components, as is usual for pixels
TSNE_ITER = 500  # 250 with early exaggeration, then 250 more: the clusters are settled by then
NEIGHBOURS = 10


def sample(labels: torch.Tensor, n: int = MAP_SIZE, seed: int = 0) -> np.ndarray:
    """Indices (n,) of test images, n // 10 of each class (the rest at random); same seed, same map."""
    y = labels.cpu().numpy()
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per = n // len(classes)
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per] for c in classes])
    rest = np.setdiff1d(np.arange(len(y)), idx)
    idx = np.concatenate([idx, rng.permutation(rest)[:n - len(idx)]])
    return np.sort(idx)


@torch.inference_mode()
def model_features(model: nn.Module, images: torch.Tensor, norm: tuple[float, float], batch: int = 250) -> np.ndarray:
    """Float32 (N, D): the model's last hidden layer (`model.features`) for uint8 images (N, 28, 28)."""
    model.eval()
    return torch.cat([model.features(normalize(images[i:i + batch].cpu(), *norm)).float()
                      for i in range(0, len(images), batch)]).numpy()


def pixels(images: torch.Tensor) -> np.ndarray:
    return (images.cpu().reshape(len(images), -1).float() / 255).numpy()


def image_points(model: nn.Module, image: np.ndarray, norm: tuple[float, float]) -> dict[str, np.ndarray]:
    """{"pixels": (784,), "features": (D,)}: one new image (uint8 28x28, a drawing) as the two maps see it."""
    img = torch.as_tensor(np.asarray(image, np.uint8))[None]  # (1, 28, 28)
    return {"pixels": pixels(img)[0], "features": model_features(model, img, norm)[0]}


@dataclass
class Projection:
    """A fitted 2D PCA: coordinates of the fitted points and the map for new ones."""

    coords: np.ndarray  # (N, 2)
    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D)
    explained: np.ndarray  # (2,) share of the variance along each axis

    def project(self, x: np.ndarray) -> np.ndarray:
        """(M, 2) for new points (M, D)."""
        return (np.atleast_2d(x) - self.mean) @ self.components.T


def pca_2d(x: np.ndarray) -> Projection:
    from sklearn.decomposition import PCA

    p = PCA(2, random_state=0).fit(x)
    return Projection(p.transform(x).astype(np.float32), p.mean_, p.components_, p.explained_variance_ratio_)


def tsne_2d(x: np.ndarray, seed: int = 0, perplexity: float = 30.0, max_iter: int = TSNE_ITER) -> np.ndarray:
    """Float32 (N, 2) t-SNE of x (N, D), after PCA to TSNE_PCA dims when D is larger."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # beside the web server (see NOTES.md on threads)
        if x.shape[1] > TSNE_PCA:
            x = PCA(TSNE_PCA, random_state=seed).fit_transform(x)
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter,
                    n_jobs=1).fit_transform(x).astype(np.float32)


def nearest_points(x_ref: np.ndarray, x_new: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Indices (k,) of the map points (N, D) nearest to a new point (D,) by cosine similarity, nearest first."""
    ref = F.normalize(torch.as_tensor(x_ref, dtype=torch.float32), dim=1)
    q = F.normalize(torch.as_tensor(np.asarray(x_new, np.float32).reshape(-1)), dim=0)
    return torch.topk(ref @ q, k).indices.numpy()


def place(x_ref: np.ndarray, coords: np.ndarray, x_new: np.ndarray, k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """((2,) position for a new point, (k,) indices of its nearest map points): the mean map position of
    its k nearest neighbours by cosine similarity in the original space."""
    nn_idx = nearest_points(x_ref, x_new, k)
    return coords[nn_idx].mean(0), nn_idx


def majority_class(x_ref: np.ndarray, labels: np.ndarray, x_new: np.ndarray, k: int = NEIGHBOURS) -> int:
    """The most common label (0-9) among the k map points nearest to a new point: the cluster it lands in."""
    return int(np.bincount(labels[nearest_points(x_ref, x_new, k)], minlength=10).argmax())


def tsne_pair(feats: np.ndarray, pix: np.ndarray, on_stage=None, should_stop=None, seed: int = 0) -> dict | None:
    """{"pixels": (N, 2), "features": (N, 2), "seconds": {...}}: both t-SNE maps, pixels first.
    `on_stage(i, total, name)` before each; None when `should_stop()` turned true between them."""
    out, secs = {}, {}
    for i, (name, x) in enumerate((("pixels", pix), ("features", feats))):
        if should_stop and should_stop():
            return None
        if on_stage:
            on_stage(i, 2, name)
        t0 = time.perf_counter()
        out[name] = tsne_2d(x, seed)
        secs[name] = time.perf_counter() - t0
    if on_stage:
        on_stage(2, 2, None)
    out["seconds"] = secs
    return out
