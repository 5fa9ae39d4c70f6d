"""The house's rules, checked on the source: imports go one way, from the labs down to the engine.

Layers, lowest first (README, "The layers"): a module may import its own package and any package of a
lower layer, never a package beside it or above it, not even inside a function. Imports under
`if TYPE_CHECKING:` are types only and left out. No module imports another in a circle. The core
never imports streamlit or ui; ui's figure builders never import streamlit."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE_LAYERS = (  # fmnist_core's packages, lowest first; packages in one layer never import each other
    ("engine",),
    ("nn",),
    ("fashion", "toy"),
    ("store",),
    ("basics", "initialization", "optimizers", "inside", "overfitting"),
    ("fragile",),
    ("lessons",),
)
UI_LAYERS = (("figures",), ("kit",), ("views",))  # all above the whole core; pages and app.py above all


def _rank() -> dict[str, int]:
    rank, n = {}, 0
    for layer in CORE_LAYERS:
        for pkg in layer:
            rank[f"fmnist_core.{pkg}"] = n
        n += 1
    for layer in UI_LAYERS:
        for pkg in layer:
            rank[f"ui.{pkg}"] = n
        n += 1
    rank["pages"] = rank["app"] = n
    return rank


RANK = _rank()


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> list[Path]:
    found = [p for top in ("fmnist_core", "ui", "pages") for p in (ROOT / top).rglob("*.py")]
    return sorted(found + [ROOT / "app.py"])


def _unit(module: str) -> str:
    """The layered unit a module belongs to: its package under fmnist_core/ui, or pages/app."""
    parts = module.split(".")
    if parts[0] in ("fmnist_core", "ui"):
        return ".".join(parts[:2]) if len(parts) > 1 else parts[0]
    return parts[0]


def _type_only(tree: ast.AST) -> set[int]:
    """Ids of import nodes under `if TYPE_CHECKING:`."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported project module) for every import in the file, inside functions too; types only left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip, here, out = _type_only(tree), _module(path), []
    package = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] in ("fmnist_core", "ui", "streamlit"):
                # `from pkg import module` imports the module itself
                subs = [f"{base}.{a.name}" for a in node.names if (ROOT / Path(*f"{base}.{a.name}".split("."))).with_suffix(".py").exists()
                        or (ROOT / Path(*f"{base}.{a.name}".split("."))).is_dir()]
                out += [(node.lineno, m) for m in (subs or [base])]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in ("fmnist_core", "ui", "streamlit")]
    return out


GRAPH = {_module(p): imports(p) for p in _sources()}


def test_the_check_sees_the_tree():
    assert len(GRAPH) > 80
    assert set(RANK) >= {_unit(m) for m in GRAPH if m not in ("fmnist_core", "ui")}, "a package is missing from the layers"
    assert any(m == "fmnist_core.engine.loop" for _, m in GRAPH["fmnist_core.fashion.train"])


def violations(module: str, targets: list[tuple[int, str]]) -> list[str]:
    unit, bad = _unit(module), []
    for line, target in targets:
        if target.split(".")[0] == "streamlit":
            if module.startswith(("fmnist_core", "ui.figures")):
                bad.append(f"line {line}: imports streamlit")
            continue
        to = _unit(target)
        if to == unit or to in ("fmnist_core", "ui"):
            continue
        if RANK[to] >= RANK[unit]:
            bad.append(f"line {line}: {target} ({'beside' if RANK[to] == RANK[unit] else 'above'} {unit})")
    return bad


def test_the_rule_catches_what_it_forbids():
    assert violations("fmnist_core.store.per_browser", [(3, "fmnist_core.fashion.runs")]) == []
    assert violations("fmnist_core.fashion.runs", [(3, "fmnist_core.store.per_browser")])  # up
    assert violations("fmnist_core.toy.net", [(3, "fmnist_core.fashion.train")])  # beside
    assert violations("fmnist_core.engine.loop", [(3, "ui.kit.live")])
    assert violations("ui.figures.training", [(3, "streamlit")]) and violations("ui.figures.training", [(3, "ui.kit.live")])


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    bad = violations(module, GRAPH[module])
    assert not bad, f"{module}: " + "; ".join(bad)


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = {m: sorted({t for _, t in targets if t in GRAPH and t != m}) for m, targets in GRAPH.items()}
    assert _cycles({"a": ["b"], "b": ["a"], "c": ["a"]}) == [["a", "b"]]  # the check finds one
    assert _cycles(graph) == []


@pytest.mark.parametrize("package", ["fmnist_core", "ui.figures"])
def test_never_imports_streamlit_when_run(package):
    """Imported for real, every module of the package, in a fresh interpreter."""
    code = ("import sys, importlib, pkgutil\n"
            f"pkg = importlib.import_module({package!r})\n"
            f"for m in pkgutil.walk_packages(pkg.__path__, {package!r} + '.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "assert 'streamlit' not in sys.modules, 'imported streamlit'\n"
            "assert len([m for m in sys.modules if m.startswith(%r)]) > 5\n" % package)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
