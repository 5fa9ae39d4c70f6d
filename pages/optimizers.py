"""5 · Optimizers: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam race on loss surfaces, on
mini-batches of a real problem, and on Fashion-MNIST."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from fmnist_core.engine import url_state as U
from fmnist_core.engine.optim import ALPHA, BETA1, BETA2, CLASSIC_OPTIMIZERS, LR, MOMENTUM, OPTIMIZERS
from fmnist_core.fashion.runs import history_series
from ui.kit import live
from ui.figures import optimizers as figs
from ui.kit.common import bind_url, ensure_router, require_dataset, show_url_notes, write_url
from ui.figures.training import curves_chart

ensure_router()

P = "optimizers"
JOB_KEY = f"{P}_job"
TABS = {"race": "① Race on a loss surface", "batch": "② Mini-batches: noisy directions",
        "fmnist": "③ Race on Fashion-MNIST"}
SURFACE_LABELS = {**{k: s.label for k, s in S.SURFACES.items()}, "network": "A real network's loss (toy net)"}
PRESET_LABELS = {"small": "🐢 too small", "good": "✅ good", "oscillating": "〰️ too large", "diverging": "💥 diverging"}
# 12 a decade, plus every preset's exact value
LR_OPTIONS = sorted({float(f"{v:.2g}") for v in np.logspace(np.log10(LR.low), np.log10(LR.high), 73)}
                    | {v for name in S.SURFACES for k in S.PRESETS for v in S.lr_preset(name, k)})
NICE = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999)
HYPER = (MOMENTUM, BETA1, BETA2, ALPHA)
TOY = S.train_toy  # the boundary page's small network: 2 -> 8 tanh -> 1 on moons
SCHEMA = {
    "view": U.Choice("race", tuple(TABS)),
    "surface": U.Choice("valley", tuple(SURFACE_LABELS)),
    "kappa": U.Float(S.KAPPA.default, S.KAPPA.low, S.KAPPA.high),
    "opts": U.MultiChoice(("sgd", "momentum", "adagrad", "adam"), tuple(OPTIMIZERS), 1, len(OPTIMIZERS)),
    "lr": U.Float(S.lr_preset("valley", "good")[0], LR.low, LR.high),
    "lra": U.Float(S.lr_preset("valley", "good")[1], LR.low, LR.high),
    **{p.name: U.Float(p.default, p.low, p.high) for p in HYPER},
    "steps": U.Int(300, 10, R.MAX_STEPS),
    "x0": U.Float(S.SURFACES["valley"].start[0], -10.0, 10.0),
    "y0": U.Float(S.SURFACES["valley"].start[1], -10.0, 10.0),
    "dirs": U.Choice("random", ("random", "weights")),
    "dseed": U.Int(0, 0, 999),
    "wi": U.Int(0, 0, 40),
    "wj": U.Int(24, 0, 40),
    "show3d": U.Bool(False),
    "mblr": U.Float(1.0, LR.low, LR.high),
    "mbsteps": U.Int(200, 20, 1000),
    "fmopts": U.MultiChoice(CLASSIC_OPTIMIZERS, tuple(OPTIMIZERS), 1, len(OPTIMIZERS)),
    "secs": U.Int(4, 2, 15),
}


def nearest(v: float, options) -> float:
    return min(options, key=lambda o: abs(np.log(o) - np.log(v)) if o > 0 and v > 0 else abs(o - v))


def bound(widget, name: str, *args, after=None, **kwargs):
    """A widget inside a lazy tab whose value lives in the plain key f"{P}_{name}" (bound to the URL):
    a widget's own state is dropped on the runs where its tab is closed."""
    wkey = f"{P}_w_{name}"
    st.session_state[wkey] = st.session_state[f"{P}_{name}"]

    def sync() -> None:
        st.session_state[f"{P}_{name}"] = st.session_state[wkey]
        if after is not None:
            after()

    return widget(*args, key=wkey, on_change=sync, **kwargs)


def surface_key(s=st.session_state) -> tuple:
    return (s[f"{P}_surface"], float(s[f"{P}_kappa"]), s[f"{P}_dirs"], int(s[f"{P}_dseed"]), int(s[f"{P}_wi"]),
            int(s[f"{P}_wj"]))


def current_surface() -> S.Surface:
    key = surface_key()
    if key[0] == "network" and key[2] == "weights" and key[4] == key[5]:
        key = (*key[:5], (key[4] + 1) % len(toy().names))  # the page warns; the box and presets still exist
    return surface(*key)


