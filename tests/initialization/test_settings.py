"""fmnist_core/initialization/settings.py: the initializer parameters the lab's settings give."""
from __future__ import annotations

from fmnist_core.initialization.settings import NOISE, SCALES, init_params
from fmnist_core.nn.weight_init import INITS


def test_scales_are_the_registry_parameters_but_the_gain():
    assert set(SCALES) == {p.name for spec in INITS.values() for p in spec.params} - {"gain"}
    assert {"std", "a", "value"} <= set(SCALES)


def test_gain_only_for_tanh_and_noise_when_asked():
    scales = {name: p.default for name, p in SCALES.items()}
    tanh = init_params(scales, "tanh", gain=True, noise=False)
    assert tanh["gain"] == 5 / 3 and tanh["noise"] == 0.0 and tanh["std"] == SCALES["std"].default
    assert init_params(scales, "tanh", gain=False, noise=True) == {**tanh, "gain": 1.0, "noise": NOISE}
    assert init_params(scales, "relu", gain=True, noise=False)["gain"] == 1.0  # He is the lesson for ReLU
    assert set(init_params(scales, "relu", True, True)) == set(SCALES) | {"gain", "noise"}
