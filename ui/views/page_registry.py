"""Every page of the app, once: its number, title, icon, file, URL path and URL schema.

The router (app.py) builds its navigation from it, the lessons validate and open their steps with it,
and pages name each other through it (`PAGES["training"].title`). A page's URL schema lives in a
module without Streamlit calls beside the page's views (ui/views/<page>_url.py, the training page's in
training_controls.py), imported here and by the page: no page file is ever run or read to get it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from fmnist_core.lessons.loader import PageInfo
from ui.kit import checkpoints
from ui.views import activations_url, boundaries_url, initialization_url, layers_url, learning_url, optimizers_url
from ui.views import fragile_url, overfitting_url, sketch_url, training_controls

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageEntry:
    key: str  # pages/<key>.py, its URL path, `page = "<key>"` in a lesson file, its widget keys' prefix
    name: str  # "Train on Fashion-MNIST"
    icon: str
    number: int | None = None  # its place in the lecture; None: not a lecture page
    schema: Callable[[], Mapping[str, Any]] | None = None  # its URL settings (fmnist_core.engine.url_state)
    run_keys: tuple[str, ...] = ()  # its run buttons: hidden in a lesson step until the question is answered
    default: bool = False  # the page at the app's root URL

    @property
    def title(self) -> str:
        """'6 · Train on Fashion-MNIST': the page's title wherever the app shows it."""
        return f"{self.number} · {self.name}" if self.number is not None else self.name

    @property
    def file(self) -> str:
        return f"pages/{self.key}.py"  # relative to the repository root, as st.Page and st.page_link take it

    @property
    def url_path(self) -> str:
        return "" if self.default else self.key  # as st.Page derives it

    @property
    def prefix(self) -> str:
        return self.key  # session-state and widget keys start with f"{prefix}_" (ui.kit.widgets.keys)

    @property
    def exists(self) -> bool:
        return (ROOT / self.file).is_file()


def _model_keys() -> tuple[str, ...]:
    """The keys of the model menu pages 7 and 8 offer: the bundled models that exist, then the saved runs."""
    return tuple(c.key for c in checkpoints.model_menu())


PAGES: dict[str, PageEntry] = {e.key: e for e in (
    PageEntry("home", "Start here", ":material/home:", default=True),
    PageEntry("activations", "Neurons & activations", ":material/bolt:", 1, lambda: activations_url.SCHEMA,
              ("activations_train_start",)),
    PageEntry("boundaries", "Decision boundaries", ":material/scatter_plot:", 2, lambda: boundaries_url.SCHEMA,
              ("boundaries_start", "boundaries_step")),
    PageEntry("learning", "How a network learns", ":material/school:", 3, lambda: learning_url.SCHEMA,
              ("learning_next", "learning_apply", "learning_job__start")),
    PageEntry("initialization", "Weight initialization", ":material/casino:", 4,
              lambda: initialization_url.SCHEMA, ("initialization_job__start",)),
    PageEntry("optimizers", "Optimizers", ":material/sports_score:", 5, lambda: optimizers_url.SCHEMA,
              ("optimizers_job__start",)),
    PageEntry("training", "Train on Fashion-MNIST", ":material/checkroom:", 6, lambda: training_controls.SCHEMA,
              ("training_btn_start",)),
    PageEntry("layers", "What each layer learns", ":material/layers:", 7, lambda: layers_url.schema(_model_keys())),
    PageEntry("sketch", "Draw a garment", ":material/draw:", 8, lambda: sketch_url.schema(_model_keys())),
    PageEntry("fragile", "Fool, dream, break", ":material/theater_comedy:", 9,
              lambda: fragile_url.schema(_model_keys()), ("fragile_curve_job__start", "fragile_study_job__start")),
    PageEntry("overfitting", "Overfitting & its cures", ":material/healing:", 10, lambda: overfitting_url.SCHEMA,
              ("overfitting_job__start", "overfitting_inputs_job__start", "overfitting_seen_job__start")),
    PageEntry("lessons", "Lessons", ":material/menu_book:"),
)}
LECTURE = [e for e in PAGES.values() if e.number is not None]  # in the lecture's order
LESSON_PAGES = [e.key for e in PAGES.values() if e.schema is not None]  # what a lesson step may open


def page_info(page: str) -> PageInfo:
    """The page's URL schema for lessons, or why it cannot be had (that page's steps are then left out)."""
    entry = PAGES[page]
    if entry.schema is None:
        return PageInfo(None, f"{entry.title} has no settings")
    if not entry.exists:
        return PageInfo(None, f"{entry.file} is not in this version of the app")
    try:
        return PageInfo(dict(entry.schema()))
    except Exception as e:  # a page whose settings cannot be had disables its steps, not the lessons
        log.warning("schema of %s: %s", page, e)
        return PageInfo(None, f"its settings cannot be had ({type(e).__name__}: {e})")


def all_pages() -> dict[str, PageInfo]:
    """Every page a lesson step may open, with its schema."""
    return {key: page_info(key) for key in LESSON_PAGES}
