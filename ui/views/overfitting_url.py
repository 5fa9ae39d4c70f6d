"""The URL settings of page 10 · Overfitting and its cures (fmnist_core.engine.url_state fields), read by the
page and by the page registry without running the page."""
from __future__ import annotations

from fmnist_core.engine import url_state as us
from fmnist_core.overfitting import batchnorm_seen as bs
from fmnist_core.overfitting import inputs
from fmnist_core.overfitting import lab

VIEWS = {"lab": "① Overfit, then cure", "inputs": "② Normalize the inputs", "bn": "③ Batch norm, seen"}
SIZE_OPTIONS = tuple(str(n) for n in lab.SIZES)
ERASE_OPTIONS = ("0", "0.25", "0.5")
DECAY_OPTIONS = ("0", "0.0001", "0.001", "0.01")

SCHEMA = {
    "view": us.Choice("lab", tuple(VIEWS)),
    "model": us.Choice("mlp", tuple(lab.MODELS)),
    "n": us.Choice("500", SIZE_OPTIONS),
    "epochs": us.Int(lab.default_epochs(500), 5, 200),
    "flip": us.Bool(False),
    "shift": us.Int(0, 0, max(lab.SHIFTS)),
    "erase": us.Choice("0", ERASE_OPTIONS),
    "dropout": us.Float(0.0, 0.0, 0.6),
    "wd": us.Choice("0", DECAY_OPTIONS),
    "bn": us.Bool(False),
    "early": us.Bool(False),
    "seed": us.Int(0, 0, 9999),
    "opt": us.Choice("momentum", tuple(inputs.OPTIMIZERS)),
    "act": us.Choice("sigmoid", bs.ACTS),
    "init": us.Choice("default", bs.INITS),
}


def lab_settings(s: dict) -> lab.LabSettings:
    """The lab run that settings `s` (the schema's names) describe."""
    cures = lab.Cures(flip=bool(s["flip"]), shift=int(s["shift"]), erase=float(s["erase"]),
                      dropout=round(float(s["dropout"]), 2), weight_decay=float(s["wd"]), batchnorm=bool(s["bn"]),
                      early_stopping=bool(s["early"]))
    return lab.LabSettings(model=s["model"], n_train=int(s["n"]), epochs=int(s["epochs"]), cures=cures,
                           seed=int(s["seed"]))
