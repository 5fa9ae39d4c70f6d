"""fmnist_core/engine/params.py: a log-scale slider's steps, and a link's value snapped onto them."""
from __future__ import annotations

import numpy as np

from fmnist_core.engine.optim import LR
from fmnist_core.engine.params import Param, log_options, nearest


def test_log_options_cover_the_range_per_decade_on_two_digits():
    p = Param("std", 0.1, 0.001, 10.0, log=True)
    steps = log_options(p, 20)
    assert len(steps) == 81 and steps[0] == 0.001 and steps[-1] == 10.0  # 4 decades, 20 each, both ends
    assert steps == sorted(set(steps)) and 0.1 in steps and 1.0 in steps
    assert all(float(f"{v:.2g}") == v for v in steps)
    assert len(log_options(LR, 12)) == 73  # 1e-5..10: 6 decades


def test_nearest_is_on_a_log_scale_for_positive_values():
    options = [0.001, 0.01, 0.1, 1.0]
    assert nearest(0.004, options) == 0.01  # log-closer to 0.01, though 0.001 is closer in plain distance
    assert nearest(50.0, options) == 1.0 and nearest(1e-9, options) == 0.001
    assert nearest(0.0, [0.0, 0.5, 0.9]) == 0.0 and nearest(-1.0, [0.0, 0.5]) == 0.0  # not positive: plain distance
    assert nearest(np.float32(0.1), options) == 0.1
