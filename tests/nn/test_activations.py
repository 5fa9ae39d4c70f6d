"""Activation registry, neuron by hand, curves, gradient checks and the training comparison."""
from __future__ import annotations

import math
import re

from xml.etree import ElementTree

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fmnist_core.basics import activation_lab as lab
from fmnist_core.nn.activations import (ACTIVATIONS, ActivationSpec, Lambda, SoftExponential, SReLU, brelu,
                                     make_activation, soft_exponential, trainable_activation_parameters)
from fmnist_core.nn.models import build_model
from fmnist_core.basics.neuron import FLU, compute_neuron, sum_latex, truth_table
from fmnist_core.fashion.train import TrainControl

EXPECTED = {"step", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu",
            "isru", "softexp", "srelu", "brelu"}


def grid(n=2001, lo=-6.0, hi=6.0) -> np.ndarray:
    return np.linspace(lo, hi, n)


def run(name, x: np.ndarray, units: int = 1, **params) -> np.ndarray:
    """f(x) in float64 through the registry, x as (N, units)."""
    m = make_activation(name, units, **params).double()
    with torch.no_grad():
        return m(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))).numpy()


# ---------------------------------------------------------------------------------- registry

def test_registry_has_every_activation_with_its_properties():
    assert set(ACTIVATIONS) == EXPECTED
    for name, spec in ACTIVATIONS.items():
        assert spec.name == name and spec.label and spec.formula.startswith("f(")
        assert spec.output_range and spec.kind in ("classic", "simple custom", "trainable", "custom backward")
        for p in spec.params:
            assert p.low <= p.default <= p.high, (name, p)
    assert [n for n, s in ACTIVATIONS.items() if s.kind == "trainable"] == ["softexp", "srelu"]
    assert {n for n, s in ACTIVATIONS.items() if s.kind == "simple custom"} == {"silu", "isru"}
    assert ACTIVATIONS["brelu"].kind == "custom backward"
    assert [n for n, s in ACTIVATIONS.items() if not s.learns_by_gradient] == ["step"]
    assert all(p.trainable for p in ACTIVATIONS["srelu"].params) and len(ACTIVATIONS["srelu"].params) == 4
    assert ACTIVATIONS["tanh"].zero_centred and not ACTIVATIONS["sigmoid"].zero_centred
    assert ACTIVATIONS["sigmoid"].saturating and not ACTIVATIONS["relu"].saturating
    assert not ACTIVATIONS["relu"].differentiable_everywhere and ACTIVATIONS["gelu"].differentiable_everywhere


def test_make_activation_rejects_unknown_names_and_bad_parameters():
    with pytest.raises(ValueError, match="unknown activation 'swishy'.*relu"):
        make_activation("swishy", 4)
    with pytest.raises(ValueError, match="alpha > 0"):
        make_activation("isru", 4, alpha=0.0)
    # Unknown parameter names are ignored, as models.py relies on.
    assert isinstance(make_activation("relu", 4, alpha=3.0), torch.nn.ReLU)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_accepts_flat_and_image_inputs_with_per_unit_parameters(name):
    m = make_activation(name, 6)
    for shape in [(5, 6), (2, 6, 3, 3)]:
        x = torch.randn(*shape)
        assert m(x).shape == x.shape
    for p in m.parameters():
        assert p.shape == (6,)


def test_models_build_with_every_activation():
    x = torch.randn(3, 1, 28, 28)
    for name in ACTIVATIONS:
        assert build_model("mlp", (16, 8), name)(x).shape == (3, 10)
    for name in ("srelu", "brelu", "softexp"):
        assert build_model("cnn", activation=name)(x).shape == (3, 10)


# -------------------------------------------------------------------------- references, 1e-6

