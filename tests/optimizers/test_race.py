import math

import numpy as np
import pytest
import torch

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from fmnist_core.engine.events import EventReader
from fmnist_core.engine.loop import TrainControl

HYPER = dict(momentum=0.9, beta1=0.9, beta2=0.999, alpha=0.99)


def plain_optimizer(name, p, lr):
    """The torch.optim class built by hand, not through the registry."""
    return {
        "sgd": lambda: torch.optim.SGD([p], lr=lr),
        "momentum": lambda: torch.optim.SGD([p], lr=lr, momentum=0.9),
        "nesterov": lambda: torch.optim.SGD([p], lr=lr, momentum=0.9, nesterov=True),
        "adagrad": lambda: torch.optim.Adagrad([p], lr=lr),
        "rmsprop": lambda: torch.optim.RMSprop([p], lr=lr, alpha=0.99),
        "adam": lambda: torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999)),
    }[name]()


def plain_loop(surface, name, start, steps, lr, autograd=True):
    """The textbook loop: zero_grad, backward (autograd on the surface's torch function), step; or,
    with `autograd=False`, the surface's hand-written gradient put in .grad."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = plain_optimizer(name, p, lr)
    xy, losses = [p.detach().clone()], []
    for _ in range(steps):
        opt.zero_grad()
        if autograd:
            loss = surface.torch_value(p)
            loss.backward()
            losses.append(float(loss.detach()))
        else:
            f, gx, gy = surface.value_and_grad(*p.tolist())
            p.grad = torch.tensor([gx, gy], dtype=torch.float64)
            losses.append(f)
        opt.step()
        xy.append(p.detach().clone())
    losses.append(float(surface.torch_value(p.detach())))
    return torch.stack(xy).numpy(), np.array(losses)


@pytest.mark.parametrize("surface", ["valley", "rosenbrock", "saddle", "two_minima"])
@pytest.mark.parametrize("name", list(R.OPTIMIZER_NAMES))
def test_each_path_equals_a_plain_torch_optim_loop(surface, name):
    s = S.make_surface(surface)
    lr = R.lr_for(name, *S.lr_preset(surface, "good"))
    path = R.run_path(s, name, s.start, 300, lr, **HYPER)
    assert path.status == "finished" and path.steps == 300
    # Bit for bit the plain loop, given the same gradients ...
    xy, loss = plain_loop(s, name, s.start, 300, lr, autograd=False)
    np.testing.assert_array_equal(path.xy, xy)
    np.testing.assert_allclose(path.loss, loss, rtol=1e-12)
    # ... and the plain loop with autograd's gradients, to float64 rounding, for the first 100 steps. Later,
    # near a minimum, RMSprop and Nesterov amplify last-bit differences (the step divides by a gradient ~0).
    xy, loss = plain_loop(s, name, s.start, 100, lr)
    np.testing.assert_allclose(path.xy[:101], xy, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(path.loss[:101], loss, rtol=1e-9, atol=1e-12)


def test_diverging_path_is_cut_at_its_last_finite_point():
    s = S.make_surface("valley")
    lr = S.lr_preset("valley", "diverging")[0]
    path = R.run_path(s, "sgd", s.start, 500, lr)
    assert path.status == "diverged"
    assert path.message.startswith(f"diverged at step {path.diverged_at}:")
    assert np.isfinite(path.xy).all() and np.isfinite(path.loss).all() and path.steps + 1 == path.diverged_at
    _, ref_loss = plain_loop(s, "sgd", s.start, 500, lr)  # where the plain loop's loss leaves float32's range
    assert int(np.flatnonzero(~(np.abs(ref_loss) <= S.F32_MAX))[0]) == path.diverged_at
    good = R.run_path(s, "sgd", s.start, 500, S.lr_preset("valley", "good")[0])
    assert good.status == "finished" and good.loss[-1] < 1e-6


@pytest.mark.parametrize("surface", ["valley", "rosenbrock", "two_minima"])
def test_presets_do_what_they_say_for_sgd(surface):
    s = S.make_surface(surface)
    runs = {k: R.run_path(s, "sgd", s.start, 500, S.lr_preset(surface, k)[0]) for k in S.PRESETS}
    assert runs["diverging"].status == "diverged"
    for k in ("small", "good", "oscillating"):
        assert runs[k].status == "finished", k
    assert runs["good"].loss[-1] < runs["small"].loss[-1]


def test_race_runs_each_chosen_optimizer_with_its_learning_rate():
    s = S.make_surface("saddle")
    paths = R.race(s, ["sgd", "adam"], (-2.0, 0.001), 100, lr=0.1, lr_adaptive=0.05)
    assert list(paths) == ["sgd", "adam"] and paths["sgd"].lr == 0.1 and paths["adam"].lr == 0.05
    assert all(p.xy[0].tolist() == pytest.approx([-2.0, 0.001]) for p in paths.values())
    # Adam divides by the gradient's size: off the saddle's ridge at once; SGD creeps away from it.
    assert abs(paths["adam"].xy[10, 1]) > 10 * abs(paths["sgd"].xy[10, 1])
    with pytest.raises(ValueError, match="unknown optimizer"):
        R.race(s, ["lion"], (0, 0))


def test_a_stopped_race_says_so():
    control = TrainControl()
    control.request_stop()
    p = R.run_path(S.make_surface("valley"), "adam", (1.0, 1.0), 100, 0.1, control=control)
    assert p.status == "stopped" and p.steps == 0


def test_network_slice_race():
    toy = S.train_toy(epochs=150)
    sl = S.network_slice(toy, "random", seed=0)
    p = R.run_path(sl, "adam", sl.start, 60, 0.05)
    assert p.status == "finished" and p.loss[-1] < p.loss[0]
    xy, loss = plain_loop(sl, "adam", sl.start, 60, 0.05)
    np.testing.assert_allclose(p.xy, xy, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- mini-batch noise


@pytest.fixture(scope="module")
def problem():
    return R.logistic_problem()


def test_example_gradients_match_autograd(problem):
    w = torch.tensor([0.7, -1.3])
    per = problem.example_grads(w)
    for i in (0, 5, 77):
        wr = w.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(problem.loss(wr, torch.tensor([i])), wr)
        torch.testing.assert_close(per[i], g)
    wr = w.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(problem.loss(wr), wr)
    torch.testing.assert_close(per.mean(0), g)


def test_bigger_batches_point_closer_to_the_true_gradient(problem):
    noise = R.gradient_noise(problem, (-3.0, 3.5), (1, 8, 64, problem.n), samples=300, seed=0)
    means = [noise.cosines[b].mean() for b in noise.batch_sizes]
    assert means == sorted(means) and means[0] < 0.9 and means[2] > 0.95
    np.testing.assert_allclose(noise.cosines[problem.n], 1.0, atol=1e-5)  # the full batch is the true gradient
    assert all(np.all(np.abs(c) <= 1 + 1e-6) for c in noise.cosines.values())
    assert noise.cosines[1].std() > noise.cosines[64].std()


def test_sgd_with_batches(problem):
    runs = R.sgd_with_batches(problem, (-3.0, 3.5), (1, 8, 0), lr=1.0, steps=150, seed=0)
    assert [r.batch_size for r in runs] == [1, 8, problem.n]
    full = runs[-1]
    # The full batch is plain gradient descent: the same as a plain loop on the full loss.
    xy, _ = plain_loop(R.LogisticSurface(problem), "sgd", (-3.0, 3.5), 150, 1.0)
    np.testing.assert_allclose(full.path.xy, xy, rtol=1e-4, atol=1e-5)
    assert np.all(np.diff(full.path.loss) <= 1e-7)  # small enough a step: full-batch GD never goes up
    assert np.any(np.diff(runs[0].path.loss) > 1e-4)  # one example at a time: it does, noisily
    for r in runs:
        if r.steps_to_target is not None:
            assert r.path.loss[r.steps_to_target] <= r.target < r.path.loss[: r.steps_to_target].min()
            assert r.seconds_to_target == r.step_seconds[r.steps_to_target] > 0
            assert r.examples_to_target == r.steps_to_target * r.batch_size
    assert full.steps_to_target is not None


# --------------------------------------------------------------------------- Fashion-MNIST


def test_fmnist_race_tags_each_run(fmnist_small):
    events = []
    from fmnist_core.fashion.train import RECIPES

    R.fmnist_race(fmnist_small, ["sgd", "adam"], 1.5, events.append, base=RECIPES["mlp"].with_(event_every=2))
    reader = EventReader()
    reader.update(events)
    assert sorted(reader.runs) == [0, 1] and reader.done["status"] == "finished"
    for k, name in enumerate(["sgd", "adam"]):
        run = reader.runs[k]
        assert run.start["optimizer"] == name and run.end["kind"] == "done" and run.end["status"] == "budget"
        assert run.count("progress") > 0 and np.isfinite(run.column("progress", "train_loss")).all()
        assert 0.3 < run.end["test_accuracy"] <= 1
    assert reader.runs[0].start["lr"] == 0.1 and reader.runs[1].start["lr"] == 3e-3  # the registry's own lrs


def test_fmnist_race_stops(fmnist_small):
    control, events = TrainControl(), []
    control.request_stop()
    R.fmnist_race(fmnist_small, ["sgd", "adam"], 1.0, events.append, control)
    assert [e["kind"] for e in events] == ["done"] and events[0]["status"] == "stopped"
    assert not math.isnan(len(events))
