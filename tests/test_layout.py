"""The rooms of DESIGN.md keep their doors: imports point down, never back up.

Read from the source with `ast`, so a new import that runs the wrong way fails here before it
turns into a cycle. Imports under `if TYPE_CHECKING:` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chatcli"

# room -> rooms it may never import (a room is a sub-package; top-level modules are their own)
FORBIDDEN = {
    "conversation": {"terminal", "store", "local", "cli"},
    "tools": {"terminal", "store", "conversation", "cli"},
    "store": {"terminal", "cli"},
    "config": {"conversation", "store", "terminal", "local", "cli"},
    "local": {"terminal", "store", "conversation"},
}


def _room(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _module(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module) -> set[str]:
    """Every chatcli module named by an import outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chatcli"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chatcli"):
            module = node.module or ""
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)  # a name may be a module
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module(p))
def test_imports_point_down(path: Path) -> None:
    me = _module(path)
    entry = me in {"chatcli.__main__", "chatcli.install"}  # the two ways in may start the CLI
    banned = FORBIDDEN.get(_room(me), set()) | (set() if entry else {"cli"})
    wrong = sorted(
        target
        for target in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if _room(target) in banned and _room(target) != _room(me) and target != "chatcli"
    )
    assert not wrong, f"{me} imports {wrong}"


def test_the_rule_sees_a_wrong_import() -> None:
    """The walk finds an import inside a function, where chatcli keeps its lazy ones."""
    tree = ast.parse("def f():\n    from chatcli.terminal import sink\n")
    assert "chatcli.terminal.sink" in _imports(tree)


def test_repl_is_entered_only_from_cli() -> None:
    users = [
        _module(p)
        for p in MODULES
        if any(
            m == "chatcli.terminal.repl" for m in _imports(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert users == ["chatcli.cli"]
