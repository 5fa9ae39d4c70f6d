import dataclasses
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

from fmnist_core.nn import activations
from fmnist_core.toy.data import make_dataset
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS, OPTIMIZERS
from fmnist_core.toy.packed import GROWTH_WIDTHS, PackedMLP, capped_epochs, train_growth
from fmnist_core.toy.plane import grid_probabilities, linear_accuracy, pca_2d, plane_grid, unit_lines, unit_maps
from fmnist_core.toy.net import LECTURE_XOR_LINES, ToyNet, train_reference
from fmnist_core.engine.loop import TrainControl
from fmnist_core.toy.regularization import Regularization
from fmnist_core.toy.run import ToyRun
from tests.conftest import wait_until

F64 = torch.float64


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", n=300, noise=0.2, seed=3)


def assert_packed_equals_alone(net: PackedMLP, data, epochs, optimizer, lr, batch_size, seed, atol):
    """Every packed model's weights equal a plain ToyNet trained alone with the same seed."""
    for k, hs in enumerate(net.hidden):
        ref = ToyNet(hs, net.activation, seed=seed, dtype=net.dtype)
        train_reference(ref, data.x_train.to(net.dtype), data.y_train.to(net.dtype), epochs, optimizer, lr,
                        batch_size, seed, **net.hyper)
        for l, lin in enumerate(ref.linears):
            W, b = net.layer(k, l)
            torch.testing.assert_close(W, lin.weight.detach().t(), atol=atol, rtol=0)
            torch.testing.assert_close(b, lin.bias.detach(), atol=atol, rtol=0)
        for act, l in zip(ref.acts, range(net.L)):  # trainable activation parameters, per unit
            for p_ref, p in zip(act.parameters(), net.act_params[l]):
                torch.testing.assert_close(p[net.units(k, l)], p_ref.detach(), atol=atol, rtol=0)
        with torch.no_grad():
            acc = ((ref(data.x_test.to(net.dtype)) > 0).to(net.dtype) == data.y_test.to(net.dtype)).double().mean()
        assert abs(float(net.evaluate(data.x_test, data.y_test)[1][k]) - float(acc)) < 1e-9


@pytest.mark.parametrize("activation, optimizer, batch_size, layers", [
    ("tanh", "adam", 0, 1),  # the growth grid
    ("relu", "momentum", 32, 2),
    ("sigmoid", "adagrad", 0, 3),
    ("step", "sgd", 50, 1),  # surrogate gradient
    ("linear", "adam", 64, 2),
])
def test_growth_grid_matches_training_each_width_alone(moons, activation, optimizer, batch_size, layers):
    net = PackedMLP([(w,) * layers for w in GROWTH_WIDTHS], activation, seed=11, optimizer=optimizer, lr=0.02,
                    dtype=F64)
    net.train_epochs(moons.x_train, moons.y_train, 40, batch_size)
    assert_packed_equals_alone(net, moons, 40, optimizer, 0.02, batch_size, 11, atol=1e-10)


@pytest.mark.parametrize("activation", list(activations.ACTIVATIONS))
def test_every_registry_activation_packs_exactly(moons, activation):
    """Custom backward (BReLU's even/odd units), trainable per-unit parameters (SReLU, soft exponential)."""
    net = PackedMLP([(w,) * 2 for w in (1, 2, 3, 8)], activation, seed=5, lr=0.02, dtype=F64)
    if not net.packable:  # a parameter shared by a layer's units: the grid trains widths one by one
        assert not train_growth(moons, widths=(1, 2), activation=activation, epochs=2).packed
        return
    net.train_epochs(moons.x_train, moons.y_train, 25, batch_size=64)
    assert_packed_equals_alone(net, moons, 25, "adam", 0.02, 64, 5, atol=1e-9)


