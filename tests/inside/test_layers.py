"""What each layer learns (core): hooks, top-activating images, receptive fields, importance, the feature-space map,
on both bundled models and a run trained for 2 seconds and saved."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.fashion.checkpoint import load_checkpoint, save_checkpoint
from fmnist_core.fashion.dataset import normalize
from fmnist_core.nn.models import ALIASES, build_model

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.fixture(scope="module")
def mlp():
    return load_checkpoint(ASSETS / "mlp.pt")


@pytest.fixture(scope="module")
def cnn():
    return load_checkpoint(ASSETS / "cnn.pt")


@pytest.fixture(scope="module", params=["cnn_v1", "cnn_v2"])
def any_cnn(request, cnn):
    """Each CNN architecture: the bundled model if it is of that kind, else one with seeded random weights
    (what the layers core reads is the structure, so any weights do)."""
    model, meta = cnn
    if ALIASES.get(meta["architecture"], meta["architecture"]) == request.param:
        return cnn
    torch.manual_seed(0)
    model = build_model(request.param, (32, 64, 128), dropout=0.0).eval()
    return model, {"architecture": request.param, "normalization": meta["normalization"]}


LAYERS = {  # (key, kind, units) of each CNN architecture
    "cnn_v1": [("conv1", "conv", 32), ("conv2", "conv", 64), ("fc", "dense", 100)],
    "cnn_v2": [("conv1", "conv", 32), ("conv2", "conv", 64), ("conv3", "conv", 128)],
}
MAP_SHAPES = {"cnn_v1": [(32, 28, 28), (64, 14, 14)], "cnn_v2": [(32, 14, 14), (64, 7, 7), (128, 4, 4)]}
RECEPTIVE = {"cnn_v1": {"conv1": (3, 1, -1), "conv2": (8, 2, -3)},  # pooling doubles the step
             "cnn_v2": {"conv1": (3, 2, -1), "conv2": (7, 4, -3), "conv3": (15, 8, -7)}}  # stride-2 convolutions


def arch(meta: dict) -> str:
    return ALIASES.get(meta["architecture"], meta["architecture"])


@pytest.fixture(scope="module")
def saved_run(fmnist_small, tmp_path_factory):
    """An MLP 32-16 with tanh, trained for 2 seconds, saved and loaded back as the training page does."""
    from fmnist_core.fashion.train import TrainConfig, train

    cfg = TrainConfig(model="mlp", hidden=(32, 16), activation="tanh", time_budget=2.0, epochs=50, eval_every=0)
    result = train(cfg, fmnist_small)
    path = save_checkpoint(tmp_path_factory.mktemp("runs") / "run.pt", result)
    return load_checkpoint(path)


def x_of(images, meta):
    return normalize(images, *meta["normalization"])


def test_model_layers_of_each_model(mlp, cnn, any_cnn, saved_run):
    assert [(lay.key, lay.units) for lay in L.model_layers(mlp[0])] == [("hidden1", 256), ("hidden2", 128), ("hidden3", 64)]
    for model, meta in (cnn, any_cnn):
        assert [(lay.key, lay.kind, lay.units) for lay in L.model_layers(model)] == LAYERS[arch(meta)]
    assert [(lay.key, lay.units) for lay in L.model_layers(saved_run[0])] == [("hidden1", 32), ("hidden2", 16)]
    assert L.is_convolutional(cnn[0]) and not L.is_convolutional(mlp[0])
    assert L.feature_maps(mlp[0], np.zeros((28, 28), np.uint8), (0.0, 1.0)) == {}  # no conv: no maps


def test_feature_maps_equal_the_models_own_intermediate_outputs(any_cnn, fmnist):
    model, meta = any_cnn
    img = fmnist.test_images[7].numpy()
    maps = L.feature_maps(model, img, tuple(meta["normalization"]))
    x = x_of(fmnist.test_images[7:8], meta)
    acts = [i for i, m in enumerate(model.conv) if isinstance(m, torch.nn.ReLU)]  # each block's conv, BN, ReLU
    assert [m.shape for m in maps.values()] == MAP_SHAPES[arch(meta)]
    with torch.no_grad():
        for n, i in enumerate(acts, 1):  # cnn_v1: block 2 starts after block 1's max-pool
            torch.testing.assert_close(torch.as_tensor(maps[f"conv{n}"]), model.conv[:i + 1](x)[0])
        last = model.features(x)  # cnn_v1: the dense hidden layer; cnn_v2: the last block, flattened
    got, logits = L.capture(model, x)
    torch.testing.assert_close(got[L.model_layers(model)[-1].key].flatten(1), last)
    torch.testing.assert_close(logits, model(x))
    assert not any(m._forward_hooks for m in model.modules())  # hooks removed afterwards


def test_mlp_hidden_layers_equal_the_models_own_outputs(mlp, saved_run, fmnist):
    for model, meta in (mlp, saved_run):
        x = x_of(fmnist.test_images[:50], meta)
        got, _ = L.capture(model, x)
        with torch.no_grad():
            torch.testing.assert_close(got["hidden1"], model.net[1](model.net[0](x.flatten(1))))
            torch.testing.assert_close(got[L.model_layers(model)[-1].key], model.features(x))


@pytest.mark.parametrize("which", ["mlp", "cnn", "saved_run"])
def test_top_images_are_the_argmax_of_the_stored_activations(which, request, fmnist):
    check_top_images(*request.getfixturevalue(which), fmnist)


def test_top_images_of_each_cnn_architecture(any_cnn, fmnist):
    check_top_images(*any_cnn, fmnist)


def check_top_images(model, meta, fmnist):
    images = fmnist.test_images[:600]
    stats = L.layer_stats(model, images, tuple(meta["normalization"]), k=5, batch=128)
    got, _ = L.capture(model, x_of(images, meta))
    for lay in L.model_layers(model):
        a, s = got[lay.key], stats[lay.key]
        assert s.top_idx.shape == (lay.units, 5)
        if lay.kind == "conv":
            flat = a.flatten(2)  # (N, C, H*W)
            score, where = flat.max(2)
            best = s.top_idx[:, 0]
            units = np.arange(lay.units)
            # The arg-max (ties, e.g. a channel that never fires, may pick any of the tied images):
            np.testing.assert_array_equal(score[best, units].numpy(), score.max(0).values.numpy())
            pos = where[best, units].numpy()
            np.testing.assert_array_equal(s.top_pos[:, 0], np.stack([pos // a.shape[-1], pos % a.shape[-1]], 1))
            np.testing.assert_allclose(s.top_val[:, 0], score.max(0).values.numpy(), rtol=1e-5)
            np.testing.assert_allclose(s.mean_abs, a.abs().mean((0, 2, 3)).numpy(), rtol=1e-4)
        else:
            units = np.arange(lay.units)
            np.testing.assert_array_equal(a[s.top_idx[:, 0], units].numpy(), a.max(0).values.numpy())
            unique = ((a == a.max(0).values).sum(0) == 1).numpy()  # units whose maximum is not tied
            assert unique.sum() > lay.units // 2
            np.testing.assert_array_equal(s.top_idx[unique, 0], a.argmax(0).numpy()[unique])
            np.testing.assert_allclose(s.top_val, torch.topk(a, 5, dim=0).values.T.numpy(), rtol=1e-5)
            np.testing.assert_allclose(s.mean_abs, a.abs().mean(0).numpy(), rtol=1e-4)
        assert (np.diff(s.top_val, axis=1) <= 1e-6).all()  # highest first


def test_importance_is_activation_times_outgoing_weights(mlp, fmnist):
    model, meta = mlp
    import copy

    model = copy.deepcopy(model)
    with torch.no_grad():
        model.net[3].weight[:, 5] = 0  # hidden unit 5 of layer 1 now sends nothing on
    stats = L.layer_stats(model, fmnist.test_images[:300], tuple(meta["normalization"]))
    s = stats["hidden1"]
    zero = int((s.importance == 0).sum())  # unit 5, and any unit that never fires on these images
    assert s.importance[5] == 0 and 5 in L.ordered(s.importance)[-zero:] and zero < 256 // 4
    expected = s.mean_abs * model.net[3].weight.detach().norm(dim=0).numpy()
    np.testing.assert_allclose(s.importance, expected, rtol=1e-5)


def test_first_layer_weights(mlp, cnn):
    w = L.first_layer_weights(mlp[0])
    assert w.shape == (256, 28, 28)
    np.testing.assert_array_equal(w[3].reshape(-1), mlp[0].net[0].weight[3].detach().numpy())
    f = L.first_layer_weights(cnn[0])
    assert f.shape == (32, 3, 3)
    np.testing.assert_array_equal(f[0], cnn[0].conv[0].weight[0, 0].detach().numpy())


def test_receptive_fields_bound_what_a_position_sees(any_cnn):
    model, meta = any_cnn
    rfs = L.receptive_fields(model)
    assert rfs == RECEPTIVE[arch(meta)]
    x = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0), requires_grad=True)
    for key, (size, stride, start) in rfs.items():
        with torch.enable_grad():
            hooks = {}
            lay = next(lay for lay in L.model_layers(model) if lay.key == key)
            h = lay.module.register_forward_hook(lambda _m, _i, out: hooks.__setitem__("out", out))
            model(x)
            h.remove()
            out = hooks["out"][0].sum(0)  # (H, W)
            r, c = min(5, out.shape[0] - 2), min(6, out.shape[1] - 2)  # inside cnn_v2's 4x4 maps too
            assert out[r, c] > 0  # some channel fires there, so the gradient shows what it sees
            (g,) = torch.autograd.grad(hooks["out"][0, :, r, c].sum(), x)
        rows, cols = np.nonzero(g[0, 0].numpy())
        r0, c0 = start + stride * r, start + stride * c
        assert rows.min() >= r0 and rows.max() <= r0 + size - 1
        assert cols.min() >= c0 and cols.max() <= c0 + size - 1


def test_patches_are_crops_of_the_test_images(cnn, fmnist):
    images = fmnist.test_images[:10]
    patches = L.crop_patches(images, np.array([[2, 3]]), np.array([[[5, 6], [0, 0]]]), (8, 2, -3))
    assert patches.shape == (1, 2, 8, 8) and patches.dtype == np.uint8
    np.testing.assert_array_equal(patches[0, 0], images[2, 7:15, 9:17].numpy())
    corner = np.zeros((8, 8), np.uint8)
    corner[3:, 3:] = images[3, :5, :5].numpy()  # position (0, 0) starts 3 px outside: black there
    np.testing.assert_array_equal(patches[0, 1], corner)


def test_summary_is_cached_on_disk(mlp, fmnist, tmp_path):
    model, meta = mlp
    digest = L.file_hash(ASSETS / "mlp.pt")
    images = fmnist.test_images[:400]
    first = L.cached_summary(model, digest, images, tuple(meta["normalization"]), tmp_path)
    again = L.cached_summary(model, digest, images, tuple(meta["normalization"]), tmp_path)
    assert first.seconds > 0 and again.seconds == 0.0
    assert list((tmp_path / ".cache").glob(f"{digest[:16]}-stats-*.npz"))
    for key, s in first.stats.items():
        np.testing.assert_array_equal(s.top_idx, again.stats[key].top_idx)
        np.testing.assert_array_equal(s.importance, again.stats[key].importance)


def test_purity():
    top = np.array([[0, 1, 2], [3, 4, 5]])
    labels = np.array([7, 7, 1, 2, 3, 4])
    share, cls = L.purity(top, labels)
    np.testing.assert_allclose(share, [2 / 3, 1 / 3])
    assert cls[0] == 7


# --------------------------------------------------------------------------- the feature-space map


def test_map_sample_is_balanced_and_seeded(fmnist):
    idx = fmap.sample(fmnist.test_labels, 3000)
    assert len(idx) == len(np.unique(idx)) == 3000
    assert (np.bincount(fmnist.test_labels[idx].numpy(), minlength=10) == 300).all()
    np.testing.assert_array_equal(idx, fmap.sample(fmnist.test_labels, 3000))


def test_pca_projects_new_points_like_fitted_ones(mlp, fmnist):
    model, meta = mlp
    feats = fmap.model_features(model, fmnist.test_images[:500], tuple(meta["normalization"]))
    torch.testing.assert_close(torch.as_tensor(feats), model.features(x_of(fmnist.test_images[:500], meta)).detach())
    p = fmap.pca_2d(feats)
    np.testing.assert_allclose(p.project(feats[:5]), p.coords[:5], atol=1e-4)
    assert p.explained[0] >= p.explained[1] > 0


def test_a_new_image_is_a_point_of_each_map(mlp, fmnist):
    model, meta = mlp
    norm = tuple(meta["normalization"])
    pts = fmap.image_points(model, fmnist.test_images[7].numpy(), norm)
    np.testing.assert_allclose(pts["pixels"], fmap.pixels(fmnist.test_images[:8])[7])
    np.testing.assert_allclose(pts["features"], fmap.model_features(model, fmnist.test_images[:8], norm)[7], atol=1e-5)
    assert pts["pixels"].shape == (784,) and pts["features"].shape == (64,)


def test_tsne_and_placing_a_new_point(fmnist):
    x = fmap.pixels(fmnist.test_images[:300])
    coords = fmap.tsne_2d(x, max_iter=250)
    assert coords.shape == (300, 2) and np.isfinite(coords).all()
    pos, nn_idx = fmap.place(x, coords, x[17], k=5)
    assert nn_idx[0] == 17 and np.allclose(pos, coords[nn_idx].mean(0))
    stages = []
    assert fmap.tsne_pair(x, x, on_stage=lambda i, n, name: stages.append(name), should_stop=lambda: True) is None
    assert stages == []
