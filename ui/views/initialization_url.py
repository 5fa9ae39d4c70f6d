"""The URL settings of page 4 · Weight initialization (fmnist_core.engine.url_state fields), read by the page
and by the page registry without running the page."""
from fmnist_core.engine import url_state as U
from fmnist_core.initialization import compare as init_compare, stats as init_stats
from fmnist_core.initialization.settings import OPT_LRS, SCALES
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.weight_init import INITS

TOY = init_compare.toy_names()
DATA_LABELS = {"fashion": "Fashion-MNIST (784 pixels)", **{n: f"Toy 2D: {n}" for n in TOY}}
TABS = {"activations": "① Activations through depth", "gradients": "② Gradients per layer",
        "symmetry": "③ Symmetry: all units alike", "train": "④ Train and compare"}
SCHEMA = {
    "data": U.Choice("fashion", tuple(DATA_LABELS)),
    "depth": U.Int(10, 1, init_stats.MAX_DEPTH),
    "width": U.Int(256, init_stats.WIDTHS[0], init_stats.WIDTHS[-1]),
    "act": U.Choice("tanh", tuple(ACTIVATIONS)),
    "init": U.Choice("standard_normal", tuple(INITS)),
    **{name: U.Float(p.default, p.low, p.high) for name, p in SCALES.items()},
    "gain": U.Bool(True),
    "noise": U.Bool(False),
    "cmp": U.MultiChoice(("normal", "standard_normal", "xavier_normal", "he_normal"), tuple(INITS), 2, 5),
    "secs": U.Int(8, 2, 15),
    "opt": U.Choice("momentum", tuple(OPT_LRS)),
    "view": U.Choice("activations", tuple(TABS)),
}
