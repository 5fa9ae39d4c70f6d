"""The drawing page's input: the canvas (with its brush) or an upload, as the bytes to classify."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from fmnist_core.inside import sketch as sk


def canvas(key: Callable[[str], str]) -> bytes | None:
    """The canvas's PNG once something is drawn on it, else None."""
    from streamlit_drawable_canvas import st_canvas

    st.html("<div style='height:1.4rem'></div>")  # room for the canvas toolbar, which floats above it
    drawn = st_canvas(stroke_width=st.session_state[key("brush")], stroke_color="#000000",
                      background_color="#FFFFFF", height=sk.CANVAS, width=sk.CANVAS, drawing_mode="freedraw",
                      return_image_data=True, update_streamlit=True, key=key("canvas"))
    st.slider("Brush size (px)", 2, 40, key=key("brush"))
    st.caption("Draw anywhere, at any size: the garment is cut out and scaled before the model sees it. "
               "Hover over the canvas for its toolbar: ↶ undo, 🗑 clear.")
    return drawn.image_bytes if (drawn.json_data or {}).get("objects") else None


def upload(key: Callable[[str], str]) -> bytes | None:
    """The uploaded file's bytes, else None."""
    up = st.file_uploader("A photo or picture of one garment on a plain background (PNG, JPEG, WebP)",
                          type=["png", "jpg", "jpeg", "webp"], max_upload_size=sk.MAX_UPLOAD_BYTES // 2**20,
                          key=key("upload"))
    st.caption("Fashion-MNIST's photos show one garment on white, seen from the front. Photos like that work "
               "best; a busy background is cut out as if it were part of the garment.")
    return None if up is None else up.getvalue()


def show_problem(e: sk.ImageInputError) -> None:
    """Why a picture cannot be used and what to do: a warning for a size to fix, an error for a broken file."""
    if e.kind in ("small", "thin", "large"):
        st.warning(f"**This picture's size does not work.** {e}", icon="📐")
    else:
        st.error(f"**That picture cannot be used.** {e}", icon="🚫")
