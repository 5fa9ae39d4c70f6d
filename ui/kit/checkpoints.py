"""Checkpoints for the pages that read a trained model (3 · learning, 7 · layers, 8 · drawing): the
saved runs listed once, one model menu, and each file loaded once per content, under one cache for the whole app."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import streamlit as st

from fmnist_core.fashion.checkpoint import CheckpointError, load_checkpoint
from fmnist_core.fashion.runs import list_saved_runs, runs_dir
from fmnist_core.inside.explain import ModelChoice, model_choices
from fmnist_core.inside.layers import file_hash
from ui.kit.common import bind_url, show_url_notes


def _signature(directory: Path) -> tuple:
    """(name, mtime) of each file: a new or re-saved checkpoint changes it, so the listing is read again."""
    return tuple(sorted((p.name, p.stat().st_mtime) for p in directory.glob("*.pt"))) if directory.is_dir() else ()


@st.cache_data(show_spinner=False, max_entries=16)
def _readable(directory: str, signature: tuple) -> list[dict]:
    return [r for r in list_saved_runs(directory) if "error" not in r]  # a damaged or foreign file is skipped


def saved_runs() -> list[dict]:
    """Readable checkpoints saved from the training page, newest first (rows of runs.list_saved_runs)."""
    d = runs_dir()
    return _readable(str(d), _signature(d))


def label(row: dict, accuracy: bool = True) -> str:
    """'name (CNN, 91.2% on test photos)': a saved run as a menu shows it."""
    acc = f", {row['test_accuracy']:.1%} on test photos" if accuracy and row.get("test_accuracy") is not None else ""
    return f"{row['name']} ({row['architecture'].upper()}{acc})"


@st.cache_resource(show_spinner=False, max_entries=16)
def _digest(path: str, mtime: float) -> str:
    return file_hash(path)


def digest(path: str | Path) -> str:
    """The file's content hash (read again only when the file changes): a cache key for what a model computes."""
    return _digest(str(path), Path(path).stat().st_mtime)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load(path: str, content: str):
    return load_checkpoint(path, "cpu")


def load(path: str | Path):
    """(model on the CPU in eval mode, meta), one copy per file content; raises CheckpointError."""
    return _load(str(path), digest(path))


def model_menu(accuracy: bool = True) -> list[ModelChoice]:
    """The bundled models that exist, then the saved runs (labelled as `label` does): a model menu."""
    return model_choices([(label(row, accuracy), Path(row["path"])) for row in saved_runs()])


def load_or_stop(choice: ModelChoice):
    """load(choice.path), or an error naming the model and st.stop() (a damaged or vanished file)."""
    try:
        return load(choice.path)
    except (CheckpointError, OSError) as e:
        st.error(f"The model **{choice.label}** cannot be used: {e}")
        st.stop()


NO_MODEL = ("No model found: the bundled checkpoints `assets/cnn.pt` and `assets/mlp.pt` are missing and no run "
            "is saved. Recreate them with `python scripts/train_bundled.py`, or train and save a model on page 6 · "
            "Training.")


def menu_or_stop(accuracy: bool = True) -> dict[str, ModelChoice]:
    """The model menu by key (`model_menu`), or NO_MODEL and st.stop() when there is no model at all."""
    choices = model_menu(accuracy)
    if not choices:
        st.error(NO_MODEL)
        st.stop()
    return {c.key: c for c in choices}


def keep_known(widget_key: str, by_key: dict[str, ModelChoice]) -> None:
    """A saved run deleted while this tab was open: the model menu falls back to the first model."""
    if st.session_state.get(widget_key) not in by_key:
        st.session_state[widget_key] = next(iter(by_key))


def bound_menu(prefix: str, schema_of: Callable[[tuple[str, ...]], dict[str, Any]],
               accuracy: bool = True) -> tuple[dict[str, ModelChoice], dict[str, Any]]:
    """A model page's start: the model menu by key (`menu_or_stop`), the page's URL schema built from its keys,
    the settings bound to the link (notes on a mangled link shown), and a vanished model replaced (`keep_known`)."""
    by_key = menu_or_stop(accuracy)
    schema = schema_of(tuple(by_key))
    show_url_notes(bind_url(prefix, schema))
    keep_known(f"{prefix}_model", by_key)
    return by_key, schema
