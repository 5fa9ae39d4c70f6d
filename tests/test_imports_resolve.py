"""Every `from <project module> import name` in the project names something that exists.

Imports inside functions only run when that function does, so a rename can leave one pointing at
nothing until a user happens on it (a probe save once imported a helper a refactor had removed).
This reads each file's syntax tree and checks every such import, wherever it sits."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fmnist_core", "ui", "bench")
SOURCES = sorted(
    [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    + sorted((ROOT / "pages").glob("*.py"))
    + sorted((ROOT / "scripts").glob("*.py"))
    + [ROOT / "app.py"]
)


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _project_imports(path: Path):
    """(line, absolute module, names) for each from-import of a project package in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_of(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        else:
            module = node.module or ""
        if module.split(".")[0] in PACKAGES:
            yield node.lineno, module, [a.name for a in node.names if a.name != "*"]


def test_the_check_finds_the_sources():
    assert len(SOURCES) > 50
    assert any(list(_project_imports(p)) for p in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_imported_name_exists(path):
    missing = []
    for line, module, names in _project_imports(path):
        mod = importlib.import_module(module)
        for name in names:
            if not hasattr(mod, name):
                try:  # a submodule imported by name: `from fmnist_core.engine import loop`
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    missing.append(f"line {line}: {module}.{name}")
    assert not missing, f"{path.name} imports names that do not exist: {missing}"
