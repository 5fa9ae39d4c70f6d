"""7 · What each layer learns: weights, top images, feature maps, separability and a map of the feature space."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from fmnist_core.inside import explain as ex
from fmnist_core.inside import feature_map as fmap
from fmnist_core.inside import layers as L
from fmnist_core.inside import probe as pr
from fmnist_core.engine import url_state as us
from fmnist_core.fashion.checkpoint import CheckpointError, load_checkpoint
from fmnist_core.fashion.dataset import CLASS_NAMES
from fmnist_core.fashion.runs import list_saved_runs, runs_dir
from ui.figures import layers as lf
from ui.kit import live
from ui.kit.common import bind_url, ensure_router, require_dataset, show_url_notes, write_url

ensure_router()
P = "layers"
PROBE_JOB, TSNE_JOB = "layers_probe_job", "layers_tsne_job"
DRAWING = "sketch_input28"  # the drawing page keeps its last 28x28 model input here
VIEWS = {"weights": "① Weights", "units": "② Top images", "maps": "③ Feature maps", "probe": "④ Separability",
         "space": "⑤ Feature space"}
LAYER_KEYS = tuple(f"hidden{i}" for i in range(1, 7)) + tuple(f"conv{i}" for i in range(1, 5)) + ("fc",)
NO_CONV = ("**This model has no convolutions**, so it has no feature maps: an MLP flattens the image into 784 "
           "numbers and each first-layer unit looks at all of them at once. Choose the CNN to see maps.")
CHART = {"config": {"displayModeBar": False}}


# --------------------------------------------------------------------------- cached per checkpoint (content hash)


@st.cache_data(show_spinner=False, max_entries=16)
def _saved(directory: str, signature: tuple) -> list[tuple[str, str]]:
    return [(f"{r['name']} ({r['architecture'].upper()})", r["path"]) for r in list_saved_runs(directory)
            if "error" not in r]


def model_choices() -> list[ex.ModelChoice]:
    d = runs_dir()
    sig = tuple(sorted((p.name, p.stat().st_mtime) for p in d.glob("*.pt"))) if d.is_dir() else ()
    return ex.model_choices([(lab, Path(p)) for lab, p in _saved(str(d), sig)])


@st.cache_resource(show_spinner=False, max_entries=16)
def digest_of(path: str, mtime: float) -> str:
    return L.file_hash(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def load(path: str, digest: str):
    return load_checkpoint(path, "cpu")


@st.cache_resource(show_spinner=False, max_entries=8)
def summary(path: str, digest: str) -> L.ModelSummary:
    model, meta = load(path, digest)
    return L.cached_summary(model, digest, require_dataset().test_images, tuple(meta["normalization"]))


@st.cache_resource(show_spinner=False)
def store() -> dict:
    """Probe and t-SNE results shared by every session, filled by background jobs: (what, digest) -> result."""
    return {}


def probe_results(digest: str) -> list[pr.ProbeResult] | None:
    key = ("probe", digest)
    if key not in store():
        found = pr.load_results(L.cache_path(digest, pr.cache_name()))
        if found:
            store()[key] = found
    return store().get(key)


@st.cache_resource(show_spinner=False, max_entries=8)
def map_data(path: str, digest: str) -> dict:
    model, meta = load(path, digest)
    data = require_dataset()
    idx = fmap.sample(data.test_labels)
    feats = fmap.model_features(model, data.test_images[idx], tuple(meta["normalization"]))
    pix = fmap.pixels(data.test_images[idx])
    return {"idx": idx, "labels": data.test_labels[idx].cpu().numpy(), "features": feats, "pixels": pix,
            "pca_features": fmap.pca_2d(feats), "pca_pixels": fmap.pca_2d(pix)}


@st.cache_resource(show_spinner=False, max_entries=4)
def bank(path: str, digest: str) -> ex.FeatureBank:
    """The drawing page's feature bank and its 'unlike the training images' threshold."""
    model, meta = load(path, digest)
    data = require_dataset()
    return ex.build_feature_bank(model, data.train_images, data.train_labels, tuple(meta["normalization"]),
                                 calibration=ex.calibration_images(data.test_images))