@pytest.mark.parametrize("optimizer, hyper", [("momentum", {"momentum": 0.5}), ("adam", {"beta1": 0.8, "beta2": 0.99})])
def test_packed_updates_take_the_registry_hyperparameters(moons, optimizer, hyper):
    """The hand-written updates follow torch.optim with the same non-default hyperparameters."""
    net = PackedMLP([(w,) for w in (1, 4, 8)], "tanh", seed=3, optimizer=optimizer, lr=0.05, dtype=F64, **hyper)
    assert net.hyper == hyper
    net.train_epochs(moons.x_train, moons.y_train, 30, batch_size=50)
    assert_packed_equals_alone(net, moons, 30, optimizer, 0.05, 50, 3, atol=1e-10)
    assert net.at(net.snapshot()).hyper == hyper  # a replayed copy keeps them
    default = PackedMLP([(4,)], "tanh", optimizer=optimizer)
    assert default.hyper == {p.name: p.default for p in OPTIMIZERS[optimizer].params}  # 0.9; 0.9, 0.999


def test_growth_grid_in_float32_matches_alone_closely(moons):
    """The speed setting (float32, 300 Adam epochs): same accuracies, weights to float rounding."""
    g = train_growth(moons, epochs=300, seed=2)
    assert g.packed and len(g.nets) == len(GROWTH_WIDTHS)
    for k, w in enumerate(GROWTH_WIDTHS):
        ref = train_reference(ToyNet((w,), seed=2), moons.x_train, moons.y_train, 300)
        W, _ = g.nets[k][0].layer(k, 0)
        torch.testing.assert_close(W, ref.linears[0].weight.detach().t(), atol=1e-3, rtol=0)
        with torch.no_grad():
            acc = float(((ref(moons.x_test) > 0).float() == moons.y_test).float().mean())
        assert abs(g.test_acc[k] - acc) <= 1 / len(moons.y_test) + 1e-6


def test_autograd_fallback_equals_closed_form_derivative(moons):
    a = PackedMLP([(3, 5), (8, 2)], "tanh", seed=1, dtype=F64)
    b = PackedMLP([(3, 5), (8, 2)], "tanh", seed=1, dtype=F64, closed_form=False)
    assert a._derivative is not None and b._derivative is None
    a.train_epochs(moons.x_train, moons.y_train, 30)
    b.train_epochs(moons.x_train, moons.y_train, 30)
    torch.testing.assert_close(a.theta, b.theta, atol=1e-12, rtol=0)


@pytest.fixture
def registry_with_prelu(monkeypatch):
    """Two extra registry entries: a per-unit trainable slope (packs) and a shared one (does not)."""
    base = activations.ACTIVATIONS["relu"]
    reg = dict(activations.ACTIVATIONS)
    reg["prelu_unit"] = dataclasses.replace(base, name="prelu_unit",
                                            build=lambda num_features=None, **_: nn.PReLU(num_features, 0.1))
    reg["prelu_shared"] = dataclasses.replace(base, name="prelu_shared",
                                              build=lambda num_features=None, **_: nn.PReLU(1, 0.1))
    monkeypatch.setattr(activations, "ACTIVATIONS", reg)
    import fmnist_core.toy.net as tn
    monkeypatch.setattr(tn, "ACTIVATIONS", reg)


def test_trainable_activation_parameters_pack_per_unit(moons, registry_with_prelu):
    net = PackedMLP([(w,) * 2 for w in (1, 3, 8)], "prelu_unit", seed=4, lr=0.05, dtype=F64)
    assert net.packable and net._derivative is None
    before = net.act_params[0][0].detach().clone()
    net.train_epochs(moons.x_train, moons.y_train, 40)
    assert not torch.equal(before, net.act_params[0][0].detach()), "the slopes must learn"
    assert_packed_equals_alone(net, moons, 40, "adam", 0.05, 0, 4, atol=1e-10)


def test_shared_activation_parameter_trains_widths_one_by_one(moons, registry_with_prelu):
    g = train_growth(moons, widths=(1, 4), activation="prelu_shared", epochs=40, lr=0.05, seed=4, dtype=F64)
    assert not g.packed and len({id(n) for n, _ in g.nets}) == 2
    for (net, k), w in zip(g.nets, (1, 4)):
        ref = train_reference(ToyNet((w,), "prelu_shared", seed=4, dtype=F64), moons.x_train.double(),
                              moons.y_train.double(), 40, "adam", 0.05)
        torch.testing.assert_close(net.layer(k, 0)[0], ref.linears[0].weight.detach().t(), atol=1e-10, rtol=0)


