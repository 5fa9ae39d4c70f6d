"""1 · Neurons & activations: a neuron by hand, activation curves and their derivatives,
BReLU's hand-written backward checked live, and the same MLP trained with each activation."""
from functools import partial

import pandas as pd
import streamlit as st

from fmnist_core.basics import activation_lab as lab
from fmnist_core.basics.neuron import FLU, NEURON_ACTIVATIONS, compute_neuron, sum_latex, truth_table
from fmnist_core.nn.activations import ACTIVATIONS
from ui.figures import activations as figs
from ui.kit import live, presenter
from ui.kit.common import bind_url, ensure_router, require_dataset, show_url_notes, svg_image, write_url
from ui.kit.widgets import keys
from ui.views.activations_compare import compare_view
from ui.views.activations_gradcheck import gradcheck_section
from ui.views.activations_url import NAMES, SCHEMA

ensure_router()

P = "activations"
k = keys(P)
JOB_KEY = k("compare_job")


def params_of(name: str) -> dict[str, float]:
    """The slider values of `name`'s parameters (URL-bound, so set even when not on screen)."""
    return {p.name: float(st.session_state.get(k(f"{name}_{p.name}"), p.default))
            for p in ACTIVATIONS[name].params}


@st.cache_data(max_entries=512, show_spinner=False)
def cached_curves(name: str, params: tuple, x_min: float, x_max: float) -> list[dict]:
    return lab.curves(name, dict(params), x_min, x_max)


show_url_notes(bind_url(P, SCHEMA))

st.title("⚡ Neurons & activations")
st.markdown(
    "A **neuron** multiplies each input by a weight, sums them (plus a bias) and passes the sum "
    "through an **activation function**. A zero weight ignores its input. With a threshold (step) "
    "activation it is a linear classifier: it fires 1 when the weighted sum reaches the threshold, else 0."
)

# ------------------------------------------------------------------------------------ the neuron
st.header("A neuron by hand: does the patient have flu?")
st.markdown(
    "Three yes/no symptoms (1 = yes), one weight each, and a threshold of 5. Tick the symptoms, "
    "change a weight, and follow the arithmetic."
)


@st.fragment
def neuron_section() -> None:
    """Its widgets rerun only this section (a full page run is several times slower)."""
    cols = st.columns(4)
    for i, (col, symptom) in enumerate(zip(cols, FLU.inputs), start=1):
        with col:
            st.checkbox(f"x{i}: {symptom}", key=k(f"x{i}"))
            st.number_input(f"weight w{i}", min_value=-10.0, max_value=10.0, step=1.0, key=k(f"w{i}"))
    with cols[3]:
        st.number_input("threshold", min_value=-20.0, max_value=20.0, step=1.0, key=k("threshold"),
                        help="The bias is minus the threshold: the activation sees z = sum − threshold.")

    xs = [1.0 if st.session_state[k(f"x{i}")] else 0.0 for i in (1, 2, 3)]
    ws = [float(st.session_state[k(f"w{i}")]) for i in (1, 2, 3)]
    threshold = float(st.session_state[k("threshold")])
    neuron = compute_neuron(xs, ws, threshold)
    verdict = FLU.yes if neuron.fires else FLU.no
    left, right = st.columns([2, 3])
    with left:
        st.latex(sum_latex(neuron))
        relation = r"\ge" if neuron.fires else "<"
        st.latex(rf"{neuron.total:g} {relation} {threshold:g} \;\Rightarrow\; \text{{{verdict}}}")
        st.latex(rf"z = \text{{sum}} - \text{{threshold}} = {neuron.z:g}")
    with right:
        z_lim = max(6.0, abs(neuron.z) + 1.5)
        neuron_curves = {a: cached_curves(a, (), -z_lim, z_lim)[0] for a in NEURON_ACTIVATIONS}
        svg_image(figs.neuron_svg(neuron.z, neuron.outputs, neuron_curves, presenter=presenter.active()),
                  alt=f"The neuron's z = {neuron.z:g} on each activation")
        st.markdown(
            f"The **step** answers a hard {int(neuron.outputs['step'])}: *{verdict}*. The **sigmoid** gives "
            f"{neuron.outputs['sigmoid']:.3f}, a probability of flu that says *how sure*. **Tanh** squeezes z "
            f"into −1..1, and **ReLU** passes the margin above the threshold and is 0 below it."
        )
    patients = st.expander("All eight patients (every combination of symptoms)", key=k("patients"),
                           on_change="rerun")
    with patients:
        if patients.open:  # drawn only when opened: a typed weight then redraws less
            rows = [{c: f"{v:.3f}" if c in ("sigmoid", "tanh") else (f"{v:g}" if isinstance(v, float) else v)
                     for c, v in row.items()} for row in truth_table(FLU, ws, threshold)]
            st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")  # HTML: cheap to redraw
            st.caption("The step's jump is not differentiable: a smooth function that gives a probability (the "
                       "sigmoid) is usually more useful, and it is what lets a network learn by gradient descent.")
    write_url(P, SCHEMA)


