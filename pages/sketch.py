"""8 · Draw a garment: the network classifies a drawing or a photo, and shows why."""
from __future__ import annotations

import time

import streamlit as st

from fmnist_core.inside import explain as ex
from fmnist_core.inside import sketch as sk
from fmnist_core.fashion.dataset import CLASS_NAMES
from ui.figures import sketch as figs
from ui.kit import checkpoints
from ui.kit.common import dataset, ensure_router, write_url
from ui.kit.widgets import keys, plotly_chart
from ui.views import model_download, sketch_input
from ui.views.sketch_model import DRAWING, drawing_accuracy, feature_bank, warm_model
from ui.views.sketch_url import schema

ensure_router()
k = keys("sketch")

# --------------------------------------------------------------------------- settings

st.title("✏️ Draw a garment")
st.markdown("Draw a piece of clothing (or upload a photo of one) and a trained network names it, shows the "
            "exact 28×28 picture it was given, **which pixels decided**, and the training images it thinks "
            "yours resembles.")

by_key, SCHEMA = checkpoints.bound_menu("sketch", schema)

left, right = st.columns([0.37, 0.63], gap="medium")

with left:
    st.radio("Input", ["draw", "upload"], key=k("source"), horizontal=True, label_visibility="collapsed",
             format_func={"draw": "✏️ Draw", "upload": "📷 Upload a picture"}.get)
    drawing = st.session_state[k("source")] == "draw"
    picture = sketch_input.canvas(k) if drawing else sketch_input.upload(k)  # the bytes to classify

with right:
    c1, c2 = st.columns(2)
    c1.selectbox("Model", list(by_key), key=k("model"), format_func=lambda m: by_key[m].label)
    c2.radio("Saliency", list(ex.SALIENCY), key=k("saliency"), format_func=ex.SALIENCY.get, horizontal=True)
write_url("sketch", SCHEMA)

chosen = by_key[st.session_state[k("model")]]
with right:
    model, meta = warm_model(chosen)
    model_download.section(k("take_home"), lambda key: model_download.file_view(key, chosen.path, chosen.label))
norm = tuple(meta["normalization"])

pre, problem = None, None
t0 = time.perf_counter()
if picture:
    try:
        pre = sk.preprocess(sk.decode_image(picture))
    except sk.ImageInputError as e:
        problem = e
prep_seconds = time.perf_counter() - t0

with right:
    if problem:
        sketch_input.show_problem(problem)
    if pre is None or pre.empty:
        if not problem:
            if drawing:
                msg = ("**Draw a garment on the canvas** — a T-shirt, trousers, a sneaker, a bag… The answer "
                       "appears when you lift the pen.")
                if pre is not None:
                    msg = ("**The canvas is nearly empty.** Draw the whole garment (an outline is enough) so "
                           "there is something to classify.")
            else:
                msg = "**Upload a picture** of one garment, or switch to drawing."
                if pre is not None:
                    msg = "**The picture looks blank:** no garment stands out from the background."
            st.info(msg, icon="👈")
        st.stop()

st.session_state[DRAWING] = pre.image  # the layers page shows it going through the CNN
data = dataset()
bank = None
if data is not None:
    with st.spinner(f"Placing {ex.BANK_SIZE:,} training images in this model's feature space (once per model)…"):
        bank = feature_bank(chosen, data)
e = ex.explain(model, pre.image, norm, st.session_state[k("saliency")], bank, pre.ink_fraction if drawing else None)
server_ms = (prep_seconds + e.seconds["total"]) * 1000

with right:
    conf = float(e.probs[e.top])
    st.markdown(f"<div style='font-size:2.6rem;font-weight:700;line-height:1.1'>{e.label} "
                f"<span style='color:#d62728'>{conf:.0%}</span></div>", unsafe_allow_html=True)
    for w in e.warnings:
        st.warning(w, icon="⚠️")
    plotly_chart(figs.probability_bars(e.probs), key=k("probs"))
    st.caption(f"One output unit per class; softmax turns their scores into probabilities that add up to 100%. "
               f"Reading the picture, preprocessing, prediction and explanation took {server_ms:.0f} ms on the server.")

st.subheader("What the model sees")
source_word = "drawing" if drawing else "picture"
s1, s2, s3, s4 = st.columns(4)
with s1:
    st.markdown(f"**1 · Your {source_word}**")
    st.image(figs.framed(figs.raw_with_box(pre.rgba, pre.box)), width="stretch",
             alt=f"Your {source_word}, with a red box around the garment")
    st.caption(f"{pre.rgba.shape[1]}×{pre.rgba.shape[0]} px; the red box is the garment, found by trimming "
               "the background.")
