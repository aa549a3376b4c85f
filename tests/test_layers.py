"""The package's architecture, checked from the source: layers, cycles and sizes.

Every module under ``sandbox/`` is parsed with :mod:`ast` (nothing is imported), and

- its run-time imports (module level or inside functions, but not under
  ``if TYPE_CHECKING:``) go only to its own layer or a lower one;
- run-time imports between modules form no cycle;
- no module is over 900 lines;
- no function outside ``sandbox/cli`` takes more than 10 parameters (``self`` and
  ``cls`` not counted): a longer list is passed as a small dataclass instead.

``docs/architecture.md`` describes the layers; keep the two in step.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sandbox"

# Bottom to top: a module may import its own layer and the layers before it.
LAYERS = ("common", "market", "rules", "config", "data", "api", "experiments", "reporting", "pilot", "dashboard", "cli")
# A top-level module or subpackage -> its layer. contagion sits with the market
# (the market may use it) and is a leaf: it imports nothing from sandbox.
LAYER_OF = {name: name for name in LAYERS} | {"contagion": "market"}
LEAVES = {"sandbox.contagion"}
# The package's front door imports lazily from every layer; `python -m sandbox` is the CLI.
EXEMPT = {"sandbox", "sandbox.__main__"}

MAX_LINES = 900
MAX_PARAMETERS = 10


@dataclass(frozen=True)
class Import:
    """One run-time import: the importing module, the imported module and where."""

    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES: dict[str, ast.Module] = {name: ast.parse(p.read_text(encoding="utf-8"), str(p)) for name, p in MODULES.items()}


def _front_door_exports() -> dict[str, str]:
    """``sandbox/__init__.py``'s lazy exports: public name -> the module that defines it."""
    for node in TREES["sandbox"].body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


EXPORTS = _front_door_exports()


def _layer(module: str) -> str | None:
    """The layer of a module of the package (None for the exempt ones)."""
    if module in EXEMPT:
        return None
    top = module.split(".")[1]
    if top not in LAYER_OF:
        raise AssertionError(f"{module} is in no layer: add {top!r} to LAYERS in tests/test_layers.py")
    return LAYER_OF[top]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """All statements below ``nodes`` except the bodies of ``if TYPE_CHECKING:`` (their ``else`` runs)."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_nodes(list(node.orelse))
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _runtime_nodes([c for c in children if isinstance(c, ast.AST)])


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The package's modules one import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = _resolve(module, node)
        # `from sandbox.rules import custody` loads a module; `from sandbox.rules import Rule` the package.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        if base == "sandbox":
            # `from sandbox import run` loads sandbox.api on first use; `__version__` loads nothing more.
            names = [
                f"sandbox.{a.name}" if f"sandbox.{a.name}" in MODULES else EXPORTS.get(a.name, "sandbox")
                for a in node.names
                if not a.name.startswith("__")
            ]
    for name in names:
        if name == "sandbox" or name.startswith("sandbox."):
            # `import sandbox.market.model` names the module; a name not found is a package's attribute.
            while name not in MODULES and "." in name:
                name = name.rsplit(".", 1)[0]
            yield name


def runtime_imports() -> list[Import]:
    """Every run-time import from one module of the package to another (not to itself)."""
    found = {}
    for module, tree in TREES.items():
        for node in _runtime_nodes(list(tree.body)):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(module, node):
                if target != module:
                    found[module, target, node.lineno] = Import(module, target, node.lineno)
    return list(found.values())


def _where(module: str, line: int | None = None) -> str:
    path = MODULES[module].relative_to(ROOT)
    return f"{path}:{line}" if line else str(path)


def test_every_module_is_in_a_layer():
    """A new subpackage is placed in the layer order before it can be checked."""
    for module in MODULES:
        _layer(module)
    assert {"sandbox.market.model", "sandbox.rules.rate_cap", "sandbox.cli.main"} <= set(MODULES)


def test_runtime_imports_go_to_the_same_or_a_lower_layer():
    upward = []
    for imp in runtime_imports():
        source, target = _layer(imp.source), _layer(imp.target)
        if source is None:
            continue
        if imp.source in LEAVES:
            upward.append(f"{_where(imp.source, imp.line)}: {imp.source} is a leaf but imports {imp.target}")
        elif target is None or LAYERS.index(target) > LAYERS.index(source):
            upward.append(f"{_where(imp.source, imp.line)}: {source} imports {imp.target} ({target or 'the package'})")
    assert not upward, "imports up the layers (move the code down, or import under TYPE_CHECKING):\n" + "\n".join(
        upward
    )


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_cycles_are_found():
    """The cycle finder itself: a three-module loop is one cycle; a chain is none."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}}) == []


def test_no_runtime_import_cycles():
    edges: dict[str, set[str]] = {}
    for imp in runtime_imports():
        if imp.source not in EXEMPT and imp.target not in EXEMPT:
            edges.setdefault(imp.source, set()).add(imp.target)
    cycles = _cycles(edges)
    assert not cycles, "modules that import each other at run time:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_type_checking_imports_are_not_runtime_imports():
    """The parser skips `if TYPE_CHECKING:` bodies but not imports inside functions or `else:` branches."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import sandbox.cli.main\nelse:\n    import sandbox.api\n"
        "def f():\n    from sandbox.reporting import report\n"
    )
    imports = [n for n in _runtime_nodes(list(tree.body)) if isinstance(n, ast.Import | ast.ImportFrom)]
    names = {t for node in imports for t in _targets("sandbox.market.model", node)}
    assert names == {"sandbox.api", "sandbox.reporting.report"}


def test_imports_from_the_package_resolve_to_the_module_loaded():
    """`from sandbox import experiments` loads the subpackage; `from sandbox import run` loads sandbox.api."""
    tree = ast.parse("from sandbox import experiments, run, __version__\nfrom sandbox.rules import Rule, custody\n")
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    names = {t for node in imports for t in _targets("sandbox.cli.main", node)}
    assert names == {"sandbox.experiments", "sandbox.api", "sandbox.rules", "sandbox.rules.custody"}


def test_no_module_is_over_900_lines():
    long = {
        _where(m): n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by concern): {long}"


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> int:
    """How many parameters ``function`` takes, ``*args`` and ``**kwargs`` one each, bound ``self``/``cls`` not."""
    args = function.args
    named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    count = len(named) + (args.vararg is not None) + (args.kwarg is not None)
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)
    if in_class and not is_static and named[:1] and named[0].arg in ("self", "cls"):
        count -= 1
    return count


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(nodes: list[ast.stmt], in_class: bool = False) -> Iterator[tuple[Function, bool]]:
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, in_class
            yield from _functions(node.body)
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, in_class=True)
        else:
            for field in ("body", "orelse", "finalbody"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    yield from _functions(children, in_class)


def test_no_function_outside_the_cli_takes_more_than_10_parameters():
    long = [
        f"{_where(module, fn.lineno)}: {fn.name} takes {n}"
        for module, tree in TREES.items()
        if _layer(module) != "cli"
        for fn, in_class in _functions(tree.body)
        if (n := _parameters(fn, in_class)) > MAX_PARAMETERS
    ]
    assert not long, f"functions with more than {MAX_PARAMETERS} parameters (pass a dataclass):\n" + "\n".join(long)


@pytest.mark.parametrize(
    ("source", "expected"),
    [("def f(self, a, b): pass", 3), ("class C:\n    def f(self, a, *, b, **kw): pass", 3)],
)
def test_parameters_are_counted_without_self(source, expected):
    tree = ast.parse(source)
    assert [_parameters(fn, in_class) for fn, in_class in _functions(tree.body)] == [expected]
