"""What the optimizers lab lets a learner set: learning rates on a log slider that holds every preset's
exact value, the hyperparameters (momentum, β₁, β₂, α) on the values papers and defaults use, and the
valley's condition number."""
from __future__ import annotations

from fmnist_core.engine.optim import ALPHA, BETA1, BETA2, LR, MOMENTUM
from fmnist_core.engine.params import Param, log_options
from fmnist_core.optimizers.surfaces import PRESETS, SURFACES, lr_preset

# 12 a decade, plus every preset's exact value (a preset button lands on a slider step)
LR_OPTIONS = sorted(set(log_options(LR, 12)) | {v for name in SURFACES for k in PRESETS for v in lr_preset(name, k)})
NICE = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999)
HYPER = (MOMENTUM, BETA1, BETA2, ALPHA)
KAPPA_OPTIONS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def hyper_options(p: Param) -> list[float]:
    """The slider values of a hyperparameter: the NICE ones inside its range."""
    return [v for v in NICE if p.low <= v <= p.high]
