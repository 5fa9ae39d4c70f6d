"""Shared page helpers: device, dataset (with the missing-data screen), session id, URL state."""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import streamlit as st
import torch

from fmnist_core.engine import url_state
from fmnist_core.engine.device import describe_device, get_device
from fmnist_core.fashion.dataset import DEBIAN_HINT, DatasetError, FashionMNIST, candidate_dirs, load_fashion_mnist, status


@st.cache_resource(show_spinner=False)
def device() -> torch.device:
    """The server's device (cuda, then mps, then cpu; $FMNIST_DEVICE overrides)."""
    return get_device()


@st.cache_resource(show_spinner="Loading Fashion-MNIST onto the device…")
def _load(device_name: str) -> FashionMNIST:
    return load_fashion_mnist(device_name)


def dataset() -> FashionMNIST | None:
    """The dataset on the server's device, or None when it is not on this machine."""
    try:
        return _load(str(device()))
    except DatasetError:
        return None


@st.cache_resource(show_spinner=False)
def _test_arrays(device_name: str) -> tuple[np.ndarray, np.ndarray]:
    data = dataset()
    return data.test_images.cpu().numpy(), data.test_labels.cpu().numpy()


def test_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Test images (10000, 28, 28) uint8 and labels (10000,) as numpy, for drawing (the dataset must be here)."""
    return _test_arrays(str(device()))


def cached(store: str, name: str, key: Any, build: Callable[[], Any]) -> Any:
    """`build()` kept in `st.session_state[store]` and rebuilt only when `key` changes: a live view
    polls faster than its figures change."""
    cache = st.session_state.setdefault(store, {})
    if name not in cache or cache[name][0] != key:
        cache[name] = (key, build())
    return cache[name][1]


def _inline_image(data: bytes, mime: str, alt: str, style: str) -> None:
    """An image shown inline (a data URI), not through Streamlit's media files: a view that polls
    replaces its pictures, and a browser still fetching a replaced media file logs an error."""
    import base64
    import html

    src = base64.b64encode(data).decode("ascii")
    st.html(f'<img src="data:{mime};base64,{src}" alt="{html.escape(alt)}" style="{style}">')


def png(data: bytes, alt: str = "") -> None:
    """A PNG shown inline, at most the column's width."""
    _inline_image(data, "image/png", alt, "max-width:100%;height:auto")


def svg_image(svg: str, alt: str = "") -> None:
    """An SVG drawing shown inline as an image, the column's width (st.html's sanitizer drops <svg>
    elements); a redraw costs the browser an image decode, not a chart library's re-render."""
    _inline_image(svg.encode("utf-8"), "image/svg+xml", alt, "width:100%;height:auto")


def dataset_error() -> str | None:
    try:
        _load(str(device()))
        return None
    except DatasetError as e:
        return str(e)


def require_dataset() -> FashionMNIST:
    """The dataset, or the missing-data screen and st.stop()."""
    data = dataset()
    if data is None:
        missing_data_screen()
        st.stop()
    return data


def missing_data_screen() -> None:
    st.warning("**Fashion-MNIST is not on this machine yet.** This view needs the real dataset.")
    err = dataset_error()
    if err:
        with st.expander("What was checked"):
            st.code(err, language=None, wrap_lines=True)
    st.markdown(
        f"""Three ways to get it (any one is enough):
1. **Debian/Ubuntu package** (no internet needed on a course machine with a local mirror): `{DEBIAN_HINT.split(': ')[-1]}`
2. **Point to a folder** that has the four `*-ubyte.gz` files: start the app with `FMNIST_DATA_DIR=/path/to/folder make run`.
3. **Download** the official files (30 MB) into `{candidate_dirs()[-2][1]}` with the button below."""
    )
    if st.button("Download Fashion-MNIST (30 MB)", key="data_download", type="primary"):
        from fmnist_core.fashion.dataset import download

        bar = st.progress(0.0, text="Starting the download…")

        def progress(name: str, done: int, total: int) -> None:
            if total:
                bar.progress(min(done / total, 1.0), text=f"{name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")

        try:
            download(progress=progress)
        except DatasetError as e:
            st.error(str(e))
            return
        _load.clear()
        st.success("Downloaded and verified. Loading…")
        st.rerun()


def session_id() -> str:
    """This browser session's id (one job per session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


def sidebar_status() -> None:
    """Device and dataset status, shown on every page."""
    with st.sidebar:
        dev = device()
        st.caption(f"**Device:** {describe_device(dev)}")
        found, text = status()
        if found is not None:
            st.caption(f"**Data:** Fashion-MNIST ✓ ({found})")
        else:
            st.caption("**Data:** Fashion-MNIST missing — see the Fashion-MNIST pages for how to get it.")


# --------------------------------------------------------------------------- URL state

APP_PARAMS = ("lesson", "step", "present")  # link parameters of the whole app (lessons, presenter mode)

def bind_url(prefix: str, schema: Mapping[str, Any],
             link_defaults: Callable[[dict], dict] | None = None) -> list[str]:
    """Set widget state `f"{prefix}_{name}"` on every run: from the URL (first visit, or a changed link),
    else the value it has, else this session's last value or the default; returns notes on corrected
    link values.

    Every run re-assigns them, so each widget shows the value set here, whatever the browser holds: when
    a polling fragment's st.rerun() meets a click (e.g. Start while page 2's growth grid ends), the browser
    can send the widgets' own defaults (slider minimum, empty pills); see the page-2 browser test
    test_browser_start_while_the_growth_grid_trains_keeps_every_setting.

    `link_defaults(values)`: for a link that leaves some fields out, what they take given the fields it names
    (e.g. a link to the CNN without a learning rate gets the CNN recipe's); other fields keep their value.

    Create the widgets with `key=` only (no `value=`/`index=`), then call `write_url`.
    """
    qp = {k: v for k, v in st.query_params.to_dict().items() if k in schema}
    store = st.session_state.setdefault(f"_url_store_{prefix}", {})
    from_link = bool(qp) and qp != st.session_state.get(f"_url_last_{prefix}")
    values, notes = url_state.parse(schema, qp) if from_link else ({}, [])
    implied = link_defaults({k: values[k] for k in qp}) if from_link and link_defaults else {}
    for name, fld in schema.items():
        key = f"{prefix}_{name}"
        if from_link and name in qp:
            st.session_state[key] = values[name]
        elif name in implied:
            st.session_state[key] = implied[name]
        else:
            st.session_state[key] = st.session_state[key] if key in st.session_state else store.get(name, fld.default)
    return notes


def write_url(prefix: str, schema: Mapping[str, Any]) -> dict[str, str]:
    """Mirror the widgets into the URL and this session's store, so a link restores them."""
    values = {name: st.session_state.get(f"{prefix}_{name}", fld.default) for name, fld in schema.items()}
    st.session_state[f"_url_store_{prefix}"] = dict(values)
    qp = url_state.dump(schema, values)
    current = st.query_params.to_dict()
    full = qp | {k: current[k] for k in APP_PARAMS if k in current}  # the app's own link parameters stay
    if current != full:
        st.query_params.from_dict(full)
    st.session_state[f"_url_last_{prefix}"] = qp
    return qp


def show_url_notes(notes: list[str]) -> None:
    if len(notes) > 2:  # a mangled link: one message, not a stack of toasts over the page
        st.toast(f"**{len(notes)} settings in the link could not be used as given**; the defaults or "
                 "nearest allowed values are used instead:  \n" + "  \n".join(f"• {n}" for n in notes),
                 icon="🔗")
        return
    for n in notes:
        st.toast(n, icon="🔗")


def ensure_router() -> None:
    """Run every page through app.py, even from a direct link on a freshly started server.

    Until st.navigation runs once, Streamlit treats a folder named `pages/` as a v1 multipage app,
    so a shared link such as /activations?... opened first would run the page alone (no sidebar,
    no thread setting, narrow layout). Switch that off and rerun: the rerun goes through app.py.
    """
    from streamlit.runtime import Runtime
    from streamlit.runtime.pages_manager import PagesManager

    # AppTest (whose runtime is a mock) resets the flag before every run, so a rerun there would
    # drop each button click; only a real server needs the switch.
    real_server = Runtime.exists() and type(Runtime.instance()) is Runtime
    if PagesManager.uses_pages_directory and real_server:
        PagesManager.uses_pages_directory = False
        st.rerun()
