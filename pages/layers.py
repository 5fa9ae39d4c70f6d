"""7 · What each layer learns: weights, top images, feature maps, separability and a map of the feature space."""
from __future__ import annotations

import time

import streamlit as st

from fmnist_core.inside import explain as ex
from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.inside import probe as pr
from fmnist_core.fashion.dataset import CLASS_NAMES
from ui.figures import layers as lf
from ui.kit import checkpoints
from ui.kit.common import ensure_router, require_dataset, write_url
from ui.kit.widgets import keys, plotly_chart
from ui.views import layers_maps, layers_space, layers_units
from ui.views.layers_data import map_data, probe_results, summary, tsne_maps
from ui.views.layers_jobs import probe_section, tsne_section
from ui.views.layers_url import VIEWS, schema
from ui.views.sketch_model import DRAWING, feature_bank

ensure_router()
P = "layers"
k = keys(P)
NO_CONV = ("**This model has no convolutions**, so it has no feature maps: an MLP flattens the image into 784 "
           "numbers and each first-layer unit looks at all of them at once. Choose the CNN to see maps.")

# --------------------------------------------------------------------------- settings

st.title("🧅 What each layer learns")
st.markdown("Depth builds a **hierarchy**: the first layer responds to strokes and edges, later layers to parts, "
            "the last to whole garments, and each layer re-encodes the images so that the classes become easier to "
            "separate. Check it on real, trained networks.")
data = require_dataset()
by_key, SCHEMA = checkpoints.bound_menu(P, schema, accuracy=False)
c1, c2 = st.columns([0.45, 0.55], vertical_alignment="bottom")
c1.selectbox("Model", list(by_key), key=k("model"), format_func=lambda m: by_key[m].label)
st.segmented_control("View", list(VIEWS), key=k("view"), format_func=VIEWS.get, required=True,
                     label_visibility="collapsed")
chosen = by_key[st.session_state[k("model")]]
model, meta = checkpoints.load_or_stop(chosen)
digest = checkpoints.digest(chosen.path)
norm = tuple(meta["normalization"])
acc = (meta.get("metrics") or {}).get("test_accuracy")
c2.caption(f"{meta['architecture'].upper()} · {meta['activation']}"
           + (f" · {acc:.1%} on the 10,000 test images" if acc is not None else ""))
layers = L.model_layers(model)
conv = L.is_convolutional(model)
if st.session_state[k("layer")] not in [lay.key for lay in layers]:
    st.session_state[k("layer")] = layers[0].key
view = st.session_state[k("view")]
drawing = st.session_state.get(DRAWING)  # the drawing page's last input, uint8 28x28
t_start = time.perf_counter()
with st.spinner("Finding each unit's top-activating test images (once per model)…"):
    summ = summary(chosen)
stats = summ.stats


def render_note(what: str) -> None:
    st.caption(f"{what} computed and drawn in {(time.perf_counter() - t_start) * 1000:.0f} ms on the server.")


# --------------------------------------------------------------------------- ① weights

if view == "weights":
    left, right = st.columns([0.68, 0.32], gap="large")
    with left:
        n, total = layers_units.first_layer_weights(model, stats[layers[0].key].importance, conv, key=k("weights"))
        render_note("Weights")
    with right:
        if conv:
            st.markdown(f"**The {total} filters of the first convolution**, each 3×3 weights, most important "
                        "first. A filter slides over the image: the same 9 weights at every position. **Red** "
                        "weights reward ink, **blue** ones punish it, so a red row above a blue row answers to a "
                        "horizontal edge, wherever it is. This is the lecture's *edges*: small, local, shared.")
        else:
            st.markdown(f"**Each square is one first-layer unit's 784 weights**, laid out like the 28×28 image it "
                        f"reads ({n} of {total}, most important first). **Red** pixels: ink there raises the "
                        "unit; **blue**: ink there lowers it. Many look like blurry parts of garments (a collar, a "
                        "sole, a trouser gap), or like one garment minus another: templates, not yet whole objects.")
        st.caption("**Importance** = the unit's mean |activation| on the 10,000 test images × the size of its "
                   "outgoing weights: how strongly it speaks to the next layer. Each square is scaled to its own "
                   "largest weight. Hover for the unit's number.")