def test_spiral_with_32_tanh_units_reaches_97_percent():
    d = make_dataset("spiral", n=600, noise=0.1, seed=0)
    net = PackedMLP([(32,)], "tanh", seed=0, lr=0.03)
    net.train_epochs(d.x_train, d.y_train, 1000)
    test_acc = float(net.evaluate(d.x_test, d.y_test)[1][0])
    assert test_acc >= 0.97, test_acc


@pytest.mark.parametrize("optimizer", CLASSIC_OPTIMIZERS)
def test_each_optimizer_lowers_the_loss(moons, optimizer):
    net = PackedMLP([(8,)], "tanh", seed=0, optimizer=optimizer, lr=0.1)
    before = float(net.evaluate(moons.x_train, moons.y_train)[0][0])
    net.train_epochs(moons.x_train, moons.y_train, 100, batch_size=32)
    assert float(net.evaluate(moons.x_train, moons.y_train)[0][0]) < 0.8 * before


def test_unit_lines_geometry():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(2, 40)), rng.normal(size=40)
    extent = 2.0
    lines = unit_lines(W, b, extent)
    drawn = [ln for ln in lines if ln is not None]
    assert len(drawn) > 30
    for ln in drawn:
        w, bj = W[:, ln.unit], b[ln.unit]
        for p in (ln.start, ln.end, ln.base):
            assert abs(w @ np.array(p) + bj) < 1e-9  # on the line: the pre-activation is 0
            assert max(abs(p[0]), abs(p[1])) <= extent + 1e-9  # inside the shown square
        assert w @ np.array(ln.tip) + bj > 0  # the arrow points to the positive side
        step = np.array(ln.tip) - np.array(ln.base)
        assert abs(step[0] * w[1] - step[1] * w[0]) < 1e-9  # ... along the normal (w1, w2)
        assert max(abs(ln.start[0]), abs(ln.start[1]), abs(ln.end[0]), abs(ln.end[1])) > extent - 1e-9
    # A line that misses the square, and a unit with no weights, draw nothing.
    assert unit_lines([[1.0, 0.0], [0.0, 0.0]], [-5.0, 1.0], extent) == [None, None]


def test_drawn_lines_are_where_the_network_units_switch(moons):
    net = PackedMLP([(4,)], "tanh", seed=5)
    net.train_epochs(moons.x_train, moons.y_train, 50)
    W, b = net.layer(0, 0)
    for ln in unit_lines(W.numpy(), b.numpy(), moons.extent):
        if ln is None:
            continue
        pts = torch.tensor([ln.start, ln.base, ln.end, ln.tip], dtype=torch.float32)
        z = net.pre_activations(pts)[0][:, ln.unit]
        assert z[:3].abs().max() < 1e-4 and z[3] > 0
        a = net.hidden_outputs(pts)[0][:, ln.unit]
        assert a[:3].abs().max() < 1e-4 and a[3] > 0  # tanh(0) = 0: the unit switches sign there


def test_encoding_equals_the_hidden_layer_output(moons):
    net = PackedMLP([(3, 5), (2, 7)], "relu", seed=9, dtype=F64)
    net.train_epochs(moons.x_train, moons.y_train, 20)
    for k, hs in enumerate(net.hidden):
        enc = net.hidden_outputs(moons.x_test, k)
        assert [e.shape for e in enc] == [(len(moons.x_test), h) for h in hs]
        W0, b0 = net.layer(k, 0)
        W1, b1 = net.layer(k, 1)
        a1 = torch.relu(moons.x_test.double() @ W0 + b0)
        torch.testing.assert_close(enc[0], a1)
        torch.testing.assert_close(enc[1], torch.relu(a1 @ W1 + b1))
        ref = train_reference(ToyNet(hs, "relu", seed=9, dtype=F64), moons.x_train.double(),
                              moons.y_train.double(), 20)
        with torch.no_grad():
            for e, r in zip(enc, ref.hidden_outputs(moons.x_test.double())):
                torch.testing.assert_close(e, r, atol=1e-10, rtol=0)


