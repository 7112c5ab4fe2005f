"""What the portal may show of a record: the one filter every page and the search index rely on.

A field reaches the portal only if the record kind's schema knows it and does not mark it
``x-confidential: true`` (nor any field above it). Unknown fields — possible in old versions
from git history, written under an earlier schema — are left out too: the filter is an allow
list, so a field renamed or added later can never slip through.
"""
from __future__ import annotations

from typing import Any

from ..core.schemas import SchemaSet


class Visibility:
    """Per-kind allow list built once from the schemas."""

    def __init__(self, schemas: SchemaSet):
        self.schemas = schemas
        self._known = {kind: set(schemas.fields.get(kind, {})) for kind in schemas.kinds}
        self._secret = {kind: {p for p in schemas.confidential_paths(kind)} for kind in schemas.kinds}
        self._answers: dict[tuple[str, tuple], bool] = {}  # (kind, data path) -> shown

    def shown(self, kind: str, path: tuple) -> bool:
        """Whether a data path (list indices ignored) may appear on the portal."""
        answer = self._answers.get((kind, path))
        if answer is None:
            answer = self._answers[kind, path] = self._shown(kind, tuple(p for p in path if isinstance(p, str)))
        return answer

    def _shown(self, kind: str, names: tuple) -> bool:
        if not names:
            return True
        if names not in self._known.get(kind, ()):
            return False
        secret = self._secret.get(kind, ())
        return not any(names[:i] in secret for i in range(1, len(names) + 1))

    def redact(self, kind: str, data: Any, path: tuple = ()) -> Any:
        """A copy of ``data`` without confidential or unknown fields."""
        if isinstance(data, dict):
            return {k: self.redact(kind, v, path + (k,)) for k, v in data.items() if self.shown(kind, path + (k,))}
        if isinstance(data, list):
            return [self.redact(kind, v, path + (i,)) for i, v in enumerate(data)]
        return data

    def secrets(self, kind: str, data: Any, path: tuple = ()) -> list[Any]:
        """The confidential values of a record (for tests and for the leak check after a build)."""
        found: list[Any] = []
        if isinstance(data, dict):
            for k, v in data.items():
                sub = path + (k,)
                names = tuple(p for p in sub if isinstance(p, str))
                if names in self._secret.get(kind, ()):
                    found.extend(_leaves(v))
                else:
                    found.extend(self.secrets(kind, v, sub))
        elif isinstance(data, list):
            for i, v in enumerate(data):
                found.extend(self.secrets(kind, v, path + (i,)))
        return found


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]
