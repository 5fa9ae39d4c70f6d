"""The URL settings of page 2 · Decision boundaries (fmnist_core.engine.url_state fields), read by the page
and by the page registry without running the page."""
from fmnist_core.engine import url_state as us
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.toy import own_points as op
from fmnist_core.toy.data import DATASETS, url_fields
from fmnist_core.toy.features import FEATURES, PLAIN
from fmnist_core.toy.net import MAX_LAYERS, MAX_UNITS
from fmnist_core.toy.regularization import DROPOUTS, L1_RATES, L2_RATES

LRS = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3")
BATCHES = ("full", "1", "10", "32", "100")
SPEEDS = ("1", "2", "5", "10", "25", "50", "100")
OWN = "own"  # the dataset of only the student's points
DATASET_LABELS = {**{n: s.label for n, s in DATASETS.items()}, OWN: "Only your own points"}
SCHEMA = {
    **url_fields(DATASET_LABELS),  # dataset, noise, points, test, seed: the same on pages 2 and 3
    "inputs": us.MultiChoice(PLAIN, tuple(FEATURES), min_items=1, max_items=len(FEATURES)),
    "layers": us.Int(1, 1, MAX_LAYERS),
    "units": us.Int(2, 1, MAX_UNITS),
    "act": us.Choice("tanh", tuple(ACTIVATIONS)),
    "opt": us.Choice("adam", CLASSIC_OPTIMIZERS),  # the lecture's four: every link made so far keeps working
    "lr": us.Choice("0.03", LRS),
    "batch": us.Choice("full", BATCHES),
    "lecture": us.Bool(False),
    "l2": us.Choice("0", L2_RATES),
    "l1": us.Choice("0", L1_RATES),
    "dropout": us.Choice("0", DROPOUTS),
    "speed": us.Choice("10", SPEEDS),
    "show_test": us.Bool(True),
    "discrete": us.Bool(False),
    "gepochs": us.Choice("1000", ("250", "1000", "3000")),
    "pts": op.PointsField(),
}
