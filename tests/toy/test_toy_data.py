import numpy as np
import pytest
import torch
from sklearn.datasets import make_circles, make_moons

from fmnist_core.toy.data import DATASETS, MAX_POINTS, make_dataset


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_labels_and_balance(name):
    d = make_dataset(name, n=401, noise=0.1, test_fraction=0.25, seed=3)
    assert d.x_train.shape == (301, 2) and d.x_test.shape == (100, 2)
    assert d.y_train.shape == (301,) and d.y_test.shape == (100,)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.float32
    y = d.y
    assert set(y.unique().tolist()) == {0.0, 1.0}
    assert int(y.sum()) == 200  # half of each class (the odd point goes to class 0)
    assert 0.35 < float(d.y_train.mean()) < 0.65 and 0.3 < float(d.y_test.mean()) < 0.7
    assert torch.isfinite(d.x).all()
    inside = (d.x.abs() <= d.extent).all(1).float().mean()
    assert inside > 0.97, f"{name}: only {inside:.0%} of the points lie in the shown square"


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_data_other_seed_other_data(name):
    a = make_dataset(name, n=200, noise=0.2, seed=7)
    b = make_dataset(name, n=200, noise=0.2, seed=7)
    c = make_dataset(name, n=200, noise=0.2, seed=8)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", list(DATASETS))
def test_noise_spreads_the_points(name):
    clean = make_dataset(name, n=300, noise=0.0, seed=1)
    noisy = make_dataset(name, n=300, noise=0.3, seed=1)
    # Same seed: the same clean points and split, then noise of std 0.3 per coordinate on top.
    diff = (noisy.x - clean.x).numpy()
    assert abs(diff.std() - 0.3) < 0.03


def test_xor_is_the_lecture_truth_table():
    d = make_dataset("xor", n=400, noise=0.0, seed=0)
    x, y = d.x.numpy(), d.y.numpy()
    assert set(map(tuple, np.abs(x))) == {(1.0, 1.0)}
    red = y == 1  # exactly one coordinate positive
    assert np.all((x[red, 0] > 0) != (x[red, 1] > 0)) and np.all((x[~red, 0] > 0) == (x[~red, 1] > 0))


def test_moons_and_circles_are_scikit_learns_shapes():
    moons = make_dataset("moons", n=100, noise=0.0, seed=0)
    ref, ref_y = make_moons(n_samples=(50, 50), random_state=0)
    ours = np.round(moons.x.numpy() / 1.2 + [0.5, 0.25], 4)
    assert {tuple(p) for p in ours} == {tuple(p) for p in np.round(ref, 4)}
    circles = make_dataset("circles", n=100, noise=0.0, seed=0)
    r = np.linalg.norm(circles.x.numpy(), axis=1)
    assert np.allclose(r[circles.y.numpy() == 1], 0.75, atol=1e-5)  # inner ring red
    assert np.allclose(r[circles.y.numpy() == 0], 1.5, atol=1e-5)
    assert make_circles(n_samples=(50, 50), factor=0.5)[0].shape == (100, 2)


def test_linear_is_separable_by_a_line_without_noise():
    d = make_dataset("linear", n=300, noise=0.0, seed=4)
    x, y = d.x.numpy(), d.y.numpy()
    side = x[:, 1] - 0.5 * x[:, 0] > 0
    assert np.array_equal(side, y == 1)


@pytest.mark.parametrize("kwargs, words", [
    (dict(name="swirl"), "unknown dataset"),
    (dict(name="xor", n=2), "between 4 and"),
    (dict(name="xor", n=MAX_POINTS + 1), "between 4 and"),
    (dict(name="xor", test_fraction=1.0), "test fraction"),
    (dict(name="xor", noise=-0.1), "noise"),
    (dict(name="xor", noise=float("nan")), "noise"),
])
def test_bad_arguments_give_clear_messages(kwargs, words):
    with pytest.raises(ValueError, match=words):
        make_dataset(**kwargs)
