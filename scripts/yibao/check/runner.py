"""Every check, as pure functions: one file's text to its findings (load, schema, personal data,
record rules: :func:`check_text`), and records to their cross-record findings (:func:`cross_check`).

Nothing here caches, plans or runs in parallel: :mod:`yibao.speed` does that, and since
``check_text`` depends only on one file's path, bytes and the schemas, it can run it in worker
processes and keep its result by content. Cross-record rules always run on a small view of every
record (``references.cross_view``), so a cached record and a freshly checked one are treated the same.
"""
from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..core.diagnostics import Diagnostic
from ..core.record import RECORDS, Record
from ..core.schemas import SchemaSet
from ..load import strict_yaml
from .findings import Findings, redact
from .personal_data import (
    PERSON_NAME,
    PII_COMMENT_MESSAGES,
    PII_MESSAGES,
    find_person_names,
    find_personal_data,
    format_path,
    iter_comments,
    mask,
    mask_name,
    might_contain_person_name,
    might_contain_personal_data,
    person_name_message,
    scan_person_names,
    scan_record,
)
from .record_rules import check_record_rules
from .references import Index, check_references
from .schema import check_schema


@dataclass
class FileResult:
    path: str
    record: Record | None
    diagnostics: list[Diagnostic]


# -- one file ------------------------------------------------------------------------------------
def _internal(findings: Findings, where: str) -> None:
    """A bug in a check: reported as an internal error (exit 2) without hiding the other findings;
    with ``--debug`` (``YIBAO_DEBUG=1``) its traceback goes to standard error as well."""
    if os.environ.get("YIBAO_DEBUG") == "1":
        sys.stderr.write(traceback.format_exc())
    last = traceback.format_exc(limit=-1).strip().splitlines()[-1]
    findings.error("internal-error", f"检查程序内部错误（{where}：{last}）；请把这条信息报告给仓库维护人员", pos=(1, 1))


def check_personal_data(record: Record, schemas: SchemaSet, findings: Findings) -> None:
    """Numbers that look like personal data in values and comments (errors), likely names (warnings).

    Both quick pre-checks run on the file's text, so most files skip the walk.
    """
    text = findings.text
    numbers = text is None or might_contain_personal_data(text)
    names = text is None or might_contain_person_name(text)
    if not (numbers or names):
        return
    skip = frozenset(schemas.format_paths(record.kind, "uscc"))
    if numbers:
        for path, code, masked in scan_record(record.data, skip):
            findings.error(code, PII_MESSAGES[code].format(field=format_path(path), masked=masked), path)
    if names:
        for path, trigger, masked in scan_person_names(record.data, skip):
            findings.warning(PERSON_NAME, person_name_message(format_path(path), trigger, masked), path)
    if text is None or "#" not in text:
        return
    for line, col, comment in iter_comments(text):  # comments go into git too
        if numbers:
            for code, matched, offset in find_personal_data(comment):
                findings.error(code, PII_COMMENT_MESSAGES[code].format(masked=mask(matched)), pos=(line, col + offset))
        if names:
            for trigger, name, offset in find_person_names(comment):
                findings.warning(PERSON_NAME, person_name_message("", trigger, mask_name(name)), pos=(line, col + offset))


FILE_CHECKS = (check_schema, check_personal_data, check_record_rules)


def check_text(relpath: str, kind: str, data: bytes, schemas: SchemaSet) -> FileResult:
    """Load one file's bytes strictly and run every file-level check on it."""
    value, problems, text = strict_yaml.load_bytes(data)
    if problems:
        return FileResult(relpath, None, [Diagnostic(relpath, p.line, p.col, p.code, redact(p.message)) for p in problems])
    record = Record(kind, relpath, value)
    findings = Findings(relpath, text)
    for check in FILE_CHECKS:
        try:
            check(record, schemas, findings)
        except Exception:  # noqa: BLE001 - a bug must not hide the other findings
            _internal(findings, check.__name__)
    record.valid = not findings.has_errors
    return FileResult(relpath, record, findings.diagnostics())


def cross_check(root: Path, records: Iterable[Record], index: Index, schemas: SchemaSet) -> list[Diagnostic]:
    """The cross-record findings of ``records`` against the ``index`` of every loaded record, with
    positions found in the files (read again only for the records with findings)."""
    by_path: dict[str, Findings] = {}

    def report(record: Record, code: str, message: str, at: tuple, warning: bool = False) -> None:
        findings = by_path.get(record.path)
        if findings is None:
            findings = by_path[record.path] = Findings(record.path, None)
        (findings.warning if warning else findings.error)(code, message, at)

    try:
        check_references(records, index, schemas, report)
    except Exception:  # noqa: BLE001
        holder = Findings(RECORDS, None)
        _internal(holder, "check_references")
        return holder.diagnostics()
    out: list[Diagnostic] = []
    for relpath, findings in by_path.items():
        try:
            findings.text = strict_yaml.decode((root / relpath).read_bytes())[0]
        except OSError:
            findings.text = None
        out.extend(findings.diagnostics())
    return out
