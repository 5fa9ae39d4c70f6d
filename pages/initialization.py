"""4 · Weight initialization: symmetry, too small, too large, Xavier and He, measured per layer."""
from __future__ import annotations

import streamlit as st

from fmnist_core.initialization import stats as init_stats
from fmnist_core.initialization.settings import NOISE
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.nn.weight_init import INITS, SYMMETRIC
from ui.figures import initialization as figs
from ui.kit import live_chart, tabs
from ui.kit.common import bind_url, ensure_router, missing_data_screen, show_url_notes, write_url
from ui.kit.widgets import keys
from ui.views import init_compare as compare_view, init_text
from ui.views import initialization_data as measure, initialization_settings as settings
from ui.views.initialization_url import DATA_LABELS, SCHEMA, TABS

ensure_router()

P = "initialization"
K = keys(P)
bound = tabs.binder(P)  # the widgets inside the lazy tabs below
JOB_KEY = K("job")
PRESETS = {
    "All zeros": dict(init="zeros"),
    "Too small: σ 0.01": dict(init="normal", std=0.01, act="tanh"),
    "Too large: σ 1": dict(init="standard_normal", act="tanh"),
    "Xavier + tanh": dict(init="xavier_normal", act="tanh", gain=True),
    "He + ReLU": dict(init="he_normal", act="relu"),
}

# --------------------------------------------------------------------------- settings

show_url_notes(bind_url(P, SCHEMA))
settings.snap_state(P)

st.title("🎲 Weight initialization")
st.markdown(
    "Before training, every weight gets a random start. That start decides whether a signal can "
    "cross a deep network at all. **All zeros** keeps every unit identical; weights **too small** make "
    "the activations shrink to 0 layer after layer; **too large** saturates them (tanh at ±1) or blows "
    "them up, and the gradients vanish or explode with them. **Xavier** and **He** pick the scale "
    "that keeps activations and gradients at a healthy size through depth. Everything below is "
    "measured on a real network with the settings you choose."
)

with st.container(border=True):
    c = st.columns([1.3, 1, 1, 1.1, 1.5, 1.3])
    c[0].selectbox("Data", list(DATA_LABELS), key=K("data"), format_func=DATA_LABELS.get)
    c[1].slider("Hidden layers", 1, init_stats.MAX_DEPTH, key=K("depth"))
    c[2].select_slider("Units per layer", init_stats.WIDTHS, key=K("width"))
    c[3].selectbox("Activation", list(ACTIVATIONS), key=K("act"), format_func=lambda n: ACTIVATIONS[n].label)
    c[4].selectbox("Initializer", list(INITS), key=K("init"), format_func=lambda n: INITS[n].label)
    init, act = st.session_state[K("init")], st.session_state[K("act")]
    with c[5]:
        settings.scale_widgets(P, init, act)
    p = st.columns([0.45] + [1] * len(PRESETS), vertical_alignment="center")
    p[0].markdown("**Try:**")
    for col, (name, values) in zip(p[1:], PRESETS.items()):
        col.button(name, key=K(f"preset_{name}"), on_click=settings.apply_preset, args=(P, values), width="stretch")

data_name = st.session_state[K("data")]
depth, width = int(st.session_state[K("depth")]), int(st.session_state[K("width")])
params = settings.current_params(P)
data = measure.get_data(data_name)
if data is None:
    st.info("Fashion-MNIST is not on this machine: pick a toy 2D set under **Data**, or get the dataset:")
    write_url(P, SCHEMA)
    missing_data_screen()
    st.stop()

key = (data_name, depth, width, act, init, tuple(sorted(params.items())))
label = init_text.init_label(init, params)
if params["noise"]:
    label += f" + noise {NOISE:g}"
fan_in = width if depth > 1 else data.in_features
st.caption(
    f"Network: {data.in_features} inputs → {depth} × {width} {ACTIVATIONS[act].label} → {data.n_classes} outputs, "
    f"initialized with **{label}**, ${INITS[init].formula}$, measured on a batch of {min(512, len(data.y_train))} training inputs."
)