with s2:
    crop = pre.cropped
    st.markdown("**2 · Trimmed**")
    st.image(figs.framed(figs.ink_image(crop)), width="stretch", alt=f"Your {source_word}, trimmed to the garment")
    st.caption(f"{crop.shape[1]}×{crop.shape[0]} px, inverted: the dataset stores garments bright on black.")
with s3:
    st.markdown("**3 · Model input**")
    plotly_chart(figs.input_heatmap(pre.image), key=k("input"))
    st.caption("Longest edge scaled to 28 px, centred: 28×28 = 784 numbers.")
with s4:
    st.markdown(f"**4 · Why “{e.label}”**")
    plotly_chart(figs.saliency_figure(pre.image, e.saliency), key=k("saliency_map"))
    st.caption("**Red** pushed towards the answer, **blue** away.")
st.markdown(
    "**Why shrink the canvas to 28×28?** The network only knows Fashion-MNIST, whose photos were trimmed to the "
    "garment, scaled so the longest edge fills 28 pixels, centred, and stored with the garment bright on black. "
    "Your canvas goes through the same steps, so *where* and *how big* you drew does not matter. The model sees "
    "nothing but these 784 numbers (pixel i·28+j is row i, column j; 0 = background, 255 = ink): hover over them.")
if e.method == "gradient":
    st.caption(f"**Saliency, gradient × input:** for each pixel, how fast the score for *{e.label}* changes as its "
               "ink changes, times the ink there. Red pixels pushed the answer towards it, blue ones away; clear "
               "pixels did not matter.")
else:
    st.caption(f"**Saliency, occlusion:** 4×4 patches are painted black in turn. Red where the probability of "
               f"*{e.label}* falls without it (that part mattered), blue where it rises.")

n1, n2 = st.columns(2, gap="large")
with n1:
    st.subheader("Most similar training images")
    if bank is None:
        st.info("This view needs the Fashion-MNIST training images, which are not on this machine "
                "(page 6 shows how to get them). Predictions still work with the bundled models.")
    else:
        imgs = data.train_images[e.neighbours].cpu().numpy()
        caps = [CLASS_NAMES[int(data.train_labels[i])] for i in e.neighbours]
        plotly_chart(figs.image_grid(imgs, caps, cols=4), key=k("neighbours"))
        agree = sum(c == e.label for c in caps)
        st.caption(f"The {len(caps)} nearest of {len(bank.labels):,} training images in the model's own feature "
                   f"space (its last hidden layer; cosine similarity {e.similarities.min():.2f}–"
                   f"{e.similarities.max():.2f}). {agree} of {len(caps)} are {e.label}: the answer is close to "
                   "a vote among images the network finds similar.")
with n2:
    st.subheader(f"Real examples of “{e.label}”")
    if data is None:
        st.info("The gallery needs the Fashion-MNIST training images, which are not on this machine.")
    else:
        idx = ex.class_examples(data.train_labels, e.top, n=8, seed=0)
        plotly_chart(figs.image_grid(data.train_images[idx].cpu().numpy(), cols=4), key=k("gallery"))
        st.caption("Training photos of the predicted class: compare them with your input. Shirt, T-shirt/top, "
                   "Pullover and Coat confuse every model.")

st.subheader("Photos of clothes and line drawings differ")
d1, d2 = st.columns([0.55, 0.45], gap="large")
with d1:
    st.markdown(
        "A Fashion-MNIST image is a **photo**: a filled garment with shading and texture. A drawing is mostly "
        "**empty inside**, with a few thin lines. A network trained only on photos has never seen thin lines: its "
        "layers learned edges, parts and shading *of photos*, so an outline looks like nothing it knows, and it "
        "guesses.\n\n"
        "The bundled CNN was also trained on **outlines and silhouettes made from the training photos** (their "
        "edges, inked with pens of many widths, put through the same trimming and scaling as your canvas), so it "
        "learned that both mean the same garment. Switch the model to the MLP to see the difference.")
with d2:
    rows = drawing_accuracy()
    if rows:
        plotly_chart(figs.accuracy_comparison(rows), key=k("accuracy"))
        st.caption("Recorded by `scripts/train_bundled.py` on Fashion-MNIST test images: the 10,000 photos, and "
                   "2,000 of them drawn as outlines (pens 3–8 px on this 280 px canvas) or silhouettes, anywhere "
                   "on the canvas, at any size.")
