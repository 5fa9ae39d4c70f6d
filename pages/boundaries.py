"""2 · Decision boundaries: each hidden unit draws a line; two units re-encode XOR so that one line
separates it; more units give smoother boundaries, and too many overfit. Trained live in the page."""
import time

import streamlit as st

from fmnist_core import url_state as us
from fmnist_core.activations import ACTIVATIONS
from fmnist_core.optim import CLASSIC_OPTIMIZERS, OPTIMIZERS, labels
from fmnist_core.toy_data import DATASETS, make_dataset
from fmnist_core.packed import GROWTH_WIDTHS, capped_epochs, train_growth
from fmnist_core.plane import grid_probabilities, linear_accuracy, pca_2d, unit_lines, unit_maps
from fmnist_core.toy_net import MAX_LAYERS, MAX_UNITS, uses_surrogate
from fmnist_core.toy_run import ToyRun
from ui import boundary_figures as bf
from ui.common import bind_url, device, ensure_router, show_url_notes, write_url

ensure_router()

P = "boundaries"
RUN, RUN_KEY, RUNNING, REPLAY, TICKS = (f"{P}_run", f"{P}_run_key", f"{P}_running", f"{P}_replay", f"{P}_ticks")
RUN_EVERY = 0.25  # s between live updates; a toy net trains `speed` epochs in a few ms, drawing costs the rest
TRAIN_BUDGET = 0.1  # s of training per update at most (mini-batches of 1 on 2,000 points are 100x slower)
MAX_GROWTH_STEPS = 10_000  # optimizer steps per growth grid: ~1-3 s here; more would block the page
MAX_EPOCHS = 20_000  # a forgotten tab stops here
OPT_LABELS = labels(OPTIMIZERS)
LRS = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3")
BATCHES = ("full", "1", "10", "32", "100")
SPEEDS = ("1", "2", "5", "10", "25", "50", "100")
SCHEMA = {
    "dataset": us.Choice("xor", tuple(DATASETS)),
    "noise": us.Float(0.2, 0.0, 1.0),
    "points": us.Int(400, 20, 2000),
    "test": us.Float(0.5, 0.1, 0.9),
    "seed": us.Int(0, 0, 9999),
    "layers": us.Int(1, 1, MAX_LAYERS),
    "units": us.Int(2, 1, MAX_UNITS),
    "act": us.Choice("tanh", tuple(ACTIVATIONS)),
    "opt": us.Choice("adam", CLASSIC_OPTIMIZERS),  # the lecture's four: every link made so far keeps working
    "lr": us.Choice("0.03", LRS),
    "batch": us.Choice("full", BATCHES),
    "lecture": us.Bool(False),
    "speed": us.Choice("10", SPEEDS),
    "show_test": us.Bool(True),
    "discrete": us.Bool(False),
    "gepochs": us.Choice("1000", ("250", "1000", "3000")),
}
_BASE = dict(dataset="xor", noise=0.2, points=400, test=0.5, seed=0, layers=1, units=2, act="tanh", opt="adam",
             lr="0.03", batch="full", lecture=False, gepochs="1000")
PRESETS = {  # label -> the whole experiment, so that a button gives everyone the same picture
    "Lecture: XOR, 2 steps": dict(_BASE, act="step", lecture=True, lr="0.1"),
    "XOR, 2 tanh units": dict(_BASE),
    "Spiral, 32 units": dict(_BASE, dataset="spiral", noise=0.1, points=600, units=32),
    # 30 training points, 270 test points: train accuracy reaches 100%, test stays near 80%.
    "Overfitting": dict(_BASE, dataset="moons", noise=0.35, points=300, test=0.9, units=32, gepochs="3000"),
}


def k(name: str) -> str:
    return f"{P}_{name}"


def apply_preset(values: dict) -> None:
    for name, v in values.items():
        st.session_state[k(name)] = v


def lecture_allowed(s: dict) -> bool:
    return s["dataset"] == "xor" and s["layers"] == 1 and s["units"] == 2


# --------------------------------------------------------------------------- settings

st.title("Decision boundaries")
show_url_notes(bind_url(P, SCHEMA))

with st.sidebar:
    st.subheader("Data")
    st.selectbox("Dataset", list(DATASETS), key=k("dataset"), format_func=lambda n: DATASETS[n].label)
    st.slider("Noise (std of each coordinate)", 0.0, 1.0, step=0.05, key=k("noise"))
    st.slider("Points", 20, 2000, step=10, key=k("points"))
    st.slider("Share kept for testing", 0.1, 0.9, step=0.05, key=k("test"))
    st.number_input("Seed", 0, 9999, step=1, key=k("seed"))
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
                help="XOR with one hidden layer of 2 units: unit 1 fires unless x₂ − x₁ > 1, unit 2 fires "
                     "unless x₁ − x₂ > 1. Only the output unit trains.")

