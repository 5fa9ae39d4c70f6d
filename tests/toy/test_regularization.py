"""L2, L1 and dropout in the packed trainer's hand-written gradients and updates, against autograd."""
import pytest
import torch
import torch.nn.functional as F

from fmnist_core.toy.packed import PackedMLP, train_growth
from fmnist_core.toy.regularization import Regularization, dropout_masks, penalty, soft_threshold_
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.frames import model_weights, weight_histogram
from fmnist_core.toy.run import ToyRun

F64 = torch.float64


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", n=200, noise=0.2, seed=4)


def autograd_grad(net: PackedMLP, x, y, masks, reg: Regularization) -> torch.Tensor:
    """d/dtheta of sum_k (mean BCE_k + penalty_k), by autograd through the same flat parameters, with the
    given dropout masks; entries outside the models' blocks masked as the packed layout keeps them."""
    theta = net.theta.detach().clone().requires_grad_()
    Ws, bs = net._views(theta)
    a = net.inputs(x)
    for l in range(net.L):
        a = net.acts[l](a @ Ws[l] + bs[l])
        if masks is not None:
            a = a * masks[l]
    lg = a @ Ws[net.L] + bs[net.L]
    yy = y.to(lg).unsqueeze(1).expand_as(lg)
    loss = F.binary_cross_entropy_with_logits(lg, yy, reduction="none").mean(0).sum() + penalty(Ws, reg)
    g = torch.autograd.grad(loss, theta)[0]
    gW, _ = net._views(g)
    for l, m in enumerate(net.masks):
        if m is not None:
            gW[l].mul_(m)
    return g


@pytest.mark.parametrize("activation, layers", [("tanh", 2), ("relu", 1), ("sigmoid", 3)])
def test_l2_and_dropout_gradients_match_autograd(moons, activation, layers):
    reg = Regularization(l2=0.07, dropout=0.3)
    net = PackedMLP([(w,) * layers for w in (1, 3, 8)], activation, seed=2, dtype=F64, reg=reg)
    net.train_epochs(moons.x_train, moons.y_train, 5)  # away from the initial weights
    x, y = moons.x_train.to(F64), moons.y_train.to(F64)
    gen = torch.Generator().manual_seed(9)
    masks = dropout_masks([(len(x), h) for h in net.widths_total], reg.dropout, gen, "cpu", F64)
    assert 0.5 < float(torch.cat([m.reshape(-1) for m in masks]).mean()) < 1.5  # inverted: mean ~1
    net._backward(net.inputs(x), y, masks)
    torch.testing.assert_close(net.grad, autograd_grad(net, x, y, masks, Regularization(l2=reg.l2)),
                               atol=1e-12, rtol=1e-9)
    # Without dropout and L2 the same path gives the plain gradient.
    net.reg = Regularization()
    net._backward(net.inputs(x), y)
    torch.testing.assert_close(net.grad, autograd_grad(net, x, y, None, Regularization()), atol=1e-12, rtol=1e-9)


def test_l1_is_a_proximal_step_that_makes_weights_exactly_zero(moons):
    lr, l1 = 0.1, 0.05
    net = PackedMLP([(4,), (8,)], "tanh", seed=1, optimizer="sgd", lr=lr, dtype=F64, reg=Regularization(l1=l1))
    x, y = moons.x_train.to(F64), moons.y_train.to(F64)
    before = net.theta.clone()
    g = autograd_grad(net, x, y, None, Regularization())  # L1 is not in the gradient: it is the prox step
    net.step(x, y)
    expect = before - lr * g
    Ws, _ = net._views(expect)
    for W in Ws:
        soft_threshold_(W, lr * l1)
    torch.testing.assert_close(net.theta, expect, atol=1e-12, rtol=0)
    # Trained longer, L1 switches weights off: exactly zero, and the histogram counts them.
    net.train_epochs(moons.x_train, moons.y_train, 200)
    ws = model_weights(net, 1)
    zeros = sum(int((w == 0).sum()) for w in ws)
    assert zeros >= 5
    assert weight_histogram(ws)["zeros"] == zeros
    plain = PackedMLP([(8,)], "tanh", seed=1, optimizer="sgd", lr=lr, dtype=F64)
    plain.train_epochs(moons.x_train, moons.y_train, 200)
    assert weight_histogram(model_weights(plain))["zeros"] == 0


def test_l1_with_adam_in_a_live_run_zeroes_weights(moons):
    run = ToyRun.create(moons, (16,), "tanh", "adam", 0.03, reg=Regularization(l1=0.03))
    run.advance(300)
    hist = run.frame()["hist"]
    assert hist["zeros"] >= 10 and hist["n"] == 2 * 16 + 16
    assert sum(hist["counts"]) == hist["n"]


def test_rates_change_while_training(moons):
    run = ToyRun.create(moons, (8,), "tanh", "adam", 0.05)
    run.advance(100)
    norm = lambda: float(sum((w ** 2).sum() for w in model_weights(run.net)))  # noqa: E731
    free = norm()
    run.net.reg = Regularization(l2=0.3)  # what the page does when the L2 slider moves
    run.advance(200)
    assert run.epoch == 300 and norm() < 0.5 * free  # the same run goes on, with smaller weights


def test_dropout_only_while_training(moons):
    net = PackedMLP([(8,)], "tanh", seed=0, reg=Regularization(dropout=0.5))
    p1 = net.probabilities(moons.x_test)
    assert torch.equal(p1, net.probabilities(moons.x_test))  # evaluation drops nothing
    a = PackedMLP([(8,)], "tanh", seed=0, reg=Regularization(dropout=0.5))
    b = PackedMLP([(8,)], "tanh", seed=0)
    a.train_epochs(moons.x_train, moons.y_train, 3)
    b.train_epochs(moons.x_train, moons.y_train, 3)
    assert not torch.equal(a.theta, b.theta)


def test_l2_cures_the_overfitting_preset():
    """The page's *Overfitting* preset (30 noisy training points, 32 units) and the same with L2 0.03."""
    d = make_dataset("moons", 300, 0.35, 0.9, 0)
    out = {}
    for name, reg in (("plain", Regularization()), ("l2", Regularization(l2=0.03))):
        run = ToyRun.create(d, (32,), "tanh", "adam", 0.03, reg=reg)
        run.advance(500)
        out[name] = run.metrics()
    gap = {n: m["train_acc"] - m["test_acc"] for n, m in out.items()}
    assert out["plain"]["train_acc"] == 1.0 and gap["plain"] > 0.15
    assert out["l2"]["test_acc"] > out["plain"]["test_acc"] + 0.02
    assert gap["l2"] < gap["plain"] - 0.05


def test_growth_grid_takes_regularization(moons):
    plain = train_growth(moons, widths=(2, 16), epochs=100)
    l2 = train_growth(moons, widths=(2, 16), epochs=100, reg=Regularization(l2=0.5))
    assert l2.packed and not (plain.train_loss == l2.train_loss).all()
    assert (l2.train_loss > plain.train_loss).all()  # a strong penalty keeps the data loss higher


@pytest.mark.parametrize("kwargs, words", [(dict(l2=-1.0), "L2 rate"), (dict(l1=float("nan")), "L1 rate"),
                                           (dict(dropout=1.0), "dropout")])
def test_bad_rates_give_clear_messages(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Regularization(**kwargs)
