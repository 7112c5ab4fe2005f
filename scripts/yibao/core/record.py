"""One record as loaded, and how a repository path names its kind and ID.

A record is ``records/<kind>/[<year>/]<ID>.yaml``; its content is kept exactly as loaded.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

RECORDS = "records"
SCHEMAS = "schemas"
EXTENSION = ".yaml"


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
