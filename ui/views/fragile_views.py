"""Page 9's four labs: fool it (one image attacked), how robust (the curve's reading), dream, break it."""
from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from fmnist_core.fashion.dataset import CLASS_NAMES, FashionMNIST
from fmnist_core.fragile import adversarial as adv
from fmnist_core.fragile import dreams as dr
from fmnist_core.fragile import knockout as ko
from fmnist_core.fragile.pixels import PixelModel, to_pixels
from fmnist_core.inside import explain as ex
from fmnist_core.inside.layers import Layer
from ui.figures import fragile as ff
from ui.kit.widgets import plotly_chart
from ui.views import fragile_data as fd
from ui.views import fragile_jobs
from ui.views.fragile_url import UNTARGETED
from ui.views.layers_data import summary
from ui.views.layers_maps import input_image

# what a lesson's goal reads (ui.views.lesson_values)
ATTACK_KEY, KNOCKOUT_KEY = "fragile__last_attack", "fragile__last_knockout"
Key = Callable[[str], str]


# --------------------------------------------------------------------------- ① fool it

def fool_lab(k: Key, model: PixelModel, data: FashionMNIST, drawing: np.ndarray | None) -> adv.Attack:
    """Pick an image and an attack; the original, the change, the adversarial image and both answers."""
    image, name = input_image(k, data, drawing, "Draw a garment on page 8 to attack your own drawing.")
    if st.session_state[k("input")] == "test":
        label = int(data.test_labels[st.session_state[k("image")]])
    else:  # a drawing has no true class: the attack moves the model off its own answer
        label = int(model.probabilities(to_pixels(image)).argmax())
    c1, c2, c3, c4 = st.columns([0.22, 0.3, 0.22, 0.26], vertical_alignment="bottom")
    c1.segmented_control("Attack", list(adv.ATTACKS), key=k("attack"), format_func=adv.ATTACKS.get, required=True)
    c2.slider("ε: the most any pixel may change (grey levels of 255)", 0, adv.EPS_MAX, key=k("eps"))
    pgd = st.session_state[k("attack")] == "pgd"
    c3.slider("PGD steps", 1, 50, key=k("steps"), disabled=not pgd, help="FGSM takes one step of size ε.")
    c4.selectbox("Target", [UNTARGETED] + list(range(10)), key=k("target"),
                 format_func=lambda t: "any wrong class" if t == UNTARGETED else f"make it a {CLASS_NAMES[t]}")
    target = st.session_state[k("target")]
    target = None if target == UNTARGETED or target == label else target
    eps = int(st.session_state[k("eps")])
    a = adv.attack_image(model, image, label, eps, st.session_state[k("attack")], int(st.session_state[k("steps")]),
                         target)
    st.session_state[ATTACK_KEY] = a
    _attack_result(k, a, name)
    return a


def _answer(p: np.ndarray) -> str:
    c = int(p.argmax())
    return f"{CLASS_NAMES[c]} {p[c]:.0%}"


def _attack_result(k: Key, a: adv.Attack, name: str) -> None:
    method = "FGSM" if st.session_state[k("attack")] == "fgsm" else f"PGD ({st.session_state[k('steps')]} steps)"
    if a.eps == 0:
        st.info(f"**ε = 0: nothing may change.** The model says **{_answer(a.probs_before)}** for {name}. Raise ε "
                "to let the attack change each pixel by up to ε grey levels.", icon="👉")
    elif a.fooled:
        st.error(f"**Fooled.** {_answer(a.probs_before)} → **{_answer(a.probs_after)}**, with no pixel changed by "
                 f"more than {a.eps} of 255 grey levels ({method}, {a.seconds * 1000:.0f} ms).", icon="🎭")
    else:
        goal = f"make it a {CLASS_NAMES[a.target]}" if a.target is not None else "change the answer"
        st.success(f"**Not fooled at ε = {a.eps}.** Still **{_answer(a.probs_after)}**: {method} could not {goal} "
                   f"within ±{a.eps} grey levels ({a.seconds * 1000:.0f} ms). Raise ε"
                   + ("." if "PGD" in method else " or use PGD."), icon="🛡️")
    s1, s2, s3, s4 = st.columns([0.2, 0.2, 0.2, 0.4])
    with s1:
        plotly_chart(ff.pixels_figure(a.original, "Original"), key=k("orig"))
        st.markdown(f"**{_answer(a.probs_before)}**")
    with s2:
        plotly_chart(ff.perturbation_figure(a.perturbation, a.eps, "+ the change, amplified"), key=k("delta"))
        st.caption(f"Red: brighter by up to {a.eps}; blue: darker. Shown at full strength; on the image it is "
                   f"at most {a.eps / 255:.0%} of the range.")
    with s3:
        plotly_chart(ff.pixels_figure(a.adversarial, "= Adversarial"), key=k("adv"))
        st.markdown(f"**{_answer(a.probs_after)}**")
    with s4:
        plotly_chart(ff.before_after_bars(a.probs_before, a.probs_after), key=k("bars"))
    st.markdown("**Is it just noise?** The same amount of *random* change, tried on the same image:")
    n1, n2, n3 = st.columns([0.2, 0.2, 0.6])
    for col, kind in zip((n1, n2), adv.NOISES):
        with col:
            plotly_chart(ff.pixels_figure(a.noise_images[kind], adv.NOISES[kind], height=200), key=k(f"noise_{kind}"))
            st.markdown(f"**{_answer(a.noise_probs[kind])}**")
    n3.markdown(
        "**FGSM** (Goodfellow et al., 2015) moves every pixel by exactly ε in the direction that raises the "
        "loss fastest: x′ = clip(x + ε·sign(∇ₓ loss)). It needs the gradient with respect to the *input*, the same "
        "backpropagation that trains the network, run one layer further. **PGD** (Madry et al., 2018) takes many "
        "smaller steps and projects back into the ±ε box after each, so it finds changes FGSM misses. A "
        "**targeted** attack walks down the loss of the class you chose instead.\n\n"
        "Random noise of the same size goes in no particular direction, and 784 random nudges mostly cancel out: "
        + ("here it " + ("also changed the answer." if a.noise_fooled else "left the answer alone.")
           if a.eps else "raise ε to compare."))


