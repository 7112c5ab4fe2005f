"""The package's layers point one way, and no module reaches into another's private names.

The layer contract lives in pyproject.toml (``[tool.importlinter]``) and is checked by import-linter
on the real import graph (module-level imports and those inside functions). Each protection is also
run on a copy of the package with a planted violation, so a contract that stopped checking would show.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import yibao

PACKAGE = Path(yibao.__file__).resolve().parent
PROJECT = PACKAGE.parent.parent
PYPROJECT = PROJECT / "pyproject.toml"


def lint_imports(package_parent: Path, config: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, str(config), "--no-cache", "--no-logo"], cwd=config.parent,
                          env=env, capture_output=True, text=True, timeout=300)


def copy_package(tmp_path: Path) -> Path:
    parent = tmp_path / "src"
    shutil.copytree(PACKAGE, parent / "yibao", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    return parent


def plant(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{line}\n", encoding="utf-8")


def test_the_layers_point_one_way():
    result = lint_imports(PACKAGE.parent, PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, line, upward", [
    ("core/record.py", "from ..load import repository  # noqa", "yibao.core.record -> yibao.load.repository"),
    ("check/schema.py", "def _later():\n    from ..compute import kpis  # noqa", "yibao.check.schema -> yibao.compute.kpis"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, line, upward):
    parent = copy_package(tmp_path)
    plant(parent / "yibao" / module, line)
    result = lint_imports(parent, tmp_path / "pyproject.toml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert upward in result.stdout, result.stdout


# --- private names ----------------------------------------------------------------------------

def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_reaches(package: Path) -> list[str]:
    """``from other import _name`` and ``other_module._name`` across yibao modules."""
    modules = {_module_name(p, package) for p in package.rglob("*.py")}
    found = []
    for path in sorted(package.rglob("*.py")):
        module = _module_name(path, package)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> yibao module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _absolute(module, path.name == "__init__.py", node)
                if not target.startswith("yibao"):
                    continue
                for alias in node.names:
                    if f"{target}.{alias.name}" in modules:
                        aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
                    elif _private(alias.name) and target != module:
                        found.append(f"{path.relative_to(package)}:{node.lineno}: from {target} import {alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("yibao") and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                    and aliases.get(node.value.id, module) != module):
                found.append(f"{path.relative_to(package)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    assert private_reaches(PACKAGE) == []


@pytest.mark.parametrize("module, line", [
    ("commands/diff.py", "from ..core.diagnostics import _private_helper  # noqa"),
    ("compute/kpis.py", "from ..core import textsafe  # noqa\n_X = textsafe._ESCAPES"),
])
def test_a_planted_private_reach_is_found(tmp_path, module, line):
    parent = copy_package(tmp_path)
    plant(parent / "yibao" / module, line)
    found = set(private_reaches(parent / "yibao")) - set(private_reaches(PACKAGE))
    assert len(found) == 1 and next(iter(found)).startswith(module), found


def test_a_module_outside_every_layer_breaks_the_contract(tmp_path):
    parent = copy_package(tmp_path)
    (parent / "yibao" / "helpers.py").write_text('"""A module nobody placed in a layer."""\n', encoding="utf-8")
    result = lint_imports(parent, tmp_path / "pyproject.toml")
    assert result.returncode == 1 and "yibao.helpers" in result.stdout, result.stdout
