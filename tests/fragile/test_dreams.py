"""Dream it (core): activation maximization on both bundled models. A class dream raises that class's logit and a
unit dream raises that unit's activation (both measured here with the plain model and a hook of our own), the image
stays in [0, 1], bad targets and starts are refused, the shared model is left untouched (weights, hooks), and
class_means is each class's mean image."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from fmnist_core.fragile import dreams as D
from fmnist_core.inside.layers import model_layers

FAST = D.DreamConfig(steps=30)  # the default 160 steps climb further; 30 are enough to show the climb


def _model_input(image: np.ndarray | torch.Tensor, norm) -> torch.Tensor:
    """The plain model's input for a pixel image (28, 28) or (1, 1, 28, 28) in [0, 1]."""
    x = torch.as_tensor(np.asarray(image, np.float32)).reshape(1, 1, 28, 28)
    return (x * 255.0 - norm[0]) / norm[1]


@torch.no_grad()
def logit(model: nn.Module, norm, image, c: int) -> float:
    return float(model.eval()(_model_input(image, norm))[0, c])


@torch.no_grad()
def activation(model: nn.Module, norm, image, layer_key: str, index: int) -> tuple[float, float]:
    """(objective, activation) of unit `index` of a hidden layer, a channel's as its mean over positions, read with a
    hook of our own on the plain model: leaky_relu(what goes into the activation function, LEAK), and what comes out."""
    layer = next(lay for lay in model_layers(model) if lay.key == layer_key)
    got = {}
    h = layer.module.register_forward_hook(lambda _m, inp, out: got.update(pre=inp[0], post=out))
    try:
        model.eval()(_model_input(image, norm))
    finally:
        h.remove()
    leaky = torch.nn.functional.leaky_relu(got["pre"][0, index], D.LEAK)
    return float(leaky.mean()), float(got["post"][0, index].mean())


def _hooks(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks) for m in module.modules())


@pytest.mark.parametrize("name", ["mlp", "cnn"])
@pytest.mark.parametrize("start", ["gray", "noise"])
def test_class_dream_raises_its_logit(models, name, start):
    model, norm, pm = models[name]
    x0 = D.start_image(start, seed=1)
    for c in (0, 3, 7, 9):
        r = D.dream(pm, D.DreamTarget(c), x0, FAST)
        before, after = logit(model, norm, x0, c), logit(model, norm, r.image, c)
        assert r.start_score == pytest.approx(before, abs=1e-3)
        assert r.end_score == pytest.approx(after, abs=1e-3)
        assert after > before + 2, (c, before, after)  # measured: +4 to +100
        assert int(r.probs.argmax()) == c and r.probs.sum() == pytest.approx(1, abs=1e-5)
        assert r.image.shape == (28, 28) and r.image.min() >= 0 and r.image.max() <= 1
        assert len(r.scores) == FAST.steps


@pytest.mark.parametrize("name, layer, units", [("mlp", "hidden1", (0, 5, 100, 255)),
                                                ("cnn", "conv2", tuple(range(0, 64, 8)))])
def test_unit_dream_raises_its_objective(models, name, layer, units):
    """The dream climbs what it says it climbs: leaky_relu of the unit's pre-activation (a channel's mean)."""
    model, norm, pm = models[name]
    for start in ("gray", "noise"):
        x0 = D.start_image(start)
        for unit in units:
            r = D.dream(pm, D.DreamTarget(unit, layer), x0, FAST)
            pre0, _ = activation(model, norm, x0, layer, unit)
            pre1, _ = activation(model, norm, r.image, layer, unit)
            assert r.start_score == pytest.approx(pre0, rel=1e-3, abs=1e-4)
            assert r.end_score == pytest.approx(pre1, rel=1e-3, abs=1e-4)
            assert pre1 > pre0, (start, unit, pre0, pre1)
            assert r.image.shape == (28, 28) and r.image.min() >= 0 and r.image.max() <= 1


def test_mlp_unit_dream_switches_the_unit_on(models):
    model, norm, pm = models["mlp"]
    for start in ("gray", "noise"):
        x0 = D.start_image(start)
        for unit in (0, 5, 100, 255):
            r = D.dream(pm, D.DreamTarget(unit, "hidden1"), x0, FAST)
            _, post0 = activation(model, norm, x0, "hidden1", unit)
            _, post1 = activation(model, norm, r.image, "hidden1", unit)
            assert post1 > post0 + 1, (start, unit, post0, post1)  # measured: from 0-10 to 35-80