# --------------------------------------------------------------------------- ② how robust is it?

def curve_text(points: list[dict] | None) -> None:
    st.markdown(f"**How fast does accuracy fall as ε grows?** Each model is attacked with PGD "
                f"({adv.CURVE_STEPS} steps per ε, starting from the last ε's result) on {adv.CURVE_IMAGES:,} test "
                "images, 100 per class. Beside each attack, the same images get **random noise of the same size**: "
                "uniform in ±ε, and Gaussian with σ = ε (the same energy per pixel as FGSM's ±ε).")
    if points:
        by = {(p["model"], p["eps"]): p for p in points}
        lines = []
        for m in dict.fromkeys(p["model"] for p in points):
            clean, at8 = by.get((m, 0)), by.get((m, 8))
            if clean and at8:
                lines.append(f"- **{m.upper()}**: {clean['pgd']:.0%} clean; at ε = 8 (3 % of the range) "
                             f"**{at8['pgd']:.0%}** under attack, {at8['uniform']:.0%} under uniform noise.")
        st.markdown("\n".join(lines))
        st.caption("An image fooled at some ε counts as fooled at every larger ε (a change within a smaller box is "
                   "within the larger one), so the attacked curve can never rise.")
    st.markdown("Neither model was trained to resist attacks. *Adversarial training* (training on PGD examples) "
                "buys robustness at some clean accuracy: the curve is how that trade-off is measured.")


# --------------------------------------------------------------------------- ③ dream

def _layer_select(col, key: str, layers: list[Layer]) -> Layer:
    """A menu of the model's hidden layers in `col`; a layer this model lacks (another model's) becomes its first."""
    by = {lay.key: lay for lay in layers}
    if st.session_state[key] not in by:
        st.session_state[key] = layers[0].key
    col.selectbox("Layer", list(by), key=key, format_func=lambda name: by[name].label)
    return by[st.session_state[key]]