S = {name: st.session_state[k(name)] for name in SCHEMA}
write_url(P, SCHEMA)
lecture = bool(S["lecture"]) and lecture_allowed(S)
batch = 0 if S["batch"] == "full" else int(S["batch"])
hidden = (int(S["units"]),) * int(S["layers"])

st.markdown(
    "A hidden unit computes **w₁x₁ + w₂x₂ + b** and passes it through an activation: it is a **linear "
    "classifier**, a line with a positive side. Train a small network on red and blue points and watch its "
    "units' lines combine into a boundary, smoother as the hidden units grow. Every setting is in the address "
    "bar: copy it to share the experiment."
)
cols = st.columns([0.5] + [1] * len(PRESETS), vertical_alignment="center")
cols[0].markdown("**Try:**")
for col, (label, values) in zip(cols[1:], PRESETS.items()):
    col.button(label, key=k(f"preset_{list(PRESETS).index(label)}"), on_click=apply_preset, args=(values,),
               width="stretch")

try:
    data = make_dataset(S["dataset"], int(S["points"]), float(S["noise"]), float(S["test"]), int(S["seed"]))
except ValueError as e:
    st.error(f"Cannot make this dataset: {e}")
    st.stop()

run_key = (S["dataset"], S["noise"], S["points"], S["test"], S["seed"], hidden, S["act"], S["opt"], S["lr"],
           batch, lecture, str(device()))
if st.session_state.get(RUN_KEY) != run_key or RUN not in st.session_state:
    st.session_state[RUN] = ToyRun.create(data.to(device()), hidden, S["act"], S["opt"], float(S["lr"]), batch,
                                           int(S["seed"]), lecture_lines=lecture, device=device())
    st.session_state[RUN_KEY] = run_key
    st.session_state[RUNNING] = False
    st.session_state[REPLAY] = 0

# --------------------------------------------------------------------------- live controls


def _start() -> None:
    st.session_state[RUNNING] = True
    st.session_state[TICKS] = []


def _pause() -> None:
    st.session_state[RUNNING] = False
    st.session_state[REPLAY] = st.session_state[RUN].epoch


def _step() -> None:
    run = st.session_state[RUN]
    run.advance(1)
    st.session_state[REPLAY] = run.epoch


def _reset() -> None:
    st.session_state.pop(RUN_KEY, None)  # the next run builds a fresh network from the settings
    st.session_state[RUNNING] = False


running = bool(st.session_state.get(RUNNING))
c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
if running:
    c1.button("⏸ Pause", key=k("pause"), on_click=_pause, width="stretch", type="primary")
else:
    c1.button("▶ Start", key=k("start"), on_click=_start, width="stretch", type="primary")
c2.button("⏭ Step (1 epoch)", key=k("step"), on_click=_step, disabled=running, width="stretch")
c3.button("↺ Reset", key=k("reset"), on_click=_reset, width="stretch")
c4.select_slider("Epochs per update", SPEEDS, key=k("speed"),
                 help=f"The pictures update about {1 / RUN_EVERY:.0f} times a second while training.")


