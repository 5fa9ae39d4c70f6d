"""2 · Decision boundaries: each hidden unit draws a line; two units re-encode XOR so that one line
separates it; more units give smoother boundaries, too many overfit, and regularization or the right
input features cure it. Trained live as a toy job: the server trains ahead and the browser plays the
frames (ui/views/boundaries_live.py); the student can click points onto the plane. The growth grid
trains as a short job (ui/views/boundaries_growth.py)."""
import streamlit as st

from fmnist_core.toy import own_points as op
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.toy.features import FEATURES, PLAIN
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS, OPTIMIZERS, labels
from fmnist_core.toy.packed import GROWTH_WIDTHS, capped_epochs, train_growth
from fmnist_core.toy.regularization import DROPOUTS, L1_RATES, L2_RATES, Regularization
from fmnist_core.toy.data import make_dataset
from fmnist_core.toy.net import MAX_LAYERS, MAX_UNITS, uses_surrogate
from fmnist_core.toy.run import ToyRun
from ui.kit import live, presenter
from ui.kit.common import bind_url, device, ensure_router, show_url_notes, write_url
from ui.kit.toy_data_sidebar import data_section
from ui.kit.widgets import keys
from ui.views import boundaries as views
from ui.views import boundaries_growth as growth
from ui.views import boundaries_live as live_view
from ui.views.boundaries_url import BATCHES, DATASET_LABELS, LRS, OWN, SCHEMA, SPEEDS

ensure_router()

P = "boundaries"
k = keys(P)
MAX_GROWTH_STEPS = 10_000  # optimizer steps per growth grid: ~1-3 s here, as a short job
OPT_LABELS = labels(OPTIMIZERS)
_BASE = dict(dataset="xor", noise=0.2, points=400, test=0.5, seed=0, inputs=PLAIN, layers=1, units=2, act="tanh",
             opt="adam", lr="0.03", batch="full", lecture=False, l2="0", l1="0", dropout="0", gepochs="1000", pts="")
_OVERFIT = dict(_BASE, dataset="moons", noise=0.35, points=300, test=0.9, units=32, gepochs="3000")
PRESETS = {  # label -> the whole experiment, so that a button gives everyone the same picture
    "Lecture: XOR, 2 steps": dict(_BASE, act="step", lecture=True, lr="0.1"),
    "XOR, 2 tanh units": dict(_BASE),
    "Spiral, 32 units": dict(_BASE, dataset="spiral", noise=0.1, points=600, units=32),
    # 30 training points, 270 test points: train accuracy reaches 100%, test stays near 79%.
    "Overfitting": _OVERFIT,
    # The same with L2 0.03: train 93%, test 83% (measured, seed 0): the gap closes.
    "Overfitting, cured by L2": dict(_OVERFIT, l2="0.03"),
    # One linear unit on x1^2 and x2^2: the squared radius separates the rings.
    "Circles: features, no hidden power": dict(_BASE, dataset="circles", noise=0.1, inputs=("x1sq", "x2sq"),
                                                units=1, act="linear"),
}


def apply_preset(values: dict) -> None:
    for name, v in values.items():
        st.session_state[k(name)] = list(v) if name == "inputs" else v


def lecture_allowed(s: dict) -> bool:
    return s["dataset"] == "xor" and s["layers"] == 1 and s["units"] == 2 and tuple(s["inputs"]) == PLAIN


# --------------------------------------------------------------------------- settings

about = presenter.header("Decision boundaries", "ℹ️ About this page · presets")  # presenter mode: folded, beside
show_url_notes(bind_url(P, SCHEMA))
if isinstance(st.session_state.get(k("inputs")), tuple):
    st.session_state[k("inputs")] = list(st.session_state[k("inputs")])

with st.sidebar:
    data_section(k, DATASET_LABELS, fixed=(OWN,))
    st.subheader("Inputs")
    st.pills("Features the network sees", list(FEATURES), selection_mode="multi", key=k("inputs"),
             format_func=lambda n: FEATURES[n].label, help="As in TensorFlow Playground: the first layer reads these.")
    st.subheader("Network")
    st.slider("Hidden layers", 1, MAX_LAYERS, key=k("layers"))
    st.slider("Units per hidden layer", 1, MAX_UNITS, key=k("units"))
    st.selectbox("Activation", list(ACTIVATIONS), key=k("act"), format_func=lambda n: ACTIVATIONS[n].label)
    st.selectbox("Optimizer", list(CLASSIC_OPTIMIZERS), key=k("opt"), format_func=OPT_LABELS.get)
    st.select_slider("Learning rate", LRS, key=k("lr"))
    st.selectbox("Batch size", BATCHES, key=k("batch"),
                 format_func=lambda b: "full batch (all training points)" if b == "full" else f"{b} points")
    _now = {name: st.session_state[k(name)] for name in SCHEMA}
    st.checkbox("Fix the hidden layer to the lecture's two lines", key=k("lecture"),
                disabled=not lecture_allowed(_now),
                help="XOR with one hidden layer of 2 units on x₁, x₂: unit 1 fires unless x₂ − x₁ > 1, unit 2 "
                     "fires unless x₁ − x₂ > 1. Only the output unit trains.")
    st.subheader("Regularization")
    st.caption("Change them while training: the network keeps learning with the new rates.")
    st.select_slider("L2 rate (weight decay)", L2_RATES, key=k("l2"))
    st.select_slider("L1 rate (pushes weights to exactly 0)", L1_RATES, key=k("l1"))
    st.select_slider("Dropout (share of hidden units dropped per step)", DROPOUTS, key=k("dropout"))

