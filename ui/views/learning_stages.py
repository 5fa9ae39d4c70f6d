"""The learning page's four stage panels (forward, loss, backward, update): one training step's
numbers for the chosen point or mini-batch, written out as the lecture writes them."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

from fmnist_core.basics import backprop as bp
from fmnist_core.nn.losses import LOSSES
from ui.figures import learning as lf


def forward(p: bp.Pass) -> None:
    v = p.values(0)
    st.markdown(
        "**Forward propagation.** Each hidden unit j sums its weighted inputs and adds its bias, "
        "z_j = w_1j·x1 + w_2j·x2 + b_j, then applies the activation, a_j = f(z_j). The output unit does the same "
        "with the hidden outputs, z = v1·a1 + … + c, and the sigmoid makes it a probability: ŷ = σ(z), the "
        "network's P(red). For unit 1:")
    w = p.weights.named()
    # One step a line: on one line it outgrew the column and scrolled sideways, out of a keyboard's reach.
    st.latex(rf"\begin{{aligned}} z_1 &= w_{{11}}x_1 + w_{{21}}x_2 + b_1 \\ &= ({w['w11']:.3f})({v['x1']:.3f})"
             rf" + ({w['w21']:.3f})({v['x2']:.3f}) + ({w['b1']:.3f}) \\ &= {v['z1']:.3f} \\"
             rf" a_1 &= f(z_1) = {v['a1']:.3f} \end{{aligned}}")
    st.latex(rf"\hat y = \sigma(z) = \frac{{1}}{{1 + e^{{-z}}}} = \frac{{1}}{{1 + e^{{-({v['z']:.3f})}}}}"
             rf" = {v['y_hat']:.3f}")


def loss(p: bp.Pass) -> None:
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


def backward(p: bp.Pass, pick: str) -> None:
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
        df = pd.DataFrame({f"point {i}": [g_.named()[nm] for nm in p.weights.named()] for i, g_ in
                           zip(range(p.n), p.grads)}, index=list(p.weights.named()))
        df["mean (step)"] = list(p.mean.named().values())
        df = df + 0.0  # no "-0.0000" for a gradient that is exactly zero
        st.markdown("**Each point's gradient, and their mean**: the mini-batch step uses the mean"
                    + (" (for RMSE each column is already scaled by 1/RMSE of the batch)." if p.loss_name == "rmse"
                       else "."))
        st.dataframe(df.style.format("{:.4f}"), height=min(36 * (len(df) + 1), 420))
    check = bp.max_difference(p.mean, bp.autograd_grads(p.weights, p.activation, p.loss_name, p.x, p.y))
    st.success(f"Checked by autograd (PyTorch computing the same gradients itself): the largest difference from "
               f"these hand-written chain-rule numbers is **{check:.1e}**.", icon="✅")


def update(p: bp.Pass, upd: bp.Update, apply_key: str, on_apply: Callable[[], None]) -> None:
    lr = upd.lr
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
    st.button("✓ Apply the step and take the next one", key=apply_key, on_click=on_apply, type="primary")
    if upd.status == "up":
        st.warning(f"**The loss went up**: lr = {lr:g} is so large that the step overshoots the minimum along this "
                   "gradient. Steps like this make training diverge: try a smaller learning rate.")
    else:
        st.caption("The loss on these points went down. Apply the step and take the next one: the boundary moves."
                   + (" On all training points it rose: a step for a few points can hurt the others (a large lr "
                      "makes this worse; a mini-batch averages it out)." if upd.all_after > upd.all_before else ""))


def stage_panel(stage: str, p: bp.Pass, upd: bp.Update | None, pick: str, apply_key: str,
                on_apply: Callable[[], None]) -> None:
    """The explanation of `stage` for pass `p` (`upd`: the step, given at the update stage; `pick`: the followed weight)."""
    if stage == "forward":
        forward(p)
    elif stage == "loss":
        loss(p)
    elif stage == "backward":
        backward(p, pick)
    else:
        update(p, upd, apply_key, on_apply)
