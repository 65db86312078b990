"""The source tree's import graph: dependencies point down (app → widgets → viewmodel → engine), no cycles.

Every ``import`` and ``from ... import`` in every module is read with ``ast`` (inside
functions and ``if TYPE_CHECKING:`` blocks too: a lazy import is still a dependency),
so a layer cannot hide an upward import by importing late.  Strings passed to
``importlib`` cannot be read, so only the app (its lazily made pages) and the
engine's kernel loader may import by name.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"engine": 0, "viewmodel": 1, "widgets": 2, "app": 3}
"""A module may import from its own layer and the layers below it."""
PACKAGES = (*LAYERS, "resources", "bench")
QT = {"PySide6", "shiboken6", "pyqtgraph"}
IMPORT_BY_NAME_ALLOWED = ("app", "engine.kernels", "bench")
"""Where ``import_module`` / ``__import__`` may be used: same-layer lazy loading only."""
ENGINE_CORE_CYCLES: list[set[str]] = [
    {"engine.autodiff", "engine.graph", "engine.node", "engine.prims.core", "engine.prims.dispatch", "engine.tape",
     "engine.tensor", "engine.value"},
]
"""Import cycles known inside the engine's core (nodes, tensors, the primitives and the graph import each
other, mostly inside functions), each as the set of modules it may span; any other cycle fails."""


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file: project modules resolved to the
    module file they load, anything else as its top-level name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(_known(alias.name), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in MODULES else _known(base), node.lineno))
    return out


def _known(dotted: str) -> str:
    """The longest prefix of ``dotted`` that is a project module, else its top-level name."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in MODULES:
            return ".".join(parts[:k])
    return parts[0]


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    return LAYERS.get(module.split(".")[0])


def test_the_scan_sees_the_layers_and_their_imports():
    assert {"engine.graph", "viewmodel.jobs", "widgets.graph_canvas", "app.main_window"} <= set(MODULES)
    assert any(m == "viewmodel.timeline" for m, _ in GRAPH["widgets.graph_canvas"])
    assert any(m == "engine.node" for m, _ in GRAPH["engine.value"]), "relative imports are resolved"


def test_dependencies_only_point_down():
    upward = [f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
              for name, imports in GRAPH.items() for target, line in imports
              if _layer(name) is not None and _layer(target) is not None and _layer(target) > _layer(name)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


@pytest.mark.parametrize("layer", ["engine", "viewmodel"])
def test_the_engine_and_the_view_model_import_no_qt(layer):
    qt = [f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
          for name, imports in GRAPH.items() if name.split(".")[0] == layer
          for target, line in imports if target in QT]
    assert not qt, "\n".join(qt)


def _imports_by_name(tree: ast.AST) -> list[int]:
    """Lines calling ``importlib.import_module`` or ``__import__``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in ("import_module", "__import__"):
                lines.append(node.lineno)
    return lines


def test_only_same_layer_lazy_loaders_import_by_name():
    assert _imports_by_name(ast.parse("import importlib\nimportlib.import_module('app.x')\n__import__('y')")) == [2, 3]
    offenders = [f"{path.relative_to(ROOT)}:{line}" for name, path in MODULES.items()
                 if not name.startswith(IMPORT_BY_NAME_ALLOWED)
                 for line in _imports_by_name(ast.parse(path.read_text(encoding="utf-8")))]
    assert not offenders, "imports by name (invisible to this test):\n" + "\n".join(offenders)


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_outside_the_known_ones_in_the_engine_core():
    graph = {name: {t for t, _ in imports if t in MODULES and t != name} for name, imports in GRAPH.items()}
    unexpected = [sorted(c) for c in _cycles(graph)
                  if not any(c <= known for known in ENGINE_CORE_CYCLES)]
    assert not unexpected, "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in unexpected)


def test_the_view_model_imports_and_runs_without_qt():
    code = ("import importlib, pkgutil, sys, viewmodel\n"
            "for m in pkgutil.iter_modules(viewmodel.__path__): importlib.import_module('viewmodel.' + m.name)\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