S = {name: st.session_state[k(name)] for name in SCHEMA}
inputs = tuple(n for n in FEATURES if n in (S["inputs"] or PLAIN))
if not S["inputs"]:
    st.warning("No input feature is selected: the network sees x₁ and x₂ until you pick at least one.")
write_url(P, SCHEMA)
lecture = bool(S["lecture"]) and lecture_allowed(S)
batch = 0 if S["batch"] == "full" else int(S["batch"])
hidden = (int(S["units"]),) * int(S["layers"])
reg = Regularization(float(S["l2"]), float(S["l1"]), float(S["dropout"]))
points, _ = op.decode(S["pts"])
dev = device()

with about:
    st.markdown(
        "A hidden unit computes **w₁x₁ + w₂x₂ + b** and passes it through an activation: it is a **linear "
        "classifier**, a line with a positive side. Train a small network on red and blue points and watch its "
        "units' lines combine into a boundary, smoother as the hidden units grow. Click on the plane to add your "
        "own points. Every setting is in the address bar: copy it to share the experiment."
    )
    cols = st.columns(2 if presenter.active() else len(PRESETS) // 2, vertical_alignment="center")  # a popover
    for i, (label, values) in enumerate(PRESETS.items()):
        cols[i % len(cols)].button(label, key=k(f"preset_{i}"), on_click=apply_preset, args=(values,),
                                   width="stretch")

try:
    base = (op.own_dataset([], 2.0) if S["dataset"] == OWN else
            make_dataset(S["dataset"], int(S["points"]), float(S["noise"]), float(S["test"]), int(S["seed"])))
except ValueError as e:
    st.error(f"Cannot make this dataset: {e}")
    st.stop()
data = op.with_points(base, points).to(dev)

# --------------------------------------------------------------------------- 1-3 · live, units, encoding

run_key = (S["dataset"], S["noise"], S["points"], S["test"], S["seed"], inputs, hidden, S["act"], S["opt"], S["lr"],
           batch, lecture, str(dev))
run = live_view.the_run(run_key, lambda: ToyRun.create(data, hidden, S["act"], S["opt"], float(S["lr"]), batch,
                                                       int(S["seed"]), lecture_lines=lecture, device=dev,
                                                       features=inputs, reg=reg))
run.use_data(data)  # points clicked: the same network trains on
run.tune(reg, int(S["speed"]))  # the rates and the speed may change while it trains
no_points = len(data.x_train) == 0
live_view.controls(run, run_key, SPEEDS, no_points, live.POLL_SECONDS)
if no_points:
    st.info("**Click on the plane** below to add red points, then blue ones (choose under the plane): your own "
            f"dataset, kept in the link (up to {op.MAX_POINTS} points).")


def details(net) -> None:
    """Sections 2 and 3 at the shown epoch (a network while the replay shows one, None while it trains)."""
    views.units_section(net, run.data, hidden, uses_surrogate(S["act"]), lecture, P)
    views.encoding_section(net, run.data, hidden, S["dataset"], uses_surrogate(S["act"]), P)


live_view.section(run, points, details, lambda: write_url(P, SCHEMA), live.POLL_SECONDS)

# --------------------------------------------------------------------------- 4 · growth

st.header("4 · More hidden units: smoother boundaries, then overfitting")
if no_points or len(data.x_test) == 0:
    st.caption("The growth grid compares train and test accuracy: it needs a generated dataset with test points.")
    st.stop()
gcol1, gcol2 = st.columns([4, 1])
gcol2.selectbox("Epochs for each", ("250", "1000", "3000"), key=k("gepochs"))
g_epochs = capped_epochs(int(S["gepochs"]), len(data.x_train), batch, MAX_GROWTH_STEPS)
regs = ", ".join(f"{n} {v}" for n, v in (("L2", S["l2"]), ("L1", S["l1"]), ("dropout", S["dropout"])) if v != "0")
gcol1.markdown(
    f"The same data and seed, trained with {', '.join(map(str, GROWTH_WIDTHS))} units per hidden layer "
    f"({g_epochs} epochs each, {len(hidden)} hidden layer{'s' if len(hidden) > 1 else ''}, "
    f"{ACTIVATIONS[S['act']].label}, {OPT_LABELS[S['opt']]} at {S['lr']}"
    + (f", {regs}" if regs else "") + (f", inputs {views.inputs_text(inputs)}" if inputs != PLAIN else "")
    + "). More units mean more lines, so a smoother, more flexible boundary (10 units are smoother than 2); too "
    "many fit the noise of the training points: train accuracy keeps rising while test accuracy stalls or falls. "
    "Regularization keeps the weights small, so the boundary stays simple.")
if g_epochs < int(S["gepochs"]):
    st.caption(f"Only {g_epochs} epochs: with batches of {batch} points that is already {MAX_GROWTH_STEPS:,} "
               "steps per network, the most this page trains here at once.")
grid_key = (S["dataset"], S["noise"], S["points"], S["test"], S["seed"], S["pts"], inputs, int(S["layers"]), S["act"],
            S["opt"], S["lr"], batch, g_epochs, (reg.l2, reg.l1, reg.dropout), str(dev))
g = growth.grid(grid_key, lambda control: train_growth(data, GROWTH_WIDTHS, int(S["layers"]), S["act"], S["opt"],
                                                       float(S["lr"]), g_epochs, batch, int(S["seed"]), dev,
                                                       features=inputs, reg=reg, control=control), data.extent, P)
if g is not None:
    growth.growth_charts(g, data, P, str(dev))