def test_lecture_lines_collapse_xor_onto_the_corners():
    d = make_dataset("xor", n=400, noise=0.15, seed=0)
    run = ToyRun.create(d, (2,), "step", lr=0.1, lecture_lines=True)
    enc = run.net.hidden_outputs(d.x_train)[0].numpy()
    y = d.y_train.numpy()
    assert {tuple(p) for p in enc[y == 1]} <= {(0.0, 1.0), (1.0, 0.0)}  # red: exactly one unit fires
    assert {tuple(p) for p in enc[y == 0]} == {(1.0, 1.0)}  # blue: both fire
    assert linear_accuracy(enc, y) == 1.0  # one straight line separates the encoding ...
    assert linear_accuracy(d.x_train, y) < 0.8  # ... which no line does in the input plane
    run.advance(150)
    W, b = run.net.layer(0, 0)
    torch.testing.assert_close(W, torch.tensor(LECTURE_XOR_LINES[0]))  # the hand-set layer stays put
    assert run.metrics()["train_acc"] == 1.0 and run.metrics()["test_acc"] >= 0.99


def test_step_trains_by_surrogate():
    d = make_dataset("xor", n=400, noise=0.15, seed=1)
    net = PackedMLP([(4,)], "step", seed=1, lr=0.05)
    w0 = net.layer(0, 0)[0]
    net.train_epochs(d.x_train, d.y_train, 300)
    assert not torch.equal(w0, net.layer(0, 0)[0]), "the hidden layer must move"
    assert float(net.evaluate(d.x_test, d.y_test)[1][0]) > 0.9


def test_grid_orientation_and_unit_maps(moons):
    net = PackedMLP([(3,), (6,)], "tanh", seed=0)
    net.train_epochs(moons.x_train, moons.y_train, 30)
    probs = grid_probabilities(net, 2.0, res=21)
    assert probs.shape == (2, 21, 21)
    xs = np.linspace(-2, 2, 21)
    i, j = 3, 17  # row i is x2 = xs[i], column j is x1 = xs[j]
    p = net.probabilities(torch.tensor([[xs[j], xs[i]]], dtype=torch.float32))[0]
    np.testing.assert_allclose(probs[:, i, j], p.numpy(), atol=1e-6)
    maps = unit_maps(net, 2.0, res=21, k=1)
    h = net.hidden_outputs(plane_grid(2.0, 21), k=1)[0]
    assert maps[0].shape == (6, 21, 21)
    np.testing.assert_allclose(maps[0][4, i, j], h[i * 21 + j, 4].item(), atol=1e-6)


def test_live_run_snapshots_and_replay(moons):
    run = ToyRun.create(moons, (8,), "tanh", lr=0.05, batch_size=0)
    run.max_snapshots = 20
    first_loss = run.metrics()["train_loss"]
    run.advance(100)
    assert run.epoch == 100 and len(run.snapshots) <= 20
    assert run.snapshots[0][0] == 0 and run.snap_every > 1  # thinned, the start kept
    assert run.metrics()["train_loss"] < 0.7 * first_loss
    epoch, net = run.at_epoch(0)
    assert epoch == 0 and net is not run.net
    assert net.evaluate(moons.x_train, moons.y_train)[0][0] == pytest.approx(first_loss)
    epoch, net = run.at_epoch(50)
    assert 0 < epoch <= 50 and any(h["epoch"] == epoch for h in run.curves())
    stored = next(h for h in run.curves() if h["epoch"] == epoch)
    assert run.metrics(net)["train_loss"] == pytest.approx(stored["train_loss"], abs=1e-6)
    assert run.at_epoch(10_000) == (100, run.net)
    assert run.curves()[-1]["epoch"] == 100


def test_live_run_stops_at_its_time_budget(moons):
    run = ToyRun.create(moons, (64, 64), "tanh", batch_size=1)  # 150 steps per epoch
    done = run.advance(10_000, max_seconds=0.05)
    assert 1 <= done < 10_000 and run.epoch == done
    assert run.advance(2) == 2 and run.epoch == done + 2