# --------------------------------------------------------------------------- activations

def activations_view() -> None:
    report = measure.report(*key)
    a = report.acts
    m = st.columns(4)
    m[0].metric("std of layer 1", f"{a.std[0]:.3g}")
    m[1].metric(f"std of layer {depth}", f"{a.std[-1]:.3g}",
                help=f"{a.std[-1] / a.std[0]:.3g}× layer 1's" if a.std[0] > 0 else "layer 1's std is 0")
    m[2].metric(f"|a| > 0.99 in layer {depth}", f"{a.saturated[-1]:.0%}",
                help="Saturated tanh units: their slope is ~0, so almost no gradient passes.")
    m[3].metric("variance gain per layer", f"{report.gain:.3g}",
                help="n_in · Var(w) (× 1/2 for ReLU-like): the factor each layer multiplies the signal's "
                     "variance by, in the linear regime. 1 keeps it; above 1 it grows, below 1 it shrinks.")
    left, right = st.columns([1.25, 1])
    with left:
        st.plotly_chart(figs.activation_violins(a.hist, a.edges, a.std, a.saturated,
                                                title="Each layer's activations (one histogram per layer)"),
                        key=K("fig_violins"))
        st.caption("Each shape is the histogram of one layer's activations on the batch (widest where most "
                   "values are; square-root widths), all on one value axis. A thin line at 0: the signal **collapsed** (too small). Two bulges at ±1: tanh "
                   "**saturated** (too large). A steady shape from left to right: a healthy init.")
    with right:
        ref_label = f"{INITS[report.reference_init].label} (measured)"
        st.plotly_chart(figs.std_by_depth(a.std, report.reference.std if report.reference else None,
                                          ref_label, label=label, title="Activation std against depth"),
                        key=K("fig_std"))
        st.caption(f"Grey dashes: the same network with **{INITS[report.reference_init].label}**, the init derived for "
                   f"{ACTIVATIONS[act].label} (the Xavier/He expectation: the scale stays put). Green band: within "
                   f"3× of layer 1.")
    st.markdown(
        f"**Why the scale changes.** A unit sums $n_{{in}}$ = {fan_in} inputs times weights: "
        r"$\mathrm{Var}(z) = n_{in}\,\mathrm{Var}(w)\,\mathrm{Var}(a_{prev})$. "
        f"With $\\sigma_w$ = {report.weight_std:.3g} each layer multiplies the variance by "
        f"**{report.gain:.3g}**, so after {depth} layers by {report.gain:.3g}$^{{{depth}}}$ (in the linear regime). "
        r"**Xavier** picks $\mathrm{Var}(w) = 2/(n_{in} + n_{out})$ "
        f"($\\sigma_w$ = {report.xavier_std:.3g} here) for tanh/sigmoid, "
        r"**He** picks $\mathrm{Var}(w) = 2/n_{in}$ "
        f"($\\sigma_w$ = {report.he_std:.3g}) because ReLU zeroes half its inputs."
        + (" Tanh squashes a little at every layer, so with Glorot's gain 1 the std drifts down slowly "
           "(~3× over 10 layers); PyTorch's gain 5/3 for tanh makes up for it." if act == "tanh" else "")
    )

# --------------------------------------------------------------------------- gradients

