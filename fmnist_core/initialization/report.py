"""Everything the initialization page shows about one network at initialization, measured on a batch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fmnist_core.initialization.data import DiagData
from fmnist_core.initialization.stats import (ActivationStats, GradientStats, GradientVerdict, activation_gain, activation_stats,
                         build_deep_mlp, gradient_stats, name_gradient_flow, recommended_init, variance_gain)
from fmnist_core.initialization.symmetry import symmetry
from fmnist_core.nn.weight_init import apply_init, weight_std


@dataclass
class InitReport:
    """Everything the page shows about one network at initialization."""

    acts: ActivationStats
    grads: GradientStats
    verdict: GradientVerdict
    symmetry: np.ndarray
    reference: ActivationStats | None  # the same network with the recommended init
    reference_init: str
    weight_std: float  # of the hidden-to-hidden weights (layer 2 on), or layer 1 for depth 1
    xavier_std: float
    he_std: float
    gain: float  # variance_gain of a hidden-to-hidden layer


def init_report(data: DiagData, depth: int, width: int, activation: str, init: str, seed: int = 0,
                batch: int = 512, with_reference: bool = True, **params: float) -> InitReport:
    """Build the network, initialize it, and measure it on a fixed batch."""
    x, y = data.batch(batch, seed)
    torch.manual_seed(seed)
    model = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(x.device)
    apply_init(model, init, seed=seed, **params)
    acts = activation_stats(model, x)
    grads = gradient_stats(model, x, y)
    ref_init = recommended_init(activation)
    reference = None
    if with_reference:
        ref = build_deep_mlp(depth, width, activation, data.in_features, data.n_classes).to(x.device)
        ref_params = {"gain": activation_gain(activation)} if ref_init.startswith("xavier") else {}
        apply_init(ref, ref_init, seed=seed, **ref_params)
        reference = activation_stats(ref, x, edges=acts.edges)
    fan_in = width if depth > 1 else data.in_features
    init_params = {k: v for k, v in params.items() if k != "noise"}
    return InitReport(
        acts=acts, grads=grads, verdict=name_gradient_flow(grads.weight), symmetry=symmetry(model),
        reference=reference, reference_init=ref_init,
        weight_std=weight_std(init, fan_in, width, **init_params),
        xavier_std=weight_std("xavier_normal", fan_in, width), he_std=weight_std("he_normal", fan_in, width),
        gain=variance_gain(init, activation, fan_in, width, **init_params),
    )
