"""The pages lessons can open: their file, URL path, settings prefix and URL schema, in one registry.

A page keeps its URL schema (`SCHEMA`, fmnist_core.engine.url_state fields) in its own file. To validate a
lesson without running a page, `schema_of` executes only the page's `SCHEMA = ...` statement and the
module-level imports, definitions and assignments it depends on (never the page's Streamlit calls).
"""
from __future__ import annotations

import ast
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from fmnist_core.lessons.loader import PageInfo

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageEntry:
    title: str
    file: str  # relative to the repository root
    prefix: str  # session-state keys and widget keys start with f"{prefix}_"
    schema_file: str = ""  # where SCHEMA lives when not in the page itself
    run_keys: tuple[str, ...] = ()  # the page's run buttons: hidden until the step's question is answered

    @property
    def url_path(self) -> str:
        return Path(self.file).stem

    @property
    def exists(self) -> bool:
        return (ROOT / self.file).is_file()


PAGES: dict[str, PageEntry] = {
    "activations": PageEntry("1 · Neurons & activations", "pages/activations.py", "activations",
                             run_keys=("activations_train_start",)),
    "boundaries": PageEntry("2 · Decision boundaries", "pages/boundaries.py", "boundaries",
                            run_keys=("boundaries_start", "boundaries_step")),
    "learning": PageEntry("3 · How a network learns", "pages/learning.py", "learning",
                          run_keys=("learning_next", "learning_apply", "learning_job__start")),
    "initialization": PageEntry("4 · Weight initialization", "pages/initialization.py", "initialization",
                                run_keys=("initialization_job__start",)),
    "optimizers": PageEntry("Optimizers race", "pages/optimizers.py", "optimizers",
                            run_keys=("optimizers_job__start",)),
    "training": PageEntry("5 · Train on Fashion-MNIST", "pages/training.py", "training",
                          schema_file="ui/views/training_controls.py", run_keys=("training_btn_start",)),
    "layers": PageEntry("What each layer learns", "pages/layers.py", "layers"),
    "sketch": PageEntry("6 · Draw a garment", "pages/sketch.py", "sketch"),
}


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _defines(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def extract_schema(source: str, filename: str) -> Mapping[str, Any]:
    """Execute `SCHEMA = ...` of a page's source with just the statements it needs (by name)."""
    tree = ast.parse(source, filename)
    body = tree.body
    at = next((i for i, s in enumerate(body) if "SCHEMA" in _defines(s) and not isinstance(s, ast.FunctionDef)),
              None)
    if at is None:
        raise ValueError(f"{filename} has no module-level SCHEMA")
    needed, keep = _names(body[at]), [body[at]]
    for stmt in reversed(body[:at]):  # walk back, keeping what defines a needed name
        defined = _defines(stmt)
        if defined & needed and not isinstance(stmt, ast.Expr):
            keep.append(stmt)
            needed |= _names(stmt) if not isinstance(stmt, (ast.Import, ast.ImportFrom)) else set()
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                needed |= {n for d in stmt.decorator_list for n in _names(d)}
    module = ast.Module(body=[s for s in body[:at + 1] if any(s is k for k in keep)], type_ignores=[])
    ns: dict[str, Any] = {"__name__": f"_schema_of_{Path(filename).stem}", "__file__": filename}
    exec(compile(module, filename, "exec"), ns)  # noqa: S102 (the project's own page files)
    return ns["SCHEMA"]


_CACHE: dict[str, PageInfo] = {}


def page_info(page: str) -> PageInfo:
    """The page's schema for validation, or why it cannot be had; cached per process."""
    if page in _CACHE:
        return _CACHE[page]
    entry = PAGES[page]
    path = ROOT / (entry.schema_file or entry.file)
    if not entry.exists:
        info = PageInfo(None, f"{entry.file} is not in this version of the app")
    else:
        try:
            info = PageInfo(dict(extract_schema(path.read_text(encoding="utf-8"), str(path))))
        except Exception as e:  # a page that cannot be read disables its steps, not the lessons
            log.warning("schema of %s: %s", page, e)
            info = PageInfo(None, f"its settings could not be read from {path.name} ({type(e).__name__}: {e})")
    _CACHE[page] = info
    return info


def all_pages() -> dict[str, PageInfo]:
    return {name: page_info(name) for name in PAGES}
