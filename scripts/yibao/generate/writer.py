"""A small YAML emitter for records: keys in schema order, ambiguous text quoted."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from ..core.schemas import SchemaSet


_PLAIN = re.compile(
    r"[A-Za-z\u00a1-\u2027\u202a-\ufefe\uff00-\U0010ffff]"
    r"(?:[^\x00-\x1f\x7f-\x9f:#,\[\]{}\"'`\\\u2028\u2029\ufeff]*[^\s:#,\[\]{}\"'`\\\u2028\u2029\ufeff\x7f-\x9f])?\Z"
)
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def yaml_scalar(value: Any) -> str:
    """One scalar as the strict loader will read it back: text stays text, numbers stay exact."""
    kind = type(value)
    if kind is str:
        if _PLAIN.match(value) and value.lower() not in _RESERVED:
            return value
        return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is Decimal:
        return format(value, "f")
    if kind is dt.date:
        return value.isoformat()
    raise TypeError(f"cannot write {kind.__name__} {value!r} to a record")


class RecordWriter:
    """Renders record dicts as YAML text: keys in schema order, lists of scalars inline when short."""

    WIDTH = 100

    def __init__(self, schemas: SchemaSet) -> None:
        self.orders: dict[str, dict[tuple, dict[str, int]]] = {}
        for kind in schemas.kinds:
            order: dict[tuple, dict[str, int]] = {}
            for path in schemas.fields[kind]:
                names = order.setdefault(path[:-1], {})
                names.setdefault(path[-1], len(names))
            self.orders[kind] = order

    def text(self, kind: str, relpath: str, data: dict) -> str:
        depth = relpath.count("/")
        lines = [f"# yaml-language-server: $schema={'../' * depth}schemas/{kind}.schema.json"]
        self._mapping(lines, self.orders[kind], (), data, "")
        lines.append("")
        return "\n".join(lines)

    def _mapping(self, out: list[str], order: dict, path: tuple, data: dict, indent: str) -> None:
        ranks = order[path]
        for key in sorted(data, key=ranks.__getitem__):
            value = data[key]
            if value is None:
                continue
            if type(value) is dict:
                out.append(f"{indent}{key}:")
                self._mapping(out, order, path + (key,), value, indent + "  ")
            elif type(value) is list:
                self._list(out, order, path + (key,), key, value, indent)
            else:
                out.append(f"{indent}{key}: {yaml_scalar(value)}")

    def _list(self, out: list[str], order: dict, path: tuple, key: str, items: list, indent: str) -> None:
        if not items:
            out.append(f"{indent}{key}: []")
        elif type(items[0]) is dict:
            out.append(f"{indent}{key}:")
            inner = indent + "    "
            for item in items:
                start = len(out)
                self._mapping(out, order, path, item, inner)
                out[start] = indent + "  - " + out[start][len(inner):]
        else:
            flow = f"{indent}{key}: [" + ", ".join(map(yaml_scalar, items)) + "]"
            if len(flow) <= self.WIDTH:
                out.append(flow)
            else:
                out.append(f"{indent}{key}:")
                out.extend(f"{indent}  - {yaml_scalar(v)}" for v in items)