def surface_box(name: str) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    surf = current_surface() if name == "network" else S.make_surface(name)
    return surf.xlim, surf.ylim, surf.start


def set_preset(preset: str) -> None:
    lr, lra = current_surface().lr_presets[preset]
    st.session_state[f"{P}_lr"], st.session_state[f"{P}_lra"] = nearest(lr, LR_OPTIONS), nearest(lra, LR_OPTIONS)


def on_surface() -> None:
    """A new surface starts from its own start point with its good learning rates."""
    _, _, (x0, y0) = surface_box(st.session_state[f"{P}_surface"])
    st.session_state[f"{P}_x0"], st.session_state[f"{P}_y0"] = x0, y0
    st.session_state[f"{P}_surface_seen"] = st.session_state[f"{P}_surface"]
    set_preset("good")


def tidy_state() -> None:
    """Link values onto the widgets' options, the start inside the surface's box; a clicked point
    of the map (the chart's selection) becomes the start."""
    s = st.session_state
    if s.get(f"{P}_surface_seen") != s[f"{P}_surface"]:  # a link naming a surface: its own start and η
        s[f"{P}_surface_seen"] = s[f"{P}_surface"]
        _, _, start = surface_box(s[f"{P}_surface"])
        lrs = current_surface().lr_presets["good"]
        for k, v in (("x0", start[0]), ("y0", start[1]), ("lr", lrs[0]), ("lra", lrs[1])):
            if k not in st.query_params:
                s[f"{P}_{k}"] = v
    for k in ("lr", "lra", "mblr"):
        s[f"{P}_{k}"] = nearest(float(s[f"{P}_{k}"]), LR_OPTIONS)
    for p in HYPER:
        s[f"{P}_{p.name}"] = nearest(float(s[f"{P}_{p.name}"]), [v for v in NICE if p.low <= v <= p.high])
    for k in ("opts", "fmopts"):
        s[f"{P}_{k}"] = list(s[f"{P}_{k}"])
    sel = s.get(f"{P}_race_fig")
    points = (sel or {}).get("selection", {}).get("points", []) if isinstance(sel, dict) else \
        getattr(getattr(sel, "selection", None), "points", []) or []
    if points and points != s.get(f"{P}_applied_click"):
        s[f"{P}_applied_click"] = points
        s[f"{P}_x0"], s[f"{P}_y0"] = float(points[0]["x"]), float(points[0]["y"])
    (xl, xh), (yl, yh), _ = surface_box(s[f"{P}_surface"])
    s[f"{P}_x0"] = round(min(max(float(s[f"{P}_x0"]), xl), xh), 3)
    s[f"{P}_y0"] = round(min(max(float(s[f"{P}_y0"]), yl), yh), 3)


@st.cache_resource(show_spinner="Training the small network once…")
def toy() -> S.TrainedToy:
    return TOY()


@st.cache_resource(show_spinner=False, max_entries=8)
def surface(name: str, kappa: float, dirs: str, dseed: int, wi: int, wj: int) -> S.Surface:
    if name != "network":
        return S.make_surface(name, kappa=kappa)
    return S.network_slice(toy(), dirs, dseed, wi, wj)


