import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fmnist_core.optimizers import surfaces as S

POINTS = torch.tensor([[-1.7, 0.3], [0.4, -1.1], [1.2, 2.2], [-0.05, 0.02], [2.0, -2.0]], dtype=torch.float64)


@pytest.mark.parametrize("name,params", [("valley", {}), ("valley", {"kappa": 50.0}), ("rosenbrock", {}),
                                         ("saddle", {}), ("two_minima", {})])
def test_hand_written_gradients_match_autograd(name, params):
    s = S.make_surface(name, **params)
    w = POINTS.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(s.torch_value(w).sum(), w)
    torch.testing.assert_close(s.torch_grad(w.detach()), g)
    for (x, y), gi in zip(POINTS.tolist(), g):  # the plain-float version the race uses: the same numbers
        f, gx, gy = s.value_and_grad(x, y)
        assert f == pytest.approx(float(s.torch_value(torch.tensor([x, y], dtype=torch.float64))), rel=1e-12)
        assert (gx, gy) == pytest.approx(gi.tolist(), rel=1e-10, abs=1e-12)


def test_minima_are_flat_and_lowest():
    for name in ("valley", "rosenbrock", "saddle", "two_minima"):
        s = S.make_surface(name)
        for mx, my in s.minima:
            f, gx, gy = s.value_and_grad(mx, my)
            assert abs(gx) < 1e-3 and abs(gy) < 1e-3, name
            if name != "two_minima":
                assert abs(gx) < 1e-9 and abs(gy) < 1e-9, name
                xs, ys, z = s.grid(101)
                assert f <= z.min() + 1e-9, name
    s = S.make_surface("two_minima")
    vals = [s.value_and_grad(x, y)[0] for x, y in s.minima]
    assert vals[1] < vals[0] < 0  # the second well is the deeper one
    for x, y in s.minima:  # each a local minimum: lower than its neighbours
        f = s.value_and_grad(x, y)[0]
        ring = [s.value_and_grad(x + 0.3 * math.cos(a), y + 0.3 * math.sin(a))[0] for a in np.linspace(0, 6.2, 12)]
        assert f < min(ring)


def test_valley_condition_number():
    s = S.make_surface("valley", kappa=25.0)
    h = torch.autograd.functional.hessian(lambda w: s.torch_value(w), torch.zeros(2, dtype=torch.float64))
    ev = torch.linalg.eigvalsh(h)
    assert float(ev.max() / ev.min()) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="kappa"):
        S.make_surface("valley", kappa=1e6)
    with pytest.raises(ValueError, match="unknown surface"):
        S.make_surface("nope")


def test_grid_orientation_and_overflow():
    s = S.make_surface("rosenbrock")
    xs, ys, z = s.grid(41)
    assert z.shape == (41, 41) and xs[0] == s.xlim[0] and ys[-1] == s.ylim[1]
    i, j = 30, 7
    assert z[i, j] == pytest.approx(s.value_and_grad(float(xs[j]), float(ys[i]))[0], rel=1e-9)
    f, gx, gy = S.make_surface("two_minima").value_and_grad(1e200, 1e200)
    assert f == math.inf or not math.isfinite(gx)
    f, *_ = s.value_and_grad(1e100, 0.0)
    assert not math.isfinite(f) or f > S.F32_MAX  # the race reads this as "infinite in float32"


def test_presets_order():
    for name in S.SURFACES:
        lrs = [S.lr_preset(name, p) for p in S.PRESETS]
        assert [a for a, _ in lrs] == sorted(a for a, _ in lrs), name
        assert [b for _, b in lrs] == sorted(b for _, b in lrs), name
    with pytest.raises(ValueError, match="unknown surface"):
        S.lr_preset("network", "good")  # a slice's presets come from its own curvature


# --------------------------------------------------------------------------- a real network's slice


@pytest.fixture(scope="module")
def toy():
    torch.manual_seed(0)
    return S.train_toy(epochs=200)


def test_toy_is_trained(toy):
    assert toy.accuracy > 0.9 and toy.loss < 0.3
    assert len(toy.names) == sum(p.numel() for p in toy.net.parameters()) == 33
    assert toy.names[0] == "layer 1: w[0,0]" and toy.names[16] == "layer 1: b[0]" and toy.names[24] == "layer 2: w[0,0]"


