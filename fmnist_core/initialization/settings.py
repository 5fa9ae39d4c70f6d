"""What the initialization lab lets a learner set: the initializers' scale parameters, the symmetry
breaker's noise, the comparison's optimizers; and the initializer parameters those settings give."""
from __future__ import annotations

from typing import Mapping

from fmnist_core.initialization.stats import activation_gain
from fmnist_core.nn.weight_init import INITS

# The initializers' scale parameters (σ, a, c), with their ranges; the gain is a checkbox (tanh's 5/3 or 1).
SCALES = {p.name: p for spec in INITS.values() for p in spec.params if p.name != "gain"}
NOISE = 1e-3  # the symmetry breaker's σ, added to every weight: tiny beside any scale the lab offers
OPT_LRS = {"momentum": 0.01, "adam": 1e-3}  # the comparison's two optimizers, each at a rate that suits it here


def init_params(scales: Mapping[str, float], activation: str, gain: bool, noise: bool) -> dict[str, float]:
    """Every initializer parameter the lab sets (apply_init keeps the ones its initializer uses)."""
    return {**{name: float(scales[name]) for name in SCALES},
            # Only tanh: for ReLU, Xavier x sqrt(2) would be He itself, and He is the lesson there.
            "gain": activation_gain("tanh") if gain and activation == "tanh" else 1.0,
            "noise": NOISE if noise else 0.0}
