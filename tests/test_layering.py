"""engine, documents and tasks never import Qt or ui (DESIGN.md, Layout)."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "writer_app"
QT_FREE = ["engine", "documents", "tasks", "speech"]


def imported_modules(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_no_qt_or_ui_imports_in_the_core():
    offenders = []
    for sub in QT_FREE:
        for path in (PACKAGE / sub).rglob("*.py"):
            for name in imported_modules(path):
                if name.startswith(("PySide6", "PyQt", "writer_app.ui")):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_importing_the_core_and_cli_loads_no_qt():
    code = ("import sys, writer_app.engine.engine, writer_app.cli; "
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
