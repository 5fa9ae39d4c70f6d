"""4 · Weight initialization: symmetry, too small, too large, Xavier and He, measured per layer."""
from __future__ import annotations

import numpy as np
import streamlit as st

from fmnist_core.initialization import compare as init_compare, report as init_report, stats as init_stats, symmetry
from fmnist_core.engine import url_state as U
from fmnist_core.nn.activations import ACTIVATIONS
from fmnist_core.engine.optim import OPTIMIZERS
from fmnist_core.nn.weight_init import INITS, SYMMETRIC
from ui.views import init_compare as compare_view
from ui.figures import initialization as figs
from ui.views import init_text
from ui.kit import live, live_chart
from ui.kit.common import bind_url, dataset, ensure_router, missing_data_screen, show_url_notes, write_url

ensure_router()

P = "initialization"
JOB_KEY = f"{P}_job"
TOY = init_compare.toy_names()
DATA_LABELS = {"fashion": "Fashion-MNIST (784 pixels)", **{n: f"Toy 2D: {n}" for n in TOY}}
OPT_LRS = {"momentum": 0.01, "adam": 1e-3}  # the comparison's two optimizers, each at a rate that suits it here
# The initializers' scale parameters (σ, a, c), with their ranges; the gain is a checkbox (tanh's 5/3 or 1).
SCALES = {p.name: p for spec in INITS.values() for p in spec.params if p.name != "gain"}
TABS = {"activations": "① Activations through depth", "gradients": "② Gradients per layer",
        "symmetry": "③ Symmetry: all units alike", "train": "④ Train and compare"}
NOISE = 1e-3

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
PRESETS = {
    "All zeros": dict(init="zeros"),
    "Too small: σ 0.01": dict(init="normal", std=0.01, act="tanh"),
    "Too large: σ 1": dict(init="standard_normal", act="tanh"),
    "Xavier + tanh": dict(init="xavier_normal", act="tanh", gain=True),
    "He + ReLU": dict(init="he_normal", act="relu"),
}


def log_options(p) -> list[float]:
    """A log-scale parameter's slider steps: 20 a decade over its range, on 2 significant digits."""
    n = round(20 * np.log10(p.high / p.low)) + 1
    return [float(f"{v:.2g}") for v in np.logspace(np.log10(p.low), np.log10(p.high), n)]


def opt_label(name: str) -> str:
    return f"{OPTIMIZERS[name].label}, lr {OPT_LRS[name]:g}"


def _nearest(value, options):
    return min(options, key=lambda o: abs(np.log(o) - np.log(value)) if o > 0 and value > 0 else abs(o - value))


def _snap_state() -> None:
    """Link values need not sit on a slider's options: move them to the nearest one."""
    s = st.session_state
    s[f"{P}_width"] = _nearest(int(s[f"{P}_width"]), init_stats.WIDTHS)
    for name, p in SCALES.items():
        v = float(s[f"{P}_{name}"])
        s[f"{P}_{name}"] = _nearest(v, log_options(p)) if p.log else round(v, 2)
    if f"{P}_cmp" in s:
        s[f"{P}_cmp"] = list(s[f"{P}_cmp"])


def bound(widget, name: str, *args, **kwargs):
    """A widget inside a lazy tab. Its value lives in the plain key f"{P}_{name}" (bound to the URL):
    a widget's own state is dropped on the runs where its tab is closed."""
    wkey = f"{P}_w_{name}"
    st.session_state[wkey] = st.session_state[f"{P}_{name}"]

    def sync() -> None:
        st.session_state[f"{P}_{name}"] = st.session_state[wkey]

    return widget(*args, key=wkey, on_change=sync, **kwargs)


def _preset(values: dict) -> None:
    for k, v in values.items():
        st.session_state[f"{P}_{k}"] = v


def init_params(s=st.session_state) -> dict:
    """Every initializer parameter the page sets (apply_init keeps the ones its initializer uses)."""
    return {**{name: float(s[f"{P}_{name}"]) for name in SCALES},
            # Only tanh: for ReLU, Xavier x sqrt(2) would be He itself, and He is the lesson there.
            "gain": init_stats.activation_gain("tanh") if s[f"{P}_gain"] and s[f"{P}_act"] == "tanh" else 1.0,
            "noise": NOISE if s[f"{P}_noise"] else 0.0}


def init_label(name: str, params: dict) -> str:
    if name == "normal":
        return f"N(0, {params['std']:.3g}²)"
    if name == "uniform":
        return f"U(-{params['a']:.3g}, {params['a']:.3g})"
    if name == "constant":
        return f"constant {params['value']:g}"
    if name.startswith("xavier") and params["gain"] != 1:
        return f"{INITS[name].label} (gain {params['gain']:.3g})"
    return INITS[name].label


