"""The numbers a lesson goal checks, read from this session's page state (fmnist_core.lessons.goals
computes them from the core objects the pages keep)."""
from __future__ import annotations

import base64
import logging
from typing import Any

import numpy as np
import streamlit as st

from fmnist_core.lessons import goals as lg
from fmnist_core.engine import url_state

from ui.views.page_registry import PAGES, page_info

log = logging.getLogger(__name__)


def settings(page: str) -> dict[str, Any]:
    """The page's current settings: its widget keys, else the last values it wrote to the URL, else defaults."""
    entry, info = PAGES[page], page_info(page)
    if info.schema is None:
        return {}
    store = st.session_state.get(f"_url_store_{entry.prefix}", {})
    out = {}
    for name, fld in info.schema.items():
        key = f"{entry.prefix}_{name}"
        out[name] = st.session_state[key] if key in st.session_state else store.get(name, fld.default)
    # A link just opened (the page applies it when it runs, as ui.kit.common.bind_url does) wins.
    qp = {k: v for k, v in st.query_params.to_dict().items() if k in info.schema}
    if qp and qp != st.session_state.get(f"_url_last_{entry.prefix}"):
        parsed, _ = url_state.parse(info.schema, qp)
        out.update({k: parsed[k] for k in qp})
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def _init_report_values(data_name: str, depth: int, width: int, act: str, init: str, params: tuple) -> dict:
    from fmnist_core.initialization import compare as init_compare, report as init_report

    from ui.kit.common import dataset

    if data_name == "fashion":
        data = dataset()
        if data is None:
            return {}
        diag = init_compare.fashion_data(data)
    else:
        diag = init_compare.toy_data(data_name)
    rep = init_report.init_report(diag, depth, width, act, init, with_reference=False, **dict(params))
    return lg.init_values(rep)


@st.cache_resource(max_entries=4, show_spinner=False)
def _model(path: str, mtime: float):
    from fmnist_core.fashion.checkpoint import load_checkpoint

    return load_checkpoint(path, "cpu")


@st.cache_data(max_entries=16, show_spinner=False)
def _sketch_probs(picture: bytes, model_key: str) -> np.ndarray | None:
    from fmnist_core.inside import explain as ex
    from fmnist_core.inside import sketch as sk

    choice = next((c for c in ex.model_choices() if c.key == model_key), None)
    if choice is None:
        return None
    try:
        pre = sk.preprocess(sk.decode_image(picture))
    except sk.ImageInputError:
        return None
    if pre.empty:
        return None
    model, meta = _model(str(choice.path), choice.path.stat().st_mtime)
    return ex.probabilities(model, pre.image, tuple(meta["normalization"]))


def _sketch_picture(s: dict) -> bytes | None:
    """The bytes the drawing page classifies: the canvas's PNG, or the uploaded picture."""
    if s.get("source") == "upload":
        up = st.session_state.get("sketch_upload")
        return up.getvalue() if up is not None else None
    canvas = st.session_state.get("sketch_canvas")
    drawing = (canvas or {}).get("drawing") if isinstance(canvas, dict) else None
    if not drawing or not (drawing.get("raw") or {}).get("objects"):
        return None
    url = drawing.get("data") or ""
    if not url.startswith("data:image/png;base64,"):
        return None
    return base64.b64decode(url.split(",", 1)[1])


def _measured(page: str, s: dict) -> dict:
    ss = st.session_state
    if page == "activations":
        return lg.neuron_values(s)
    if page == "boundaries":
        return lg.boundary_values(ss.get("boundaries_run"), s)
    if page == "learning":
        from fmnist_core.toy.data import make_dataset

        w = ss.get("learning_weights")
        if w is None:
            return {}
        d = make_dataset(s["dataset"], int(s["points"]), float(s["noise"]), float(s["test"]), int(s["seed"]))
        return lg.learning_values(w, int(ss.get("learning_steps", 0)), d.x_train.double().numpy(),
                                  d.y_train.double().numpy(), s)
    if page == "initialization":
        from fmnist_core.initialization.stats import activation_gain

        scales = {n: float(s[n]) for n in ("std", "a", "value") if n in s}
        gain = activation_gain("tanh") if s.get("gain") and s["act"] == "tanh" else 1.0
        params = tuple(sorted({**scales, "gain": gain, "noise": 1e-3 if s.get("noise") else 0.0}.items()))
        return _init_report_values(s["data"], int(s["depth"]), int(s["width"]), s["act"], s["init"], params)
    if page == "training":
        return lg.training_values(list(ss.get("training_runs", [])))
    if page == "sketch":
        picture = _sketch_picture(s)
        return lg.sketch_values(None if picture is None else _sketch_probs(picture, s["model"]))
    if page == "fragile":
        from ui.views.fragile_views import ATTACK_KEY, KNOCKOUT_KEY

        return lg.fragile_values(ss.get(ATTACK_KEY), ss.get(KNOCKOUT_KEY))
    if page == "overfitting":
        from ui.views.overfitting_lab import kept_runs

        return lg.overfitting_values(kept_runs())
    return {}


def values(page: str) -> dict[str, Any]:
    """Settings and measured values of `page` for goal checks; a failure measures nothing (and is logged)."""
    s = settings(page)
    try:
        return {**s, **_measured(page, s)}
    except Exception as e:  # a goal must never break the page it watches
        log.warning("lesson values of %s: %s", page, e)
        return s
