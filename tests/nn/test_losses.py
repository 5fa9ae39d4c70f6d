import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fmnist_core.nn.losses import (
    LOSSES, batch_loss, curves, one_hot, point_grads, softmax, softmax_cross_entropy_grad, softmax_mse_grad,
    train_loss,
)


def test_one_hot_is_the_lecture_example():
    assert "".join(str(int(v)) for v in one_hot(2)) == "0010000000"
    with pytest.raises(ValueError):
        one_hot(10)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0, 10.0])
def test_softmax_matches_torch_and_cross_entropy_matches_F(temperature):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 5, 10)
    s = softmax(z, temperature)
    ref = torch.softmax(torch.tensor(z) / temperature, 0).numpy()
    np.testing.assert_allclose(s.probs, ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(s.exp / s.total, s.probs)
    assert s.prediction == int(np.argmax(z))
    ce = F.cross_entropy(torch.tensor(z)[None] / temperature, torch.tensor([3])).item()
    assert s.cross_entropy(3) == pytest.approx(ce, abs=1e-12)


def test_softmax_sharpens_and_flattens_and_survives_huge_logits():
    z = np.array([2.0, 1.0, 0.0])
    assert softmax(z, 0.1).probs[0] > softmax(z).probs[0] > softmax(z, 10).probs[0] > 1 / 3
    big = softmax(np.array([1000.0, 0.0]))  # exp(1000) overflows: computed shifted, same probabilities
    assert big.shift == 1000.0 and np.isfinite(big.probs).all() and big.probs[0] == 1.0
    assert big.cross_entropy(1) == pytest.approx(1000.0)
    with pytest.raises(ValueError):
        softmax(z, 0.0)


@pytest.mark.parametrize("name", ["cross_entropy", "mse"])
def test_categorical_gradients_against_autograd(name):
    z = torch.tensor(np.random.default_rng(1).normal(0, 2, 10), requires_grad=True)
    L = train_loss(name, z[None], torch.tensor([4]))
    L.backward()
    hand = (softmax_cross_entropy_grad if name == "cross_entropy" else softmax_mse_grad)(z.detach().numpy(), 4)
    np.testing.assert_allclose(hand, z.grad.numpy(), rtol=0, atol=1e-12)


def test_train_loss_mse_is_softmax_against_one_hot():
    logits = torch.randn(5, 10, dtype=torch.float64)
    y = torch.tensor([0, 2, 4, 6, 9])
    expect = ((torch.softmax(logits, 1) - F.one_hot(y, 10)) ** 2).mean()
    torch.testing.assert_close(train_loss("mse", logits, y), expect)
    torch.testing.assert_close(train_loss("cross_entropy", logits, y), F.cross_entropy(logits, y))
    with pytest.raises(ValueError):
        train_loss("hinge", logits, y)


@pytest.mark.parametrize("name", ["bce", "mse", "rmse", "cross_entropy"])
def test_binary_losses_and_their_gradients_against_autograd(name):
    rng = np.random.default_rng(2)
    p = torch.tensor(rng.uniform(0.05, 0.95, 6), requires_grad=True)
    y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    if name == "cross_entropy":
        y = torch.ones(6, dtype=torch.float64)
        L = -(y * torch.log(p)).mean()
    elif name == "bce":
        L = F.binary_cross_entropy(p, y)
    elif name == "mse":
        L = F.mse_loss(p, y)
    else:
        L = torch.sqrt(F.mse_loss(p, y))
    L.backward()
    pn, yn = p.detach().numpy(), y.numpy()
    assert batch_loss(name, pn, yn) == pytest.approx(L.item(), abs=1e-12)
    np.testing.assert_allclose(point_grads(name, pn, yn) / len(pn), p.grad.numpy(), rtol=0, atol=1e-12)


def test_curves_show_cross_entropy_pushing_and_mse_flat_when_confidently_wrong():
    p = np.array([0.001, 0.5, 0.999])
    c = curves(p)
    assert c["cross_entropy"]["dz"][0] == pytest.approx(-0.999)  # p - 1: full push
    assert abs(c["mse"]["dz"][0]) < 0.002  # -2 (1 - p)^2 p: flat
    assert c["bce"]["value"][0] == pytest.approx(-np.log(0.001)) == c["cross_entropy"]["value"][0]
    assert c["mse"]["value"][1] == pytest.approx(0.25) and c["rmse"]["value"][1] == pytest.approx(0.5)
    assert set(c) == set(LOSSES)


def test_trainer_learns_with_mse_on_the_softmax(fmnist_small):
    from fmnist_core.fashion.train import RECIPES, _parse, train

    cfg = RECIPES["mlp"].with_(loss="mse", epochs=2, eval_every=0, amp=False)
    result = train(cfg, fmnist_small)
    assert result.status == "finished" and result.test_accuracy > 0.6  # 6,000 images, 2 epochs
    assert _parse(["--loss", "mse"]).loss == "mse"
    with pytest.raises(ValueError, match="unknown loss"):
        train(cfg.with_(loss="hinge", epochs=1), fmnist_small)