# --------------------------------------------------------------------------- settings

st.title("🧅 What each layer learns")
st.markdown("Depth builds a **hierarchy**: the first layer responds to strokes and edges, later layers to parts, "
            "the last to whole garments, and each layer re-encodes the images so that the classes become easier to "
            "separate. Check it on real, trained networks.")
data = require_dataset()
choices = model_choices()
if not choices:
    st.error("No model found: `assets/cnn.pt` and `assets/mlp.pt` are missing and no run is saved. Recreate them "
             "with `python scripts/train_bundled.py`, or train and save a model on the training page.")
    st.stop()
by_key = {c.key: c for c in choices}
SCHEMA = {"model": us.Choice(choices[0].key, tuple(by_key)), "view": us.Choice("weights", tuple(VIEWS)),
          "layer": us.Choice("hidden1", LAYER_KEYS), "units": us.Int(12, 4, 48), "image": us.Int(0, 0, 9999),
          "input": us.Choice("test", ("test", "drawing")), "method": us.Choice("pca", ("pca", "tsne"))}
show_url_notes(bind_url(P, SCHEMA))
if st.session_state["layers_model"] not in by_key:
    st.session_state["layers_model"] = choices[0].key
c1, c2 = st.columns([0.45, 0.55], vertical_alignment="bottom")
c1.selectbox("Model", list(by_key), key="layers_model", format_func=lambda k: by_key[k].label)
st.segmented_control("View", list(VIEWS), key="layers_view", format_func=VIEWS.get, required=True,
                     label_visibility="collapsed")
chosen = by_key[st.session_state["layers_model"]]
try:
    digest = digest_of(str(chosen.path), chosen.path.stat().st_mtime)
    model, meta = load(str(chosen.path), digest)
except (CheckpointError, OSError) as e:
    st.error(f"The model **{chosen.label}** cannot be used: {e}")
    st.stop()
norm = tuple(meta["normalization"])
acc = (meta.get("metrics") or {}).get("test_accuracy")
c2.caption(f"{meta['architecture'].upper()} · {meta['activation']}"
           + (f" · {acc:.1%} on the 10,000 test images" if acc is not None else ""))
layers = L.model_layers(model)
conv = L.is_convolutional(model)
if st.session_state["layers_layer"] not in [lay.key for lay in layers]:
    st.session_state["layers_layer"] = layers[0].key
view = st.session_state["layers_view"]
drawing = st.session_state.get(DRAWING)
t_start = time.perf_counter()
with st.spinner("Finding each unit's top-activating test images (once per model)…"):
    summ = summary(str(chosen.path), digest)
stats = summ.stats


def render_note(what: str) -> None:
    st.caption(f"{what} computed and drawn in {(time.perf_counter() - t_start) * 1000:.0f} ms on the server.")


# --------------------------------------------------------------------------- ① weights

