"""3 · How a network learns: one training step in slow motion (forward, loss, backward by the chain rule,
the update), softmax and one-hot on Fashion-MNIST, and the losses side by side."""
import numpy as np
import streamlit as st

from fmnist_core.basics import backprop as bp
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.losses import BINARY_LOSSES, LOSSES, curves
from fmnist_core.toy.data import DATASETS, make_dataset
from ui.figures import learning as lf
from ui.kit import live
from ui.kit.common import bind_url, dataset, ensure_router, show_url_notes, write_url
from ui.kit.toy_data_sidebar import data_section
from ui.kit.widgets import keys, plotly_chart, selected_points
from ui.views.learning_softmax import softmax_section
from ui.views.learning_stages import stage_panel
from ui.views.learning_url import LRS, SCHEMA, STAGES, TEMPS

ensure_router()

P = "learning"
STAGE_TITLES = {"forward": "1 · Forward", "loss": "2 · Loss", "backward": "3 · Backward", "update": "4 · Update"}
k = keys(P)
W, NET_KEY, STEPS, PENDING, JOB = k("weights"), k("net_key"), k("steps"), k("pending"), k("job")

st.title("How a network learns, step by step")
show_url_notes(bind_url(P, SCHEMA))
with st.sidebar:
    data_section(k, {n: d.label for n, d in DATASETS.items()}, title="Data (as on page 2)")
    st.subheader("Network")
    st.slider("Hidden units", bp.MIN_UNITS, bp.MAX_UNITS, key=k("units"))
    st.selectbox("Activation f", list(bp.ACTIVATIONS), key=k("act"), format_func=lambda n: ACTIVATIONS[n].label)
    st.checkbox("Start from the lecture's two XOR lines", key=k("lecture"), help="2 units: w11 = 1, w21 = −1, "
                "b1 = 1 and w12 = −1, w22 = 1, b2 = 1, the two lines of page 2.")
    st.selectbox("Loss", list(BINARY_LOSSES), key=k("loss"), format_func=lambda n: LOSSES[n].label)
    st.select_slider("Learning rate lr", LRS, key=k("lr"))
S = {name: st.session_state[k(name)] for name in SCHEMA}
write_url(P, SCHEMA)
units, act, loss, lr = int(S["units"]), S["act"], S["loss"], float(S["lr"])
f_name = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "step": "step"}[act]

try:
    data = make_dataset(S["dataset"], int(S["points"]), float(S["noise"]), float(S["test"]), int(S["seed"]))
except ValueError as e:
    st.error(f"Cannot make this dataset: {e}")
    st.stop()
X, Y = data.x_train.double().numpy(), data.y_train.double().numpy()
net_key = (units, int(S["seed"]), bool(S["lecture"]))
if st.session_state.get(NET_KEY) != net_key or W not in st.session_state:
    st.session_state[W] = bp.initial_weights(units, int(S["seed"]), bool(S["lecture"]))
    st.session_state[NET_KEY], st.session_state[STEPS] = net_key, 0

st.markdown(
    "A network learns by repeating four moves: **forward** (compute the prediction ŷ), **loss** (how wrong "
    "it is), **backward** (the chain rule gives dL/dw for every weight) and **update** "
    "(w_new = w_old − lr · dL/dw). Here the lecture's network, 2 inputs, one hidden layer and one sigmoid "
    "output, does it one stage per press. The data and the starting network are those of page 2 "
    "(decision boundaries): its links open here with the same settings.")


def _move(by: int) -> None:
    i = STAGES.index(st.session_state[k("stage")])
    st.session_state[k("stage")] = STAGES[min(max(i + by, 0), len(STAGES) - 1)]


def _apply() -> None:
    st.session_state[W] = st.session_state[PENDING]
    st.session_state[STEPS] += 1
    st.session_state[k("stage")] = "forward"


def _reset() -> None:
    st.session_state.pop(NET_KEY, None)
    st.session_state[k("stage")] = "forward"


def _picked() -> None:
    pts = selected_points(st.session_state[k("plane")])
    if pts:  # the training point clicked (its index rides along as customdata), else the nearest one
        cd = pts[0].get("customdata")
        d = (X[:, 0] - pts[0]["x"]) ** 2 + (X[:, 1] - pts[0]["y"]) ** 2
        st.session_state[k("point")] = int(cd[0] if isinstance(cd, list) else cd) if cd is not None else int(np.argmin(d))