def test_filter_normalized_direction(toy):
    d = S.filter_normalized_direction(toy.net, seed=3)
    o = 0
    for p in toy.net.parameters():
        k = p.numel()
        part = d[o:o + k].view_as(p)
        if p.dim() == 1:
            assert torch.all(part == 0)  # biases stay put, as in Li et al.
        else:
            torch.testing.assert_close(part.norm(dim=1), p.detach().norm(dim=1), rtol=1e-5, atol=1e-7)
        o += k
    assert not torch.equal(d, S.filter_normalized_direction(toy.net, seed=4))
    assert torch.equal(d, S.filter_normalized_direction(toy.net, seed=3))


def test_slice_passes_through_the_trained_weights(toy):
    sl = S.network_slice(toy, "random", seed=1)
    torch.testing.assert_close(sl.point(0.0, 0.0), S.flat_params(toy.net))
    with torch.no_grad():
        measured = float(F.binary_cross_entropy_with_logits(toy.net(toy.x), toy.y))
    assert sl.loss_at_solution == pytest.approx(measured, rel=1e-6)
    assert sl.value_and_grad(0.0, 0.0)[0] == pytest.approx(measured, rel=1e-6)
    xs, ys, z = sl.grid(21)  # 21 points: (0, 0) is the middle one
    assert z[10, 10] == pytest.approx(measured, rel=1e-5)
    assert z[10, 10] <= np.percentile(z, 10)  # a trained solution sits low on its slice
    assert z[3, 17] == pytest.approx(sl.value_and_grad(float(xs[17]), float(ys[3]))[0], rel=1e-5)


def test_slice_gradient_is_the_directional_derivative(toy):
    sl = S.network_slice(toy, "random", seed=2)
    a, b = 0.3, -0.2
    net = copy.deepcopy(toy.net)  # the plain network, moved to the slice's point: autograd on its own weights
    torch.nn.utils.vector_to_parameters(sl.point(a, b), net.parameters())
    loss = F.binary_cross_entropy_with_logits(net(toy.x), toy.y)
    g = torch.cat([gi.reshape(-1) for gi in torch.autograd.grad(loss, list(net.parameters()))])
    f, gx, gy = sl.value_and_grad(a, b)
    assert f == pytest.approx(float(loss.detach()), rel=1e-5)
    assert gx == pytest.approx(float(g @ sl.d1), rel=1e-4, abs=1e-6)
    assert gy == pytest.approx(float(g @ sl.d2), rel=1e-4, abs=1e-6)


def test_slice_along_two_weights(toy):
    sl = S.network_slice(toy, "weights", i=0, j=24)
    theta = S.flat_params(toy.net)
    moved = sl.point(0.5, -0.25) - theta
    assert torch.count_nonzero(moved) == 2 and moved[0] == 0.5 and moved[24] == -0.25
    assert "layer 1: w[0,0]" in sl.what and "layer 2: w[0,0]" in sl.what
    with pytest.raises(ValueError, match="two different weights"):
        S.network_slice(toy, "weights", i=3, j=3)
    with pytest.raises(ValueError, match="directions"):
        S.network_slice(toy, "sideways")


def test_presets_fit_the_learning_rate_slider():
    from fmnist_core.engine.optim import LR

    for name in S.SURFACES:
        for p in S.PRESETS:
            assert all(LR.low <= v <= LR.high for v in S.lr_preset(name, p)), (name, p)


def test_slice_presets_follow_its_curvature(toy):
    sl = S.network_slice(toy, "random", seed=0)
    lrs = [sl.lr_presets[p][0] for p in S.PRESETS]
    assert lrs == sorted(lrs) and all(1e-5 <= v <= 10 for v in lrs)
    hess = torch.autograd.functional.hessian(lambda ab: sl.torch_value(ab), torch.zeros(2))
    lam = float(torch.linalg.eigvalsh(hess).abs().max())
    assert sl.lr_presets["good"][0] == pytest.approx(1 / lam, rel=0.05)  # SGD's step 1/λ: stable, not timid
