"""9 · Fool, dream, break: adversarial examples, what each class looks like to the network, knocking units out."""
from __future__ import annotations

import streamlit as st

from fmnist_core.inside import layers as L
from ui.kit import checkpoints
from ui.kit.common import ensure_router, require_dataset, write_url
from ui.kit.widgets import keys
from ui.views import fragile_data as fd
from ui.views import fragile_jobs, fragile_views
from ui.views.fragile_url import VIEWS, schema
from ui.views.sketch_model import DRAWING

ensure_router()
P = "fragile"
k = keys(P)

st.title("🎭 Fool, dream, break")
st.markdown("A classifier that is right 92 % of the time can still be **fooled** by changes too small to see, "
            "**dreams** of images no camera ever took, and keeps working (or not) when parts of it are **broken**. "
            "Try all three on the trained networks, a saved run or your own drawing.")
data = require_dataset()
by_key, SCHEMA = checkpoints.bound_menu(P, schema)
c1, c2 = st.columns([0.45, 0.55], vertical_alignment="bottom")
c1.selectbox("Model", list(by_key), key=k("model"), format_func=lambda m: by_key[m].label)
st.segmented_control("Lab", list(VIEWS), key=k("view"), format_func=VIEWS.get, required=True,
                     label_visibility="collapsed")
chosen = by_key[st.session_state[k("model")]]
model = fd.pixel_model(chosen)
layers = L.model_layers(model.model)
acc = (checkpoints.load(chosen.path)[1].get("metrics") or {}).get("test_accuracy")
c2.caption(f"{'CNN' if model.conv else 'MLP'}" + (f" · {acc:.1%} on the 10,000 test images" if acc else ""))
view = st.session_state[k("view")]
drawing = st.session_state.get(DRAWING)  # the drawing page's last input, uint8 28x28

# --------------------------------------------------------------------------- ① fool it

if view == "fool":
    fragile_views.fool_lab(k, model, data, drawing)

# --------------------------------------------------------------------------- ② how robust is it?

elif view == "curve":
    left, right = st.columns([0.64, 0.36], gap="large")
    models = fd.curve_models(chosen, by_key)
    with left:
        points = fragile_jobs.curve_section(models, key=k("curve"))
    with right:
        fragile_views.curve_text(points)

# --------------------------------------------------------------------------- ③ dream

elif view == "dream":
    fragile_views.dream_lab(k, chosen, layers, drawing)

# --------------------------------------------------------------------------- ④ break it

else:
    fragile_views.knockout_lab(k, chosen, layers)

write_url(P, SCHEMA)
