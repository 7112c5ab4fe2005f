"""Where records live: the repository root, the record files and their kinds.

A repository is any directory with ``schemas/vocabulary.schema.json``; records are
``records/<kind>/[<year>/]<ID>.yaml``. Commands find the root from the current directory
upwards, as git does.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDS = "records"
SCHEMAS = "schemas"
MARKER = Path(SCHEMAS) / "vocabulary.schema.json"
EXTENSION = ".yaml"


class RepositoryNotFound(Exception):
    pass


def find_root(start: Path | str | None = None) -> Path:
    here = Path(start or os.getcwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return candidate
    raise RepositoryNotFound(f"{here} 不在 yibao 记录仓库内（向上没有找到 {MARKER.as_posix()}）")


def as_date(value: Any) -> _dt.date | None:
    """A date as the loader keeps it (an ISO string), or a date, as a date; anything else is None."""
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


_SPLIT: dict[str, tuple[str, ...]] = {}
_ABSENT = object()


@dataclass(slots=True)
class Record:
    """One record file's content, as loaded (never altered)."""

    kind: str
    path: str  # repository-relative, POSIX separators
    data: dict[str, Any]
    valid: bool = True  # False when file-level checks found errors

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None

    def get(self, dotted: str, default: Any = None) -> Any:
        value: Any = self.data
        parts = _SPLIT.get(dotted)
        if parts is None:
            parts = _SPLIT[dotted] = tuple(dotted.split("."))
        for part in parts:
            if type(value) is not dict:
                return default
            value = value.get(part, _ABSENT)
            if value is _ABSENT:
                return default
        return value


def kind_of(relpath: str, kinds: list[str] | tuple[str, ...]) -> str | None:
    parts = relpath.split("/")
    if len(parts) >= 3 and parts[0] == RECORDS and parts[1] in kinds:
        return parts[1]
    return None


def stem(relpath: str) -> str:
    name = relpath.rsplit("/", 1)[-1]
    return name[: -len(EXTENSION)] if name.endswith(EXTENSION) else name.rsplit(".", 1)[0]


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