# --------------------------------------------------------------------------- ② top images per unit

elif view == "units":
    by_layer = {lay.key: lay for lay in layers}
    c1, c2 = st.columns([0.5, 0.5])
    c1.segmented_control("Layer", list(by_layer), key=k("layer"), required=True,
                         format_func=lambda key: by_layer[key].label)
    c2.slider("Units shown (most important first)", 4, 48, key=k("units"))
    lay = by_layer[st.session_state[k("layer")]]
    rf = L.receptive_fields(model).get(lay.key)
    st.caption("**How often a unit's 9 top images are of one class** (mean over the layer's units): it grows with "
               "depth as units turn from strokes into garments.")
    for col, other in zip(st.columns(len(layers)), layers):
        col.metric(other.label, f"{L.purity(stats[other.key].top_idx, data.test_labels)[0].mean():.0%}")
    layers_units.top_images(stats[lay.key], data, rf, st.session_state[k("units")])
    render_note("Top images")
    if rf is not None:
        st.markdown(f"Each tile: the 9 test images where this **channel** responds most, cropped to the "
                    f"**{rf[0]}×{rf[0]} pixels** one position of {lay.label} sees (its receptive field). Deeper "
                    "blocks see larger patches and respond to larger parts.")
    else:
        st.markdown("Each tile: the 9 of the 10,000 test images that make this **unit** respond most. In the "
                    "first hidden layer a unit's favourites often mix classes that share a part (a sleeve, a sole); "
                    "deeper, one unit's favourites are more and more one garment. The numbers above measure that.")
    st.caption(f"Found in one pass over the 10,000 test images, cached for this model"
               f"{f' (took {summ.seconds:.1f} s)' if summ.seconds else ' (read from the on-disk cache)'}.")

# --------------------------------------------------------------------------- ③ feature maps

elif view == "maps":
    if not conv:
        st.info(NO_CONV, icon="ℹ️")
    else:
        img, name = layers_maps.input_image(k, data, drawing)
        maps = L.feature_maps(model, img, norm)
        probs = ex.probabilities(model, img, norm)
        left, right = st.columns([0.2, 0.8], gap="medium")
        with left:
            plotly_chart(lf.input_figure(img, 180), key=k("input_img"))
            st.caption(f"{name}: the model says **{CLASS_NAMES[int(probs.argmax())]}** ({probs.max():.0%}).")
        with right:
            for lay in (x for x in layers if x.kind == "conv"):
                m = maps[lay.key]
                st.markdown(f"**{lay.label}**: {m.shape[0]} maps of {m.shape[1]}×{m.shape[2]}, most important first")
                layers_maps.feature_maps(m, L.ordered(stats[lay.key].importance), key=k(f"maps_{lay.key}"))
        render_note("Feature maps")
        st.markdown("A **feature map** is one channel's response at every position: bright where its pattern is "
                    "found. Block 1's maps still look like the garment, traced by edge detectors in different "
                    "directions. Each later block works at a coarser resolution (after a pooling layer, or with a "
                    "convolution that moves 2 pixels at a time) and its channels light up on parts (a heel, a "
                    "neckline, the gap between trouser legs). Each map is scaled to its own maximum.")

# --------------------------------------------------------------------------- ④ separability

