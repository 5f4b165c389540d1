"""The shape of the code: pages and the CLI go through the Workbench, streamlit stays at the edge,
SQL stays in the store, and no function grows long without saying why.

Read from the source (imports and definitions), so a new import that crosses a line fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LIB = ROOT / "lib" / "competiscan"

# What the front ends may import of the package: the Workbench API, the vocabulary, the UI
# helpers (pages only) and process-level set-up (CLI only).
FRONT_DOOR = ("competiscan.workbench", "competiscan.model", "competiscan.settings", "competiscan.errors",
              "competiscan.labels")
PAGES_MAY = FRONT_DOOR + ("competiscan.ui",)
CLI_MAY = FRONT_DOOR + ("competiscan.allocator",)


def _imports(path: Path, module_name: str) -> set[str]:
    """Every module ``path`` (the module ``module_name``) imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_name.split(".")[:-node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from competiscan import alerts` imports the module competiscan.alerts
            found.update(f"{module}.{alias.name}" for alias in node.names
                         if module == "competiscan")
    return {name for name in found if name.startswith("competiscan")}


def _allowed(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed) or \
        module == "competiscan"


def _violations(paths: list[Path], module_name: str, allowed: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {module}"
            for path in paths for module in sorted(_imports(path, module_name))
            if not _allowed(module, allowed)]


def test_pages_import_only_the_workbench_api_and_ui_helpers():
    pages = sorted((ROOT / "views").glob("*.py")) + [ROOT / "app.py"]
    assert _violations(pages, "views", PAGES_MAY) == []


def test_the_cli_imports_only_the_workbench_api():
    assert _violations([LIB / "cli.py"], "competiscan.cli", CLI_MAY) == []


def test_the_ui_helpers_reach_the_core_through_the_workbench():
    ui = sorted((LIB / "ui").glob("*.py"))
    assert _violations(ui, "competiscan.ui.x", PAGES_MAY) == []


def test_the_checker_sees_a_forbidden_import(tmp_path):
    page = tmp_path / "page.py"
    page.write_text("from competiscan.store import NotFoundError\n"
                    "from competiscan import alerts\n"
                    "from ..analytics import trends\n")
    assert _violations.__code__  # the real function, not a stand-in
    found = {m for m in _imports(page, "competiscan.ui.x")}
    assert {"competiscan.store", "competiscan.alerts", "competiscan.analytics"} <= found


def test_streamlit_is_imported_only_at_the_edge():
    edge = {LIB / "ui"}
    offenders = [str(path.relative_to(ROOT)) for path in LIB.rglob("*.py")
                 if not any(parent in edge for parent in path.parents)
                 and "streamlit" in {m.split(".")[0] for m in _all_imports(path)}]
    assert offenders == []


def _all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


def test_no_function_takes_an_untyped_workbench():
    offenders = []
    for path in LIB.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    if "workbench" in arg.arg and (arg.annotation is None or
                                                   ast.unparse(arg.annotation) == "Any"):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert offenders == []


# SQL statements start like this; in-memory DuckDB computations have one room of their own.
_SQL = re.compile(r"""["'](?:\s*)(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|COPY)\s""")


def test_sql_lives_in_the_store():
    outside = []
    for path in LIB.rglob("*.py"):
        if (LIB / "store") in path.parents:
            continue
        if _SQL.search(path.read_text(encoding="utf-8")):
            outside.append(str(path.relative_to(ROOT)))
    assert outside == []


MAX_LINES = 60


def test_long_functions_say_why_in_their_docstring():
    long_ones = []
    for path in LIB.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if length > MAX_LINES and "long because" not in doc.lower():
                    long_ones.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
                                     f"({length} lines)")
    assert long_ones == []


@pytest.mark.parametrize("module", ["competiscan.workbench", "competiscan.model",
                                    "competiscan.cli", "competiscan.store"])
def test_importing_does_no_io(module, tmp_path, monkeypatch):
    """Importing a module opens no database and writes no file."""
    import subprocess
    import sys
    monkeypatch.chdir(tmp_path)
    code = ("import builtins, sys\n"
            "real = builtins.open\n"
            "def guarded(file, mode='r', *a, **k):\n"
            "    if any(c in mode for c in 'wax+'):\n"
            "        raise SystemExit(f'wrote {file}')\n"
            "    return real(file, mode, *a, **k)\n"
            "builtins.open = guarded\n"
            f"import {module}\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []
