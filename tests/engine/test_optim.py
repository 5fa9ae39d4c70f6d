"""The optimizer and schedule registries: each entry builds the real torch.optim optimizer."""
import math

import pytest
import torch

from fmnist_core.engine.optim import (CLASSIC_OPTIMIZERS, HYPERPARAMS, OPTIMIZERS, SCHEDULES, hyper_stops, labels,
                                     make_optimizer, schedule_lr)
from fmnist_core.engine.params import Param

# name -> (torch class, {hyperparameter given: what the optimizer's param group then holds})
EXPECTED = {
    "sgd": (torch.optim.SGD, {}, {"momentum": 0, "nesterov": False}),
    "momentum": (torch.optim.SGD, {"momentum": 0.8}, {"momentum": 0.8, "nesterov": False}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.7}, {"momentum": 0.7, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}, {}),
    "rmsprop": (torch.optim.RMSprop, {"alpha": 0.95}, {"alpha": 0.95}),
    "adam": (torch.optim.Adam, {"beta1": 0.8, "beta2": 0.99}, {"betas": (0.8, 0.99)}),
}


def test_every_entry_is_covered():
    assert set(EXPECTED) == set(OPTIMIZERS)
    assert set(CLASSIC_OPTIMIZERS) <= set(OPTIMIZERS)
    assert labels(OPTIMIZERS)["momentum"] == OPTIMIZERS["momentum"].label


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_entry_builds_the_real_optimizer_with_its_hyperparameters(name):
    cls, given, group = EXPECTED[name]
    spec = OPTIMIZERS[name]
    assert spec.name == name and spec.label and spec.formula and spec.lr > 0
    assert all(isinstance(p, Param) for p in spec.params)
    assert {p.name for p in spec.params} == set(given)  # the Params are exactly the knobs it takes
    w = torch.nn.Parameter(torch.ones(3))
    opt = make_optimizer(name, [w], lr=0.02, weight_decay=1e-4, **given)
    assert type(opt) is cls
    g = opt.param_groups[0]
    assert g["lr"] == 0.02 and g["weight_decay"] == 1e-4
    for k, v in group.items():
        assert g[k] == v, k
    # Defaults come from the entry's Params.
    default = make_optimizer(name, [torch.nn.Parameter(torch.ones(3))], lr=0.1)
    for p in spec.params:
        if p.name in ("beta1", "beta2"):
            assert default.param_groups[0]["betas"][("beta1", "beta2").index(p.name)] == p.default
        else:
            assert default.param_groups[0][p.name] == p.default


def test_every_hyperparameter_has_slider_stops_around_its_default():
    assert [p.name for p in HYPERPARAMS] == ["momentum", "alpha", "beta1", "beta2"]  # each once, registry order
    assert set(HYPERPARAMS) == {p for spec in OPTIMIZERS.values() for p in spec.params}
    for p in HYPERPARAMS:
        stops = hyper_stops(p)
        assert p.default in stops and stops == sorted(stops) and len(stops) >= 5
        assert all(p.low <= v <= p.high for v in stops)


def test_an_optimizer_step_equals_the_hand_written_update():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = make_optimizer("sgd", [w], lr=0.5)
    (w ** 2).sum().backward()
    opt.step()
    torch.testing.assert_close(w.detach(), torch.tensor([0.0, 0.0]))  # w - 0.5 * 2w


def test_hyperparameters_of_other_optimizers_are_ignored_and_frozen_params_skipped():
    w, frozen = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2), requires_grad=False)
    opt = make_optimizer("sgd", [w, frozen], lr=0.1, momentum=0.5, beta1=0.3, junk=7.0)
    assert opt.param_groups[0]["momentum"] == 0 and len(opt.param_groups[0]["params"]) == 1


@pytest.mark.parametrize("kwargs, words", [
    (dict(name="lbfgs"), "unknown optimizer 'lbfgs'"),
    (dict(name="momentum", momentum=1.5), "momentum"),
    (dict(name="adam", beta2=float("nan")), "beta2"),
])
def test_bad_requests_raise_a_clear_message(kwargs, words):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=words):
        make_optimizer(name, [torch.nn.Parameter(torch.ones(1))], lr=0.1, **kwargs)


def test_schedule_values():
    assert set(SCHEDULES) == {"constant", "onecycle", "cosine"}
    assert schedule_lr("constant", 0.3, 0.7) == 0.3
    assert schedule_lr("onecycle", 1.0, 0.0, warmup=0.2) == pytest.approx(0.1)  # warm-up starts at 10%
    assert schedule_lr("onecycle", 1.0, 0.1, warmup=0.2) == pytest.approx(0.55)
    assert schedule_lr("onecycle", 1.0, 0.2, warmup=0.2) == pytest.approx(1.0)  # the peak
    assert schedule_lr("onecycle", 1.0, 0.6, warmup=0.2) == pytest.approx(0.5)
    assert schedule_lr("onecycle", 1.0, 1.0, warmup=0.2) == 0.0
    assert schedule_lr("cosine", 2.0, 0.5) == pytest.approx(1.0)
    assert schedule_lr("cosine", 2.0, 1 / 3) == pytest.approx(1.0 + math.cos(math.pi / 3))
    assert schedule_lr("cosine", 2.0, 1.5) == pytest.approx(0.0)  # progress is clamped to [0, 1]
    assert schedule_lr("onecycle", 1.0, -1.0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule_lr("step", 1.0, 0.5)