@st.cache_resource(show_spinner=False)
def _toy(name: str) -> init_compare.DiagData:
    return init_compare.toy_data(name)


def get_data(name: str) -> init_compare.DiagData | None:
    if name != "fashion":
        return _toy(name)
    data = dataset()
    return None if data is None else init_compare.fashion_data(data)


@st.cache_data(max_entries=64, show_spinner=False)
def _report(data_name, depth, width, act, init, params: tuple) -> init_report.InitReport:
    return init_report.init_report(get_data(data_name), depth, width, act, init, **dict(params))


@st.cache_data(max_entries=32, show_spinner=False)
def _symmetry(data_name, depth, width, act, init, params: tuple) -> symmetry.SymmetryRun:
    return symmetry.symmetry_run(get_data(data_name), depth, width, act, init, **dict(params))


# --------------------------------------------------------------------------- settings

show_url_notes(bind_url(P, SCHEMA))
_snap_state()

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
    c[0].selectbox("Data", list(DATA_LABELS), key=f"{P}_data", format_func=DATA_LABELS.get)
    c[1].slider("Hidden layers", 1, init_stats.MAX_DEPTH, key=f"{P}_depth")
    c[2].select_slider("Units per layer", init_stats.WIDTHS, key=f"{P}_width")
    c[3].selectbox("Activation", list(ACTIVATIONS), key=f"{P}_act", format_func=lambda n: ACTIVATIONS[n].label)
    c[4].selectbox("Initializer", list(INITS), key=f"{P}_init", format_func=lambda n: INITS[n].label)
    init = st.session_state[f"{P}_init"]
    act = st.session_state[f"{P}_act"]
    with c[5]:
        for p in INITS[init].params:
            if p.name in SCALES and p.log:
                st.select_slider(f"{p.title} (log scale)", log_options(p), key=f"{P}_{p.name}",
                                 format_func=lambda v: f"{v:g}")
            elif p.name in SCALES:
                st.slider(p.title, p.low, p.high, step=0.01, key=f"{P}_{p.name}")
            elif act == "tanh":  # the gain
                st.checkbox("gain 5/3", key=f"{P}_gain",
                            help="PyTorch's calculate_gain('tanh'): makes up for tanh squashing a little at "
                                 "every layer. Glorot's paper uses 1.")
    p = st.columns([0.45] + [1] * len(PRESETS), vertical_alignment="center")
    p[0].markdown("**Try:**")
    for col, (name, values) in zip(p[1:], PRESETS.items()):
        col.button(name, key=f"{P}_preset_{name}", on_click=_preset, args=(values,), width="stretch")

data_name = st.session_state[f"{P}_data"]
depth, width = int(st.session_state[f"{P}_depth"]), int(st.session_state[f"{P}_width"])
params = init_params()
data = get_data(data_name)
if data is None:
    st.info("Fashion-MNIST is not on this machine: pick a toy 2D set under **Data**, or get the dataset:")
    write_url(P, SCHEMA)
    missing_data_screen()
    st.stop()

key = (data_name, depth, width, act, init, tuple(sorted(params.items())))
label = init_label(init, params)
if params["noise"]:
    label += " + noise 0.001"
fan_in = width if depth > 1 else data.in_features
st.caption(
    f"Network: {data.in_features} inputs → {depth} × {width} {ACTIVATIONS[act].label} → {data.n_classes} outputs, "
    f"initialized with **{label}**, ${INITS[init].formula}$, measured on a batch of {min(512, len(data.y_train))} training inputs."
)


# --------------------------------------------------------------------------- activations

