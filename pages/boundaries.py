"""2 · Decision boundaries: each hidden unit draws a line; two units re-encode XOR so that one line
separates it; more units give smoother boundaries, too many overfit, and regularization or the right
input features cure it. Trained live: the server trains ahead and the browser plays the frames
(ui/kit/frame_player.py); the student can click points onto the plane."""
import streamlit as st

from fmnist_core.toy import own_points as op
from fmnist_core.engine import url_state as us
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.toy.features import FEATURES, PLAIN
from fmnist_core.engine.optim import CLASSIC_OPTIMIZERS, OPTIMIZERS, labels
from fmnist_core.toy.packed import GROWTH_WIDTHS, capped_epochs, train_growth
from fmnist_core.toy.regularization import DROPOUTS, L1_RATES, L2_RATES, Regularization
from fmnist_core.toy.data import DATASETS, make_dataset
from fmnist_core.toy.frames import MAX_ENCODED
from fmnist_core.toy.net import MAX_LAYERS, MAX_UNITS, uses_surrogate
from fmnist_core.toy.run import ToyRun
from ui.figures import boundaries as bf
from ui.views import boundaries as views
from ui.kit.common import bind_url, device, ensure_router, show_url_notes, write_url
from ui.kit.frame_player import player

ensure_router()

P = "boundaries"
RUN, RUN_KEY, RUNNING, REPLAY, SEQ = (f"{P}_run", f"{P}_run_key", f"{P}_running", f"{P}_replay", f"{P}_seq")
RUN_EVERY = 0.5  # s between batches of frames; the browser plays them in between
FRAMES_PER_RUN = 16  # 32 frames/s at most when a batch arrives every 0.5 s; ~15 when the machine is busy
TRAIN_BUDGET = 0.3  # s of training and frame-making per batch at most (mini-batches of 1 are 100x slower)
MAX_GROWTH_STEPS = 10_000  # optimizer steps per growth grid: ~1-3 s here; more would block the page
MAX_EPOCHS = 20_000  # a forgotten tab stops here
OPT_LABELS = labels(OPTIMIZERS)
LRS = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3")
BATCHES = ("full", "1", "10", "32", "100")
SPEEDS = ("1", "2", "5", "10", "25", "50", "100")
OWN = "own"  # the dataset of only the student's points
DATASET_LABELS = {**{n: s.label for n, s in DATASETS.items()}, OWN: "Only your own points"}
SCHEMA = {
    "dataset": us.Choice("xor", tuple(DATASET_LABELS)),
    "noise": us.Float(0.2, 0.0, 1.0),
    "points": us.Int(400, 20, 2000),
    "test": us.Float(0.5, 0.1, 0.9),
    "seed": us.Int(0, 0, 9999),
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


def k(name: str) -> str:
    return f"{P}_{name}"


def apply_preset(values: dict) -> None:
    for name, v in values.items():
        st.session_state[k(name)] = list(v) if name == "inputs" else v


def lecture_allowed(s: dict) -> bool:
    return s["dataset"] == "xor" and s["layers"] == 1 and s["units"] == 2 and tuple(s["inputs"]) == PLAIN


# --------------------------------------------------------------------------- settings

st.title("Decision boundaries")
show_url_notes(bind_url(P, SCHEMA))
if isinstance(st.session_state.get(k("inputs")), tuple):
    st.session_state[k("inputs")] = list(st.session_state[k("inputs")])

with st.sidebar:
    st.subheader("Data")
    st.selectbox("Dataset", list(DATASET_LABELS), key=k("dataset"), format_func=DATASET_LABELS.get)
    own_only = st.session_state[k("dataset")] == OWN
    st.slider("Noise (std of each coordinate)", 0.0, 1.0, step=0.05, key=k("noise"), disabled=own_only)
    st.slider("Points", 20, 2000, step=10, key=k("points"), disabled=own_only)
    st.slider("Share kept for testing", 0.1, 0.9, step=0.05, key=k("test"), disabled=own_only)
    st.number_input("Seed", 0, 9999, step=1, key=k("seed"))
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

st.markdown(
    "A hidden unit computes **w₁x₁ + w₂x₂ + b** and passes it through an activation: it is a **linear "
    "classifier**, a line with a positive side. Train a small network on red and blue points and watch its "
    "units' lines combine into a boundary, smoother as the hidden units grow. Click on the plane to add your own "
    "points. Every setting is in the address bar: copy it to share the experiment."
)
cols = st.columns(len(PRESETS) // 2, vertical_alignment="center")
for i, (label, values) in enumerate(PRESETS.items()):
    cols[i % len(cols)].button(label, key=k(f"preset_{i}"), on_click=apply_preset, args=(values,), width="stretch")

try:
    base = (op.own_dataset([], 2.0) if S["dataset"] == OWN else
            make_dataset(S["dataset"], int(S["points"]), float(S["noise"]), float(S["test"]), int(S["seed"])))
except ValueError as e:
    st.error(f"Cannot make this dataset: {e}")
    st.stop()
data = op.with_points(base, points)

run_key = (S["dataset"], S["noise"], S["points"], S["test"], S["seed"], inputs, hidden, S["act"], S["opt"], S["lr"],
           batch, lecture, str(device()))
if st.session_state.get(RUN_KEY) != run_key or RUN not in st.session_state:
    st.session_state[RUN] = ToyRun.create(data.to(device()), hidden, S["act"], S["opt"], float(S["lr"]), batch,
                                           int(S["seed"]), lecture_lines=lecture, device=device(), features=inputs,
                                           reg=reg)
    st.session_state[RUN_KEY] = run_key
    st.session_state[RUNNING] = False
    st.session_state[REPLAY] = None
    st.session_state[k("pts_in_run")] = S["pts"]
run: ToyRun = st.session_state[RUN]
run.net.reg = reg  # the rates may change while training
if S["pts"] != st.session_state.get(k("pts_in_run")):  # points clicked: the same network trains on
    run.set_data(data.to(device()))
    st.session_state[k("pts_in_run")] = S["pts"]

# --------------------------------------------------------------------------- live controls


def _start() -> None:
    st.session_state[RUNNING] = True


def _pause() -> None:
    st.session_state[RUNNING] = False
    st.session_state[REPLAY] = None  # the replay opens at the latest epoch


def _step() -> None:
    st.session_state[RUN].advance(1)
    st.session_state[REPLAY] = None


def _reset() -> None:
    st.session_state.pop(RUN_KEY, None)  # the next run builds a fresh network from the settings
    st.session_state[RUNNING] = False


def _scrubbed() -> None:
    st.session_state[REPLAY] = st.session_state[k("player")].get("epoch")


def _clicked() -> None:
    click = st.session_state[k("player")].get("click") or {}
    pts, _ = op.decode(st.session_state[k("pts")])
    x1, x2 = float(click.get("x1", 99)), float(click.get("x2", 99))
    if click.get("mode") == "remove":
        pts, changed = op.remove_near(pts, x1, x2)
    else:
        pts, changed = op.add(pts, x1, x2, int(click.get("mode") == "red"))
    if changed:
        st.session_state[k("pts")] = op.encode(pts)
        st.session_state[k("full_rerun")] = True
    elif click.get("mode") != "remove" and len(pts) >= op.MAX_POINTS:
        st.session_state[k("note")] = f"At most {op.MAX_POINTS} of your own points fit in a link."


running = bool(st.session_state.get(RUNNING))
no_points = len(data.x_train) == 0
c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
if running:
    c1.button("⏸ Pause", key=k("pause"), on_click=_pause, width="stretch", type="primary")
else:
    c1.button("▶ Start", key=k("start"), on_click=_start, width="stretch", type="primary", disabled=no_points)
c2.button("⏭ Step (1 epoch)", key=k("step"), on_click=_step, disabled=running or no_points, width="stretch")
c3.button("↺ Reset", key=k("reset"), on_click=_reset, width="stretch")
c4.select_slider("Epochs per frame", SPEEDS, key=k("speed"),
                 help=f"The server trains ahead and sends {FRAMES_PER_RUN} frames every {RUN_EVERY:g} s; your "
                      "browser plays them in between.")
if no_points:
    st.info("**Click on the plane** below to add red points, then blue ones (choose under the plane): your own "
            f"dataset, kept in the link (up to {op.MAX_POINTS} points).")


@st.fragment(run_every=RUN_EVERY if running else None)
def live_views() -> None:
    if st.session_state.pop(k("full_rerun"), False):
        st.rerun()  # the points changed: the whole page (data, growth grid) follows
    if note := st.session_state.pop(k("note"), None):
        st.toast(note, icon="🔗")
    run: ToyRun = st.session_state[RUN]
    is_running = bool(st.session_state.get(RUNNING))
    st.subheader("1 · Watch it learn")
    if is_running:
        frames = run.advance_frames(FRAMES_PER_RUN, int(st.session_state[k("speed")]), TRAIN_BUDGET)
        st.session_state[SEQ] = st.session_state.get(SEQ, 0) + 1
        if run.epoch >= MAX_EPOCHS or run.status == "diverged":
            st.session_state[RUNNING] = False
            st.rerun()
    else:
        frames = run.replay_frames()
    show_test, discrete = bool(st.session_state[k("show_test")]), bool(st.session_state[k("discrete")])
    d = run.data
    player(k("player"), run_id=str(id(run)), mode="live" if is_running else "replay", frames=frames,
           seq=st.session_state.get(SEQ, 0), curve=run.curves(), extent=d.extent, train=(d.x_train, d.y_train),
           test=(d.x_test, d.y_test) if len(d.x_test) else None, own=points, enc_labels=d.y_train[:MAX_ENCODED],
           show_test=show_test, discrete=discrete, scrub_epoch=st.session_state.get(REPLAY),
           on_epoch=_scrubbed, on_click=_clicked)
    if run.status == "diverged":
        st.error(f"Training stopped: {run.message}. Lower the learning rate and press Reset.")
    t1, t2, t3 = st.columns([1, 1, 3])
    t1.toggle("Show test points", key=k("show_test"))
    t2.toggle("Discretize", key=k("discrete"), help="Only the two sides of P(red) = 0.5")
    t3.caption(
        "Colour: the network's probability that a point is **red**; the boundary is where it crosses 0.5. White "
        "rings: training points; black rings: test points it never learns from; thick dark rings: your own points. "
        "Train accuracy far above test accuracy is overfitting: try L2, L1 or dropout (sidebar). The histogram "
        "shows all weights; with L1, the red bar counts those at exactly 0.")
    shown = None
    if not is_running:
        shown = run.at_epoch(run.epoch if st.session_state.get(REPLAY) is None else int(st.session_state[REPLAY]))[1]
    views.units_section(shown, d, hidden, uses_surrogate(S["act"]), lecture, P)
    views.encoding_section(shown, d, hidden, S["dataset"], uses_surrogate(S["act"]), P)
    write_url(P, SCHEMA)  # the toggles above live in this fragment: a click reruns only it


live_views()

# --------------------------------------------------------------------------- 4 · growth


@st.cache_data(max_entries=32, show_spinner="Training the 7 networks…")
def growth(dataset: str, noise: float, points: int, test: float, seed: int, pts: str, inputs: tuple, layers: int,
           act: str, opt: str, lr: float, batch: int, epochs: int, reg: tuple, device_name: str) -> dict:
    d = op.with_points(op.own_dataset([]) if dataset == OWN else make_dataset(dataset, points, noise, test, seed),
                       op.decode(pts)[0])
    g = train_growth(d.to(device_name), GROWTH_WIDTHS, layers, act, opt, lr, epochs, batch, seed, device_name,
                     features=inputs, reg=Regularization(*reg))
    return dict(probs=g.probabilities(d.extent, 100), train_acc=g.train_acc, test_acc=g.test_acc,
                seconds=g.seconds, packed=g.packed)


st.subheader("4 · More hidden units: smoother boundaries, then overfitting")
if no_points or len(data.x_test) == 0:
    st.caption("The growth grid compares train and test accuracy: it needs a generated dataset with test points.")
    st.stop()
gcol1, gcol2 = st.columns([4, 1])
gcol2.selectbox("Epochs for each", ("250", "1000", "3000"), key=k("gepochs"))
g_epochs = capped_epochs(int(S["gepochs"]), len(data.x_train), batch, MAX_GROWTH_STEPS)
g = growth(S["dataset"], float(S["noise"]), int(S["points"]), float(S["test"]), int(S["seed"]), S["pts"], inputs,
           int(S["layers"]), S["act"], S["opt"], float(S["lr"]), batch, g_epochs, (reg.l2, reg.l1, reg.dropout),
           str(device()))
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
        + " Try *Overfitting* at the top (30 noisy training points), then *Overfitting, cured by L2*.")