def test_cnn_channel_dream_raises_the_channels_activation(models):
    model, norm, pm = models["cnn"]
    x0 = D.start_image("noise")
    for channel in (0, 12, 24):
        r = D.dream(pm, D.DreamTarget(channel, "conv1"), x0, FAST)
        _, post0 = activation(model, norm, x0, "conv1", channel)
        _, post1 = activation(model, norm, r.image, "conv1", channel)
        assert post1 > post0, (channel, post0, post1)


def test_cnn_channel_dream_image_stays_in_0_1(models):
    _, _, pm = models["cnn"]
    r = D.dream(pm, D.DreamTarget(3, "conv2"), D.start_image("noise"), D.DreamConfig(steps=10))
    assert r.image.shape == (28, 28) and r.image.min() >= 0 and r.image.max() <= 1
    assert np.isfinite(r.start_score) and np.isfinite(r.end_score)


def test_dreaming_leaves_the_shared_model_alone(models):
    model, norm, pm = models["cnn"]
    plain = {k: v.clone() for k, v in model.state_dict().items()}
    wrapped = {k: v.clone() for k, v in pm.state_dict().items()}
    x0 = D.start_image("noise")
    logits = pm(x0).detach()
    D.dream(pm, D.DreamTarget(2), x0, D.DreamConfig(steps=5))
    D.dream(pm, D.DreamTarget(5, "conv2"), x0, D.DreamConfig(steps=5))
    D.dream(models["mlp"][2], D.DreamTarget(7, "hidden2"), x0, D.DreamConfig(steps=5))
    for before, now in ((plain, model.state_dict()), (wrapped, pm.state_dict())):
        assert before.keys() == now.keys()
        assert all(torch.equal(before[k], now[k]) for k in before)
    assert _hooks(pm) == 0 and _hooks(models["mlp"][2]) == 0 and _hooks(model) == 0
    assert not any(p.requires_grad for p in pm.parameters())
    assert torch.equal(pm(x0).detach(), logits)
    assert x0.grad is None


def test_bad_targets_and_starts_are_refused(models):
    _, _, mlp = models["mlp"]
    _, _, cnn = models["cnn"]
    x0 = D.start_image("gray")
    for pm, target in ((mlp, D.DreamTarget(0, "conv2")), (cnn, D.DreamTarget(0, "hidden1")),
                       (mlp, D.DreamTarget(256, "hidden1")), (mlp, D.DreamTarget(-1, "hidden3")),
                       (cnn, D.DreamTarget(64, "conv2"))):
        with pytest.raises(ValueError):
            D.dream(pm, target, x0, D.DreamConfig(steps=1))
    with pytest.raises(ValueError):
        D.start_image("drawing")
    with pytest.raises(ValueError):
        D.start_image("sunset")


def test_start_images():
    gray = D.start_image("gray")
    assert gray.shape == (1, 1, 28, 28) and torch.all(gray == 0.5)
    noise = D.start_image("noise", seed=3)
    assert noise.min() >= 0 and noise.max() <= 1 and noise.std() > 0.05
    assert torch.equal(noise, D.start_image("noise", seed=3)) and not torch.equal(noise, D.start_image("noise", 4))
    drawing = np.zeros((28, 28), np.uint8)
    drawing[5:20, 10:15] = 255
    x = D.start_image("drawing", drawing)
    assert x.shape == (1, 1, 28, 28) and np.array_equal(x[0, 0].numpy() * 255, drawing.astype(np.float32))


def test_class_means_are_each_classs_mean_image(fmnist):
    images, labels = fmnist.train_images[:6000], fmnist.train_labels[:6000]
    means = D.class_means(images, labels)
    assert means.shape == (10, 28, 28) and means.min() >= 0 and means.max() <= 1
    raw, y = images.numpy().astype(np.float64), labels.numpy()
    for c in range(10):
        assert np.allclose(means[c], raw[y == c].mean(0) / 255.0, atol=1e-5)
    assert not np.allclose(means[0], means[1], atol=0.05)  # T-shirts and trousers do look different
