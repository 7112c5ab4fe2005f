"""A copy of the project's records and schemas to break one rule on, and the one-edit helper the
rule tests share (each test changes one line of a demo record and reads validate's findings)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def copy_demo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(PROJECT / "records", root / "records")
    shutil.copytree(PROJECT / "schemas", root / "schemas")
    return root


def edit(root: Path, relpath: str, old: str, new: str) -> None:
    """Replace ``old`` (which must occur exactly once) by ``new`` in one record file."""
    path = root / relpath
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (relpath, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def findings(run, severity: str = "error") -> list[tuple[str, str]]:
    """(path, code) of every finding of one severity in validate's text output."""
    return re.findall(rf"^(records/\S+?):\d+:\d+: {severity}\[([a-z-]+)\]", run.out, re.M)
