"""The initialization lab's data and its one training step, shared by the comparison and the symmetry run."""
import numpy as np
import torch

from fmnist_core.engine.loop import Loop
from fmnist_core.engine.optim import make_optimizer
from fmnist_core.initialization import compare, data, symmetry
from fmnist_core.initialization.stats import build_deep_mlp


def test_the_comparison_reads_the_same_data_helpers():
    assert compare.toy_data is data.toy_data and compare.fashion_data is data.fashion_data
    assert compare.DiagData is data.DiagData and compare.toy_names() == data.toy_names()


def test_a_step_learns():
    xor = data.toy_data("xor", n=200)
    torch.manual_seed(0)
    model = build_deep_mlp(2, 16, "tanh", xor.in_features, xor.n_classes)
    opt = make_optimizer("adam", model.parameters(), 1e-2)
    gen, loop = torch.Generator().manual_seed(0), Loop(200)
    first = data.start_loss(model, xor)
    losses = [data.train_step(model, opt, xor, 64, gen, loop).item() for _ in loop.steps()]
    assert loop.step == 200 and np.mean(losses[-20:]) < first - 0.2


def test_a_diverging_step_updates_nothing():
    xor = data.toy_data("xor", n=200)
    torch.manual_seed(0)
    model = build_deep_mlp(2, 16, "relu", xor.in_features, xor.n_classes)
    opt = make_optimizer("sgd", model.parameters(), 1e30)
    gen, loop, kept = torch.Generator().manual_seed(0), Loop(50), None
    for _ in loop.steps():
        if data.train_step(model, opt, xor, 64, gen, loop) is None:
            break
        kept = [p.detach().clone() for p in model.parameters()]
    assert loop.status == "diverged" and loop.step >= 2
    assert all(torch.equal(p, k) and torch.isfinite(p).all() for p, k in zip(model.parameters(), kept))


def test_a_diverging_symmetry_run_ends_with_finite_weights():
    run = symmetry.symmetry_run(data.toy_data("xor", n=200), 2, 8, "relu", "he_normal", steps=20, every=5, lr=1e30)
    assert run.status == "diverged" and np.isfinite(run.first_weights).all()  # checked before the update
