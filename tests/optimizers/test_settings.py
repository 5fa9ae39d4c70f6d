"""fmnist_core/optimizers/settings.py: the sliders' values hold every preset and stay in range."""
from __future__ import annotations

from fmnist_core.engine.optim import LR
from fmnist_core.optimizers import settings
from fmnist_core.optimizers.surfaces import KAPPA, PRESETS, SURFACES, lr_preset


def test_learning_rates_hold_every_preset_and_stay_in_range():
    lrs = settings.LR_OPTIONS
    assert lrs == sorted(set(lrs)) and lrs[0] == LR.low and lrs[-1] == LR.high
    assert {v for name in SURFACES for k in PRESETS for v in lr_preset(name, k)} <= set(lrs)
    assert len(lrs) >= 73  # 12 a decade over 6 decades, and the presets between them


def test_hyperparameter_values_stay_in_each_range():
    for p in settings.HYPER:
        opts = settings.hyper_options(p)
        assert opts and all(p.low <= v <= p.high for v in opts) and p.default in opts
    assert 0.99999 in settings.hyper_options(settings.HYPER[2])  # β₂ goes to 5 nines
    assert all(KAPPA.low <= k <= KAPPA.high for k in settings.KAPPA_OPTIONS) and KAPPA.default in settings.KAPPA_OPTIONS
