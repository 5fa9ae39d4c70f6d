"""Linear probes per layer: the pixel probe is a plain scikit-learn fit; deeper layers separate better."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fmnist_core.inside import probe as pr
from fmnist_core.fashion.checkpoint import load_checkpoint

ASSETS = Path(__file__).resolve().parents[2] / "assets"
N_TRAIN, N_TEST = 3000, 2000


@pytest.mark.slow
def test_pixel_probe_matches_a_plain_scikit_learn_fit(fmnist):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xtr = fmnist.train_images[:N_TRAIN].numpy().reshape(N_TRAIN, 784).astype(np.float32) / 255
    xte = fmnist.test_images[:N_TEST].numpy().reshape(N_TEST, 784).astype(np.float32) / 255
    ytr, yte = fmnist.train_labels[:N_TRAIN].numpy(), fmnist.test_labels[:N_TEST].numpy()
    np.testing.assert_array_equal(pr.pixel_features(fmnist.train_images[:N_TRAIN]), xtr)
    scaler = StandardScaler().fit(xtr)
    plain = LogisticRegression(C=pr.PROBE_C, max_iter=pr.PROBE_ITER, tol=1e-3).fit(scaler.transform(xtr), ytr)
    expected = plain.score(scaler.transform(xte), yte)
    train_acc, test_acc = pr.fit_probe(xtr, ytr, xte, yte)
    assert abs(test_acc - expected) <= 0.002, (test_acc, expected)
    assert 0.75 < test_acc < 0.9 and train_acc >= test_acc  # a linear model on pixels: ~80-84% on Fashion-MNIST


@pytest.mark.parametrize("name, dims", [("mlp", {"pixels": 784, "hidden1": 256, "hidden2": 128, "hidden3": 64}),
                                        ("cnn", {"pixels": 784, "conv1": 32 * 49, "conv2": 64 * 49, "fc": 100})])
def test_layer_features_shapes(name, dims, fmnist):
    model, meta = load_checkpoint(ASSETS / f"{name}.pt")
    feats = pr.layer_features(model, fmnist.test_images[:20], tuple(meta["normalization"]))
    assert {k: v.shape[1] for k, v in feats.items()} == dims
    assert all(v.shape[0] == 20 and v.dtype == np.float32 for v in feats.values())


def test_each_mlp_layer_is_more_separable_than_pixels(fmnist, tmp_path):
    model, meta = load_checkpoint(ASSETS / "mlp.pt")
    seen = []
    res = pr.probe_layers(model, fmnist.train_images, fmnist.train_labels, fmnist.test_images[:N_TEST],
                          fmnist.test_labels[:N_TEST], tuple(meta["normalization"]), n_train=N_TRAIN,
                          on_layer=lambda i, n, r: seen.append((i, n, None if r is None else r.key)))
    assert [r.key for r in res] == ["pixels", "hidden1", "hidden2", "hidden3"]
    assert seen == [(0, 4, None), (1, 4, "pixels"), (2, 4, "hidden1"), (3, 4, "hidden2"), (4, 4, "hidden3")]
    acc = [r.test_accuracy for r in res]
    assert acc[-1] > acc[0] + 0.03, acc  # the trained layers re-encode the garments
    path = tmp_path / pr.cache_name()
    pr.save_results(path, res)
    assert pr.load_results(path) == res
    assert pr.load_results(tmp_path / "missing.json") is None


def test_probing_stops_between_layers(fmnist):
    model, meta = load_checkpoint(ASSETS / "mlp.pt")
    res = pr.probe_layers(model, fmnist.train_images, fmnist.train_labels, fmnist.test_images[:100],
                          fmnist.test_labels[:100], tuple(meta["normalization"]), n_train=200, should_stop=lambda: True)
    assert res == []