def test_a_diverging_live_run_stops_and_says_where():
    d = make_dataset("moons", n=300, noise=0.2, seed=3)
    run = ToyRun.create(d, (4, 4), "linear", "sgd", lr=1e30)  # the weights overflow in the first epoch
    start = run.net.snapshot()
    assert run.advance(50) == 1
    assert run.status == "diverged" and run.message.startswith("diverged at epoch 1, step 1: the loss became")
    # Back to its last finite snapshot (loop.py's rule: a diverged run keeps finite weights): epoch 0 here.
    assert run.epoch == 0 and torch.equal(run.net.theta, start) and [h["epoch"] for h in run.curves()] == [0]
    assert run.advance(5) == 0 and run.epoch == 0  # a diverged run trains no further
    fine = ToyRun.create(d, (4,), "tanh")
    assert fine.advance(3) == 3 and fine.status == "running" and fine.message == ""


def test_a_diverging_reference_net_keeps_its_last_finite_weights():
    d = make_dataset("moons", n=200, noise=0.2, seed=3)
    net = train_reference(ToyNet((4, 4), "linear", seed=1), d.x_train, d.y_train, 50, "sgd", lr=1e30)
    assert all(torch.isfinite(p).all() for p in net.parameters())  # the loss is checked before the update


def test_capped_epochs():
    assert capped_epochs(1000, 200, 0, 20_000) == 1000  # full batch: one step per epoch
    assert capped_epochs(1000, 200, 10, 20_000) == 1000  # 20 steps per epoch
    assert capped_epochs(1000, 200, 1, 20_000) == 100
    assert capped_epochs(1000, 50_000, 1, 20_000) == 1  # never zero


def test_linear_accuracy_and_pca():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] + x[:, 3] > 0).astype(int)
    assert linear_accuracy(x, y) == 1.0
    proj, share = pca_2d(x * [10, 1, 1, 1, 1])
    assert proj.shape == (200, 2) and share[0] > 0.8 and share.sum() <= 1
    assert pca_2d(np.ones((5, 1)))[0].shape == (5, 2)


@pytest.mark.parametrize("kwargs, words", [
    (dict(hidden=[(2,)], activation="swish?"), "unknown activation"),
    (dict(hidden=[(65,)]), "1 to 64 units"),
    (dict(hidden=[(2, 2, 2, 2)]), "1 to 3 hidden layers"),
    (dict(hidden=[(2,), (2, 2)]), "same number of hidden layers"),
    (dict(hidden=[(2,)], optimizer="rmsprop"), "unknown optimizer"),
    (dict(hidden=[(2,)], lr=0.0), "learning rate"),
])
def test_bad_architectures_give_clear_messages(kwargs, words):
    with pytest.raises(ValueError, match=words):
        PackedMLP(**kwargs)


def test_frames_trained_ahead_and_replayed(moons):
    from fmnist_core.toy.frames import FRAME_RES, MAX_ENCODED

    run = ToyRun.create(moons, (8,), "tanh", lr=0.05)
    run.epochs_per_frame = 4
    assert run.play(TrainControl(), max_epochs=20, rate=1000) == "finished"
    frames = run.take_frames()
    assert [f["epoch"] for f in frames] == [4, 8, 12, 16, 20] and run.epoch == 20 and run.made == 5
    assert run.take_frames() == []  # each frame is taken once
    f = frames[-1]
    assert f["prob"].shape == (FRAME_RES, FRAME_RES)
    np.testing.assert_allclose(f["prob"], grid_probabilities(run.net, moons.extent, FRAME_RES)[0])
    m = run.metrics()
    assert f["metrics"] == pytest.approx([m["train_loss"], m["train_acc"], m["test_loss"], m["test_acc"]])
    W, b = run.net.layer(0, 0)
    assert [ln.start for ln in f["lines"] if ln] == [ln.start for ln in unit_lines(W, b, moons.extent) if ln]
    enc = f["encoding"]
    assert enc["kind"] == "pca" and enc["points"].shape == (min(MAX_ENCODED, len(moons.x_train)), 2)
    assert f["hist"]["n"] == 2 * 8 + 8 and sum(f["hist"]["counts"]) == f["hist"]["n"]
    slow = ToyRun.create(moons, (64, 64), "tanh", batch_size=1)  # 150 steps an epoch
    slow.epochs_per_frame = 50
    slow.play(TrainControl(), max_epochs=3, rate=1000, budget=0.001)
    assert [f["epoch"] for f in slow.take_frames()] == [1, 2, 3]  # the time budget cuts each frame to one epoch
    run.advance(300)
    replay = run.replay_frames(max_frames=10)
    epochs = [f["epoch"] for f in replay]
    assert epochs[0] == 0 and epochs[-1] == run.epoch and len(epochs) <= 11 and epochs == sorted(set(epochs))
    assert run.frame(epochs[1]) is replay[1]  # a snapshot's frame is computed once