def gradients_view() -> None:
    report = measure.report(*key)
    v = report.verdict
    box = {"healthy": st.success, "zero": st.warning}.get(v.kind, st.error)
    box(f"**{init_text.gradient_sentence(v)}**")
    left, right = st.columns([1.4, 1])
    with left:
        st.plotly_chart(figs.gradient_bars(report.grads.weight, v.labels, init_stats.layer_names(depth),
                                           title=f"Gradient norm per layer at initialization (loss {report.grads.loss:.3g})"),
                        key=K("fig_grads"))
    with right:
        st.markdown(
            "**Backpropagation is a chain of products.** The gradient reaching layer $l$ is the one at "
            "layer $l+1$, multiplied by the weights and by the activation's slope $f'(z)$:\n\n"
            r"$$\frac{\partial L}{\partial a_l} = W_{l+1}^{\top}\left(\frac{\partial L}{\partial a_{l+1}}"
            r" \odot f'(z_{l+1})\right)$$" "\n\n"
            r"Each layer multiplies the gradient by roughly $\sqrt{n}\,\sigma_w\,f'$. Below 1 every time, the "
            "gradient **vanishes** on its way to the first layers (they stop learning); above 1 it "
            "**explodes**. Sigmoid's slope is at most 0.25, so sigmoid networks vanish unless the "
            "weights make up for it; saturated tanh units (slope ≈ 0) block the gradient too.\n\n"
            f"Named relative to the output layer: below 1/{init_stats.VANISH:g} of it is *vanishing*, above "
            f"{init_stats.VANISH:g}× *exploding*. Gradients during training: tab ④."
        )

# --------------------------------------------------------------------------- symmetry

def symmetry_view() -> None:
    bound(st.checkbox, "noise", f"Add a tiny noise (σ = {NOISE:g}) to every weight: the symmetry breaker")
    sdepth, swidth = min(depth, 3), min(width, 64)
    sym = measure.symmetry_run(data_name, sdepth, swidth, act, init, tuple(sorted(params.items())))
    if init not in SYMMETRIC:
        st.info("Symmetry is the problem of **zeros** and **constant** inits: pick one (or the *All zeros* "
                "button) to see every unit stay the same. Random inits start with every unit different.")
    if all(sym.identical):
        st.error(f"After {sym.steps[-1]} training steps every unit of every layer still has **exactly the same** "
                 "weights: the layer acts like a single unit, however wide it is.")
    else:
        st.success(f"After {sym.steps[-1]} steps the units differ: each one can learn its own feature.")
        if act == "brelu" and init in SYMMETRIC and not params["noise"]:
            st.info("BReLU breaks the symmetry by itself: it applies ReLU(x) on even units and −ReLU(−x) on "
                    "odd ones, so units with equal weights still compute different things.")
    left, right = st.columns([1.4, 1])
    with left:
        live_chart.show(K("fig_sym"), figs.symmetry_chart(sym.steps, sym.symmetry,
                                                         title="Symmetry measure (0 = all units identical)"))
    with right:
        st.plotly_chart(figs.distance_heatmap(sym.distances, title="Layer 1: distance between units"),
                        key=K("fig_dist"))
    if data.in_features == 784:
        st.plotly_chart(figs.unit_images(sym.first_weights,
                                         title=f"What the first {len(sym.first_weights)} units of layer 1 look at "
                                               f"after {sym.steps[-1]} steps (their 784 weights as images)"),
                        key=K("fig_units"))
    st.markdown(
        "**Why.** If two units of a layer start with the same weights, they compute the same output, "
        "receive the same gradient and take the same step: they stay identical forever, and a layer of "
        f"{swidth} units is no better than one unit. With all zeros it is worse still: tanh(0) = 0 and "
        "ReLU(0) = 0 pass nothing on, so no gradient reaches the hidden weights at all. Random "
        "initialization breaks the symmetry; even a tiny noise is enough for the units to part."
    )
    st.caption(f"Measured on a small copy ({sdepth} × {swidth} units, same activation and init) trained with "
               f"Adam (lr 0.001, batches of 128) for {sym.steps[-1]} steps. The measure is the mean Euclidean "
               "distance between two units' incoming weight vectors; it is exactly 0 only when they are "
               "bit-for-bit equal.")

# Lazy tabs: only the open one runs (the symmetry run alone costs ~0.3 s). The open tab is in the URL.
tabs.background_job(JOB_KEY, lambda job, reader: compare_view.background_view(job, reader, compare_view.job_labels(P)),
                    shown=st.session_state[K("view")] == "train")
tabs.url_tabs(P, TABS, {"activations": activations_view, "gradients": gradients_view, "symmetry": symmetry_view,
                        "train": lambda: compare_view.train_tab(P, data, depth, width, act, params)})

write_url(P, SCHEMA)