def test_classic_activations_match_independent_formulas():
    x = grid()[:, None]
    t = torch.from_numpy(x)
    refs = {
        "step": (x >= 0).astype(float),
        "linear": x,
        "sigmoid": 1 / (1 + np.exp(-x)),
        "tanh": (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
        "relu": np.where(x > 0, x, 0.0),
        "gelu": 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
        "silu": x / (1 + np.exp(-x)),
    }
    for name, ref in refs.items():
        np.testing.assert_allclose(run(name, x), ref, atol=1e-6, rtol=0, err_msg=name)
    np.testing.assert_allclose(run("silu", x), F.silu(t).numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(run("gelu", x), F.gelu(t).numpy(), atol=1e-6, rtol=0)


def test_parametric_activations_match_their_formulas_at_non_default_parameters():
    x = grid()[:, None]
    t = torch.from_numpy(x)
    np.testing.assert_allclose(run("leaky_relu", x, negative_slope=0.2), np.where(x >= 0, x, 0.2 * x), atol=1e-6)
    np.testing.assert_allclose(run("elu", x, alpha=0.7), np.where(x > 0, x, 0.7 * (np.exp(x) - 1)), atol=1e-6)
    np.testing.assert_allclose(run("elu", x, alpha=0.7), F.elu(t, 0.7).numpy(), atol=1e-6)
    np.testing.assert_allclose(run("softplus", x, beta=2.0), np.log(1 + np.exp(2 * x)) / 2, atol=1e-6)
    np.testing.assert_allclose(run("softplus", x, beta=2.0), F.softplus(t, beta=2.0).numpy(), atol=1e-6)
    for a in (0.05, 1.0, 3.0):
        np.testing.assert_allclose(run("isru", x, alpha=a), x / np.sqrt(1 + a * x ** 2), atol=1e-6)
        assert np.abs(run("isru", x * 100, alpha=a)).max() < 1 / math.sqrt(a)


def _softexp_paper(a: float, x: np.ndarray) -> np.ndarray:
    """Godfrey & Gashler, written out independently."""
    if a < 0:
        return -np.log(1 - a * (x + a)) / a
    if a == 0:
        return x.copy()
    return (np.exp(a * x) - 1) / a + a


@pytest.mark.parametrize("a", [-1.0, -0.5, -0.1, 0.0, 0.3, 1.0])
def test_soft_exponential_matches_the_paper_inside_its_domain(a):
    x = grid(4001, -5, 5)
    if a < 0:  # defined where 1 - a (x + a) > 0; keep clear of the held edge
        x = x[1 - a * (x + a) > 1e-2]
    out = run("softexp", x[:, None], alpha=a)[:, 0]
    np.testing.assert_allclose(out, _softexp_paper(a, x), atol=1e-6, rtol=1e-9)
    # Special cases the paper names: alpha = -1 is ln(x), alpha = 1 is e^x.
    if a == -1.0:
        np.testing.assert_allclose(out, np.log(x), atol=1e-6)
    if a == 1.0:
        np.testing.assert_allclose(out, np.exp(x), atol=1e-6, rtol=1e-9)


def test_soft_exponential_is_the_identity_at_zero_and_continuous_in_alpha():
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    assert torch.equal(soft_exponential(x, torch.tensor(0.0, dtype=torch.float64)), x)
    for a in (1e-3, 1e-5, 1e-7):
        for s in (1, -1):
            d = (soft_exponential(x, torch.tensor(s * a, dtype=torch.float64)) - x).abs().max().item()
            # |f(alpha) - f(0)| ~ |alpha| (1 + x^2 / 2): shrinks linearly to 0 from both sides
            assert d <= a * (1 + 4.5) * 1.01, (s * a, d)
    # The alpha-derivative at 0 is the limit's, 1 + x^2/2, from both sides: a unit starting at 0 learns.
    alpha = torch.zeros((), dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(soft_exponential(x, alpha).sum(), alpha)
    torch.testing.assert_close(g, (1 + 0.5 * x ** 2).sum())
    h = 1e-6
    num = (soft_exponential(x, torch.tensor(h, dtype=torch.float64))
           - soft_exponential(x, torch.tensor(-h, dtype=torch.float64))) / (2 * h)
    torch.testing.assert_close(num, 1 + 0.5 * x ** 2, atol=1e-5, rtol=0)


def test_soft_exponential_stays_finite_outside_its_domain():
    x = torch.linspace(-50, 50, 1001, dtype=torch.float64, requires_grad=True)
    for a in (-1.0, -0.3, 0.5):
        y = soft_exponential(x, torch.tensor(a, dtype=torch.float64))
        (g,) = torch.autograd.grad(y.sum(), x)
        assert torch.isfinite(y).all() and torch.isfinite(g).all(), a


def test_srelu_matches_jin_et_al_per_unit():
    x = np.tile(grid(801, -4, 4)[:, None], (1, 3))
    t_l, a_l, t_r, a_r = np.array([-1.0, -0.5, -2.0]), np.array([0.1, 0.0, -0.3]), \
        np.array([1.0, 0.5, 2.5]), np.array([0.5, 1.2, 0.0])
    m = SReLU(3).double()
    with torch.no_grad():
        for name, v in zip(SReLU.names, (t_l, a_l, t_r, a_r)):
            getattr(m, name).copy_(torch.from_numpy(v))
        out = m(torch.from_numpy(x)).numpy()
    ref = np.empty_like(x)
    for j in range(3):
        for i, v in enumerate(x[:, j]):
            if v >= t_r[j]:
                ref[i, j] = t_r[j] + a_r[j] * (v - t_r[j])
            elif v <= t_l[j]:
                ref[i, j] = t_l[j] + a_l[j] * (v - t_l[j])
            else:
                ref[i, j] = v
    np.testing.assert_allclose(out, ref, atol=1e-6)


def test_brelu_is_relu_on_even_units_and_negated_relu_on_odd_units():
    x = np.random.default_rng(0).normal(size=(50, 5)) * 3
    ref = x.copy()
    ref[:, 0::2] = np.maximum(x[:, 0::2], 0)
    ref[:, 1::2] = -np.maximum(-x[:, 1::2], 0)
    np.testing.assert_allclose(run("brelu", x, units=5), ref, atol=1e-6)
    img = torch.randn(2, 4, 3, 3)
    out = brelu(img)
    assert (out[:, 0::2] >= 0).all() and (out[:, 1::2] <= 0).all()
    torch.testing.assert_close(out[:, 0::2], img[:, 0::2].clamp(min=0))


# ------------------------------------------------------------------------------ gradients

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_gradcheck_float64_away_from_kinks(name):
    res = lab.gradcheck_activation(name, n=8, units=4, seed=1, wrt_parameters=True)
    assert res["passed"], res["error"]
    assert res["max_abs_diff"] < 1e-6
    assert res["points"] == 32


@pytest.mark.parametrize("name,params", [("srelu", {"t_l": -0.5, "a_l": 0.3, "t_r": 2.0, "a_r": 0.2}),
                                         ("softexp", {"alpha": -0.4}), ("softexp", {"alpha": 0.6}),
                                         ("elu", {"alpha": 0.3}), ("isru", {"alpha": 3.0})])
def test_gradcheck_at_other_parameters(name, params):
    res = lab.gradcheck_activation(name, params, n=6, units=2, seed=3, wrt_parameters=True)
    assert res["passed"], res["error"]


def test_gradcheck_catches_a_wrong_backward(monkeypatch):
    class Doubled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            return 2 * g  # wrong: should be g * (x > 0)

    spec = ActivationSpec("broken", "Broken", r"f(x)=x", "", False, False, False,
                          lambda num_features=None, **_: Lambda(Doubled.apply, "broken"))
    monkeypatch.setitem(ACTIVATIONS, "broken", spec)
    res = lab.gradcheck_activation("broken", n=6, units=2)
    assert not res["passed"] and "Jacobian mismatch" in res["error"]
    assert res["max_abs_diff"] > 0.9


def test_step_passes_an_explicit_zero_gradient():
    x = torch.linspace(-2, 2, 9, requires_grad=True)
    y = make_activation("step")(x)
    assert y.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(g, torch.zeros_like(x))
    model = build_model("mlp", (16, 8), "step", dropout=0.0)
    F.cross_entropy(model(torch.randn(4, 784)), torch.tensor([0, 1, 2, 3])).backward()
    assert model.net[0].weight.grad.abs().max() == 0 and model.net[2].weight.grad.abs().max() == 0
    assert model.net[-1].weight.grad.abs().max() > 0  # only the output layer gets a signal


@pytest.mark.parametrize("name", ["softexp", "srelu"])
def test_trainable_parameters_get_gradients_and_change_after_one_step(name):
    torch.manual_seed(0)
    model = build_model("mlp", (32, 16), name, dropout=0.0)
    acts = trainable_activation_parameters(model)
    assert sorted(acts) == [1, 2]
    before = {(layer, n): p.detach().clone() for layer, ps in acts.items() for n, p in ps.items()}
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    # Inputs spread widely enough that every unit sees both of SReLU's outer branches.
    F.cross_entropy(model(4 * torch.randn(256, 784)), torch.randint(0, 10, (256,))).backward()
    for layer, ps in acts.items():
        for n, p in ps.items():
            assert p.grad is not None and p.grad.abs().sum() > 0, (layer, n)
    opt.step()
    for (layer, n), b in before.items():
        assert not torch.equal(acts[layer][n].detach(), b), (layer, n)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_works_under_bfloat16_autocast_and_gradients_keep_the_input_dtype(name):
    torch.manual_seed(0)
    lin1, act, lin2 = torch.nn.Linear(8, 6), make_activation(name, 6), torch.nn.Linear(6, 3)
    x = torch.randn(16, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        h = lin1(x)
        assert h.dtype == torch.bfloat16  # what the activation receives
        h.retain_grad()
        out = lin2(act(h))
    out.float().sum().backward()
    assert h.grad is not None and h.grad.dtype == torch.bfloat16
    assert torch.isfinite(lin1.weight.grad).all() and lin1.weight.grad.dtype == torch.float32
    for p in act.parameters():
        assert p.grad is not None and p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all()


def test_brelu_backward_returns_the_input_dtype_for_a_float32_upstream_gradient():
    x = torch.randn(6, 4, dtype=torch.bfloat16, requires_grad=True)
    y = brelu(x)
    assert y.dtype == torch.bfloat16
    y.backward(torch.ones(6, 4, dtype=torch.float32).to(torch.bfloat16))
    assert x.grad.dtype == torch.bfloat16
    expected = torch.where(torch.arange(4) % 2 == 0, x > 0, x < 0).to(torch.bfloat16)
    assert torch.equal(x.grad, expected)


# ---------------------------------------------------------------------------------- curves

def test_curves_derivative_comes_from_autograd_and_matches_calculus():
    (sig,) = lab.curves("sigmoid", x_min=-5, x_max=5, n=201)
    s = 1 / (1 + np.exp(-sig["x"]))
    np.testing.assert_allclose(sig["f"], s, atol=1e-12)
    np.testing.assert_allclose(sig["df"], s * (1 - s), atol=1e-12)
    assert abs(sig["df"].max() - 0.25) < 1e-6
    (th,) = lab.curves("tanh", n=101)
    np.testing.assert_allclose(th["df"], 1 - np.tanh(th["x"]) ** 2, atol=1e-12)
    (relu,) = lab.curves("relu", x_min=-1, x_max=1, n=11)
    assert relu["df"].tolist() == [0] * 6 + [1] * 5
    (step,) = lab.curves("step")
    assert np.all(step["df"] == 0) and set(step["f"]) == {0.0, 1.0}


def test_curves_for_units_that_differ_and_for_a_restricted_domain():
    even, odd = lab.curves("brelu", x_min=-2, x_max=2, n=5)
    assert "even" in even["label"] and "odd" in odd["label"]
    assert even["f"].tolist() == [0, 0, 0, 1, 2] and odd["f"].tolist() == [-2, -1, 0, 0, 0]
    (se,) = lab.curves("softexp", {"alpha": -1.0}, x_min=-2, x_max=2, n=5)  # ln(x), defined for x > 0
    assert np.isnan(se["f"][:3]).all() and np.isfinite(se["f"][3:]).all()
    np.testing.assert_allclose(se["f"][3:], np.log([1, 2]), atol=1e-9)
    np.testing.assert_allclose(se["df"][3:], [1, 0.5], atol=1e-9)
    (isru,) = lab.curves("isru", {"alpha": 4.0}, x_min=-100, x_max=100, n=11)
    assert np.abs(isru["f"]).max() < 0.5
    with pytest.raises(ValueError, match="x_min < x_max"):
        lab.curves("relu", x_min=2, x_max=1)
    with pytest.raises(ValueError, match="unknown activation"):
        lab.curves("nope")


# ---------------------------------------------------------------------------------- neuron

def test_flu_neuron_by_hand():
    no = compute_neuron((1, 0, 1), FLU.weights, FLU.threshold)
    assert no.terms == (-1.0, 0.0, 3.0) and no.total == 2 and no.z == -3 and not no.fires
    assert no.outputs["step"] == 0.0 and no.outputs["relu"] == 0.0
    assert no.outputs["sigmoid"] == pytest.approx(1 / (1 + math.exp(3)))
    assert no.outputs["tanh"] == pytest.approx(math.tanh(-3))
    yes = compute_neuron((0, 1, 1), FLU.weights, FLU.threshold)
    assert yes.total == 6 and yes.fires and yes.outputs["step"] == 1.0
    assert yes.outputs["sigmoid"] == pytest.approx(1 / (1 + math.exp(-1))) and yes.outputs["relu"] == 1.0
    edge = compute_neuron((0, 1, 0), (0, 5, 0), 5)  # the sum reaches the threshold: fires
    assert edge.fires and edge.outputs["step"] == 1.0
    assert sum_latex(no) == (r"\begin{aligned}\text{sum} &= w_1 x_1 + w_2 x_2 + w_3 x_3\\ "
                             r"&= (-1)\cdot1 + 3\cdot0 + 3\cdot1\\ &= 2\end{aligned}")


def test_flu_truth_table_and_bad_inputs():
    rows = truth_table()
    assert len(rows) == 8
    flu = {(r["stomach ache"], r["fever"], r["cough"]) for r in rows if r["answer"] == "flu"}
    assert flu == {(0, 1, 1), (1, 1, 1)}  # 6 and 5 reach 5; every other patient stays below
    assert all(r["step"] in (0.0, 1.0) and 0 < r["sigmoid"] < 1 for r in rows)
    with pytest.raises(ValueError, match="one weight per input"):
        compute_neuron((1, 0), (1, 2, 3), 1)
    with pytest.raises(ValueError, match="finite"):
        compute_neuron((1, 0, 1), (1, float("nan"), 3), 1)


# ------------------------------------------------------------------------------ comparison

@pytest.fixture(scope="module")
def comparison(fmnist_small):
    events: list[dict] = []
    results = lab.run_comparison(fmnist_small, ["relu", "step", "srelu"], budget=1.5, emit=events.append,
                                 base=lab.COMPARE_BASE.with_(event_every=2))
    return results, events


def test_comparison_trains_each_activation_and_tags_its_events(comparison):
    results, events = comparison
    assert [r["activation"] for r in results] == ["relu", "step", "srelu"]
    assert all(r["status"] == "budget" for r in results)
    for i, r in enumerate(results):
        assert r["index"] == i and r["of"] == 3 and r["seconds"] == pytest.approx(1.5, abs=0.6)
    assert all("activation" in e for e in events)
    assert not any("predictions" in e for e in events)
    starts = [e for e in events if e["kind"] == "start"]
    assert starts[2]["params"] == {"t_l": -1.0, "a_l": 0.1, "t_r": 1.0, "a_r": 0.5} and starts[0]["params"] == {}
    kinds = [e["kind"] for e in events if e["activation"] == "relu"]
    assert kinds[0] == "start" and "progress" in kinds and kinds[-2:] == ["done", "result"]
    acc = {r["activation"]: r["test_accuracy"] for r in results}
    assert acc["relu"] > 0.6 and acc["srelu"] > 0.6  # 6k images, 1.5 s
    # Step: no gradient reaches a hidden weight, they never move; the others' do.
    moved = {r["activation"]: r["first_layer_change"] for r in results}
    assert moved["step"] == 0.0 and moved["relu"] > 0.01 and moved["srelu"] > 0.01
    relu_losses = [e["train_loss"] for e in events if e["activation"] == "relu" and e["kind"] == "progress"]
    assert relu_losses[-1] < relu_losses[0]


def test_comparison_records_trainable_parameters_over_training(comparison):
    results, events = comparison
    traces = lab.parameter_traces(events)
    assert set(traces) == {"srelu"} and set(traces["srelu"]) == {"t_l", "a_l", "t_r", "a_r"}
    tr = traces["srelu"]["t_r"]
    assert sorted(tr) == [1, 2, 3]
    assert tr[1]["t"][0] == 0.0 and tr[1]["mean"][0] == pytest.approx(1.0)  # the start value
    assert any(abs(tr[layer]["mean"][-1] - 1.0) > 1e-3 for layer in tr)  # it was trained
    assert all(lo <= m <= hi for lo, m, hi in zip(tr[1]["p10"], tr[1]["mean"], tr[1]["p90"]))
    table = lab.results_table(events)
    assert [row["activation"] for row in table] == ["ReLU", "Binary step", "SReLU"]
    assert re.fullmatch(r"t_l -?[\d.]+, a_l -?[\d.]+, t_r -?[\d.]+, a_r -?[\d.]+", table[2]["learned parameters"])
    series = lab.training_series(events)
    assert len(series["relu"]["t"]) == len(series["relu"]["loss"]) > 3
    assert series["relu"]["test_acc"][-1] == pytest.approx(results[0]["test_accuracy"])


def test_results_table_shows_the_running_activation():
    events = [{"kind": "start", "activation": "tanh", "index": 0, "of": 2, "budget": 8.0},
              {"kind": "progress", "activation": "tanh", "index": 0, "of": 2, "elapsed": 1.0, "epoch": 0.5,
               "train_loss": 1.2, "train_accuracy": 0.6, "step": 10}]
    (row,) = lab.results_table(events)
    assert row["status"] == "training…" and row["train loss"] == 1.2 and row["test accuracy"] is None


def test_comparison_stops_on_request_and_rejects_bad_requests(fmnist_small):
    control = TrainControl()
    seen: list[dict] = []

    def emit(ev):
        seen.append(ev)
        if ev["kind"] == "progress":
            control.request_stop()

    results = lab.run_comparison(fmnist_small, ["tanh", "relu"], budget=5, emit=emit, control=control,
                                 base=lab.COMPARE_BASE.with_(event_every=2))
    assert len(results) == 1 and results[0]["status"] == "stopped"
    assert {e["activation"] for e in seen} == {"tanh"}
    with pytest.raises(ValueError, match="unknown activation"):
        lab.run_comparison(fmnist_small, ["relu", "bogus"])
    with pytest.raises(ValueError, match="positive"):
        lab.run_comparison(fmnist_small, ["relu"], budget=0)


def test_compare_config_keeps_only_known_parameters():
    cfg = lab.compare_config("srelu", {"t_l": -2.0, "junk": 1.0}, budget=3)
    assert dict(cfg.activation_params) == {"t_l": -2.0, "a_l": 0.1, "t_r": 1.0, "a_r": 0.5}
    assert cfg.time_budget == 3 and cfg.batch_size == 512 and cfg.schedule == "onecycle"
    assert isinstance(make_activation("softexp", 3, alpha=0.2), SoftExponential)


# ---------------------------------------------------------------------------------- figures

def test_figure_builders_draw_the_data_they_are_given(comparison):
    from ui.figures import activations as figs
    from ui.kit import live_chart

    curves = lab.curves("relu") + lab.curves("brelu")
    fig = figs.curves_figure(curves)
    assert len(fig.data) == 2 * len(curves) == 6
    assert list(fig.data[1].y) == list(curves[0]["df"])
    assert fig.data[2].line.color == fig.data[4].line.color  # BReLU's two curves share a colour
    # A pole (SoftExponential, alpha < 0, f' -> inf at its domain edge) does not flatten the others.
    spiky = figs.curves_figure(lab.curves("softexp", {"alpha": -0.5}) + lab.curves("relu"))
    assert np.nanmax(lab.curves("softexp", {"alpha": -0.5})[0]["df"]) > 50
    lo, hi = spiky.layout.yaxis2.range
    assert lo < 0 < 1 < hi < 10
    neuron = compute_neuron((0, 1, 1), FLU.weights, FLU.threshold)
    svg = figs.neuron_svg(neuron.z, neuron.outputs, {a: lab.curves(a, None, -6, 6)[0] for a in neuron.outputs})
    root = ElementTree.fromstring(svg)  # well-formed SVG
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == len(neuron.outputs) == 4  # one curve per activation
    titles = [t.text for t in root.findall(f"{ns}text")]
    assert "f(1) = 0.731" in titles and "f(1) = 1" in titles  # sigmoid(1), step(1), ReLU(1)
    dots = root.findall(f"{ns}circle")
    assert len(dots) == 4 and len({d.get("cx") for d in dots}) == 2  # z at the same place on both columns
    far = figs.neuron_svg(40.0, {"relu": 40.0}, {"relu": lab.curves("relu", None, -6, 6)[0]})
    cy = float(ElementTree.fromstring(far).find(f"{ns}circle").get("cy"))
    assert 0 < cy < float(ElementTree.fromstring(far).get("viewBox").split()[3])  # off the plot: held at its edge
    check = lab.gradcheck_activation("brelu", n=4, units=2)
    gfig = figs.gradcheck_figure(check)
    assert sum(len(t.x) for t in gfig.data) == 2 * check["points"]
    _, events = comparison
    series = lab.training_series(events)
    tchart = figs.training_chart(series, budget=1.5)
    assert live_chart.legend(tchart) == [ACTIVATIONS[n].label for n in series]  # one entry per activation
    loss, acc = tchart["panels"]
    assert {ln["key"] for ln in loss["series"]} == {"relu/loss", "step/loss", "srelu/loss"}
    assert loss["x_range"] == acc["x_range"] == pytest.approx([0, 1.575]) and acc["y_range"] == [0, 1]
    assert acc["refs"] == [{"y": 0.1, "label": "chance (10%)"}]
    test = [ln for ln in acc["series"] if ln["key"].endswith("/test")]
    assert len(test) == 3 and all(ln["markers"] > 0 for ln in test)
    assert list(test[0]["y"]) == pytest.approx(series[next(iter(series))]["test_acc"])
    pfig = figs.parameter_figure(lab.parameter_traces(events))
    assert len(pfig.layout.annotations) == 4  # one panel per SReLU parameter
