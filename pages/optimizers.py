"""5 · Optimizers: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam race on loss surfaces, on
mini-batches of a real problem, and on Fashion-MNIST."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from fmnist_core.optimizers import race as R
from fmnist_core.optimizers import surfaces as S
from fmnist_core.optimizers.settings import HYPER, KAPPA_OPTIONS, LR_OPTIONS
from fmnist_core.engine.optim import LR, OPTIMIZERS
from fmnist_core.engine.params import nearest
from ui.kit import animation_keys, live, presenter, tabs
from ui.figures import optimizers as figs
from ui.kit.common import bind_url, ensure_router, require_dataset, show_url_notes, write_url
from ui.kit.widgets import keys, plotly_chart
from ui.views import optimizers_data as cache, optimizers_fmnist as fmnist, optimizers_settings as settings
from ui.views.optimizers_url import SCHEMA, SURFACE_LABELS, TABS

ensure_router()

P = "optimizers"
K = keys(P)
bound = tabs.binder(P)  # the widgets inside the lazy tabs below
JOB_KEY = K("job")
PRESET_LABELS = {"small": "🐢 too small", "good": "✅ good", "oscillating": "〰️ too large", "diverging": "💥 diverging"}


def race_view() -> None:
    s = st.session_state
    left, right = st.columns([1, 3.2], gap="medium")
    with left:
        bound(st.selectbox, "surface", "Loss surface", list(SURFACE_LABELS), format_func=SURFACE_LABELS.get,
              after=lambda: settings.on_surface(P))
        name = s[K("surface")]
        if name == "valley":
            bound(st.select_slider, "kappa", S.KAPPA.title, list(KAPPA_OPTIONS), help=S.KAPPA.help)
            s[K("kappa")] = nearest(float(s[K("kappa")]), KAPPA_OPTIONS)
        if name == "network":
            bound(st.radio, "dirs", "Directions", ["random", "weights"], horizontal=True,
                  after=lambda: settings.on_surface(P),
                  format_func={"random": "2 random (filter-normalized)", "weights": "2 chosen weights"}.get)
            n_w = len(cache.toy().names)
            if s[K("dirs")] == "weights":
                for k in ("wi", "wj"):
                    s[K(k)] = min(int(s[K(k)]), n_w - 1)
                    bound(st.selectbox, k, "x: weight" if k == "wi" else "y: weight", list(range(n_w)),
                          format_func=lambda i: cache.toy().names[i])
            else:
                bound(st.number_input, "dseed", "Random directions' seed", min_value=0, max_value=999, step=1)
        bound(st.select_slider, "lr", f"{LR.title} η: SGD, momentum, Nesterov", LR_OPTIONS,
              format_func=lambda v: f"{v:g}")
        bound(st.select_slider, "lra", f"{LR.title} η: Adagrad, RMSprop, Adam", LR_OPTIONS,
              format_func=lambda v: f"{v:g}")
        with st.expander("Momentum, β₁, β₂, α", expanded=False):
            settings.hyper_sliders(P, list(s[K("opts")]))
        bound(st.slider, "steps", "Steps", 10, R.MAX_STEPS, step=10)
        c1, c2 = st.columns(2)
        (xl, xh), (yl, yh), _ = settings.surface_box(P, name)
        with c1:
            bound(st.number_input, "x0", "start x", min_value=float(xl), max_value=float(xh), step=0.1, format="%.3f")
        with c2:
            bound(st.number_input, "y0", "start y", min_value=float(yl), max_value=float(yh), step=0.1, format="%.3f")
        bound(st.toggle, "show3d", "3D view")
    with right:
        bound(st.pills, "opts", "Racers (click to add or remove)", list(OPTIMIZERS), selection_mode="multi",
              format_func=lambda n: OPTIMIZERS[n].label)
        names = [n for n in OPTIMIZERS if n in s[K("opts")]]
        if not names:
            st.warning("Pick at least one optimizer.")
            return
        key = settings.surface_key(P)
        if name == "network" and s[K("dirs")] == "weights" and s[K("wi")] == s[K("wj")]:
            st.warning("Pick two different weights for x and y.")
            return
        cols = st.columns([1.25, 1, 1, 1, 1], vertical_alignment="center")
        cols[0].markdown("**Learning rate presets:**")
        for c, (k, lab) in zip(cols[1:], PRESET_LABELS.items()):
            c.button(lab, key=K(f"preset_{k}"), on_click=settings.set_preset, args=(P, k), width="stretch")
        surf = cache.surface(*key)
        xs, ys, z = cache.grid(key)
        hyper = tuple((p.name, float(s[K(p.name)])) for p in HYPER)
        start = (float(s[K("x0")]), float(s[K("y0")]))
        paths = cache.run_race(key, tuple(names), start, int(s[K("steps")]), float(s[K("lr")]), float(s[K("lra")]),
                               hyper)
        ordered = [paths[n] for n in names]
        labels = [f"{OPTIMIZERS[n].label} (η {paths[n].lr:g})" for n in names]
        fig = figs.race_figure(xs, ys, z, ordered, labels, start, surf.minima,
                               title="x   (click the map to start there)")
        plotly_chart(fig, K("race_fig"), on_select="rerun", selection_mode=("points",))
        reading = figs.race_reading(ordered, [OPTIMIZERS[n].label for n in names])
        animation_keys.keys(K("race_keys"), K("race_fig"), reading, what="The optimizer race", frame_ms=figs.FRAME_MS)
        for n in names:
            if paths[n].status == "diverged":
                st.error(f"**{OPTIMIZERS[n].label}** {paths[n].message}. Its path stops at its last finite point.")
        if name == "network":
            t = cache.toy()
            st.caption(f"The loss of a 2 → 8 → 1 tanh network trained on the *moons* points, through its trained "
                       f"weights (at (0, 0): loss {t.loss:.4f}, accuracy {t.accuracy:.0%}) along {surf.what}. "
                       "Each optimizer moves only these two coordinates.")
        if s[K("show3d")]:
            st.plotly_chart(figs.surface_3d(xs, ys, z, ordered, labels), key=K("fig3d"))
        rows = [{"optimizer": OPTIMIZERS[n].label, "η": paths[n].lr,
                 "result": f"diverged at step {paths[n].diverged_at}" if paths[n].status == "diverged"
                 else f"final loss {paths[n].loss[-1]:.4g}",
                 "ends at": f"({paths[n].xy[-1, 0]:.2f}, {paths[n].xy[-1, 1]:.2f})"} for n in names]
        st.dataframe(pd.DataFrame(rows), hide_index=True, key=K("race_table"))
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
    start = (-3.0, 3.5)
    st.markdown("A real problem: **logistic regression** on 200 noisy 2D points (two overlapping clouds), with "
                "two weights, so its loss is a surface. The *true* gradient averages all 200 examples; **SGD** "
                "uses one example, or a small batch, at a time.")
    noise = cache.gradient_noise(start)
    c1, c2 = st.columns([2.2, 1])
    c1.plotly_chart(figs.direction_fans(noise), key=K("fans"))
    c2.plotly_chart(figs.cosine_boxes(noise), key=K("cos"))
    st.caption("At the start point, 200 random batches of each size: each grey line is one batch's gradient "
               "direction, the red one the true gradient. Cosine 1 = the same direction, 0 = at right angles, "
               "-1 = the opposite. One example's gradient is a noisy guess; averaging more examples shrinks the noise.")
    a, b = st.columns(2)
    with a:
        bound(st.select_slider, "mblr", f"{LR.title} η (plain SGD)", LR_OPTIONS, format_func=lambda v: f"{v:g}")
    with b:
        bound(st.slider, "mbsteps", "Steps", 20, 1000, step=20)
    runs = cache.batch_runs(start, float(s[K("mblr")]), int(s[K("mbsteps")]))
    xs, ys, z = cache.logistic_grid()
    fig = figs.race_figure(xs, ys, z, [r.path for r in runs], [r.path.name for r in runs], start,
                           title="weight w₁", ylabel="weight w₂", clickable=False)
    plotly_chart(fig, K("batch_fig"))
    reading = figs.race_reading([r.path for r in runs], [r.path.name for r in runs])
    animation_keys.keys(K("batch_keys"), K("batch_fig"), reading, what="Plain SGD with each batch size",
                        frame_ms=figs.FRAME_MS)
    rows = [{"batch size": r.batch_size,
             "steps to reach the target": str(r.steps_to_target) if r.steps_to_target is not None else "not reached",
             "examples used": f"{r.examples_to_target:,}" if r.steps_to_target is not None else "–",
             "seconds (optimizer work)": f"{r.seconds_to_target:.4f}" if r.seconds_to_target is not None else "–",
             "final loss": f"{r.path.loss[-1]:.4f}" if r.path.status != "diverged" else r.path.message}
            for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key=K("batch_table"))
    st.caption(f"Target: full-batch loss {runs[0].target:.4f} (10% above the best any of them reached). One example "
               "per step is cheap but noisy: its path wanders and needs more steps; the full batch walks straight but "
               "reads every example at every step. On a big network the cost of a step grows with the batch, which "
               "is why mini-batches of 32 to 512 are the usual compromise.")


def fmnist_view() -> None:
    s = st.session_state
    running = live.running(JOB_KEY)
    room = presenter.active()  # presenter mode: the button beside the settings, the explanation below the race
    c = st.columns([2.8, 1.1, 0.9] if room else [2.2, 1], vertical_alignment="bottom" if room else "top")
    with c[0]:
        bound(st.multiselect, "fmopts", "Optimizers to race", list(OPTIMIZERS),
              format_func=lambda n: f"{OPTIMIZERS[n].label} (η {OPTIMIZERS[n].lr:g})", disabled=running)
    with c[1]:
        bound(st.slider, "secs", "Seconds each", 2, 15, disabled=running)
    names, secs = list(s[K("fmopts")]), int(s[K("secs")])
    about = (f"The classic MLP (784-256-128-64-10, ReLU, dropout, batches of 512, one-cycle schedule) trained for "
             f"{secs} s with each optimizer at its usual learning rate, one after another (about "
             f"{len(names) * (secs + 1)} s in all), on the full 60,000 training images.")
    if not room:
        st.caption(about)
    with presenter.place(c[-1]):
        pressed = live.start_button(JOB_KEY, "▶ Race them", disabled=not names, type="primary",
                                     width="stretch" if room else "content")
    if pressed:
        data = require_dataset()
        s[K("job_names")] = names
        live.start(JOB_KEY, "optimizer race",
                   lambda job, names=tuple(names): R.fmnist_race(data, names, secs, job.emit, job.control))
    live.view(JOB_KEY, lambda job, reader: fmnist.race_view(job, reader, s.get(K("job_names"), []), P),
              idle="Press **Race them**: the curves appear here as each optimizer trains.")
    if room:
        st.caption(about)
    st.caption("Solid: training loss (smoothed); dashed with dots: test set after each epoch. Same network, same "
               "data, same seconds: the optimizer is the only difference. Adam is usually slightly ahead early; "
               "plain SGD is the slowest to start.")


with presenter.header("🏁 Optimizers: who gets down first?"):  # presenter mode: folded, beside the title
    st.caption("Gradient descent says *step against the gradient*; optimizers differ in **how far** and **in which "
               "direction exactly**. Every path here is a real `torch.optim` optimizer on the same loss, from the "
               "same start.")
show_url_notes(bind_url(P, SCHEMA))
settings.tidy_state(P)
tabs.background_job(JOB_KEY, fmnist.background_view, shown=st.session_state[K("view")] == "fmnist")
tabs.url_tabs(P, TABS, {"race": race_view, "batch": batch_view, "fmnist": fmnist_view})
write_url(P, SCHEMA)