@st.fragment
def stepper() -> None:
    stage = st.session_state[k("stage")]
    n = len(Y)
    st.session_state[k("point")] = min(int(st.session_state[k("point")]), n - 1)
    i = STAGES.index(stage)
    st.markdown(f"### Stage {i + 1} of 4 · {STAGE_TITLES[stage].split(' · ')[1]}")
    c = st.columns([1, 1, 1.2, 1.3, 1.6], vertical_alignment="bottom")
    c[0].button("◀ Back", key=k("back"), on_click=_move, args=(-1,), disabled=stage == "forward", width="stretch")
    if stage != "update":
        c[1].button(f"Next: {STAGES[i + 1]} ▶", key=k("next"), on_click=_move, args=(1,), type="primary",
                    width="stretch")
    c[2].number_input("Training point", 0, n - 1, key=k("point"), help="Or click a point on the plane.")
    c[3].toggle("Mini-batch", key=k("mb"))
    c[3].slider("points", bp.MIN_BATCH, bp.MAX_BATCH, key=k("mbsize"), disabled=not S_mb(), label_visibility="collapsed")
    weights: bp.Weights = st.session_state[W]
    names = list(weights.named())
    if st.session_state[k("weight")] not in names:
        st.session_state[k("weight")] = "w11"
    c[4].selectbox("Follow the chain rule for", names, key=k("weight"))
    point, pick = int(st.session_state[k("point")]), st.session_state[k("weight")]
    batch = [(point + i) % n for i in range(int(st.session_state[k("mbsize")]))] if S_mb() else [point]
    p = bp.run_pass(weights, act, loss, X[batch], Y[batch])
    upd = bp.update(p, lr, X, Y) if stage == "update" else None
    after = upd.new if upd is not None and upd.status != "diverged" else None
    st.session_state[PENDING] = after if after is not None else weights

    show_grads = stage in ("backward", "update")
    fig = lf.network_figure(units, p.values(0), weights.named(), p.mean.named() if show_grads else None,
                            after.named() if after is not None else None, pick if show_grads else None, f_name)
    plotly_chart(fig, k("diagram"))
    st.caption(f"Point {point}: x1 = {p.x[0, 0]:.3f}, x2 = {p.x[0, 1]:.3f}, y = {int(p.y[0])} "
               f"({'red' if p.y[0] else 'blue'}). w_ij joins input x_i to hidden unit j; v_j joins unit j to the output."
               + (f" Edges: the mean gradient over the {p.n} points (the step), coloured by its size (dark red = large)."
                  if show_grads and p.n > 1 else " Edges coloured by the size of dL/dw (dark red = large)."
                  if show_grads else " Edges: green positive weights, purple negative, thicker = larger."))
    left, right = st.columns([2, 3])
    with left:
        prob = bp.probabilities(after if after is not None else weights, act, data.extent)
        before = bp.probabilities(weights, act, data.extent) if after is not None else None
        plotly_chart(lf.plane_figure(prob, data.extent, X, Y, batch, before, height=360), k("plane"),
                     on_select=_picked, selection_mode="points")
        st.caption(f"P(red) of the network{' after the step (dashed: the boundary before)' if before is not None else ''}"
                   f". Click a training point to choose it{'; the ringed points are the mini-batch' if S_mb() else ''}."
                   f" Steps taken so far: {st.session_state[STEPS]}.")
    with right:
        stage_panel(stage, p, upd, pick, k("apply"), _apply)
    if act == "step":
        st.info("**The step has slope 0 everywhere** (none at 0): the chain rule would multiply by f'(z) = 0 and no "
                "hidden weight would learn. As on page 2, the backward pass uses a **stand-in slope**, that of "
                "sigmoid(4z); the forward pass stays a true step.", icon="ℹ️")
    write_url(P, SCHEMA)


def S_mb() -> bool:
    return bool(st.session_state[k("mb")])


st.header("1 · One training step in slow motion")
stepper()
st.button("↺ Reset the network to its start", key=k("reset"), on_click=_reset)

# --------------------------------------------------------------------------- 2 · softmax and one-hot

st.header("2 · Many classes: softmax and one-hot targets")


fm = dataset()
if fm is None:
    st.warning("Fashion-MNIST is not on this machine: this section needs a test image (see the home page).")
else:
    softmax_section(k, fm, TEMPS)

# --------------------------------------------------------------------------- 3 · the losses side by side

st.header("3 · Which loss? Cross-entropy, MSE, RMSE")
grid = np.linspace(0.005, 0.995, 199)
plotly_chart(lf.loss_curves_figure(grid, curves(grid), {n: s.label for n, s in LOSSES.items()}), k("loss_curves"))
st.markdown(
    "Each loss for a point whose true class gets probability p. **Categorical cross-entropy** (many classes, "
    "one-hot targets) and **binary cross-entropy** (one sigmoid output) are both −log p here. **MSE** = (ŷ − y)² "
    "and **RMSE** = its root. The right panel is what backpropagation carries to the weights through the "
    "sigmoid: for cross-entropy it is ŷ − y, which stays near −1 when the network is **confidently wrong** "
    "(p near 0), so it keeps pushing; for MSE it is 2(ŷ − y)·ŷ(1 − ŷ), which goes **flat** there: a saturated, "
    "wrong sigmoid hardly learns.")
st.subheader("The same network trained with BCE and with MSE")
cs = st.columns([2, 3])
cs[0].radio("Start from", ["wrong", "same"], key=k("start"), format_func={
    "wrong": "confidently wrong (trained, then its output flipped)", "same": "the network of section 1"}.get)
write_url(P, SCHEMA)
with cs[1]:
    st.caption(f"Full-batch SGD, lr = {lr:g}, 1,500 steps, {units} {ACTIVATIONS[act].label} units, on the "
               f"{len(Y)} training points, the same start for both.")
    if live.start_button(JOB, "▶ Train both", type="primary"):
        w0 = st.session_state[W] if S["start"] == "same" else bp.confidently_wrong(st.session_state[W], act, X, Y)
        live.start(JOB, "BCE vs MSE", lambda job: bp.train_losses(X, Y, w0, act, ("bce", "mse"), lr, 1500,
                                                                   control=job.control, emit=job.emit))


def draw(job, reader) -> None:
    series = []
    for r, (name, color) in enumerate((("bce", lf.RED), ("mse", lf.BLUE))):
        run = reader.run(r)
        if run is not None:
            series.append(dict(name=LOSSES[name].label, step=run.column("progress", "step"), color=color,
                               ce=run.column("progress", "cross_entropy"), acc=run.column("progress", "accuracy")))
    if series:
        plotly_chart(lf.compare_figure(series), k("compare_chart"))
    if reader.done and reader.done.get("status") == "diverged":
        st.error(f"Training {reader.done['message']}.")


live.view(JOB, draw, idle="Press **Train both**: the curves appear as the two networks learn.")
