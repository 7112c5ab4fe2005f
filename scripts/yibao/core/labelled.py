"""Enums of the tool's own states (KPI status, deadline status, report table) with Chinese labels.

Code compares members (``status is KpiStatus.MET``), never display strings; the Chinese label is
what reports, tables and pages print, and what the report JSON carries, so a member's value is
its label and ``KpiStatus.from_label("达标")`` turns a label read back from JSON into a member.
"""
from __future__ import annotations

import enum
from typing import Any, TypeVar

L = TypeVar("L", bound="Labelled")


class Labelled(enum.Enum):
    """A member whose value is its Chinese label."""

    @property
    def label(self) -> str:
        return self.value

    @classmethod
    def from_label(cls: type[L], text: Any) -> L | None:
        """The member with this label; None for anything else (None, an unknown word, a non-string)."""
        return cls._value2member_map_.get(text) if isinstance(text, str) else None