def activations_view() -> None:
    report = _report(*key)
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
                        key=f"{P}_fig_violins")
        st.caption("Each shape is the histogram of one layer's activations on the batch (widest where most "
                   "values are; square-root widths), all on one value axis. A thin line at 0: the signal **collapsed** (too small). Two bulges at ±1: tanh "
                   "**saturated** (too large). A steady shape from left to right: a healthy init.")
    with right:
        ref_label = f"{INITS[report.reference_init].label} (measured)"
        st.plotly_chart(figs.std_by_depth(a.std, report.reference.std if report.reference else None,
                                          ref_label, label=label, title="Activation std against depth"),
                        key=f"{P}_fig_std")
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
    report = _report(*key)
    v = report.verdict
    box = {"healthy": st.success, "zero": st.warning}.get(v.kind, st.error)
    box(f"**{init_text.gradient_sentence(v)}**")
    left, right = st.columns([1.4, 1])
    with left:
        st.plotly_chart(figs.gradient_bars(report.grads.weight, v.labels, init_stats.layer_names(depth),
                                           title=f"Gradient norm per layer at initialization (loss {report.grads.loss:.3g})"),
                        key=f"{P}_fig_grads")
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
    sym = _symmetry(data_name, sdepth, swidth, act, init, tuple(sorted(init_params().items())))
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
        live_chart.show(f"{P}_fig_sym", figs.symmetry_chart(sym.steps, sym.symmetry,
                                                           title="Symmetry measure (0 = all units identical)"))
    with right:
        st.plotly_chart(figs.distance_heatmap(sym.distances, title="Layer 1: distance between units"),
                        key=f"{P}_fig_dist")
    if data.in_features == 784:
        st.plotly_chart(figs.unit_images(sym.first_weights,
                                         title=f"What the first {len(sym.first_weights)} units of layer 1 look at "
                                               f"after {sym.steps[-1]} steps (their 784 weights as images)"),
                        key=f"{P}_fig_units")
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

# --------------------------------------------------------------------------- training

def train_view() -> None:
    running = live.running(JOB_KEY)
    c = st.columns([2.2, 1, 1.4])
    with c[0]:
        bound(st.multiselect, "cmp", "Initializers to compare (2 to 5)", list(INITS),
              format_func=lambda n: init_label(n, params), max_selections=5, disabled=running)
    with c[1]:
        bound(st.slider, "secs", "Seconds each", 2, 15, disabled=running)
    with c[2]:
        bound(st.radio, "opt", "Optimizer", list(OPT_LRS), format_func=opt_label, disabled=running)
    chosen = list(st.session_state[f"{P}_cmp"])
    secs = int(st.session_state[f"{P}_secs"])
    b = st.columns([1, 3])
    with b[0]:
        start = live.start_button(JOB_KEY, "▶ Train them", disabled=running or not 2 <= len(chosen) <= 5,
                                  button_key=f"{P}_start", notice=False, type="primary", width="stretch")
    b[1].caption(f"The same {depth} × {width} {ACTIVATIONS[act].label} network and the same batches, once per "
                 f"initializer, {secs} s each (about {len(chosen) * (secs + 1)} s in all), one after another. "
                 "A run whose loss becomes NaN or infinite is stopped and reported.")
    if len(chosen) < 2:
        st.warning("Pick at least 2 initializers to compare.")
    live.elsewhere_notice(JOB_KEY)
    if start:
        opt_name = st.session_state[f"{P}_opt"]
        cfg = init_compare.CompareConfig(inits=tuple(chosen), depth=depth, width=width, activation=act,
                                 init_params=tuple(sorted(params.items())), optimizer=opt_name, lr=OPT_LRS[opt_name],
                                 budget=float(secs))
        st.session_state[f"{P}_job_labels"] = [init_label(n, params) for n in chosen]
        st.session_state[f"{P}_job_depth"] = depth
        live.start(JOB_KEY, "init comparison",
                   lambda job, cfg=cfg, data=data: init_compare.compare_inits(cfg, data, job.emit, job.control))
    live.view(JOB_KEY, lambda job, reader: compare_view.comparison_view(job, reader, job_labels(), job_depth(), P),
              idle="Press **Train them** to watch the loss curves side by side.", controls_key=f"{P}_ctl")


def job_labels() -> list[str]:
    return st.session_state.get(f"{P}_job_labels", [])


def job_depth() -> int:
    return st.session_state.get(f"{P}_job_depth", depth)


def _on_tab() -> None:
    st.session_state[f"{P}_view"] = {v: k for k, v in TABS.items()}[st.session_state[f"{P}_tab"]]


# Lazy tabs: only the open one runs (the symmetry run alone costs ~0.3 s). The open tab is in the URL.
if st.session_state.get(f"{P}_tab") != TABS[st.session_state[f"{P}_view"]]:
    st.session_state[f"{P}_tab"] = TABS[st.session_state[f"{P}_view"]]
if live.running(JOB_KEY) and st.session_state[f"{P}_view"] != "train":
    live.view(JOB_KEY, lambda job, reader: compare_view.background_view(job, reader, job_labels()), every=1.0,
              show_controls=False, notices=False)
tabs = st.tabs(list(TABS.values()), key=f"{P}_tab", on_change=_on_tab)
for tab, view in zip(tabs, (activations_view, gradients_view, symmetry_view, train_view)):
    with tab:
        if tab.open:
            view()

write_url(P, SCHEMA)