if view == "weights":
    w = L.first_layer_weights(model)
    first = layers[0]
    order = L.ordered(stats[first.key].importance)
    n = min(len(order), 32)  # 8 a row: large enough to read on a projector
    labels = [f"{'channel' if conv else 'unit'} {u} · rank {r + 1}" for r, u in enumerate(order[:n])]
    left, right = st.columns([0.68, 0.32], gap="large")
    with left:
        st.plotly_chart(lf.weights_figure(w, order[:n], labels, cols=8, height=70 * -(-n // 8) + 10),
                        key="layers_weights", **CHART)
        render_note("Weights")
    with right:
        if conv:
            st.markdown(f"**The {len(order)} filters of the first convolution**, each 3×3 weights, most important "
                        "first. A filter slides over the image: the same 9 weights at every position. **Red** "
                        "weights reward ink, **blue** ones punish it, so a red row above a blue row answers to a "
                        "horizontal edge, wherever it is. This is the lecture's *edges*: small, local, shared.")
        else:
            st.markdown(f"**Each square is one first-layer unit's 784 weights**, laid out like the 28×28 image it "
                        f"reads ({n} of {len(order)}, most important first). **Red** pixels: ink there raises the "
                        "unit; **blue**: ink there lowers it. Many look like blurry parts of garments (a collar, a "
                        "sole, a trouser gap), or like one garment minus another: templates, not yet whole objects.")
        st.caption("**Importance** = the unit's mean |activation| on the 10,000 test images × the size of its "
                   "outgoing weights: how strongly it speaks to the next layer. Each square is scaled to its own "
                   "largest weight. Hover for the unit's number.")

# --------------------------------------------------------------------------- ② top images per unit

elif view == "units":
    keys = [lay.key for lay in layers]
    c1, c2 = st.columns([0.5, 0.5])
    c1.segmented_control("Layer", keys, key="layers_layer", required=True,
                         format_func=lambda k: next(lay.label for lay in layers if lay.key == k))
    c2.slider("Units shown (most important first)", 4, 48, key="layers_units")
    lay = next(x for x in layers if x.key == st.session_state["layers_layer"])
    s = stats[lay.key]
    rf = L.receptive_fields(model).get(lay.key)
    pure, cls = L.purity(s.top_idx, data.test_labels)
    st.caption("**How often a unit's 9 top images are of one class** (mean over the layer's units): it grows with "
               "depth as units turn from strokes into garments.")
    for col, other in zip(st.columns(len(layers)), layers):
        col.metric(other.label, f"{L.purity(stats[other.key].top_idx, data.test_labels)[0].mean():.0%}")
    order = L.ordered(s.importance)[:st.session_state["layers_units"]]
    grid = st.columns(6)
    for i, u in enumerate(order):
        if rf is not None:
            tiles = L.crop_patches(data.test_images, s.top_idx[u], s.top_pos[u], rf)
        else:
            tiles = data.test_images[s.top_idx[u]].cpu().numpy()
        with grid[i % 6]:
            st.image(lf.unit_tile(tiles), width="stretch")
            st.caption(f"**{'channel' if rf else 'unit'} {u}** · {round(pure[u] * 9)}/9 {CLASS_NAMES[cls[u]]}")
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
        opts = ["test", "drawing"] if drawing is not None else ["test"]
        if st.session_state["layers_input"] not in opts:
            st.session_state["layers_input"] = "test"
        c1, c2 = st.columns([0.5, 0.5])
        if drawing is not None:
            c1.radio("Input", opts, key="layers_input", horizontal=True,
                     format_func={"test": "a test image", "drawing": "your drawing (page 8)"}.get)
        if st.session_state["layers_input"] == "test":
            c2.number_input("Test image (0–9,999)", 0, 9999, key="layers_image", step=1)
            img = data.test_images[st.session_state["layers_image"]].cpu().numpy()
            name = f"test image #{st.session_state['layers_image']} ({CLASS_NAMES[int(data.test_labels[st.session_state['layers_image']])]})"
        else:
            img, name = np.asarray(drawing, np.uint8), "your drawing"
        if drawing is None:
            c1.caption("Draw something on page 8 to see your own drawing go through the layers.")
        maps = L.feature_maps(model, img, norm)
        probs = ex.probabilities(model, img, norm)
        left, right = st.columns([0.2, 0.8], gap="medium")
        with left:
            st.plotly_chart(lf.input_figure(img, 180), key="layers_input_img", **CHART)
            st.caption(f"{name}: the model says **{CLASS_NAMES[int(probs.argmax())]}** ({probs.max():.0%}).")
        with right:
            for lay in (x for x in layers if x.kind == "conv"):
                m = maps[lay.key]
                order = L.ordered(stats[lay.key].importance)
                st.markdown(f"**{lay.label}**: {m.shape[0]} maps of {m.shape[1]}×{m.shape[2]}, most important first")
                per_row = 16 if m.shape[-1] < 20 else 8
                st.plotly_chart(lf.maps_figure(m, order, [f"channel {c}" for c in order], cols=per_row,
                                               height=650 // per_row * -(-m.shape[0] // per_row) + 10),
                                key=f"layers_maps_{lay.key}", **CHART)
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
            st.plotly_chart(lf.probe_figure([r.label for r in results], [r.test_accuracy for r in results],
                                            [r.train_accuracy for r in results]), key="layers_probe", **CHART)
            gain = results[-1].test_accuracy - results[0].test_accuracy
            st.markdown(f"From raw pixels ({results[0].test_accuracy:.1%}) to the last hidden layer "
                        f"({results[-1].test_accuracy:.1%}): **{gain * 100:+.1f} points** for the same linear "
                        "classifier" + (f"; the network itself reaches {acc:.1%}." if acc is not None else "."))
        else:
            if live.start_button(PROBE_JOB, "Measure each layer (about 20–60 s, once per model)", type="primary"):
                tr, ytr, te, yte = data.train_images, data.train_labels, data.test_images, data.test_labels

                def run_probe(job, model=model, digest=digest):
                    res = pr.probe_layers(model, tr, ytr, te, yte, norm,
                                          on_layer=lambda i, n, r: job.emit({"kind": "progress", "done": i, "total": n,
                                                                             "label": r.label if r else ""}),
                                          should_stop=job.control.should_stop)
                    if len(res) == len(layers) + 1:
                        store()[("probe", digest)] = res
                        pr.save_results(L.cache_path(digest, pr.cache_name()), res)
                    return res

                live.start(PROBE_JOB, "layer probes", run_probe)

            def draw_probe(job, reader):
                last = reader.latest.get("progress")
                if job.active:
                    done, total = (last["done"], last["total"]) if last else (0, len(layers) + 1)
                    st.progress(done / total, text=f"{'Probes trained: ' + str(done) + ' of ' + str(total) if last else 'Computing every layer’s activations…'}"
                                f"{' (last: ' + last['label'] + ')' if last and last['label'] else ''}")

            live.view(PROBE_JOB, draw_probe, idle="Not measured for this model yet: press the button.")

# --------------------------------------------------------------------------- ⑤ map of the feature space

else:
    md = map_data(str(chosen.path), digest)
    st.radio("Projection", ["pca", "tsne"], key="layers_method", horizontal=True,
             format_func={"pca": "PCA (instant)", "tsne": "t-SNE (a few seconds, in the background)"}.get)
    tsne = store().get(("tsne", digest)) if st.session_state["layers_method"] == "tsne" else None
    d_feat = d_pix = None
    if drawing is not None:
        d_img = torch.as_tensor(np.asarray(drawing, np.uint8))[None]
        d_feat, d_pix = fmap.model_features(model, d_img, norm)[0], fmap.pixels(d_img)[0]
    coords = stars = None
    if st.session_state["layers_method"] == "pca":
        coords = {k: md[f"pca_{k}"].coords for k in ("pixels", "features")}
        if drawing is not None:
            stars = {"pixels": md["pca_pixels"].project(d_pix)[0], "features": md["pca_features"].project(d_feat)[0]}
    elif tsne is not None:
        coords = {k: tsne[k] for k in ("pixels", "features")}
        if drawing is not None:
            stars = {"pixels": fmap.place(md["pixels"], tsne["pixels"], d_pix)[0],
                     "features": fmap.place(md["features"], tsne["features"], d_feat)[0]}
    else:
        if live.start_button(TSNE_JOB, f"Compute the t-SNE maps ({len(md['idx']):,} images, pixels and features)",
                             type="primary"):
            def run_tsne(job, md=md, digest=digest):
                t0 = time.perf_counter()
                res = fmap.tsne_pair(md["features"], md["pixels"], should_stop=job.control.should_stop,
                                     on_stage=lambda i, n, name: job.emit({"kind": "progress", "done": i, "total": n,
                                                                          "stage": name or "", "t": time.perf_counter() - t0}))
                if res is not None:
                    store()[("tsne", digest)] = res
                return res

            live.start(TSNE_JOB, "t-SNE map", run_tsne)

        def draw_tsne(job, reader):
            last = reader.latest.get("progress")
            if job.active and last:
                since = time.time() - job.started if job.started else 0.0
                what = {"pixels": "the raw pixels", "features": "the last hidden layer"}.get(last["stage"], "")
                st.progress(last["done"] / last["total"], text=f"t-SNE of {what}: map {last['done'] + 1} of "
                            f"{last['total']} · {since:.0f} s so far (each map takes ~6 s on one core)")
                st.caption("scikit-learn's t-SNE reports nothing until a map is finished, so the bar moves per map.")

        live.view(TSNE_JOB, draw_tsne, idle="t-SNE not computed for this model yet: press the button (PCA is shown "
                  "meanwhile on the other setting).")
    if coords is not None:
        picked = None
        cols = st.columns(2, gap="medium")
        for col, k, title in zip(cols, ("pixels", "features"),
                                 ("Raw pixels (784 numbers per image)", f"Last hidden layer ({md['features'].shape[1]} numbers)")):
            with col:
                ev = st.plotly_chart(lf.map_figure(coords[k], md["labels"], md["idx"], title,
                                                   None if stars is None else stars[k], legend=k == "features"),
                                     key=f"layers_map_{k}", on_select="rerun", selection_mode="points", **CHART)
                pts = (ev or {}).get("selection", {}).get("points", []) if ev else []
                if pts and pts[0].get("customdata") is not None:
                    picked = int(np.ravel(pts[0]["customdata"])[0])
        render_note("The maps")
        st.markdown(f"Each dot is one of {len(md['idx']):,} test images, coloured by its true class. **Left**, placed "
                    "by its raw pixels: classes overlap, since a pixel-by-pixel comparison barely tells a shirt from a "
                    "pullover. **Right**, placed by what the network's last hidden layer makes of it: the layers "
                    "have pulled each class into its own cluster, which the output layer can cut with straight "
                    "lines. Shirts, T-shirts, pullovers and coats stay close: the model confuses them too. "
                    "**Click a dot** to see its image.")
        if picked is not None:
            pc1, pc2 = st.columns([0.15, 0.85])
            pc1.plotly_chart(lf.input_figure(data.test_images[picked].cpu().numpy(), 140), key="layers_picked", **CHART)
            pc2.markdown(f"Test image **#{picked}**, a **{CLASS_NAMES[int(data.test_labels[picked])]}**.")
        if drawing is not None:
            b = bank(str(chosen.path), digest)
            sim = float(ex.nearest(b, torch.as_tensor(d_feat), 1)[1][0])
            near = md["labels"][fmap.place(md["features"], coords["features"], d_feat)[1]]
            major = CLASS_NAMES[int(np.bincount(near, minlength=10).argmax())]
            if b.typical is not None and sim < b.typical:
                st.warning(f"**Your drawing (the star) is unlike the training images.** Its closest training image "
                           f"matches it only {sim:.2f} in this feature space (cosine similarity), less than 99% of "
                           f"real test garments and drawings of them reach ({b.typical:.2f}). That is the drawing "
                           f"page's warning: on the right it lands away from the clusters' cores (its nearest map "
                           f"points are mostly {major}), where the model has never seen an example.", icon="⭐")
            else:
                st.success(f"**Your drawing (the star) looks like the training images** to this model: its closest "
                           f"training image matches {sim:.2f}, at least what 99% of real garments reach "
                           f"({b.typical:.2f}). On the right it lands among the {major} points.", icon="⭐")
        else:
            st.caption("Draw a garment on page 8 and come back: it appears here as a star.")
        if st.session_state["layers_method"] == "tsne":
            st.caption("t-SNE keeps near neighbours near but distorts distances between clusters; it cannot place a "
                       "new point, so the star goes to the mean position of its 10 nearest map points (nearest in "
                       f"the original space). It took {sum(tsne['seconds'].values()):.1f} s for both maps.")
        else:
            e = md["pca_features"].explained
            st.caption(f"PCA: the two directions of greatest variance (here {e.sum():.0%} of the last layer's "
                       "variance; a straight view, so overlaps can hide clusters that t-SNE separates).")

write_url(P, SCHEMA)
