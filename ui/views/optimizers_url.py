"""The URL settings of page 5 · Optimizers (fmnist_core.engine.url_state fields), read by the page and by the
page registry without running the page."""
from fmnist_core.engine import url_state as U
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS, LR, OPTIMIZERS
from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from fmnist_core.optimizers.settings import HYPER

TABS = {"race": "① Race on a loss surface", "batch": "② Mini-batches: noisy directions",
        "fmnist": "③ Race on Fashion-MNIST"}
SURFACE_LABELS = {**{k: s.label for k, s in S.SURFACES.items()}, "network": "A real network's loss (toy net)"}
SCHEMA = {
    "view": U.Choice("race", tuple(TABS)),
    "surface": U.Choice("valley", tuple(SURFACE_LABELS)),
    "kappa": U.Float(S.KAPPA.default, S.KAPPA.low, S.KAPPA.high),
    "opts": U.MultiChoice(("sgd", "momentum", "adagrad", "adam"), tuple(OPTIMIZERS), 1, len(OPTIMIZERS)),
    "lr": U.Float(S.lr_preset("valley", "good")[0], LR.low, LR.high),
    "lra": U.Float(S.lr_preset("valley", "good")[1], LR.low, LR.high),
    **{p.name: U.Float(p.default, p.low, p.high) for p in HYPER},
    "steps": U.Int(300, 10, R.MAX_STEPS),
    "x0": U.Float(S.SURFACES["valley"].start[0], -10.0, 10.0),
    "y0": U.Float(S.SURFACES["valley"].start[1], -10.0, 10.0),
    "dirs": U.Choice("random", ("random", "weights")),
    "dseed": U.Int(0, 0, 999),
    "wi": U.Int(0, 0, 40),
    "wj": U.Int(24, 0, 40),
    "show3d": U.Bool(False),
    "mblr": U.Float(1.0, LR.low, LR.high),
    "mbsteps": U.Int(200, 20, 1000),
    "fmopts": U.MultiChoice(CLASSIC_OPTIMIZERS, tuple(OPTIMIZERS), 1, len(OPTIMIZERS)),
    "secs": U.Int(4, 2, 15),
}
