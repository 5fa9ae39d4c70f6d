"""Take a model home: its checkpoint (.pt) and an ONNX file, each with a short snippet that uses it.

Used by the training page (an ended or saved run) and the drawing page (the chosen model). Files and
exports are made once per model content (cache_resource: bytes are immutable) and only when a
learner opens the section, so a page that shows it costs nothing until then.
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import streamlit as st

from fmnist_core.fashion.checkpoint import CheckpointError
from fmnist_core.fashion.export import ExportError, checkpoint_snippet, onnx_snippet, to_onnx, weights_digest
from fmnist_core.fashion.runs import RunRecord, save_run
from ui.kit import checkpoints

TITLE = "⬇ Take this model home"


@st.cache_resource(show_spinner=False, max_entries=16)
def _file_bytes(path: str, content: str) -> bytes:
    return Path(path).read_bytes()


@st.cache_resource(show_spinner=False, max_entries=16)
def _run_checkpoint(content: str, _rec: RunRecord) -> tuple[bytes, str]:
    with tempfile.TemporaryDirectory() as d:
        path = save_run(dataclasses.replace(_rec), d)  # a copy: the run itself stays unsaved
        return path.read_bytes(), path.name


@st.cache_resource(show_spinner=False, max_entries=16)
def _onnx(content: str, _model, normalization: tuple[float, float], name: str) -> bytes:
    return to_onnx(_model, normalization, name=name)


def file_view(key: str, path: str | Path, name: str) -> None:
    """The downloads for a checkpoint on disk (bundled or saved from the training page)."""
    try:
        model, meta = checkpoints.load(path)
        content = checkpoints.digest(path)
    except (CheckpointError, OSError) as e:
        st.warning(f"This checkpoint cannot be offered for download: {e}")
        return
    _downloads(key, _file_bytes(str(path), content), Path(path).name, content, model,
               tuple(meta["normalization"]), name)


def run_view(key: str, rec: RunRecord) -> None:
    """The downloads for one of this session's runs, saved or not."""
    if rec.saved_path and Path(rec.saved_path).is_file():
        return file_view(key, rec.saved_path, rec.name)
    if rec.model is None or rec.probabilities is None:
        st.caption(f"This run has no usable model to download ({rec.status}).")
        return
    content = f"{weights_digest(rec.model)}-{rec.created}"
    data, file_name = _run_checkpoint(content, rec)
    _downloads(key, data, file_name, content, rec.model, tuple(rec.normalization), rec.name)


def _downloads(key: str, checkpoint: bytes, file_name: str, content: str, model, normalization, name: str) -> None:
    onnx_name = f"{Path(file_name).stem}.onnx"
    pt, onnx_tab = st.tabs(["PyTorch checkpoint", "ONNX"])
    with pt:
        st.download_button(f"⬇ {file_name} ({len(checkpoint) / 1e6:.1f} MB)", checkpoint, file_name=file_name,
                           mime="application/octet-stream", key=f"{key}_pt", on_click="ignore")
        st.caption("For PyTorch, beside a copy of this project (it holds the model definitions). "
                   "`weights_only=True` loads tensors and settings, never code, so a stranger's file is safe to open.")
        st.code(checkpoint_snippet(file_name), language="python")
    with onnx_tab:
        try:
            onnx = _onnx(content, model, normalization, name)
        except ExportError as e:
            st.warning(str(e))
            return
        st.download_button(f"⬇ {onnx_name} ({len(onnx) / 1e6:.1f} MB)", onnx, file_name=onnx_name,
                           mime="application/octet-stream", key=f"{key}_onnx", on_click="ignore")
        st.caption("ONNX runs anywhere, without PyTorch or this project: `pip install onnxruntime pillow`. The "
                   "file takes raw 28×28 pixels (0–255, garment bright on black), normalizes them and applies the "
                   "softmax itself; the class names are in its metadata.")
        st.code(onnx_snippet(onnx_name), language="python")


def section(key: str, show) -> None:
    """A collapsed expander that builds its downloads (`show(key)`) only while it is open."""
    with st.expander(TITLE, key=key, on_change="rerun") as box:
        if box.open:
            show(key)
