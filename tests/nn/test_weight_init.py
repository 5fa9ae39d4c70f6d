"""Initializers and init diagnostics: measured on real networks and real Fashion-MNIST."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_core.initialization import compare as init_compare, report as init_report, stats as init_stats, symmetry
from fmnist_core.nn.models import CNN, MLP
from fmnist_core.fashion.train import TrainControl
from fmnist_core.nn.weight_init import INITS, apply_init, resolve_params, weight_std
from ui.figures import initialization as figs
from ui.views.init_text import gradient_sentence

RANDOM = [n for n in INITS if n not in ("default", "zeros", "constant")]


@pytest.fixture(scope="module")
def fashion(fmnist):
    return init_compare.fashion_data(fmnist)


@pytest.fixture(scope="module")
def batch(fashion):
    return fashion.batch(256, seed=0)


def deep_stats(x, activation, init, depth=10, width=256, **params):
    model = init_stats.build_deep_mlp(depth, width, activation)
    apply_init(model, init, seed=0, **params)
    return init_stats.activation_stats(model, x)


# --------------------------------------------------------------------------- initializers

@pytest.mark.parametrize("name", list(INITS))
def test_every_initializer_applies_to_mlp_and_cnn(name):
    for model in (MLP(), CNN()):
        apply_init(model, name, seed=0)
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                assert torch.isfinite(m.weight).all()
                if name != "default" and m.bias is not None:
                    assert (m.bias == 0).all()
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("name", RANDOM)
def test_drawn_weights_have_the_documented_std(name):
    params = {"std": 0.3, "a": 0.2, "gain": 5 / 3}
    lin = nn.Linear(400, 300)
    apply_init(lin, name, seed=1, **params)
    expected = weight_std(name, 400, 300, **params)
    assert lin.weight.std().item() == pytest.approx(expected, rel=0.03)
    assert abs(lin.weight.mean().item()) < 0.02 * expected * 10
    if "uniform" in name:
        assert lin.weight.abs().max().item() <= expected * math.sqrt(3) + 1e-6


def test_textbook_scales():
    assert weight_std("xavier_normal", 256, 256) == pytest.approx(1 / 16)
    assert weight_std("he_uniform", 200, 10) == pytest.approx(0.1)
    assert weight_std("lecun", 100, 7) == pytest.approx(0.1)
    assert weight_std("standard_normal", 5, 5) == 1.0
    assert weight_std("normal", 5, 5, std=0.01) == 0.01
    assert weight_std("uniform", 5, 5, a=math.sqrt(3)) == pytest.approx(1.0)


def test_zeros_constant_and_the_noise_breaker():
    lin = nn.Linear(20, 8)
    apply_init(lin, "zeros")
    assert (lin.weight == 0).all()
    apply_init(lin, "constant", value=0.25)
    assert (lin.weight == 0.25).all()
    apply_init(lin, "constant", seed=0, value=0.25, noise=1e-3)
    assert not torch.equal(lin.weight[0], lin.weight[1])
    assert (lin.weight - 0.25).std().item() == pytest.approx(1e-3, rel=0.2)


def test_same_seed_same_weights():
    a, b, c = (MLP() for _ in range(3))
    apply_init(a, "he_uniform", seed=3)
    apply_init(b, "he_uniform", seed=3)
    apply_init(c, "he_uniform", seed=4)
    assert torch.equal(a.net[0].weight, b.net[0].weight)
    assert not torch.equal(a.net[0].weight, c.net[0].weight)


def test_the_trainer_call_still_works():
    m = MLP()
    before = m.net[0].weight.clone()
    assert apply_init(m, "default", seed=0) is m and torch.equal(m.net[0].weight, before)
    apply_init(m, "xavier_normal", seed=0)  # no params: Glorot's gain 1
    assert m.net[0].weight.std().item() == pytest.approx(math.sqrt(2 / (784 + 256)), rel=0.05)


@pytest.mark.parametrize("kwargs, words", [
    (dict(name="glorot"), "unknown initializer"),
    (dict(name="normal", std=0.0), "std"),
    (dict(name="normal", std=100.0), "std"),
    (dict(name="normal", std=float("nan")), "std"),
    (dict(name="constant", value=5.0), "value"),
    (dict(name="he_normal", noise=-1.0), "noise"),
])
def test_bad_parameters_are_refused_with_a_message(kwargs, words):
    with pytest.raises(ValueError, match=words):
        apply_init(nn.Linear(3, 3), **kwargs)


def test_parameters_of_other_initializers_are_ignored():
    assert resolve_params("he_normal", std=123.0, value=9.0) == {}
    assert set(resolve_params("normal")) == {p.name for p in INITS["normal"].params}


# --------------------------------------------------------------------------- the lecture's claims

@pytest.mark.parametrize("init, params", [("zeros", {}), ("constant", {"value": 0.1}), ("constant", {"value": -0.05})])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_units_stay_identical_after_20_steps_from_a_symmetric_init(fashion, init, params, activation):
    run = symmetry.symmetry_run(fashion, 3, 32, activation, init, steps=20, every=5, **params)
    assert all(run.identical)
    assert (run.symmetry == 0).all()
    assert (run.distances == 0).all()
    # ...and with the comparison trainer (SGD + momentum), on the page's kind of network
    torch.manual_seed(0)
    model = init_stats.build_deep_mlp(3, 32, activation)
    apply_init(model, init, seed=0, **params)
    init_compare.train_one(model, fashion, init_compare.CompareConfig(max_steps=20, budget=60), lambda e: None, TrainControl())
    for lin, _ in init_stats.hidden_layers(model):
        assert (lin.weight == lin.weight[0]).all()


def test_a_tiny_noise_parts_the_units(fashion):
    run = symmetry.symmetry_run(fashion, 2, 32, "tanh", "zeros", steps=20, every=5, noise=1e-3)
    assert not any(run.identical)
    assert (run.symmetry > 0).all()
    assert run.symmetry[-1, 0] > run.symmetry[0, 0]  # training pulls them further apart


def test_a_diverging_symmetry_run_stops_with_finite_curves():
    run = symmetry.symmetry_run(init_compare.toy_data("xor", n=200), 2, 8, "relu", "he_normal", steps=20, every=5,
                                lr=1e30)
    assert run.status == "diverged" and run.message.startswith("diverged at step ")
    assert np.isfinite(run.loss).all() and len(run.steps) == len(run.symmetry) == len(run.loss) >= 1
    fine = symmetry.symmetry_run(init_compare.toy_data("xor", n=200), 2, 8, "relu", "he_normal", steps=20, every=5)
    assert fine.status == "finished" and fine.steps.tolist() == [0, 5, 10, 15, 20]


def test_standard_normal_saturates_deep_tanh(batch):
    s = deep_stats(batch[0], "tanh", "standard_normal")
    assert s.saturated[-1] > 0.5  # measured 0.86
    assert s.flat[-1] > 0.5


def test_small_normal_collapses_deep_tanh(batch):
    s = deep_stats(batch[0], "tanh", "normal", std=0.01)
    assert s.std[-1] < 1e-3  # measured 2e-8
    assert s.std[0] > 0.1


def test_xavier_keeps_deep_tanh_within_3x(batch):
    s = deep_stats(batch[0], "tanh", "xavier_normal", gain=init_stats.activation_gain("tanh"))
    assert 1 / 3 < s.std[-1] / s.std[0] < 3  # measured 0.82
    assert s.saturated[-1] < 0.1
    # Glorot's gain 1 drifts down: tanh squashes a little at each of the 10 layers (measured 0.32-0.35)
    plain = deep_stats(batch[0], "tanh", "xavier_normal")
    assert 1 / 4 < plain.std[-1] / plain.std[0] < 1 / 2


@pytest.mark.parametrize("init", ["he_normal", "he_uniform"])
def test_he_keeps_deep_relu_within_3x(batch, init):
    s = deep_stats(batch[0], "relu", init)
    assert 1 / 3 < s.std[-1] / s.std[0] < 3  # measured 0.87-1.02
    bad = deep_stats(batch[0], "relu", "xavier_normal")  # ignores ReLU's halving: shrinks ~26x
    assert bad.std[-1] / bad.std[0] < 1 / 10


def test_sigmoid_with_standard_normal_vanishes(batch):
    x, y = batch
    model = init_stats.build_deep_mlp(10, 16, "sigmoid")
    apply_init(model, "standard_normal", seed=0)
    g = init_stats.gradient_stats(model, x, y).weight
    assert g[0] / g[-1] < 0.1  # measured 0.011 (seeds 0-2: 0.001-0.011)
    verdict = init_stats.name_gradient_flow(g)
    assert verdict.labels[0] == "vanishing" and verdict.kind == "vanishing"
    assert "Vanishing" in gradient_sentence(verdict)


def test_standard_normal_tanh_gradients_explode_towards_the_input(batch):
    model = init_stats.build_deep_mlp(10, 256, "tanh")
    apply_init(model, "standard_normal", seed=0)
    g = init_stats.gradient_stats(model, *batch).weight
    assert g[0] / g[-1] > 1e3
    assert init_stats.name_gradient_flow(g).kind == "exploding"


def test_he_relu_gradients_are_healthy(batch):
    model = init_stats.build_deep_mlp(10, 256, "relu")
    apply_init(model, "he_normal", seed=0)
    assert init_stats.name_gradient_flow(init_stats.gradient_stats(model, *batch).weight).kind == "healthy"


# --------------------------------------------------------------------------- diagnostics vs hand computation

def tiny_net():
    """2 inputs -> 2 tanh units -> 2 outputs with hand-picked weights."""
    model = MLP((2,), "tanh", dropout=0.0, in_features=2, out_features=2)
    with torch.no_grad():
        model.net[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 2.0]]))
        model.net[0].bias.copy_(torch.tensor([0.0, 0.1]))
        model.net[2].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 1.0]]))
        model.net[2].bias.zero_()
    return model


def test_diagnostics_match_a_hand_computation():
    x = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    y = np.array([0, 1, 1])
    w1, b1 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([0.0, 0.1])
    w2 = np.array([[1.0, 0.0], [-1.0, 1.0]])
    z = x @ w1.T + b1
    a = np.tanh(z)
    logits = a @ w2.T
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    dlogits = (p - np.eye(2)[y]) / len(y)  # mean cross-entropy
    dw2 = dlogits.T @ a
    da = dlogits @ w2
    dz = da * (1 - a**2)
    dw1 = dz.T @ x

    model = tiny_net()
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    edges = np.linspace(-1, 1, 5)
    s = init_stats.activation_stats(model, xt, edges=edges)
    assert s.std[0] == pytest.approx(a.std(ddof=1), rel=1e-5)
    assert s.mean[0] == pytest.approx(a.mean(), abs=1e-6)
    assert s.pre_std[0] == pytest.approx(z.std(ddof=1), rel=1e-5)
    assert s.saturated[0] == pytest.approx((np.abs(a) > 0.99).mean())
    assert s.flat[0] == pytest.approx((1 - a**2 < init_stats.FLAT_SLOPE).mean())
    np.testing.assert_allclose(s.hist[0], np.histogram(a, edges)[0] / a.size, atol=1e-6)

    g = init_stats.gradient_stats(model, xt, yt)
    ce = -np.log(p[np.arange(len(y)), y]).mean()
    assert g.loss == pytest.approx(ce, rel=1e-5)
    np.testing.assert_allclose(g.weight, [np.linalg.norm(dw1), np.linalg.norm(dw2)], rtol=1e-5)
    assert g.activation[0] == pytest.approx(np.linalg.norm(da, axis=1).mean(), rel=1e-5)
    assert model.net[0].weight.grad is None  # the diagnostics leave no gradients behind

    d = symmetry.unit_distances(model.net[0].weight)
    assert d[0, 1] == d[1, 0] == pytest.approx(math.sqrt(0.5**2 + 3**2), rel=1e-6)
    assert d[0, 0] == 0
    assert symmetry.symmetry(model)[0] == pytest.approx(math.sqrt(9.25), rel=1e-6)


def test_unit_distances_are_exact_for_identical_units_and_match_cdist():
    w = torch.randn(40, 300, generator=torch.Generator().manual_seed(0))
    w[5] = w[7] = w[9]
    d = symmetry.unit_distances(w)
    ref = torch.cdist(w.double(), w.double()).numpy()
    np.testing.assert_allclose(d, ref, rtol=1e-4, atol=1e-3)
    assert d[5, 7] == d[7, 9] == d[5, 9] == 0.0
    same = torch.full((64, 784), 0.1)
    assert (symmetry.unit_distances(same) == 0).all()  # the matrix-product formula alone leaves ~1e-3 here


def test_variance_gain():
    assert init_stats.variance_gain("standard_normal", "tanh", 256, 256) == pytest.approx(256)
    assert init_stats.variance_gain("he_normal", "relu", 256, 256) == pytest.approx(1)
    assert init_stats.variance_gain("xavier_normal", "tanh", 256, 256) == pytest.approx(1)
    assert init_stats.variance_gain("normal", "tanh", 256, 256, std=0.01) == pytest.approx(0.0256)
    assert init_stats.recommended_init("relu") == "he_normal" and init_stats.recommended_init("tanh") == "xavier_normal"


@pytest.mark.parametrize("norms, kind, first", [
    ([1.0, 0.8, 1.2, 1.0], "healthy", "healthy"),
    ([1e-4, 1e-2, 1.0, 1.0], "vanishing", "vanishing"),
    ([1e4, 10.0, 1.0, 1.0], "exploding", "exploding"),
    ([0.0, 0.0, 0.0], "zero", "zero"),
    ([1e-8, 1e-8, 1e-8], "vanishing", "vanishing"),
    ([3e11, 2e11, 4e11], "exploding", "exploding"),
])
def test_gradient_flow_is_named(norms, kind, first):
    v = init_stats.name_gradient_flow(norms)
    assert v.kind == kind and v.labels[0] == first
    assert len(v.labels) == len(norms)


def test_vanishing_layers_are_named_in_ranges():
    v = init_stats.name_gradient_flow([1e-5, 1e-4, 1e-3, 0.5, 1.0, 1.0])
    assert v.labels[:4] == ["vanishing", "vanishing", "vanishing", "healthy"]
    assert "layers 1-3" in gradient_sentence(v)


@pytest.mark.parametrize("norms, sentence", [
    ([1.0, 0.8, 1.2, 1.0], "Healthy: every layer's gradient is within 10x of the output layer's (first/last = 1)."),
    ([1e-4, 1e-2, 1.0, 1.0], "Vanishing gradients in layers 1-2: the first layer's gradient is 0.0001x the output "
                             "layer's (1/1e+04)."),
    ([1e4, 10.0, 1.0, 1.0], "Exploding gradients in layer 1: the first layer's gradient is 1e+04x the output layer's."),
    ([0.0, 0.0, 0.0], "Zero: no gradient at all reaches layers 1-2 and output: those weights cannot change."),
    ([1e-8, 1e-8, 1e-8], "Vanishing everywhere: every gradient is below 1e-06, so the weights barely move."),
    ([3e11, 2e11, 4e11], "Exploding gradients in layers 1-2 and output: norms up to 4e+11 (the activations have "
                         "blown up, and the gradients with them)."),
    ([1e-4, 100.0, 1.0], "Vanishing in layer 1, exploding in layer 2."),
    ([5.0, 1e-4, 1.0, 1e-3, 1.0], "Vanishing gradients in layers 2, 4: the first layer's gradient is 5x the output "
                                  "layer's (1/0.2)."),
])
def test_the_page_words_the_core_numbers(norms, sentence):
    """The core returns labels and ratios (no prose); ui.views.init_text words them for the learner."""
    v = init_stats.name_gradient_flow(norms)
    assert not any(isinstance(x, str) and " " in x for x in vars(v).values())
    assert gradient_sentence(v) == sentence


# --------------------------------------------------------------------------- comparison training

def test_comparison_trains_each_initializer_in_turn():
    data = init_compare.toy_data("spiral", n=400)
    cfg = init_compare.CompareConfig(inits=("zeros", "he_normal"), depth=2, width=32, activation="relu",
                             optimizer="adam", lr=1e-2, budget=1.0, batch_size=64)
    events = []
    out = init_compare.compare_inits(cfg, data, events.append)
    assert [r["status"] for r in out] == ["finished", "finished"]
    runs = init_compare.comparison_curves(events)
    assert [r.init for r in runs] == ["zeros", "he_normal"]
    zeros, he = runs
    assert he.loss[-1] < he.loss[0] - 0.1  # He learns
    assert (zeros.symmetry == 0).all() and len(zeros.sym_steps) > 0  # zeros: all units stay alike
    assert he.grad_norms.shape[1] == 3  # 2 hidden layers + output
    assert events[-1]["kind"] == "done"


def test_a_diverging_run_is_reported_with_its_step(fashion):
    cfg = init_compare.CompareConfig(inits=("normal", "he_normal"), depth=10, width=64, activation="relu",
                             init_params=(("std", 10.0),), budget=1.0, event_every=1)
    events = []
    out = init_compare.compare_inits(cfg, fashion, events.append)
    assert out[0]["status"] == "diverged"
    s = out[0]["step"]
    assert out[0]["message"].startswith(f"diverged at step {s}")
    assert 1 <= s <= 5
    assert out[1]["status"] == "finished"  # the next initializer still runs
    runs = init_compare.comparison_curves(events)
    assert runs[0].diverged_at == s
    assert np.isfinite(runs[0].loss).all()  # nothing but finite losses is ever drawn
    chart = figs.loss_chart(runs, ["N(0, 10²)", "He"])
    lines = chart["panels"][0]["series"]
    assert [ln["end"]["text"] if ln["end"] else None for ln in lines] == [f"diverged at step {s}", None]
    assert lines[0]["end"]["x"] == s
    for ln in lines:
        assert np.isfinite(ln["x"]).all() and np.isfinite(ln["y"]).all()


def test_stop_ends_the_comparison():
    data = init_compare.toy_data("xor", n=200)
    control = TrainControl()
    control.request_stop()
    out = init_compare.compare_inits(init_compare.CompareConfig(inits=("he_normal", "zeros"), depth=1, width=8), data,
                             control=control)
    assert out == []


def test_comparison_refuses_bad_lists():
    data = init_compare.toy_data("xor", n=200)
    with pytest.raises(ValueError, match="1 to 5"):
        init_compare.compare_inits(init_compare.CompareConfig(inits=tuple(RANDOM[:6])), data)
    with pytest.raises(ValueError, match="unknown initializer"):
        init_compare.compare_inits(init_compare.CompareConfig(inits=("he_normal", "nope")), data)
    with pytest.raises(ValueError, match="depth"):
        init_stats.build_deep_mlp(11, 8)


# --------------------------------------------------------------------------- figures

def test_init_report_and_figures(fashion):
    r = init_report.init_report(fashion, 10, 256, "tanh", "normal", std=0.01)
    assert r.acts.depth == 10 and r.reference_init == "xavier_normal"
    fig = figs.activation_violins(r.acts.hist, r.acts.edges, r.acts.std, r.acts.saturated)
    assert len(fig.data) == 10  # one violin per layer
    assert f"std {r.acts.std[9]:.3g}" in fig.data[9].text
    fig = figs.std_by_depth(r.acts.std, r.reference.std, "Xavier")
    assert fig.layout.yaxis.type == "log"
    fig = figs.gradient_bars(r.grads.weight, r.verdict.labels, init_stats.layer_names(10))
    assert fig.layout.yaxis.type == "log"
    assert {t.name for t in fig.data} <= set(figs.VERDICT_COLORS)


def test_figures_survive_all_zero_inputs():
    fig = figs.std_by_depth(np.zeros(4))
    assert "identical" in fig.layout.annotations[0].text
    fig = figs.gradient_bars([0.0, 0.0, 1.0], ["zero", "zero", "healthy"], ["layer 1", "layer 2", "output"])
    assert [t.name for t in fig.data] == ["healthy", "zero"]
    spec = figs.symmetry_chart(np.arange(3), np.zeros((3, 2)), title="Symmetry")
    assert spec["panels"][0]["refs"] == [{"y": 0.0, "label": "exactly 0 in every layer: all units identical"}]
    assert spec["panels"][0]["y_range"] == [0.0, 1.0]  # a flat 0 still gets a readable axis
    assert "all 0" in figs.gradient_chart(np.arange(2), np.zeros((2, 3)), ["a", "b", "c"])["panels"][0]["title"]
    assert [len(s["y"]) for s in spec["panels"][0]["series"]] == [3, 3]  # zeros are drawn (a linear axis)
    spec = figs.gradient_chart(np.arange(3), np.array([[0.0, 1.0], [np.nan, 2.0], [1e-3, 4.0]]), ["layer 1", "output"])
    first, out = spec["panels"][0]["series"]
    assert spec["panels"][0]["y_log"] and list(first["x"]) == [2.0]  # 0 and NaN have no place on a log axis
    assert list(out["y"]) == [1.0, 2.0, 4.0] and out["color"] == "#222"
    fig = figs.unit_images(np.zeros((4, 784)))
    assert any("identical" in a.text for a in fig.layout.annotations)
