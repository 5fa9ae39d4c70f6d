"""A training run's settings: `TrainConfig` (hashable, saved with every run and checkpoint), the fastest
recipes found for each model, and the optimizer and learning rate a config sets up."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch

from fmnist_core.engine.optim import MOMENTUM, OPTIMIZERS, check_optimizer, make_optimizer, schedule_lr
from fmnist_core.nn.models import CLASSIC_HIDDEN


@dataclass(frozen=True)
class TrainConfig:
    model: str = "mlp"  # "mlp" | "cnn_v2" | "cnn_v1" ("cnn": cnn_v1, as in older checkpoints)
    hidden: tuple[int, ...] = CLASSIC_HIDDEN  # MLP: hidden sizes; cnn_v2: channels of its conv blocks
    activation: str = "relu"
    activation_params: tuple[tuple[str, float], ...] = ()  # as pairs, so the config stays hashable
    dropout: float = 0.2
    batchnorm: bool | None = None  # None: the model's own (the MLP without, the CNNs with)
    init: str = "default"
    init_params: tuple[tuple[str, float], ...] = ()  # e.g. (("std", 0.01),) for "normal"
    optimizer: str = "adam"
    lr: float = 3e-3  # peak lr for one-cycle/cosine; Adam 3e-3 is the classic MLP recipe
    optimizer_params: tuple[tuple[str, float], ...] = ()  # e.g. (("beta1", 0.8),); its Params' defaults otherwise
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    warmup: float = 0.2  # fraction of the run spent warming up (one-cycle)
    batch_size: int = 512  # large batches + one-cycle beat batch 64 per second on a CPU
    epochs: int = 20
    time_budget: float | None = None  # seconds; the schedule then follows the clock
    normalization: str = "standard"
    label_smoothing: float = 0.0
    loss: str = "cross_entropy"  # or "mse": MSE of the softmax outputs against one-hot targets
    flip: bool = False  # mirror a random half of each training batch (a left/right garment is the same garment)
    shift: int = 0  # move each training image by up to this many pixels on each axis (0: off)
    erase: float = 0.0  # probability that a training image has a random rectangle blacked out (0: off)
    tta_flip: bool = False  # test: average the logits of each image and its mirror
    seed: int = 0
    event_every: int = 20  # steps between progress events
    eval_every: int = 1  # epochs between test evaluations (0: only at the end)
    amp: bool | None = None  # bfloat16 autocast; None: on where the device computes bf16 fast (fast_bf16)
    channels_last: bool = True  # CNNs only: ~1.6x faster convolutions on a CPU

    def __post_init__(self):
        if self.optimizer_params:  # checked against the registry: a wrong name or range fails here, not mid-run
            spec = check_optimizer(self.optimizer)
            own = {p.name: p for p in spec.params}
            for name, value in self.optimizer_params:
                if name not in own:
                    raise ValueError(f"{spec.label} has no parameter {name!r}; "
                                     f"its parameters: {', '.join(own) or 'none besides the learning rate'}")
                own[name].check(value, spec.name)

    def with_(self, **kw) -> "TrainConfig":
        return replace(self, **kw)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        for name in PAIRS:
            d[name] = dict(getattr(self, name))
        return d

    @staticmethod
    def from_dict(d: dict) -> "TrainConfig":
        d = dict(d)
        if "hidden" in d:
            d["hidden"] = tuple(int(h) for h in d["hidden"])
        if "momentum" in d and "optimizer_params" not in d:  # saved when momentum was the one such setting
            spec = OPTIMIZERS.get(d.get("optimizer", TrainConfig.optimizer))
            d["optimizer_params"] = {"momentum": d["momentum"]} if spec and MOMENTUM in spec.params else {}
        for name in PAIRS:
            if name in d:
                ap = d[name]
                d[name] = tuple(sorted(ap.items())) if isinstance(ap, dict) else tuple(tuple(p) for p in ap)
        known = {f for f in TrainConfig.__dataclass_fields__}
        return TrainConfig(**{k: v for k, v in d.items() if k in known})


PAIRS = ("activation_params", "init_params", "optimizer_params")  # (name, value) pairs; dicts in to_dict()


# Fastest recipes found on a 2-core CPU (see bench/time_to_accuracy.py and the README).
RECIPES = {
    "mlp": TrainConfig(model="mlp", lr=5e-3, batch_size=512, dropout=0.2, epochs=22),
    # The CNN of the live demo: cnn_v2 (three strided conv blocks, one linear layer), mirrored
    # training images, test-time mirror, label smoothing; measured against cnn_v1 in the bench.
    # 24-48-96 channels and lr 8e-3 (was 32-64-128, 5e-3): more epochs fit a 30 s budget.
    "cnn": TrainConfig(model="cnn_v2", hidden=(24, 48, 96), lr=8e-3, batch_size=256, dropout=0.0, epochs=8,
                       label_smoothing=0.1, flip=True, tta_flip=True),
    "cnn_v1": TrainConfig(model="cnn_v1", lr=5e-3, batch_size=256, dropout=0.25, epochs=8),  # the first CNN
}
# With LONG_BUDGET seconds or more, capacity pays more than epochs: the same CNN, twice as wide.
LONG_BUDGET = 90.0
LONG_RECIPES = {"cnn": RECIPES["cnn"].with_(hidden=(48, 96, 192))}


def recipe_for(name: str, budget: float | None = None) -> TrainConfig:
    """The recipe `name` ("mlp", "cnn", "cnn_v1") for a run of `budget` seconds (None: a run by epochs)."""
    if name in LONG_RECIPES and budget is not None and budget >= LONG_BUDGET:
        return LONG_RECIPES[name]
    return RECIPES[name]


def config_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    """The optimizer a config names, with its learning rate, weight decay and own hyperparameters."""
    return make_optimizer(cfg.optimizer, params, cfg.lr, cfg.weight_decay, **dict(cfg.optimizer_params))


def lr_at(cfg: TrainConfig, progress: float) -> float:
    """Learning rate at `progress` in [0, 1] of the run."""
    return schedule_lr(cfg.schedule, cfg.lr, progress, cfg.warmup)
