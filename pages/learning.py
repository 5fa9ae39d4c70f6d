"""3 · How a network learns: one training step in slow motion (forward, loss, backward by the chain rule,
the update), softmax and one-hot on Fashion-MNIST, and the losses side by side."""
import time

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.basics import backprop as bp
from fmnist_core.engine import url_state as us
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.fashion.checkpoint import CheckpointError, load_checkpoint
from fmnist_core.fashion.dataset import CLASS_NAMES, normalize
from fmnist_core.nn.losses import BINARY_LOSSES, LOSSES, curves, one_hot, softmax
from fmnist_core.toy.data import DATASETS, MAX_POINTS, make_dataset
from ui.figures import learning as lf
from ui.kit import live
from ui.kit.common import bind_url, dataset, ensure_router, show_url_notes, write_url

ensure_router()

P = "learning"
STAGES = ("forward", "loss", "backward", "update")
STAGE_TITLES = {"forward": "1 · Forward", "loss": "2 · Loss", "backward": "3 · Backward", "update": "4 · Update"}
LRS = ("0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10", "30", "100", "1000")
TEMPS = ("0.1", "0.25", "0.5", "1", "2", "5", "10")
WEIGHT_NAMES = tuple(bp.initial_weights(bp.MAX_UNITS, 0).named())
SCHEMA = {  # the decision-boundary page's names, so that its links open here with the same network
    "dataset": us.Choice("xor", tuple(DATASETS)),
    "noise": us.Float(0.2, 0.0, 1.0),
    "points": us.Int(400, 20, 2000),
    "test": us.Float(0.5, 0.1, 0.9),
    "seed": us.Int(0, 0, 9999),
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
W, NET_KEY, STEPS, PENDING, JOB = (f"{P}_weights", f"{P}_net_key", f"{P}_steps", f"{P}_pending", f"{P}_job")


def k(name: str) -> str:
    return f"{P}_{name}"


st.title("How a network learns, step by step")
show_url_notes(bind_url(P, SCHEMA))
with st.sidebar:
    st.subheader("Data (as on page 2)")
    st.selectbox("Dataset", list(DATASETS), key=k("dataset"), format_func=lambda n: DATASETS[n].label)
    st.slider("Noise", 0.0, 1.0, step=0.05, key=k("noise"))
    st.slider("Points", 20, 2000, step=10, key=k("points"))
    st.slider("Share kept for testing", 0.1, 0.9, step=0.05, key=k("test"))
    st.number_input("Seed", 0, 9999, step=1, key=k("seed"))
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


def _next() -> None:
    i = STAGES.index(st.session_state[k("stage")])
    st.session_state[k("stage")] = STAGES[min(i + 1, len(STAGES) - 1)]


def _back() -> None:
    i = STAGES.index(st.session_state[k("stage")])
    st.session_state[k("stage")] = STAGES[max(i - 1, 0)]


def _apply() -> None:
    st.session_state[W] = st.session_state[PENDING]
    st.session_state[STEPS] += 1
    st.session_state[k("stage")] = "forward"


def _reset() -> None:
    st.session_state.pop(NET_KEY, None)
    st.session_state[k("stage")] = "forward"


def _picked() -> None:
    pts = (st.session_state[k("plane")] or {}).get("selection", {}).get("points", [])
    if pts:  # the training point clicked (its index rides along as customdata), else the nearest one
        cd = pts[0].get("customdata")
        d = (X[:, 0] - pts[0]["x"]) ** 2 + (X[:, 1] - pts[0]["y"]) ** 2
        st.session_state[k("point")] = int(cd[0] if isinstance(cd, list) else cd) if cd is not None else int(np.argmin(d))


@st.fragment
def stepper() -> None:
    t0 = time.perf_counter()
    stage = st.session_state[k("stage")]
    n = len(Y)
    st.session_state[k("point")] = min(int(st.session_state[k("point")]), n - 1)
    i = STAGES.index(stage)
    st.markdown(f"### Stage {i + 1} of 4 · {STAGE_TITLES[stage].split(' · ')[1]}")
    c = st.columns([1, 1, 1.2, 1.3, 1.6], vertical_alignment="bottom")
    c[0].button("◀ Back", key=k("back"), on_click=_back, disabled=stage == "forward", width="stretch")
    if stage != "update":
        c[1].button(f"Next: {STAGES[i + 1]} ▶", key=k("next"), on_click=_next, type="primary", width="stretch")
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
    st.plotly_chart(fig, key=k("diagram"), config={"displayModeBar": False})
    st.caption(f"Point {point}: x1 = {p.x[0, 0]:.3f}, x2 = {p.x[0, 1]:.3f}, y = {int(p.y[0])} "
               f"({'red' if p.y[0] else 'blue'}). w_ij joins input x_i to hidden unit j; v_j joins unit j to the output."
               + (f" Edges: the mean gradient over the {p.n} points (the step), coloured by its size (dark red = large)."
                  if show_grads and p.n > 1 else " Edges coloured by the size of dL/dw (dark red = large)."
                  if show_grads else " Edges: green positive weights, purple negative, thicker = larger."))
    left, right = st.columns([2, 3])
    with left:
        prob = bp.probabilities(after if after is not None else weights, act, data.extent)
        before = bp.probabilities(weights, act, data.extent) if after is not None else None
        st.plotly_chart(lf.plane_figure(prob, data.extent, X, Y, batch, before, height=360), key=k("plane"),
                        on_select=_picked, selection_mode="points", config={"displayModeBar": False})
        st.caption(f"P(red) of the network{' after the step (dashed: the boundary before)' if before is not None else ''}"
                   f". Click a training point to choose it{'; the ringed points are the mini-batch' if S_mb() else ''}."
                   f" Steps taken so far: {st.session_state[STEPS]}.")
    with right:
        STAGE_VIEWS[stage](p, upd, pick)
    if act == "step":
        st.info("**The step has slope 0 everywhere** (none at 0): the chain rule would multiply by f'(z) = 0 and no "
                "hidden weight would learn. As on page 2, the backward pass uses a **stand-in slope**, that of "
                "sigmoid(4z); the forward pass stays a true step.", icon="ℹ️")
    write_url(P, SCHEMA)
    st.session_state[k("_ms")] = (time.perf_counter() - t0) * 1000


def S_mb() -> bool:
    return bool(st.session_state[k("mb")])


def view_forward(p: bp.Pass, upd, pick) -> None:
    v = p.values(0)
    st.markdown(
        "**Forward propagation.** Each hidden unit j sums its weighted inputs and adds its bias, "
        "z_j = w_1j·x1 + w_2j·x2 + b_j, then applies the activation, a_j = f(z_j). The output unit does the same "
        "with the hidden outputs, z = v1·a1 + … + c, and the sigmoid makes it a probability: ŷ = σ(z), the "
        "network's P(red). For unit 1:")
    w = p.weights.named()
    st.latex(rf"z_1 = w_{{11}}x_1 + w_{{21}}x_2 + b_1 = ({w['w11']:.3f})({v['x1']:.3f}) + ({w['w21']:.3f})"
             rf"({v['x2']:.3f}) + ({w['b1']:.3f}) = {v['z1']:.3f}, \quad a_1 = f(z_1) = {v['a1']:.3f}")
    st.latex(rf"\hat y = \sigma(z) = \frac{{1}}{{1 + e^{{-z}}}} = \frac{{1}}{{1 + e^{{-({v['z']:.3f})}}}}"
             rf" = {v['y_hat']:.3f}")


def view_loss(p: bp.Pass, upd, pick) -> None:
    yh, y = float(p.y_hat[0]), float(p.y[0])
    st.markdown(f"**The loss** measures how wrong ŷ is for the target y. {LOSSES[p.loss_name].label}:")
    st.latex(LOSSES[p.loss_name].formula)
    if p.loss_name == "bce":
        st.latex(rf"L = -[\,{y:g}\log({yh:.3f}) + (1-{y:g})\log(1-{yh:.3f})\,] = {lf.fmt(p.losses[0])}")
    else:
        st.latex(rf"L = {'' if p.loss_name == 'mse' else '|'}{yh:.3f} - {y:g}{'|' if p.loss_name == 'rmse' else ''}"
                 rf"{'^2' if p.loss_name == 'mse' else ''} = {lf.fmt(p.losses[0])}")
    if p.n > 1:
        st.dataframe(pd.DataFrame({"x1": p.x[:, 0], "x2": p.x[:, 1], "y": p.y.astype(int), "ŷ": p.y_hat,
                                   "loss": p.losses}), hide_index=True)
        st.markdown(f"The mini-batch's loss is the **{'root of the mean square' if LOSSES[p.loss_name].root else 'mean'}"
                    f"** over its {p.n} points: **L = {lf.fmt(p.loss)}**.")
    st.caption("Cross-entropy is small when ŷ is near y and grows without bound as ŷ goes the wrong way: "
               "−log(0.9) = 0.105, −log(0.1) = 2.303. Section 3 below compares the losses.")


def view_backward(p: bp.Pass, upd, pick) -> None:
    st.markdown(
        "**Backpropagation.** The chain rule walks back from the loss: dL/dz at the output, then for each hidden "
        "unit dL/da_j = v_j · dL/dz and dL/dz_j = f'(z_j) · dL/da_j, and for each weight dL/dw_ij = x_i · dL/dz_j "
        "(the boxes and edges above). Written out for the weight you follow, with this point's numbers:")
    terms = bp.chain(p, pick, 0)
    g = p.grads[0].named()[pick]
    sym = pick[0] + "_{" + pick[1:] + "}" if len(pick) > 1 else pick
    st.latex(rf"\begin{{aligned}}\frac{{\partial L}}{{\partial {sym}}} &= " + r" \cdot ".join(t.latex for t in terms)
             + r" \\ &= " + r" \cdot ".join(f"({t.value + 0.0:.4g})" for t in terms) + rf" \\ &= {g + 0.0:.4g}\end{{aligned}}")
    st.caption(" · ".join(f"{t.symbol}: {t.meaning}" for t in terms))
    if p.n > 1:
        grads = p.grads
        df = pd.DataFrame({f"point {i}": [g_.named()[nm] for nm in p.weights.named()] for i, g_ in
                           zip(range(p.n), grads)}, index=list(p.weights.named()))
        df["mean (step)"] = list(p.mean.named().values())
        df = df + 0.0  # no "-0.0000" for a gradient that is exactly zero
        st.markdown("**Each point's gradient, and their mean**: the mini-batch step uses the mean"
                    + (" (for RMSE each column is already scaled by 1/RMSE of the batch)." if loss == "rmse" else "."))
        st.dataframe(df.style.format("{:.4f}"), height=min(36 * (len(df) + 1), 420))
    check = bp.max_difference(p.mean, bp.autograd_grads(p.weights, act, loss, p.x, p.y))
    st.success(f"Checked by autograd (PyTorch computing the same gradients itself): the largest difference from "
               f"these hand-written chain-rule numbers is **{check:.1e}**.", icon="✅")


def view_update(p: bp.Pass, upd: bp.Update, pick) -> None:
    st.markdown(f"**The update**: every weight moves against its gradient, w_new = w_old − lr · dL/dw, with lr = {lr:g}.")
    old, g = p.weights.named(), p.mean.named()
    new = upd.new.named()
    st.dataframe(pd.DataFrame({"weight": list(old), "old": list(old.values()),
                               "lr · dL/dw": [lr * g[nm] for nm in old], "new": list(new.values())}),
                 hide_index=True, height=min(36 * (len(old) + 1), 460))
    a, b, c = st.columns(3)
    which = "this point" if p.n == 1 else f"these {p.n} points"
    a.metric(f"Loss on {which}, before", lf.fmt(p.loss))
    if upd.status == "diverged":
        b.metric("after", "∞" if upd.after is None or not np.isfinite(upd.loss_after) else lf.fmt(upd.loss_after))
        st.error(f"**The step diverged**: with lr = {lr:g} the weights jumped so far that the output saturated "
                 "(ŷ is exactly 0 or 1 on the wrong side for some training points: an infinite loss) or overflowed. "
                 "Lower the learning rate.")
        return
    b.metric("after", lf.fmt(upd.loss_after), delta=f"{upd.loss_after - p.loss:+.3g}", delta_color="inverse")
    c.metric("On all training points", lf.fmt(upd.all_after), delta=f"{upd.all_after - upd.all_before:+.3g}",
             delta_color="inverse", help=f"before the step: {lf.fmt(upd.all_before)}")
    st.button("✓ Apply the step and take the next one", key=k("apply"), on_click=_apply, type="primary")
    if upd.status == "up":
        st.warning(f"**The loss went up**: lr = {lr:g} is so large that the step overshoots the minimum along this "
                   "gradient. Steps like this make training diverge: try a smaller learning rate.")
    else:
        st.caption("The loss on these points went down. Apply the step and take the next one: the boundary moves."
                   + (" On all training points it rose: a step for a few points can hurt the others (a large lr "
                      "makes this worse; a mini-batch averages it out)." if upd.all_after > upd.all_before else ""))


STAGE_VIEWS = {"forward": view_forward, "loss": view_loss, "backward": view_backward, "update": view_update}

st.header("1 · One training step in slow motion")
stepper()
st.button("↺ Reset the network to its start", key=k("reset"), on_click=_reset)

# --------------------------------------------------------------------------- 2 · softmax and one-hot

st.header("2 · Many classes: softmax and one-hot targets")


@st.cache_resource(show_spinner=False)
def bundled():
    return load_checkpoint("assets/mlp.pt", "cpu")


fm = dataset()
if fm is None:
    st.warning("Fashion-MNIST is not on this machine: this section needs a test image (see the home page).")
else:
    try:
        model, meta = bundled()
    except (CheckpointError, OSError) as e:
        st.error(f"The bundled model could not be loaded: {e}")
        model = None
    if model is not None:
        c1, c2, c3 = st.columns([1, 1, 3])
        c1.number_input("Test image", 0, len(fm.test_labels) - 1, key=k("img"))
        c2.select_slider("Temperature T", TEMPS, key=k("temp"))
        img, label = fm.test_images[int(S["img"])].cpu(), int(fm.test_labels[int(S["img"])])
        c1.image(img.numpy(), width=112, caption=f"true class {label}: {CLASS_NAMES[label]}")
        import torch

        with torch.no_grad():
            logits = model(normalize(img[None], *meta["normalization"]))[0].double().numpy()
        T = float(S["temp"])
        sm, sm1 = softmax(logits, T), softmax(logits)
        target = one_hot(label)
        with c3:
            st.markdown(
                f"The last layer has **one output unit per class** (10). Its raw scores, the **logits** z, become "
                f"probabilities by **softmax**: p_k = exp(z_k/T) / Σ_j exp(z_j/T). The highest is the prediction: "
                f"**{CLASS_NAMES[sm.prediction]}** (p = {sm.probs[sm.prediction]:.3f}). The target is **one-hot**: "
                f"class {label} → `{''.join(str(int(t)) for t in target)}`. Cross-entropy keeps only the true "
                f"class: **L = −log p({CLASS_NAMES[label]}) = −log {sm1.probs[label]:.4f} = "
                f"{sm1.cross_entropy(label):.4f}** (at T = 1).")
            st.plotly_chart(lf.softmax_figure([n.split("/")[0] for n in CLASS_NAMES], sm.probs, sm1.probs, label, T),
                            key=k("softmax_chart"), config={"displayModeBar": False})
        table = pd.DataFrame({"class": CLASS_NAMES, "logit z": logits, "z / T": sm.scaled,
                              "exp(z/T)" + (" ÷ e^max" if sm.shift else ""): sm.exp, "p": sm.probs,
                              "one-hot y": target.astype(int)})
        st.dataframe(table.style.format({"logit z": "{:.3f}", "z / T": "{:.3f}", table.columns[3]: "{:.4g}",
                                         "p": "{:.4f}"}), hide_index=True)
        st.caption(f"Sum of the exp column: {sm.total:.4g}; each p is its exp divided by that sum. A small T "
                   "sharpens the probabilities towards the top class, a large T flattens them towards 1/10; the "
                   f"prediction never changes. Cross-entropy at T = {T:g}: {sm.cross_entropy(label):.4f}. "
                   f"Model: the bundled classic MLP ({meta['metrics'].get('test_accuracy', 0):.1%} test accuracy).")

# --------------------------------------------------------------------------- 3 · the losses side by side

st.header("3 · Which loss? Cross-entropy, MSE, RMSE")
grid = np.linspace(0.005, 0.995, 199)
st.plotly_chart(lf.loss_curves_figure(grid, curves(grid), {n: s.label for n, s in LOSSES.items()}),
                key=k("loss_curves"), config={"displayModeBar": False})
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
        st.plotly_chart(lf.compare_figure(series), key=k("compare_chart"), config={"displayModeBar": False})
    if reader.done and reader.done.get("status") == "diverged":
        st.error(f"Training {reader.done['message']}.")


live.view(JOB, draw, idle="Press **Train both**: the curves appear as the two networks learn.")
