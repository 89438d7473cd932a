"""The rooms of the house: the search library imports no web framework, and imports point down only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Every module of the library and of the shared presentation: none may load Flask or Werkzeug.
LIBRARY = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for folder in ("indexer", "search_app", "search_app/contract") for p in (ROOT / folder).glob("*.py"))


@pytest.mark.parametrize("module", LIBRARY)
def test_the_library_imports_no_web_framework(module):
    code = (f"import sys, {module}; loaded = sorted(m for m in ('flask', 'werkzeug', 'jinja2', 'granian') "
            "if m in sys.modules); print(loaded); sys.exit(1 if loaded else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"importing {module} loads {done.stdout.strip()} {done.stderr[-300:]}"


#: room → the rooms it may import from (below it).
ALLOWED = {
    "indexer": {"indexer"},
    "search_app": {"indexer", "search_app"},
    "search_app.contract": {"indexer", "search_app", "search_app.contract"},
    "search_app.web": {"indexer", "search_app", "search_app.contract", "search_app.web"},
    "search_app.cli": {"indexer", "search_app", "search_app.contract", "search_app.cli", "search_app.web"},
}


def _room(module: str) -> str:
    for room in sorted(ALLOWED, key=len, reverse=True):
        if module == room or module.startswith(room + "."):
            return room
    return ""


def _imports(path: Path, module: str) -> list[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            name = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
            out.append(name)
    return out


def test_imports_point_down_only():
    wrong = []
    for path in sorted([*ROOT.glob("indexer/**/*.py"), *ROOT.glob("search_app/**/*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        room = _room(module)
        for name in _imports(path, module):
            target = _room(name)
            if target and target not in ALLOWED[room]:
                wrong.append(f"{module} imports {name}")
    assert wrong == []
