"""The check cache's code digest covers exactly the code the checks can run, derived from imports."""
from __future__ import annotations

import shutil
from pathlib import Path

import yibao
from yibao.speed.cache import checking_modules

PACKAGE = Path(yibao.__file__).resolve().parent


def names(package: Path) -> set[str]:
    return {p.relative_to(package).as_posix() for p in checking_modules(package)}


def test_the_digest_follows_what_the_checks_import():
    found = names(PACKAGE)
    assert {"check/runner.py", "load/strict_yaml.py", "core/schemas.py", "core/scope.py", "core/draw.py"} <= found
    # reached only through imports of the checks: the strict loader, the git layer of the gates
    assert {"load/strict_yaml.py", "load/git_tree.py"} <= found
    # the caching and planning code is not checking code: changing it keeps the verdicts
    assert not {p for p in found if p.startswith("speed/")} and "load/worktree.py" not in found
    assert "publish/pages.py" not in found and "compute/kpis.py" not in found


def test_a_new_import_in_a_check_brings_its_module_in(tmp_path):
    package = tmp_path / "yibao"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    assert "compute/kpis.py" not in names(package)
    rules = package / "check" / "record_rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n\ndef _uses():\n    from ..compute.kpis import judge  # noqa\n",
                     encoding="utf-8")
    assert "compute/kpis.py" in names(package)
    assert "compute/frames.py" in names(package)  # and what that module imports in turn