neuron_section()

# ----------------------------------------------------------------------------- curves and slopes
st.header("Activation functions and their slopes")
st.markdown(
    "Without a non-linearity a stack of layers collapses to **one linear model**: the activation is "
    "what lets a network bend its decision boundary. Pick up to six to overlay; the right plot is "
    "the slope f′(x) that backpropagation multiplies by, computed here by **autograd**, exactly as "
    "training computes it (not a second formula)."
)


st.multiselect("Activations to compare", NAMES, format_func=lambda n: ACTIVATIONS[n].label,
               max_selections=6, key=k("show"))
shown = list(st.session_state[k("show")])


@st.fragment
def curves_section() -> None:
    """Sliders rerun only this section: the curves must follow a slider in under 300 ms."""
    slider_specs = [(n, p) for n in shown for p in ACTIVATIONS[n].params]
    scols = st.columns(4)
    scols[0].slider("x range ±", min_value=1.0, max_value=10.0, step=0.5, key=k("xmax"))
    for i, (n, p) in enumerate(slider_specs, start=1):
        label = f"{ACTIVATIONS[n].label}: {p.name}" + (" (start value, trained per unit)" if p.trainable else "")
        scols[i % len(scols)].slider(label, min_value=p.low, max_value=p.high, step=0.01,
                                     key=k(f"{n}_{p.name}"), help=p.help)
    xmax = float(st.session_state[k("xmax")])
    curve_list = [c for n in shown for c in cached_curves(n, tuple(sorted(params_of(n).items())), -xmax, xmax)]
    st.plotly_chart(figs.curves_figure(curve_list), key=k("curves_fig"))
    if "srelu" in shown and params_of("srelu")["t_l"] > params_of("srelu")["t_r"]:
        st.warning("SReLU needs t_l ≤ t_r: with t_l above t_r its two outer pieces overlap and add up.")
    write_url(P, SCHEMA)


if not shown:
    st.info("Pick at least one activation above to see its curve.")
else:
    curves_section()
    fcols = st.columns(2)
    for i, n in enumerate(shown):
        spec = ACTIVATIONS[n]
        with fcols[i % 2]:
            st.markdown(f"**{spec.label}** · *{spec.kind}*")
            st.latex(spec.formula)
            st.caption(spec.note)
    st.table(pd.DataFrame([{
        "activation": ACTIVATIONS[n].label, "kind": ACTIVATIONS[n].kind,
        "output range": ACTIVATIONS[n].output_range,
        "zero-centred": "✓" if ACTIVATIONS[n].zero_centred else "✗",
        "saturating": "✓" if ACTIVATIONS[n].saturating else "✗",
        "differentiable everywhere": "✓" if ACTIVATIONS[n].differentiable_everywhere else "✗ (kink)",
        "parameters": (", ".join(p.name for p in ACTIVATIONS[n].params)
                       + (" (trained per unit)" if ACTIVATIONS[n].trainable else "")) or "—",
    } for n in shown]).set_index("activation"))

