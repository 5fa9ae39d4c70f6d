import math

import numpy as np
import pytest
import torch

from fmnist_core.basics import backprop as bp
from fmnist_core.engine.loop import TrainControl
from fmnist_core.nn.losses import BINARY_LOSSES
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.net import ToyNet


@pytest.fixture(scope="module")
def xor():
    d = make_dataset("xor", 200, 0.2, 0.5, 0)
    return d.x_train.double().numpy(), d.y_train.double().numpy()


@pytest.mark.parametrize("activation", bp.ACTIVATIONS)
@pytest.mark.parametrize("loss", BINARY_LOSSES)
@pytest.mark.parametrize("units", [2, 3, 4])
@pytest.mark.parametrize("batch", [1, 4, 8])
def test_hand_gradients_equal_autograd(xor, activation, loss, units, batch):
    x, y = xor
    for seed in range(3):
        w = bp.initial_weights(units, seed).scale(1.5)
        idx = np.random.default_rng(seed).choice(len(y), batch, replace=False)
        p = bp.run_pass(w, activation, loss, x[idx], y[idx])
        auto = bp.autograd_grads(w, activation, loss, x[idx], y[idx])
        assert bp.max_difference(p.mean, auto) < 1e-10
        # the step is the mean of the points' gradients
        np.testing.assert_allclose(np.mean([g.vector() for g in p.grads], 0), p.mean.vector(), atol=1e-15)


@pytest.mark.parametrize("loss", BINARY_LOSSES)
def test_the_chain_written_out_multiplies_to_the_gradient(xor, loss):
    x, y = xor
    w = bp.initial_weights(4, 1)
    p = bp.run_pass(w, "relu", loss, x[:5], y[:5])
    for i in range(5):
        for name, g in p.grads[i].named().items():
            terms = bp.chain(p, name, i)
            assert math.prod(t.value for t in terms) == pytest.approx(g, abs=1e-15)
    # the lecture's chain for w11 with cross-entropy: x1, f'(z1), v1, y_hat - y
    q = bp.run_pass(w, "relu", "bce", x[:1], y[:1])
    terms = bp.chain(q, "w11")
    assert [t.symbol for t in terms] == ["x1", "f'(z1)", "v1", "y_hat - y"]
    assert [t.value for t in terms] == [q.x[0, 0], float(q.z[0, 0] > 0), w.v[0], q.y_hat[0] - q.y[0]]
    with pytest.raises(ValueError):
        bp.chain(q, "w99")


def test_forward_matches_the_boundary_pages_network(xor):
    x, _ = xor
    for act in ("tanh", "relu", "sigmoid", "step"):
        ref = ToyNet((3,), act, seed=7, dtype=torch.float64)
        w = bp.initial_weights(3, 7)
        _, a, z_out, _ = bp.forward(w, act, x)
        np.testing.assert_allclose(z_out, ref(torch.tensor(x)).detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(a, ref.hidden_outputs(torch.tensor(x))[0].detach().numpy(), atol=1e-12)


def test_lecture_lines_start():
    w = bp.initial_weights(2, 0, lecture_lines=True)
    np.testing.assert_array_equal(w.w, [[1.0, -1.0], [-1.0, 1.0]])
    assert list(w.b) == [1.0, 1.0]


@pytest.mark.parametrize("batch", [1, 6])
def test_update_equals_one_torch_sgd_step(xor, batch):
    x, y = xor
    w = bp.initial_weights(3, 2)
    p = bp.run_pass(w, "tanh", "bce", x[:batch], y[:batch])
    upd = bp.update(p, 0.7)
    params = [torch.tensor(v, requires_grad=True) for v in (w.w, w.b, w.v, np.array(w.c))]
    opt = torch.optim.SGD(params, lr=0.7)
    yh = torch.sigmoid(torch.tanh(torch.tensor(x[:batch]) @ params[0] + params[1]) @ params[2] + params[3])
    torch.nn.functional.binary_cross_entropy(yh, torch.tensor(y[:batch])).backward()
    opt.step()
    np.testing.assert_allclose(upd.new.w, params[0].detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(upd.new.v, params[2].detach().numpy(), atol=1e-12)
    assert upd.new.c == pytest.approx(float(params[3].detach()), abs=1e-12)
    assert upd.status == "down" and upd.loss_after < p.loss


def test_a_huge_learning_rate_is_reported_as_diverged_or_up(xor):
    x, y = xor
    w = bp.initial_weights(2, 0)
    p = bp.run_pass(w, "tanh", "bce", x[:1], y[:1])
    assert bp.update(p, 1e300).status == "down"  # this one point is pushed to the right side...
    wrecked = bp.update(p, 1e300, x, y)  # ...and the others saturate on the wrong side: log 0
    assert wrecked.status == "diverged" and math.isinf(wrecked.all_after) and math.isfinite(wrecked.all_before)
    assert bp.update(p, 1.7e308, x, y).status == "diverged"  # weights overflow to inf
    ok = bp.update(p, 0.1, x, y)
    assert ok.status == "down" and math.isfinite(ok.all_after)
    wrong = bp.run_pass(bp.Weights(w.w, w.b, w.v, 1e4 * (1 - 2 * y[0])), "tanh", "bce", x[:1], y[:1])
    assert math.isinf(wrong.loss) and np.isfinite(wrong.mean.vector()).all()  # y_hat - y stays finite
    with pytest.raises(ValueError):
        bp.update(p, float("nan"))


def test_bad_networks_are_refused():
    w = bp.initial_weights(2, 0)
    with pytest.raises(ValueError):
        bp.run_pass(w, "silu", "bce", [[0, 0]], [1])
    with pytest.raises(ValueError):
        bp.run_pass(w, "tanh", "hinge", [[0, 0]], [1])
    with pytest.raises(ValueError):
        bp.initial_weights(5, 0).units and bp.run_pass(bp.initial_weights(5, 0), "tanh", "bce", [[0, 0]], [1])


def test_cross_entropy_recovers_from_confidently_wrong_and_mse_lags(xor):
    x, y = xor
    start = bp.confidently_wrong(bp.initial_weights(2, 0), "tanh", x, y)
    events = []
    loop = bp.train_losses(x, y, start, "tanh", ("bce", "mse"), lr=1.0, steps=100, emit=events.append,
                           event_every=50)
    assert loop.status == "finished" and events[-1]["kind"] == "done"
    prog = [e for e in events if e["kind"] == "progress"]
    first = {e["run"]: e for e in prog[:2]}
    last = {e["run"]: e for e in prog[-2:]}
    assert first[0]["accuracy"] < 0.3 and first[0]["cross_entropy"] == first[1]["cross_entropy"]
    assert last[0]["accuracy"] > 0.75 and last[0]["cross_entropy"] < last[1]["cross_entropy"]


def test_live_comparison_stops_and_reports_divergence(xor):
    x, y = xor
    control = TrainControl()
    control.request_stop()
    assert bp.train_losses(x, y, bp.initial_weights(2, 0), "tanh", steps=50, control=control).status == "stopped"
    loop = bp.train_losses(x, y, bp.initial_weights(2, 0), "relu", lr=1e200, steps=50)
    assert loop.status == "diverged" and "diverged at step" in loop.message