@st.fragment(run_every=RUN_EVERY if running else None)
def live_views() -> None:
    run: ToyRun = st.session_state[RUN]
    is_running = bool(st.session_state.get(RUNNING))
    if is_running:
        run.advance(int(st.session_state[k("speed")]), max_seconds=TRAIN_BUDGET)
        ticks = st.session_state.setdefault(TICKS, [])
        ticks.append(time.time())
        del ticks[:-12]
        if run.epoch >= MAX_EPOCHS:
            st.session_state[RUNNING] = False
            st.rerun()
    shown = run.epoch
    if not is_running and run.epoch > 0:
        st.session_state[REPLAY] = min(int(st.session_state.get(REPLAY, run.epoch)), run.epoch)
        shown = st.slider("Replay: show the network as it was at epoch", 0, run.epoch, key=REPLAY,
                          help="Snapshots of this run are kept; drag back to watch the boundary form.")
    epoch, net = run.at_epoch(shown)
    m = run.metrics(net)
    ticks = st.session_state.get(TICKS, [])
    rate = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if is_running and len(ticks) > 2 else None
    status = (f"**Epoch {epoch:,}**" + (f" of {run.epoch:,} (replay)" if epoch != run.epoch else "")
              + (f" · training, {rate:.1f} updates/s" if rate else " · training…" if is_running else "")
              + (" · paused" if not is_running and run.epoch else ""))
    st.markdown(status)

    # ---- 1 · the boundary
    st.subheader("1 · The boundary: the network's answer everywhere in the plane")
    left, right = st.columns([3, 2])
    with right:
        a, b = st.columns(2)
        a.metric("Train accuracy", f"{m['train_acc']:.1%}")
        b.metric("Test accuracy", f"{m['test_acc']:.1%}")
        a.metric("Train loss", f"{m['train_loss']:.3f}")
        b.metric("Test loss", f"{m['test_loss']:.3f}")
        t1, t2 = st.columns(2)
        t1.toggle("Show test points", key=k("show_test"))
        t2.toggle("Discretize", key=k("discrete"), help="Only the two sides of P(red) = 0.5")
        st.plotly_chart(bf.loss_figure(run.curves(), marker_epoch=epoch if epoch != run.epoch else None),
                        key=k("loss_chart"), config={"displayModeBar": False})
    show_test, discrete = st.session_state[k("show_test")], st.session_state[k("discrete")]
    prob = grid_probabilities(net, data.extent)[0]
    with left:
        fig = bf.boundary_figure(prob, data.extent, data.x_train, data.y_train,
                                 data.x_test if show_test else None, data.y_test if show_test else None,
                                 discretize=discrete)
        st.plotly_chart(fig, key=k("boundary_chart"), config={"displayModeBar": False})
    st.caption(
        "The colour is the network's probability that a point is **red**, computed at 200×200 places; the "
        "boundary is where it crosses 0.5. Points with a white ring are the training points; with a black ring, "
        "the test points the network never learns from. Train accuracy far above test accuracy is overfitting."
    )

    # ---- 2 · the hidden units
    st.subheader("2 · Each hidden unit is a line")
    W, bias = net.layer(0, 0)
    lines = unit_lines(W.cpu().numpy(), bias.cpu().numpy(), data.extent,
                       arrow=(0.2 if W.shape[1] <= 8 else 0.1) * data.extent)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(bf.units_figure(lines, data.extent, data.x_train, data.y_train), key=k("units_chart"),
                        config={"displayModeBar": False})
    with right:
        st.markdown("**Each unit's output over the plane**" + (" (layer.unit)" if len(hidden) > 1 else "")
                    + "  \n:green[green: positive] · white: 0 · :violet[purple: negative]")
        st.plotly_chart(bf.thumbnails_figure(unit_maps(net, data.extent, 40)), key=k("thumbs_chart"),
                        config={"displayModeBar": False})
        hidden_off = sum(ln is None for ln in lines)
        if hidden_off:
            st.caption(f"{hidden_off} unit line{'s lie' if hidden_off > 1 else ' lies'} outside the square: "
                       "such a unit is on one side everywhere shown.")
    st.caption(
        "Each unit of the first hidden layer draws the line where **w₁x₁ + w₂x₂ + b = 0**; the arrow points "
        "to the side where that sum is positive (where a step unit fires, where a tanh unit is above 0). The "
        "squares show each unit's output over the same plane, green where it is positive: the boundary above "
        "is built from these pieces."
        + (" Units of the second and third layers combine lines, so their squares show curves." if len(hidden) > 1
           else "")
    )
    if uses_surrogate(S["act"]):
        st.info(
            "**The step has slope 0 everywhere** (and none at 0), so backpropagation gets no signal through it. "
            + ("Here the hidden layer is **set by hand to the lecture's two lines** and only the output unit "
               "learns." if lecture else
               "So that its lines can still move, this page trains the hidden layers with a stand-in slope, "
               "that of a steep sigmoid, while the forward pass stays a true step (the *straight-through* "
               "trick). For XOR with 2 units you can instead fix the lecture's lines (sidebar)."),
            icon="ℹ️")

    # ---- 3 · the encoding
    st.subheader("3 · The encoding: the points as the hidden units see them")
    enc = net.hidden_outputs(data.x_train)[-1].cpu().numpy()
    h = enc.shape[1]
    v, c = net.layer(0, len(hidden))
    v, c = v.cpu().numpy().reshape(-1), float(c)
    share = None
    shown_enc = enc
    if h >= 4:
        shown_enc, share = pca_2d(enc)
    lin_in = linear_accuracy(data.x_train, data.y_train)
    lin_enc = linear_accuracy(enc, data.y_train)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(bf.encoding_figure(shown_enc, data.y_train.cpu().numpy(), v, c, share),
                        key=k("encoding_chart"), config={"displayModeBar": False})
    with right:
        st.markdown("**How many points one straight line separates**")
        a, b = st.columns(2)
        a.metric("Input plane", f"{lin_in:.0%}",
                 help="Training accuracy of the best straight line (logistic regression) on (x₁, x₂).")
        b.metric("Hidden space", f"{lin_enc:.0%}",
                 help="Training accuracy of the best straight line (hyperplane) on the hidden outputs.")
        layer_name = "the last hidden layer" if len(hidden) > 1 else "the hidden layer"
        where = {1: "a₁ across (one row per class); the dashed line is the output unit's threshold",
                 2: "(a₁, a₂); the dashed line is where the output unit's sum is 0",
                 3: "(a₁, a₂, a₃); the grey plane is where the output unit's sum is 0"}.get(
            h, f"the two directions in which the {h} outputs vary most (PCA); the output unit's hyperplane lives "
               f"in all {h} dimensions, so it is not drawn")
        st.markdown(
            f"Each training point, re-drawn at the outputs of {layer_name}: {where}. The output unit is again a "
            "linear classifier, so the network is right exactly where **one straight line separates the "
            "encoding**.")
        if S["dataset"] == "xor" and h == 2:
            st.markdown(
                "With two units on XOR, red points go where **exactly one unit fires** ((0, 1) or (1, 0)) and blue "
                "points where **both fire** (1, 1): in the new encoding one line separates them, which no single "
                "line can do in the input plane.")
        if uses_surrogate(S["act"]):
            st.caption("A step outputs only 0 or 1, so the points collapse onto the corners (counts on the "
                       "corners). With tanh or ReLU each point keeps its own position: more information is kept, "
                       "one reason steps are not used in hidden layers.")
        else:
            st.caption("With a step the points would collapse onto the corners; this activation keeps each point "
                       "at its own position, so more information survives.")
    write_url(P, SCHEMA)  # the toggles above live in this fragment: a click reruns only it