e1, e2 = st.columns(2)
e1.markdown(
    "**Step: nothing to learn from.** Its slope is 0 for every x ≠ 0 and does not exist at 0. "
    "Backpropagation multiplies the error by f′, so every weight *before* a step gets gradient 0: "
    "gradient descent has no signal to follow. That is why networks use smooth activations.\n\n"
    "**Saturation and vanishing gradients.** Sigmoid and tanh flatten out for large |x|: f′ → 0 there. "
    "The sigmoid's slope is at most 0.25, so ten sigmoid layers shrink a gradient by at least "
    "0.25¹⁰ ≈ 10⁻⁶: the early layers barely learn."
)
e2.markdown(
    "**Dead ReLUs.** ReLU's slope is 1 for x > 0 and 0 for x < 0. A unit whose input is negative for "
    "every example outputs 0 and gets no gradient: it may never recover. Leaky ReLU, ELU, GELU and SiLU "
    "keep a little slope on the left.\n\n"
    "**Zero-centred outputs.** Sigmoid and ReLU output only positive values, so the next layer's "
    "weight updates all share one sign per unit and zig-zag; tanh, ISRU and BReLU give outputs around 0.\n\n"
    "**Trainable shapes.** SoftExponential and SReLU add a few parameters per unit that gradient "
    "descent tunes with the weights, so each unit picks the shape that fits the data."
)

# ---------------------------------------------------------------------------- BReLU's backward
st.header("A custom backward: BReLU")
st.markdown(
    "BReLU (Eidnes & Nøkland) applies ReLU to even units and −ReLU(−x) to odd units, so half the layer "
    "points up and half down and the mean output stays near 0. It is written as a "
    "`torch.autograd.Function`: `forward` remembers where each input passed through, and a "
    "**hand-written `backward`** returns slope 1 there and 0 elsewhere. Is the hand-written gradient "
    "right? `torch.autograd.gradcheck` compares it with finite differences (f(x+h) − f(x−h)) / 2h in "
    "float64, at random points away from the kink at 0."
)

gradcheck_section(P)

# ------------------------------------------------------------------------------- train with it
st.header("Train with it")
st.markdown(
    "The same MLP (784 → 256 → 128 → 64 → 10, dropout 0.2, the same initial weights) learns "
    "Fashion-MNIST once per activation, one after another, for a few seconds each on all 60,000 "
    "training images (Adam, batch 512, one-cycle learning rate); it is then tested on the 10,000 "
    "test images. Parameters set on the sliders above are the starting values."
)
t1, t2, t3 = st.columns([4, 2, 2])
t1.multiselect(f"Activations to train ({lab.MIN_COMPARE}–{lab.MAX_COMPARE})", NAMES,
               format_func=lambda n: ACTIVATIONS[n].label, max_selections=lab.MAX_COMPARE, key=k("train"))
t2.slider("Seconds per activation", min_value=1.0, max_value=30.0, step=1.0, key=k("budget"))
chosen = list(st.session_state[k("train")])
budget = float(st.session_state[k("budget")])

write_url(P, SCHEMA)

data = require_dataset()
too_few = len(chosen) < lab.MIN_COMPARE
with t3:
    st.write("")
    start = live.start_button(JOB_KEY, "▶ Train each", disabled=too_few, button_key=k("train_start"), notice=False,
                              type="primary", width="stretch")
    st.caption(f"≈ {len(chosen) * (budget + 1):.0f} s in all")
if too_few:
    st.info(f"Pick at least {lab.MIN_COMPARE} activations to compare.")
live.elsewhere_notice(JOB_KEY)
if start and not too_few:
    names, params = list(chosen), {n: params_of(n) for n in chosen}
    live.start(JOB_KEY, f"activations: {', '.join(names)}",
               lambda j: lab.run_comparison(data, names, params, budget, emit=j.emit, control=j.control))
live.view(JOB_KEY, partial(compare_view, key=P),
          idle="Pick activations and press **Train each**: the curves below fill in live.", run_key="run")