def _playing(run: ToyRun, **kw) -> tuple[TrainControl, threading.Thread]:
    """`run.play` in a thread of its own, as a job's worker runs it."""
    control = TrainControl()
    t = threading.Thread(target=run.play, args=(control,), kwargs=kw, daemon=True)
    t.start()
    return control, t


def test_play_waits_for_the_page_keeps_its_pace_and_pauses(moons):
    run = ToyRun.create(moons, (4,), "tanh", lr=0.05)
    run.epochs_per_frame = 2
    control, t = _playing(run, ahead=5, rate=1000)
    wait_until(lambda: run.made == 5, what="five frames ahead")
    time.sleep(0.2)
    assert run.made == 5 and run.epoch == 10  # nobody took them: it waits
    assert [f["epoch"] for f in run.take_frames()] == [2, 4, 6, 8, 10]
    wait_until(lambda: run.made == 10, what="five more after the page took them")
    control.pause()
    run.take_frames()
    time.sleep(0.2)
    paused_at = run.epoch
    time.sleep(0.2)
    assert run.epoch == paused_at and run.take_frames() == []  # paused: no training, no frames
    run.tune(Regularization(l2=0.1), 3)  # the page changes the rates and the speed of a running job
    control.resume()
    frames = wait_until(run.take_frames, what="frames after resuming")
    assert frames[0]["epoch"] == paused_at + 3 and run.net.reg.l2 == 0.1
    control.request_stop()
    t.join(5)
    assert not t.is_alive()
    slow = ToyRun.create(moons, (4,), "tanh")
    control, t = _playing(slow, rate=20)
    time.sleep(0.5)
    control.request_stop()
    t.join(5)
    assert 5 <= slow.made <= 13  # at most 20 frames a second


def test_play_ends_on_divergence_and_without_points(moons):
    d = make_dataset("moons", n=300, noise=0.2, seed=3)
    bad = ToyRun.create(d, (4, 4), "linear", "sgd", lr=1e30)
    assert bad.play(TrainControl(), rate=1000) == "diverged" and bad.made == 1  # its last frame, then no more
    from fmnist_core.toy import own_points as op

    empty = ToyRun.create(op.own_dataset([]), (2,))
    assert empty.play(TrainControl(), rate=1000) == "finished" and empty.made == 0


def test_use_data_changes_only_with_other_points(moons):
    from fmnist_core.toy import own_points as op

    run = ToyRun.create(moons, (4,), "tanh")
    assert not run.use_data(make_dataset("moons", n=300, noise=0.2, seed=3))  # the same points, made again
    more = op.with_points(moons, [(0.5, 0.5, 1)])
    assert run.use_data(more) and run.data is more and not run.use_data(more)


def test_a_stopped_growth_grid_returns_nothing_and_chunks_change_nothing(moons):
    control = TrainControl()
    control.request_stop()
    assert train_growth(moons, widths=(1, 2), epochs=200, control=control) is None
    whole = PackedMLP([(1,), (2,)], "tanh", seed=5)
    whole.train_epochs(moons.x_train, moons.y_train, 120, batch_size=50)
    g = train_growth(moons, widths=(1, 2), epochs=120, batch_size=50, seed=5, control=TrainControl())  # 3 chunks
    torch.testing.assert_close(g.nets[0][0].theta, whole.theta, atol=0, rtol=0)