def dream_lab(k: Key, choice: ex.ModelChoice, layers: list[Layer], drawing: np.ndarray | None) -> dr.Dream:
    c1, c2, c3 = st.columns([0.3, 0.4, 0.3], vertical_alignment="bottom")
    c1.segmented_control("Dream of", ["class", "unit"], key=k("dream"), required=True,
                         format_func={"class": "a class", "unit": "one unit"}.get)
    starts = list(dr.STARTS) if drawing is not None else ["gray", "noise"]
    if st.session_state[k("start")] not in starts:
        st.session_state[k("start")] = "gray"
    c3.radio("Start from", starts, key=k("start"), format_func=dr.STARTS.get, horizontal=True)
    if st.session_state[k("dream")] == "class":
        c2.selectbox("Class", list(range(10)), key=k("dream_class"), format_func=CLASS_NAMES.__getitem__)
        index, layer = int(st.session_state[k("dream_class")]), None
        what = f"the logit of **{CLASS_NAMES[index]}**"
    else:
        d1, d2 = c2.columns(2)
        lay = _layer_select(d1, k("dream_layer"), layers)
        if st.session_state[k("dream_unit")] >= lay.units:
            st.session_state[k("dream_unit")] = 0
        d2.number_input(f"{'Channel' if lay.kind == 'conv' else 'Unit'} (0–{lay.units - 1})", 0, lay.units - 1,
                        key=k("dream_unit"))
        index, layer = int(st.session_state[k("dream_unit")]), lay.key
        what = f"{'the mean activation of channel' if lay.kind == 'conv' else 'unit'} {index} of {lay.label}"
    start = st.session_state[k("start")]
    d = fd.dream(choice, index, layer, start, drawing if start == "drawing" else None)
    left, right = st.columns([0.5, 0.5], gap="large")
    with left:
        imgs = [dr.start_image(start, drawing)[0, 0].numpy(), d.image]
        caps = ["start", f"dream: {_answer(d.probs)}"]
        if layer is None:
            imgs.append(fd.class_means()[index])
            caps.append(f"mean {CLASS_NAMES[index]} photo")
        plotly_chart(ff.dream_row(imgs, caps, height=230), key=k("dream_img"))
    with right:
        st.markdown(f"Gradient **ascent on the pixels** to raise {what}: from {d.start_score:.2f} to "
                    f"**{d.end_score:.2f}** in {len(d.scores)} steps ({d.seconds:.1f} s). Each step shifts the image "
                    "by a pixel or two at random (jitter), every few steps blurs it slightly, and an L2 penalty pulls "
                    "pixels back to black, so the image keeps shapes rather than high-frequency noise.")
        st.caption("A dream is what *raises the score most*, not a typical garment: compare it with the class's mean "
                   "training photo. Where they share a shape (a trouser gap, a heel), the network has learned the "
                   "garment; where the dream adds stripes and blobs, it is exploiting patterns no photo has.")
    st.session_state["fragile__last_dream"] = d
    st.subheader("Every class at once")
    dreams = [fd.dream(choice, c, None, "gray", None) for c in range(10)]
    plotly_chart(ff.dream_row([x.image for x in dreams], [CLASS_NAMES[c] for c in range(10)], height=150),
                 key=k("dream_all"))
    plotly_chart(ff.dream_row(list(fd.class_means()), [f"mean {CLASS_NAMES[c]}" for c in range(10)], height=150),
                 key=k("means_all"))
    st.caption("Top: each class's dream from grey. Bottom: the mean of that class's 6,000 training photos.")
    return d


# --------------------------------------------------------------------------- ④ break it

def knockout_lab(k: Key, choice: ex.ModelChoice, layers: list[Layer]) -> None:
    c1, c2, c3, c4 = st.columns([0.25, 0.3, 0.3, 0.15], vertical_alignment="bottom")
    lay = _layer_select(c1, k("ko_layer"), layers)
    word = "channel" if lay.kind == "conv" else "unit"
    if st.session_state[k("ko_top")] > lay.units:
        st.session_state[k("ko_top")] = lay.units
    c2.slider(f"Switch off the most important {word}s", 0, lay.units, key=k("ko_top"))
    kept = [u for u in st.session_state[k("ko_units")] if int(u) < lay.units]
    st.session_state[k("ko_units")] = tuple(kept)
    c3.multiselect(f"…and these {word}s, one by one", [str(u) for u in range(lay.units)], key=k("ko_units"),
                   placeholder=f"{word} numbers")

    def restore() -> None:
        st.session_state[k("ko_top")] = 0
        st.session_state[k("ko_units")] = ()

    c4.button("Restore all", key=k("restore"), on_click=restore, width="stretch")
    with st.spinner(f"Ranking the {word}s (once per model)…"):
        importance = summary(choice).stats[lay.key].importance
    off = ko.switched_off(importance, int(st.session_state[k("ko_top")]), st.session_state[k("ko_units")])
    base = fd.knock_out(choice, lay.key, ())
    after = fd.knock_out(choice, lay.key, tuple(off))
    st.session_state[KNOCKOUT_KEY] = {"off": len(off), "accuracy": float(after.mean()), "baseline": float(base.mean())}
    left, right = st.columns([0.62, 0.38], gap="large")
    with left:
        plotly_chart(ff.class_accuracy_bars(base, after, len(off)), key=k("ko_bars"))
    with right:
        st.metric(f"Test accuracy with {len(off)} of {lay.units} {word}s off", f"{after.mean():.1%}",
                  f"{(after.mean() - base.mean()) * 100:+.1f} points", delta_color="normal")
        worst = int(np.argmin(after - base))
        if off:
            st.markdown(f"**{CLASS_NAMES[worst]}** loses most ({(after - base)[worst] * 100:+.0f} points). "
                        f"Switched off: {', '.join(map(str, off[:24]))}{' …' if len(off) > 24 else ''}.")
        st.caption(f"Switched off = its output set to 0 for every image. Measured on {ko.EVAL_IMAGES:,} test "
                   f"images (200 per class). *Most important* = mean |activation| × the size of its outgoing "
                   "weights, the ranking page 7 shows.")
    st.subheader(f"Which {word}s matter for which classes?")
    fragile_jobs.study_section(choice, lay.key, lay.units, word, key=k("study"))
    st.caption(f"Each row: one {word} switched off alone, the accuracy each class loses ({ko.STUDY_IMAGES:,} test "
               "images). Most single units barely matter: the knowledge is spread over many, which is why "
               "dropout works, and why a few important ones switched off together do so much damage.")
