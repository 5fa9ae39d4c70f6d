"""The URL settings of page 1 · Neurons & activations (fmnist_core.engine.url_state fields), read by the
page and by the page registry without running the page."""
from fmnist_core.basics import activation_lab as lab
from fmnist_core.basics.neuron import FLU
from fmnist_core.engine import url_state as us
from fmnist_core.nn.activations import ACTIVATIONS

NAMES = tuple(ACTIVATIONS)
PARAM_FIELDS = {f"{n}_{p.name}": us.Float(p.default, p.low, p.high)
                for n, spec in ACTIVATIONS.items() for p in spec.params}
SCHEMA = {
    "x1": us.Bool(True), "x2": us.Bool(False), "x3": us.Bool(True),
    "w1": us.Float(FLU.weights[0], -10.0, 10.0), "w2": us.Float(FLU.weights[1], -10.0, 10.0),
    "w3": us.Float(FLU.weights[2], -10.0, 10.0), "threshold": us.Float(FLU.threshold, -20.0, 20.0),
    "show": us.MultiChoice(("sigmoid", "tanh", "relu"), NAMES, min_items=1, max_items=6),
    "xmax": us.Float(4.0, 1.0, 10.0),
    **PARAM_FIELDS,
    "train": us.MultiChoice(("step", "sigmoid", "relu", "srelu"), NAMES,
                            min_items=lab.MIN_COMPARE, max_items=lab.MAX_COMPARE),
    "budget": us.Float(8.0, 1.0, 30.0),
}