@st.cache_data(show_spinner=False, max_entries=16)
def grid(key: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return surface(*key).grid(100 if key[0] != "network" else 50)


@st.cache_data(show_spinner="Racing…", max_entries=16)
def run_race(key: tuple, names: tuple, start: tuple, steps: int, lr: float, lra: float, hyper: tuple):
    return R.race(surface(*key), names, start, steps, lr, lra, **dict(hyper))


def hyper_sliders(names: list[str]) -> None:
    shown = [p for p in HYPER if any(p in OPTIMIZERS[n].params for n in names)]
    for p in shown:
        bound(st.select_slider, p.name, p.title, [v for v in NICE if p.low <= v <= p.high], help=p.help or None)


def race_view() -> None:
    s = st.session_state
    left, right = st.columns([1, 3.2], gap="medium")
    with left:
        bound(st.selectbox, "surface", "Loss surface", list(SURFACE_LABELS), format_func=SURFACE_LABELS.get,
              after=on_surface)
        name = s[f"{P}_surface"]
        if name == "valley":
            bound(st.select_slider, "kappa", S.KAPPA.title, [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0],
                  help=S.KAPPA.help)
            s[f"{P}_kappa"] = nearest(float(s[f"{P}_kappa"]), [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0])
        if name == "network":
            bound(st.radio, "dirs", "Directions", ["random", "weights"], horizontal=True, after=on_surface,
                  format_func={"random": "2 random (filter-normalized)", "weights": "2 chosen weights"}.get)
            n_w = len(toy().names)
            if s[f"{P}_dirs"] == "weights":
                for k in ("wi", "wj"):
                    s[f"{P}_{k}"] = min(int(s[f"{P}_{k}"]), n_w - 1)
                    bound(st.selectbox, k, "x: weight" if k == "wi" else "y: weight", list(range(n_w)),
                          format_func=lambda i: toy().names[i])
            else:
                bound(st.number_input, "dseed", "Random directions' seed", min_value=0, max_value=999, step=1)
        bound(st.select_slider, "lr", f"{LR.title} η: SGD, momentum, Nesterov", LR_OPTIONS,
              format_func=lambda v: f"{v:g}")
        bound(st.select_slider, "lra", f"{LR.title} η: Adagrad, RMSprop, Adam", LR_OPTIONS,
              format_func=lambda v: f"{v:g}")
        names = list(s[f"{P}_opts"])
        with st.expander("Momentum, β₁, β₂, α", expanded=False):
            hyper_sliders(names)
        bound(st.slider, "steps", "Steps", 10, R.MAX_STEPS, step=10)
        c1, c2 = st.columns(2)
        (xl, xh), (yl, yh), _ = surface_box(name)
        with c1:
            bound(st.number_input, "x0", "start x", min_value=float(xl), max_value=float(xh), step=0.1, format="%.3f")
        with c2:
            bound(st.number_input, "y0", "start y", min_value=float(yl), max_value=float(yh), step=0.1, format="%.3f")
        bound(st.toggle, "show3d", "3D view")
    with right:
        bound(st.pills, "opts", "Racers (click to add or remove)", list(OPTIMIZERS), selection_mode="multi",
              format_func=lambda n: OPTIMIZERS[n].label)
        names = [n for n in OPTIMIZERS if n in s[f"{P}_opts"]]
        if not names:
            st.warning("Pick at least one optimizer.")
            return
        key = surface_key()
        if name == "network" and s[f"{P}_dirs"] == "weights" and s[f"{P}_wi"] == s[f"{P}_wj"]:
            st.warning("Pick two different weights for x and y.")
            return
        cols = st.columns([1.25, 1, 1, 1, 1], vertical_alignment="center")
        cols[0].markdown("**Learning rate presets:**")
        for c, (k, lab) in zip(cols[1:], PRESET_LABELS.items()):
            c.button(lab, key=f"{P}_preset_{k}", on_click=set_preset, args=(k,), width="stretch")
        surf = surface(*key)
        xs, ys, z = grid(key)
        hyper = tuple((p.name, float(s[f"{P}_{p.name}"])) for p in HYPER)
        start = (float(s[f"{P}_x0"]), float(s[f"{P}_y0"]))
        paths = run_race(key, tuple(names), start, int(s[f"{P}_steps"]), float(s[f"{P}_lr"]), float(s[f"{P}_lra"]),
                         hyper)
        ordered = [paths[n] for n in names]
        labels = [f"{OPTIMIZERS[n].label} (η {paths[n].lr:g})" for n in names]
        fig = figs.race_figure(xs, ys, z, ordered, labels, start, surf.minima,
                               title="x   (click the map to start there)")
        st.plotly_chart(fig, key=f"{P}_race_fig", on_select="rerun", selection_mode=("points",),
                        config={"displayModeBar": False})
        for n in names:
            if paths[n].status == "diverged":
                st.error(f"**{OPTIMIZERS[n].label}** {paths[n].message}. Its path stops at its last finite point.")
        if name == "network":
            t = toy()
            st.caption(f"The loss of a 2 → 8 → 1 tanh network trained on the *moons* points, through its trained "
                       f"weights (at (0, 0): loss {t.loss:.4f}, accuracy {t.accuracy:.0%}) along {surf.what}. "
                       "Each optimizer moves only these two coordinates.")
        if s[f"{P}_show3d"]:
            st.plotly_chart(figs.surface_3d(xs, ys, z, ordered, labels), key=f"{P}_fig3d")
        rows = [{"optimizer": OPTIMIZERS[n].label, "η": paths[n].lr,
                 "result": f"diverged at step {paths[n].diverged_at}" if paths[n].status == "diverged"
                 else f"final loss {paths[n].loss[-1]:.4g}",
                 "ends at": f"({paths[n].xy[-1, 0]:.2f}, {paths[n].xy[-1, 1]:.2f})"} for n in names]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{P}_race_table")
    explain_race()


def explain_race() -> None:
    with st.expander("What am I looking at? (the lecture's words)", expanded=True):
        c1, c2 = st.columns(2)
        c1.markdown(
            "- **SGD** steps straight down the slope: $w \\leftarrow w - \\eta\\,\\nabla L$. In a long valley "
            "the slope points across, not along, so it zig-zags and crawls (**too small** η: it never arrives; "
            "**too large**: it bounces from wall to wall; larger still: every bounce grows and it **diverges**).\n"
            "- **SGD with momentum** keeps an exponentially weighted average of the gradients: the zig-zags "
            "cancel, the steady downhill part adds up, so it rolls along the valley floor (and can roll over a "
            "small hump into a deeper minimum).\n- **Nesterov** looks one step ahead before it corrects.")
        c2.markdown(
            "- **Adagrad** gives *each parameter its own learning rate*, divided by the root of the sum of its "
            "past squared gradients: flat directions (rare features) keep larger steps. The sum only grows, so it "
            "slows down for good.\n- **RMSprop** forgets old gradients (an average instead of a sum).\n"
            "- **Adam** = momentum + squared-gradient scaling + bias correction; usually slightly ahead. Its step "
            "is about η whatever the slope, so it does not blow up, it wanders.\n\n"
            "Both learning rates are sliders because they mean different things: for the first three η multiplies "
            "the gradient, for the adaptive three it is roughly the step length.")


def batch_view() -> None:
    s = st.session_state
    problem = R.logistic_problem()
    start = (-3.0, 3.5)
    st.markdown("A real problem: **logistic regression** on 200 noisy 2D points (two overlapping clouds), with "
                "two weights, so its loss is a surface. The *true* gradient averages all 200 examples; **SGD** "
                "uses one example, or a small batch, at a time.")
    noise = cached_noise(start)
    c1, c2 = st.columns([2.2, 1])
    c1.plotly_chart(figs.direction_fans(noise), key=f"{P}_fans")
    c2.plotly_chart(figs.cosine_boxes(noise), key=f"{P}_cos")
    st.caption("At the start point, 200 random batches of each size: each grey line is one batch's gradient "
               "direction, the red one the true gradient. Cosine 1 = the same direction, 0 = at right angles, "
               "-1 = the opposite. One example's gradient is a noisy guess; averaging more examples shrinks the noise.")
    a, b = st.columns(2)
    with a:
        bound(st.select_slider, "mblr", f"{LR.title} η (plain SGD)", LR_OPTIONS, format_func=lambda v: f"{v:g}")
    with b:
        bound(st.slider, "mbsteps", "Steps", 20, 1000, step=20)
    runs = cached_batches(start, float(s[f"{P}_mblr"]), int(s[f"{P}_mbsteps"]))
    xs, ys, z = cached_logistic_grid()
    fig = figs.race_figure(xs, ys, z, [r.path for r in runs], [r.path.name for r in runs], start,
                           title="weight w₁", ylabel="weight w₂", clickable=False)
    st.plotly_chart(fig, key=f"{P}_batch_fig", config={"displayModeBar": False})
    rows = [{"batch size": r.batch_size,
             "steps to reach the target": str(r.steps_to_target) if r.steps_to_target is not None else "not reached",
             "examples used": f"{r.examples_to_target:,}" if r.steps_to_target is not None else "–",
             "seconds (optimizer work)": f"{r.seconds_to_target:.4f}" if r.seconds_to_target is not None else "–",
             "final loss": f"{r.path.loss[-1]:.4f}" if r.path.status != "diverged" else r.path.message}
            for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{P}_batch_table")
    st.caption(f"Target: full-batch loss {runs[0].target:.4f} (10% above the best any of them reached). One example "
               "per step is cheap but noisy: its path wanders and needs more steps; the full batch walks straight but "
               "reads every example at every step. On a big network the cost of a step grows with the batch, which "
               "is why mini-batches of 32 to 512 are the usual compromise.")


@st.cache_data(show_spinner=False)
def cached_noise(start: tuple) -> R.GradientNoise:
    return R.gradient_noise(R.logistic_problem(), start, (1, 8, 64), samples=200)


@st.cache_data(show_spinner="Running SGD with each batch size…", max_entries=8)
def cached_batches(start: tuple, lr: float, steps: int) -> list[R.BatchRun]:
    return R.sgd_with_batches(R.logistic_problem(), start, (1, 8, 64, 0), lr, steps)


@st.cache_data(show_spinner=False)
def cached_logistic_grid():
    return R.LogisticSurface(R.logistic_problem()).grid(80)


def fmnist_view() -> None:
    s = st.session_state
    running = live.running(JOB_KEY)
    c = st.columns([2.2, 1])
    with c[0]:
        bound(st.multiselect, "fmopts", "Optimizers to race", list(OPTIMIZERS),
              format_func=lambda n: f"{OPTIMIZERS[n].label} (η {OPTIMIZERS[n].lr:g})", disabled=running)
    with c[1]:
        bound(st.slider, "secs", "Seconds each", 2, 15, disabled=running)
    names, secs = list(s[f"{P}_fmopts"]), int(s[f"{P}_secs"])
    st.caption(f"The classic MLP (784-256-128-64-10, ReLU, dropout, batches of 512, one-cycle schedule) trained for "
               f"{secs} s with each optimizer at its usual learning rate, one after another (about "
               f"{len(names) * (secs + 1)} s in all), on the full 60,000 training images.")
    if live.start_button(JOB_KEY, "▶ Race them", disabled=not names, type="primary"):
        data = require_dataset()
        s[f"{P}_job_names"] = names
        live.start(JOB_KEY, "optimizer race",
                   lambda job, names=tuple(names): R.fmnist_race(data, names, secs, job.emit, job.control))

    def draw(job, reader) -> None:
        jn = s.get(f"{P}_job_names", [])
        runs = [(f"{OPTIMIZERS[jn[k]].label}", history_series([e for e in reader.history if e.get("run") == k]))
                for k in reader.runs if isinstance(k, int) and k < len(jn)]
        if job.active and runs:
            st.caption(f"Training {len(runs)} of {len(jn)}: **{runs[-1][0]}**.")
        a, b = st.columns(2)
        a.vega_lite_chart(curves_chart(runs, "loss", 0.6, "elapsed", compare=True), key=f"{P}_fm_loss")
        b.vega_lite_chart(curves_chart(runs, "accuracy", 0.6, "elapsed", compare=True), key=f"{P}_fm_acc")
        rows = []
        for k, r in reader.runs.items():
            if isinstance(k, int) and k < len(jn) and r.end is not None:
                e = r.end
                rows.append({"optimizer": OPTIMIZERS[jn[k]].label, "status": e.get("message", ""),
                             "test accuracy": f"{e['test_accuracy']:.1%}" if np.isfinite(e.get("test_accuracy", np.nan))
                             else "–", "seconds": f"{e.get('train_seconds', 0):.1f}"})
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, key=f"{P}_fm_table")

    live.view(JOB_KEY, draw, idle="Press **Race them**: the curves appear here as each optimizer trains.")
    st.caption("Solid: training loss (smoothed); dashed with dots: test set after each epoch. Same network, same "
               "data, same seconds: the optimizer is the only difference. Adam is usually slightly ahead early; "
               "plain SGD is the slowest to start.")


def background_view(job, reader) -> None:
    """While another tab of this page is open: keeps the race's heartbeat, says where it is."""
    if job.active:
        st.caption("⏳ The Fashion-MNIST race is training in the background; tab ③ shows it live.")


def on_tab() -> None:
    st.session_state[f"{P}_view"] = {v: k for k, v in TABS.items()}[st.session_state[f"{P}_tab"]]


st.title("🏁 Optimizers: who gets down first?")
st.caption("Gradient descent says *step against the gradient*; optimizers differ in **how far** and **in which "
           "direction exactly**. Every path here is a real `torch.optim` optimizer on the same loss, from the same start.")
show_url_notes(bind_url(P, SCHEMA))
tidy_state()
if st.session_state.get(f"{P}_tab") != TABS[st.session_state[f"{P}_view"]]:
    st.session_state[f"{P}_tab"] = TABS[st.session_state[f"{P}_view"]]
if live.running(JOB_KEY) and st.session_state[f"{P}_view"] != "fmnist":
    live.view(JOB_KEY, background_view, every=1.0, show_controls=False, notices=False)
tabs = st.tabs(list(TABS.values()), key=f"{P}_tab", on_change=on_tab)
for tab, view in zip(tabs, (race_view, batch_view, fmnist_view)):
    with tab:
        if tab.open:
            view()
write_url(P, SCHEMA)
