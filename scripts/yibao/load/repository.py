"""Where records live: the repository root, the record files and their kinds.

A repository is any directory with ``schemas/vocabulary.schema.json``; records are
``records/<kind>/[<year>/]<ID>.yaml``. Commands find the root from the current directory
upwards, as git does.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..core.record import EXTENSION, RECORDS, SCHEMAS

MARKER = Path(SCHEMAS) / "vocabulary.schema.json"


class RepositoryNotFound(Exception):
    pass


def find_root(start: Path | str | None = None) -> Path:
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return candidate
    raise RepositoryNotFound(f"{here} 不在 yibao 记录仓库内（向上没有找到 {MARKER.as_posix()}）")


def scan_records(root: Path) -> tuple[list[tuple[str, os.stat_result]], list[tuple[str, os.stat_result]]]:
    """Every ``*.yaml`` under ``records/`` with its ``stat`` (sorted by path), and other files.

    One ``scandir`` pass; hidden files and folders are skipped and a README is allowed.
    """
    found: list[tuple[str, os.stat_result]] = []
    others: list[tuple[str, os.stat_result]] = []
    stack = [(root / RECORDS, RECORDS)]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            relpath = f"{rel}/{name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), relpath))
            elif not name.lower().startswith("readme"):
                (found if name.endswith(EXTENSION) else others).append((relpath, entry.stat(follow_symlinks=False)))
    found.sort(key=lambda item: item[0])
    others.sort(key=lambda item: item[0])
    return found, others


def record_files(root: Path) -> tuple[list[str], list[str]]:
    """Paths of the record files and of the other files under ``records/``."""
    found, others = scan_records(root)
    return [p for p, _ in found], [p for p, _ in others]
