"""Errors are values: every check returns :class:`Diagnostic` objects, collected for a whole run.

Text output is ``path:line:col: error[CODE] message`` (Chinese message, stable English code);
``json`` is for machines and ``github`` for workflow annotations on the pull request's diff.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable

from .textsafe import visible

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    severity: str = ERROR
    field: str = ""

    def text(self) -> str:
        # one problem per line (a value quoted with a line break must not split it), and nothing
        # from a record or a file name may drive the terminal: escapes shown, not sent
        return f"{visible(self.path)}:{self.line}:{self.col}: {self.severity}[{self.code}] {visible(self.message)}"


def sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line, d.col, d.code, d.message)


def summary_line(diagnostics: list[Diagnostic], files: int) -> str:
    errors = sum(d.severity == ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    if not diagnostics:
        return f"检查通过：{files} 个记录文件，没有发现错误。"
    if not errors:  # warnings are shown, they do not fail the check
        return f"检查通过：{files} 个记录文件，没有发现错误；{warnings} 个提醒，请查看。"
    files_with = len({d.path for d in diagnostics if d.severity == ERROR})
    tail = f"，{warnings} 个提醒" if warnings else ""
    return f"检查未通过：{files} 个记录文件中有 {files_with} 个有问题，共 {errors} 个错误{tail}。"


def gh_escape(value: str, prop: bool = False) -> str:
    """Data of a GitHub workflow command, escaped as GitHub documents it (``%``, CR and LF in the
    message; also ``:`` and ``,`` in a property such as ``file=``), so a value can neither end
    the command's line nor start another command; other control characters shown as escapes."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return visible(value)


def render(diagnostics: Iterable[Diagnostic], fmt: str, files: int) -> str:
    items = sorted(diagnostics, key=sort_key)
    if fmt == "json":
        errors = sum(d.severity == ERROR for d in items)
        return json.dumps(
            {"ok": errors == 0, "files": files, "errors": errors, "warnings": len(items) - errors,
             "diagnostics": [asdict(d) for d in items]},
            ensure_ascii=False, indent=2,
        )
    if fmt == "github":
        lines = [
            f"::{d.severity} file={gh_escape(d.path, True)},line={d.line},col={d.col},title={gh_escape(d.code, True)}::{gh_escape(d.message)}"
            for d in items
        ]
        lines.append(summary_line(items, files))
        return "\n".join(lines)
    return "\n".join([d.text() for d in items] + [summary_line(items, files)])