elif view == "probe":
    results = probe_results(digest)
    left, right = st.columns([0.62, 0.38], gap="large")
    with right:
        st.markdown("**Is each layer easier to separate than the one before?** For each layer, a *linear* "
                    "classifier (logistic regression, one straight cut per class) is trained on that layer's "
                    f"activations of {pr.PROBE_TRAIN:,} training images and scored on the 10,000 test images. If "
                    "the curve rises, the layer re-encoded the garments so that straight lines separate them "
                    "better, as two hidden units did for XOR on page 2.")
        st.caption(f"scikit-learn `LogisticRegression` (C = {pr.PROBE_C}, {pr.PROBE_ITER} lbfgs steps) on "
                   f"standardized activations. Conv block outputs are averaged to {pr.POOL}×{pr.POOL} per channel "
                   "first. Computed once per model, then cached on disk.")
    with left:
        if results:
            plotly_chart(lf.probe_figure([r.label for r in results], [r.test_accuracy for r in results],
                                         [r.train_accuracy for r in results]), key=k("probe"))
            gain = results[-1].test_accuracy - results[0].test_accuracy
            st.markdown(f"From raw pixels ({results[0].test_accuracy:.1%}) to the last hidden layer "
                        f"({results[-1].test_accuracy:.1%}): **{gain * 100:+.1f} points** for the same linear "
                        "classifier" + (f"; the network itself reaches {acc:.1%}." if acc is not None else "."))
        else:
            probe_section(model, digest, data, norm, len(layers))

# --------------------------------------------------------------------------- ⑤ map of the feature space

else:
    md = map_data(chosen)
    st.radio("Projection", ["pca", "tsne"], key=k("method"), horizontal=True,
             format_func={"pca": "PCA (instant)", "tsne": "t-SNE (a few seconds, in the background)"}.get)
    star = None if drawing is None else fmap.image_points(model, drawing, norm)
    coords, stars = layers_space.positions(md, st.session_state[k("method")], digest, star)
    if coords is None:
        tsne_section(md, digest)
    else:
        picked = layers_space.maps(md, coords, stars)
        render_note("The maps")
        st.markdown(f"Each dot is one of {len(md['idx']):,} test images, coloured by its true class. **Left**, placed "
                    "by its raw pixels: classes overlap, since a pixel-by-pixel comparison barely tells a shirt from a "
                    "pullover. **Right**, placed by what the network's last hidden layer makes of it: the layers "
                    "have pulled each class into its own cluster, which the output layer can cut with straight "
                    "lines. Shirts, T-shirts, pullovers and coats stay close: the model confuses them too. "
                    "**Click a dot** to see its image.")
        if picked is not None:
            pc1, pc2 = st.columns([0.15, 0.85])
            with pc1:
                plotly_chart(lf.input_figure(data.test_images[picked].cpu().numpy(), 140), key=k("picked"))
            pc2.markdown(f"Test image **#{picked}**, a **{CLASS_NAMES[int(data.test_labels[picked])]}**.")
        if drawing is not None:
            like = ex.likeness(feature_bank(chosen, data), star["features"])
            major = CLASS_NAMES[fmap.majority_class(md["features"], md["labels"], star["features"])]
            if like.unlike:
                st.warning(f"**Your drawing (the star) is unlike the training images.** Its closest training image "
                           f"matches it only {like.similarity:.2f} in this feature space (cosine similarity), less "
                           f"than 99% of real test garments and drawings of them reach ({like.typical:.2f}). That is "
                           "the drawing page's warning: on the right it lands away from the clusters' cores (its "
                           f"nearest map points are mostly {major}), where the model has never seen an example.",
                           icon="⭐")
            else:
                st.success(f"**Your drawing (the star) looks like the training images** to this model: its closest "
                           f"training image matches {like.similarity:.2f}, at least what 99% of real garments "
                           f"reach ({like.typical:.2f}). On the right it lands among the {major} points.", icon="⭐")
        else:
            st.caption("Draw a garment on page 8 and come back: it appears here as a star.")
        if st.session_state[k("method")] == "tsne":
            st.caption("t-SNE keeps near neighbours near but distorts distances between clusters; it cannot place a "
                       "new point, so the star goes to the mean position of its 10 nearest map points (nearest in "
                       f"the original space). It took {sum(tsne_maps(digest)['seconds'].values()):.1f} s for both maps.")
        else:
            e = md["pca_features"].explained
            st.caption(f"PCA: the two directions of greatest variance (here {e.sum():.0%} of the last layer's "
                       "variance; a straight view, so overlaps can hide clusters that t-SNE separates).")

write_url(P, SCHEMA)
