"""Run every check: file by file (load, schema, personal data, record rules), then across records.

``check_file`` is a pure function of one file's bytes and the schemas, so it can run in worker
processes and its result can be cached by content. Cross-record rules always run on the whole
index (they are cheap and depend on other files).
"""
from __future__ import annotations

import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..diagnostics import ERROR, Diagnostic, sort_key
from ..load import strict_yaml
from ..load.repository import EXTENSION, RECORDS, Record, kind_of, record_files, stem
from ..schemas import SchemaSet
from .findings import Findings
from .personal_data import PII_MESSAGES, format_path, scan_record
from .record_rules import check_record_rules
from .references import Index, check_references, referenced_ids
from .schema import check_schema


@dataclass
class FileResult:
    path: str
    record: Record | None
    diagnostics: list[Diagnostic]


@dataclass
class RunResult:
    records: list[Record]
    diagnostics: list[Diagnostic]
    files: int
    internal_errors: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


def _internal(findings: Findings, where: str) -> None:
    last = traceback.format_exc(limit=-1).strip().splitlines()[-1]
    findings.error("internal-error", f"检查程序内部错误（{where}：{last}）；请把这条信息报告给仓库维护人员", pos=(1, 1))


def check_personal_data(record: Record, schemas: SchemaSet, findings: Findings) -> None:
    skip = frozenset(schemas.format_paths(record.kind, "uscc"))
    for path, code, masked in scan_record(record.data, skip):
        findings.error(code, PII_MESSAGES[code].format(field=format_path(path), masked=masked), path)


FILE_CHECKS = (check_schema, check_personal_data, check_record_rules)


def check_text(relpath: str, kind: str, data: bytes, schemas: SchemaSet) -> FileResult:
    """Load one file's bytes strictly and run every file-level check on it."""
    value, problems, text = strict_yaml.load_bytes(data)
    if problems:
        return FileResult(relpath, None, [Diagnostic(relpath, p.line, p.col, p.code, p.message) for p in problems])
    record = Record(kind, relpath, value)
    findings = Findings(relpath, text)
    for check in FILE_CHECKS:
        try:
            check(record, schemas, findings)
        except Exception:  # noqa: BLE001 - a bug must not hide the other findings
            _internal(findings, check.__name__)
    record.valid = not findings.has_errors
    return FileResult(relpath, record, findings.diagnostics())


def check_file(root: Path, relpath: str, kind: str, schemas: SchemaSet) -> FileResult:
    try:
        data = (root / relpath).read_bytes()
    except OSError as exc:
        return FileResult(relpath, None, [Diagnostic(relpath, 1, 1, "unreadable", f"无法读取文件：{exc.strerror}")])
    return check_text(relpath, kind, data, schemas)


def _layout_problems(root: Path, files: list[str], others: list[str], kinds: list[str]) -> tuple[list[tuple[str, str]], list[Diagnostic]]:
    typed: list[tuple[str, str]] = []
    problems: list[Diagnostic] = []
    for relpath in others:
        problems.append(Diagnostic(relpath, 1, 1, "not-a-record-file", f"records/ 下只能放 {EXTENSION} 记录文件；请改名为 {stem(relpath)}{EXTENSION} 或移出 records/"))
    for relpath in files:
        kind = kind_of(relpath, kinds)
        if kind is None:
            problems.append(Diagnostic(relpath, 1, 1, "unknown-kind", f"不认识的记录目录；记录应放在 records/<种类>/ 下，种类为：{'、'.join(kinds)}"))
            continue
        typed.append((relpath, kind))
    return typed, problems


def check_files(root: Path, items: list[tuple[str, str]], schemas: SchemaSet) -> list[FileResult]:
    return [check_file(root, relpath, kind, schemas) for relpath, kind in items]


def check_repository(root: Path, schemas: SchemaSet, paths: Iterable[str] | None = None, runner=check_files) -> RunResult:
    """Check the whole repository, or the given record files together with what they reference."""
    files, others = record_files(root)
    typed, diagnostics = _layout_problems(root, files, others, schemas.kinds)
    kinds_by_path = dict(typed)
    extra_ids: dict[str, set[str]] | None = None
    if paths is not None:
        wanted = list(dict.fromkeys(paths))
        for relpath in wanted:
            if relpath not in kinds_by_path:
                diagnostics.append(Diagnostic(relpath, 1, 1, "not-a-record-file", f"{relpath} 不是仓库中的记录文件（应在 {RECORDS}/<种类>/ 下，扩展名 {EXTENSION}）"))
        targets = [(p, kinds_by_path[p]) for p in wanted if p in kinds_by_path]
        results = runner(root, targets, schemas)
        # what the given records refer to is loaded and checked too
        by_stem: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for relpath, kind in typed:
            by_stem[stem(relpath)].append((relpath, kind))
        done = {p for p, _ in targets}
        referenced = []
        for result in results:
            if result.record is not None:
                for ident in referenced_ids(result.record):
                    for relpath, kind in by_stem.get(ident, ()):
                        if relpath not in done:
                            done.add(relpath)
                            referenced.append((relpath, kind))
        results += runner(root, referenced, schemas)
        extra_ids = defaultdict(set)
        for relpath, kind in typed:
            extra_ids[kind].add(stem(relpath))
        checked_for_refs = {p for p, _ in targets}
        for ident, places in by_stem.items():
            if len(places) > 1 and any(p in checked_for_refs for p, _ in places):
                first = places[0][0]
                for relpath, _ in places[1:]:
                    diagnostics.append(Diagnostic(relpath, 1, 1, "duplicate-id", f"编号 {ident} 重复：{first} 已使用这个编号；请用 yibao new 生成新编号"))
    else:
        targets = typed
        results = runner(root, typed, schemas)
        checked_for_refs = None

    records = [r.record for r in results if r.record is not None]
    for result in results:
        diagnostics.extend(result.diagnostics)
    index = Index.build(records, extra_ids)
    if paths is not None:
        index.duplicates = []  # reported from file names above
    cross_targets = records if checked_for_refs is None else [r for r in records if r.path in checked_for_refs]
    diagnostics.extend(cross_check(root, cross_targets, index, schemas))
    diagnostics.sort(key=sort_key)
    internal = sum(d.code == "internal-error" for d in diagnostics)
    return RunResult(records, diagnostics, len(targets), internal)


def cross_check(root: Path, records: list[Record], index: Index, schemas: SchemaSet) -> list[Diagnostic]:
    by_path: dict[str, Findings] = {}

    def report(record: Record, code: str, message: str, at: tuple) -> None:
        findings = by_path.get(record.path)
        if findings is None:
            findings = by_path[record.path] = Findings(record.path, None)
        findings.error(code, message, at)

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