live_views()

# --------------------------------------------------------------------------- 4 · growth


@st.cache_data(max_entries=32, show_spinner="Training the 7 networks…")
def growth(dataset: str, noise: float, points: int, test: float, seed: int, layers: int, act: str, opt: str,
           lr: float, batch: int, epochs: int, device_name: str) -> dict:
    d = make_dataset(dataset, points, noise, test, seed)
    g = train_growth(d.to(device_name), GROWTH_WIDTHS, layers, act, opt, lr, epochs, batch, seed, device_name)
    return dict(probs=g.probabilities(d.extent, 100), train_acc=g.train_acc, test_acc=g.test_acc,
                seconds=g.seconds, packed=g.packed)


st.subheader("4 · More hidden units: smoother boundaries, then overfitting")
gcol1, gcol2 = st.columns([4, 1])
gcol2.selectbox("Epochs for each", ("250", "1000", "3000"), key=k("gepochs"))
g_epochs = capped_epochs(int(S["gepochs"]), len(data.x_train), batch, MAX_GROWTH_STEPS)
g = growth(S["dataset"], float(S["noise"]), int(S["points"]), float(S["test"]), int(S["seed"]), int(S["layers"]),
           S["act"], S["opt"], float(S["lr"]), batch, g_epochs, str(device()))
gcol1.markdown(
    f"The same data and seed, trained with {', '.join(map(str, GROWTH_WIDTHS))} units per hidden layer "
    f"({g_epochs} epochs each, {len(hidden)} hidden layer{'s' if len(hidden) > 1 else ''}, "
    f"{ACTIVATIONS[S['act']].label}, {OPT_LABELS[S['opt']]} at {S['lr']}). More units mean more lines, so a smoother, "
    "more flexible boundary (10 units are smoother than 2); too many fit the noise of the training points: "
    "train accuracy keeps rising while test accuracy stalls or falls.")
if g_epochs < int(S["gepochs"]):
    st.caption(f"Only {g_epochs} epochs: with batches of {batch} points that is already {MAX_GROWTH_STEPS:,} "
               "steps per network, the most this page trains here at once.")
st.plotly_chart(bf.growth_figure(g["probs"], GROWTH_WIDTHS, data.extent, data.x_train, data.y_train,
                                 g["train_acc"], g["test_acc"]), key=k("growth_chart"),
                config={"displayModeBar": False})
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(bf.growth_accuracy_figure(GROWTH_WIDTHS, g["train_acc"], g["test_acc"]),
                    key=k("growth_acc_chart"), config={"displayModeBar": False})
with right:
    best = int(GROWTH_WIDTHS[int(g["test_acc"].argmax())])
    st.metric("Best test accuracy", f"{g['test_acc'].max():.1%}", help=f"reached with {best} units")
    st.caption(
        f"All 7 networks trained in **{g['seconds']:.2f} s** on `{device()}`"
        + (", packed side by side into one wide network whose weights never cross between them (each learns "
           "exactly as it would alone)." if g["packed"] else ", one after another.")
        + " Try *Overfitting* at the top: 30 noisy training points.")
