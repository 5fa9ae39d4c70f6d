"""The URL settings of page 3 · How a network learns (fmnist_core.engine.url_state fields), read by the page
and by the page registry without running the page."""
from fmnist_core.basics import backprop as bp
from fmnist_core.engine import url_state as us
from fmnist_core.nn.losses import BINARY_LOSSES
from fmnist_core.toy.data import DATASETS, MAX_POINTS, url_fields

STAGES = ("forward", "loss", "backward", "update")
LRS = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10", "30", "100", "1000")
TEMPS = ("0.1", "0.25", "0.5", "1", "2", "5", "10")
WEIGHT_NAMES = tuple(bp.initial_weights(bp.MAX_UNITS, 0).named())
SCHEMA = {  # the decision-boundary page's names, so that its links open here with the same network
    **url_fields(DATASETS),  # dataset, noise, points, test, seed: the same on pages 2 and 3
    "units": us.Int(2, bp.MIN_UNITS, bp.MAX_UNITS),
    "act": us.Choice("tanh", bp.ACTIVATIONS),
    "lecture": us.Bool(False),
    "lr": us.Choice("1", LRS),
    "loss": us.Choice("bce", BINARY_LOSSES),
    "point": us.Int(0, 0, MAX_POINTS),
    "mb": us.Bool(False),
    "mbsize": us.Int(4, bp.MIN_BATCH, bp.MAX_BATCH),
    "stage": us.Choice("forward", STAGES),
    "weight": us.Choice("w11", WEIGHT_NAMES),
    "img": us.Int(48, 0, 9999),  # a pullover, class 2 as in the lecture (2 -> 0010000000); p = 0.65
    "temp": us.Choice("1", TEMPS),
    "start": us.Choice("wrong", ("wrong", "same")),
}
