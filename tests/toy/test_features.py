"""Feature inputs (x1^2, x1*x2, sin, ...) for the toy networks."""
import numpy as np
import pytest
import torch

from fmnist_core.toy.features import FEATURES, PLAIN, all_linear, check_features, featurize, plane_weights
from fmnist_core.toy.packed import PackedMLP
from fmnist_core.toy.plane import linear_accuracy, unit_lines
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.frames import compute_frame
from fmnist_core.toy.net import ToyNet, train_reference

F64 = torch.float64


def test_featurize_shapes_values_and_order():
    x = torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]])
    f = featurize(x, list(FEATURES))
    assert f.shape == (3, 7)
    a, b = x[:, 0], x[:, 1]
    torch.testing.assert_close(f, torch.stack([a, b, a * a, b * b, a * b, torch.sin(a), torch.sin(b)], 1))
    assert featurize(x, PLAIN) is x  # the common case costs nothing
    torch.testing.assert_close(featurize(x, ("x2sq", "x1")), torch.stack([a, b * b], 1))  # registry order
    assert check_features(["sin2", "x1", "sin2"]) == ("x1", "sin2")
    with pytest.raises(ValueError, match="unknown feature"):
        featurize(x, ("x3",))
    with pytest.raises(ValueError, match="at least one"):
        check_features(())
    assert all_linear(("x1",)) and not all_linear(("x1", "x1sq"))


def test_linear_model_on_circles_with_squared_coordinates():
    """One linear unit (a linear model) on x1^2 and x2^2 separates the rings; on x1, x2 it cannot."""
    d = make_dataset("circles", n=400, noise=0.1, seed=0)
    net = PackedMLP([(1,)], "linear", seed=0, lr=0.1, features=("x1sq", "x2sq"))
    assert net.n_in == 2 and net.layer(0, 0)[0].shape == (2, 1)
    net.train_epochs(d.x_train, d.y_train, 400)
    _, train_acc = net.evaluate(d.x_train, d.y_train)
    _, test_acc = net.evaluate(d.x_test, d.y_test)
    assert float(train_acc[0]) >= 0.99 and float(test_acc[0]) >= 0.99
    plain = PackedMLP([(1,)], "linear", seed=0, lr=0.1)
    plain.train_epochs(d.x_train, d.y_train, 400)
    assert float(plain.evaluate(d.x_test, d.y_test)[1][0]) < 0.7
    assert linear_accuracy(featurize(d.x_train, ("x1sq", "x2sq")), d.y_train) >= 0.99


def test_packed_with_features_equals_toynet_on_featurized_inputs():
    d = make_dataset("moons", n=200, seed=1)
    feats = ("x1", "x2", "x1x2", "sin1")
    net = PackedMLP([(3,), (8,)], "tanh", seed=5, lr=0.02, dtype=F64, features=feats)
    net.train_epochs(d.x_train, d.y_train, 30, batch_size=32)
    for k, hs in enumerate(net.hidden):
        ref = ToyNet(hs, "tanh", seed=5, dtype=F64, n_in=len(feats))
        train_reference(ref, featurize(d.x_train.to(F64), feats), d.y_train.to(F64), 30, "adam", 0.02, 32, 5)
        for l, lin in enumerate(ref.linears):
            W, b = net.layer(k, l)
            torch.testing.assert_close(W, lin.weight.detach().t(), atol=1e-10, rtol=0)
            torch.testing.assert_close(b, lin.bias.detach(), atol=1e-10, rtol=0)


def test_unit_lines_with_one_coordinate_and_none_for_curves():
    W = np.array([[2.0, -1.0]])  # one input, x2 only: each unit's line is horizontal
    full = plane_weights(W, ("x2",))
    assert full.tolist() == [[0.0, 0.0], [2.0, -1.0]]
    ln = unit_lines(full, np.array([1.0, 0.5]), 2.0)[0]
    assert ln.start[1] == pytest.approx(-0.5) and ln.end[1] == pytest.approx(-0.5)
    d = make_dataset("circles", n=40, seed=0)
    curved = compute_frame(PackedMLP([(2,)], features=("x1sq", "x2sq")), d, 0, res=16)
    assert curved["lines"] is None and curved["prob"].shape == (16, 16)
    one = compute_frame(PackedMLP([(2,)], features=("x2",)), d, 0, res=16)
    assert len(one["lines"]) == 2
