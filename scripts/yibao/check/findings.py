"""Collecting problems for one file, and the small vocabulary rules are written in.

A check never raises for bad input: it calls ``findings.error(code, message, at=path)`` and goes
on, so one run reports every problem. Positions are resolved once per file at the end, from the
file's text, only when there is something to report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.diagnostics import ERROR, WARNING, Diagnostic
from ..load import strict_yaml
from ..core.record import Record, as_date
from .personal_data import format_path, mask_text


@dataclass
class Findings:
    """Problems found in one file, positioned lazily."""

    path: str
    text: str | None = None
    items: list[tuple[str, str, tuple, bool, str, tuple[int, int] | None]] = field(default_factory=list)

    def error(self, code: str, message: str, at: tuple = (), key: bool = False, pos: tuple[int, int] | None = None) -> None:
        self.items.append((code, message, at, key, ERROR, pos))

    def warning(self, code: str, message: str, at: tuple = (), key: bool = False, pos: tuple[int, int] | None = None) -> None:
        self.items.append((code, message, at, key, WARNING, pos))

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def has_errors(self) -> bool:
        return any(item[4] == ERROR for item in self.items)

    def diagnostics(self) -> list[Diagnostic]:
        tree = None
        if self.text is not None and any(pos is None for *_, pos in self.items):
            tree = strict_yaml.compose(self.text)
        out = []
        for code, message, at, key, severity, pos in self.items:
            if pos is None:
                pos = strict_yaml.locate(tree, at, key) if tree is not None else (1, 1)
            out.append(Diagnostic(self.path, pos[0], pos[1], code, redact(message), severity, format_path(at)))
        return out


def redact(message: str) -> str:
    """Mask personal data a message quotes back from the record (e.g. a wrongly typed value).

    Output goes to CI logs: a number found there must not be printed in full anywhere.
    """
    return mask_text(message)


def split(dotted: str) -> tuple:
    return tuple(dotted.split("."))


class ErrorIf:
    """Rules that read like sentences: ``error_if.out_of_order("start_date", "end_date")``."""

    def __init__(self, record: Record, findings: Findings, title) -> None:
        self.record = record
        self.findings = findings
        self.title = title  # callable: path tuple -> Chinese label

    def _label(self, dotted: str) -> str:
        return self.title(split(dotted))

    def out_of_order(self, *fields: str, code: str = "date-order") -> None:
        """Each present date must not be earlier than the present one before it."""
        present = [(f, as_date(self.record.get(f))) for f in fields]
        present = [(f, d) for f, d in present if d is not None]
        for (earlier, d1), (later, d2) in zip(present, present[1:]):
            if d2 < d1:
                self.findings.error(
                    code,
                    f"{self._label(later)}（{d2}）早于{self._label(earlier)}（{d1}）；日期先后顺序不对",
                    split(later),
                )

    def greater(self, field_: str, than: str, code: str, why: str = "") -> None:
        small, large = self.record.get(field_), self.record.get(than)
        if _number(small) and _number(large) and small > large:
            self.findings.error(
                code,
                f"{self._label(field_)}（{small}）大于{self._label(than)}（{large}）{why}",
                split(field_),
            )

    def fewer_items(self, field_: str, minimum: int, code: str, why: str) -> None:
        items = self.record.get(field_)
        if isinstance(items, list) and len(items) < minimum:
            self.findings.error(code, f"{self._label(field_)}只有 {len(items)} 项，{why}", split(field_))

    def missing_when(self, field_: str, condition: bool, code: str, why: str) -> None:
        if condition and self.record.get(field_) is None:
            parent = split(field_)[:-1]
            self.findings.error(code, f"缺少{self._label(field_)}（{field_}）：{why}", parent)

    def present_unless(self, field_: str, allowed: bool, code: str, why: str) -> None:
        if not allowed and self.record.get(field_) is not None:
            self.findings.error(code, f"{self._label(field_)}（{field_}）不应填写：{why}", split(field_))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or type(value).__name__ == "Decimal"
