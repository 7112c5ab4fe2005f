"""What a change does, in business terms: records added, closed, withdrawn, amended; money; KPIs.

``summarise(root, base_ref, head_ref, as_of)`` compares ``head_ref`` with its merge base with
``base_ref`` (what a pull request shows). Both sides are read from git in one pass each (a blob
shared by both sides is read and checked once); the KPIs of both sides come from
:func:`yibao.compute.report.build_report` with the same ``as_of`` and the head's schemas, so the
difference is the change's alone. Invalid records are left out of the KPIs, as in ``yibao report``.

Money and KPIs are as of ``as_of``, counted as the report counts them: a case from its registration,
an amount from the day it becomes a fact (:func:`yibao.compute.frames.money_counts_from`), so a
change that records something dated after ``as_of`` moves neither. The record section says what
the change does to the files (a case added, closed, withdrawn, amended), whatever their dates: it
describes the commit, as the portal's audit trail does.
"""
from __future__ import annotations

import datetime as _dt
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..check.runner import check_text
from ..load.git_tree import GitTrees
from ..core.record import EXTENSION, SCHEMAS, Record, kind_of, stem
from ..core.schemas import SchemaSet
from ..core.calendar import MissingCalendarYears
from .frames import MONEY_FIELDS, money_counts_from
from .report import Table, build_report, table_of
from .view import case_counts
WARN_DEADLINES = ("overdue", "late", "due_soon")


@dataclass
class Moved:
    """One record's before and after (either may be missing)."""

    kind: str
    ident: str
    path: str
    change: str  # A, M, D, R
    before: Record | None
    after: Record | None

    def status(self, side: str) -> str | None:
        record = self.before if side == "before" else self.after
        value = record.get("status") if record else None
        return value if isinstance(value, str) else None


@dataclass
class Summary:
    base: str
    head: str
    as_of: _dt.date
    moved: list[Moved]
    schemas: SchemaSet
    kpis: list[dict] = field(default_factory=list)
    money: list[dict] = field(default_factory=list)
    deadlines: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    # -- the record changes, sorted into what they mean ------------------------------------------
    def added(self) -> dict[str, list[Moved]]:
        out: dict[str, list[Moved]] = defaultdict(list)
        for m in self.moved:
            if m.change == "A":
                out[m.kind].append(m)
        return {k: out[k] for k in self.schemas.kinds if k in out}

    def _terms(self, kind: str, key: str) -> list[str]:
        info = self.schemas.field(kind, ("status",))
        return self.schemas.vocab(info.vocabulary).get(key, []) if info and info.vocabulary else []

    def entered(self, key: str) -> list[Moved]:
        """Records whose status moved into the vocabulary's ``x-closed`` or ``x-withdrawn``."""
        return [m for m in self.moved if m.change in "AM" and m.status("after") in self._terms(m.kind, key)
                and m.status("before") not in self._terms(m.kind, key) and (m.change == "M" or key == "x-closed")]

    def transitions(self) -> list[Moved]:
        special = {id(m) for m in self.entered("x-closed") + self.entered("x-withdrawn")}
        return [m for m in self.moved if m.change == "M" and m.status("before") != m.status("after") and id(m) not in special]

    def amended(self) -> list[tuple[Moved, list[dict]]]:
        out = []
        for m in self.moved:
            if m.change == "M" and m.before and m.after:
                before, after = _list(m.before.get("amendments")), _list(m.after.get("amendments"))
                if len(after) > len(before):
                    out.append((m, [e for e in after[len(before):] if isinstance(e, dict)]))
        return out

    def removed(self) -> list[Moved]:
        return [m for m in self.moved if m.change in "DR"]

    def other_edits(self) -> list[Moved]:
        named = {id(m) for m in self.entered("x-closed") + self.entered("x-withdrawn") + self.transitions()}
        named |= {id(m) for m, _ in self.amended()}
        return [m for m in self.moved if m.change == "M" and id(m) not in named]

    def changed_kpis(self, targeted_only: bool = False) -> list[dict]:
        rows = [k for k in self.kpis if k["before"] != k["after"] or k["status_before"] != k["status_after"]]
        return [k for k in rows if k["target"] is not None] if targeted_only else rows


def _list(value) -> list:
    return value if isinstance(value, list) else []


# -- reading both sides ------------------------------------------------------------------------
class _Sides:
    """Records of two commits, each blob loaded and checked once."""

    def __init__(self, trees: GitTrees, schemas: SchemaSet):
        self.trees, self.schemas = trees, schemas
        self._checked: dict[tuple[str, str], Record | None] = {}

    def record(self, path: str, sha: str) -> Record | None:
        key = (path, sha)
        if key not in self._checked:
            kind = kind_of(path, self.schemas.kinds)
            result = check_text(path, kind, self.trees.read(sha), self.schemas) if kind and path.endswith(EXTENSION) else None
            self._checked[key] = result.record if result else None
        return self._checked[key]

    def all(self, files: dict[str, str]) -> list[Record]:
        return [r for r in (self.record(p, sha) for p, sha in sorted(files.items())) if r is not None]


def summarise(root: Path, base_ref: str, head_ref: str = "HEAD", as_of: _dt.date | None = None,
              contract_id: str | None = None) -> Summary:
    trees = GitTrees(root)
    head = trees.resolve(head_ref)
    base = trees.merge_base(trees.resolve(base_ref), head)
    as_of = as_of or _dt.date.today()
    with tempfile.TemporaryDirectory(prefix="yibao-diff-") as tmp:
        schema_root = root if trees.is_checked_out(head, (SCHEMAS,)) else trees.materialise(head, Path(tmp), (SCHEMAS,))
        schemas = SchemaSet.load(schema_root / SCHEMAS)
    sides = _Sides(trees, schemas)
    before_files, after_files = trees.files(base), trees.files(head)
    moved = []
    for change in trees.changes(base, head):
        if not change.is_record:
            continue
        before = sides.record(change.old_path, before_files[change.old_path]) if change.old_path in before_files else None
        after = sides.record(change.path, after_files[change.path]) if change.status != "D" and change.path in after_files else None
        kind = kind_of(change.path, schemas.kinds) or ""
        ident = (after or before).id if (after or before) and (after or before).id else stem(change.path)
        moved.append(Moved(kind, ident, change.path, change.status if change.status in "ADR" else "M", before, after))
    summary = Summary(base, head, as_of, moved, schemas)
    before_records, after_records = sides.all(before_files), sides.all(after_files)
    summary.money = money_changes(before_records, after_records, schemas, as_of)
    _kpis(summary, before_records, after_records, contract_id)
    return summary


# -- money and KPIs ----------------------------------------------------------------------------
def money_totals(records: list[Record], schemas: SchemaSet, as_of: _dt.date) -> dict[tuple[str, str], Decimal]:
    """Case money by (contract, field) as of a date, as ``yibao report`` counts it: withdrawn and
    invalid cases left out, a case once registered, an amount once it is a fact."""
    info = schemas.field("case", ("status",))
    withdrawn = schemas.vocab(info.vocabulary).get("x-withdrawn", []) if info and info.vocabulary else []
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for record in records:
        if record.kind != "case" or not record.valid or record.get("status") in withdrawn or not case_counts(record, as_of):
            continue
        for name in MONEY_FIELDS:
            value = record.get(f"money.{name}")
            counts_from = money_counts_from(record, name)
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and counts_from is not None \
                    and counts_from <= as_of:
                totals[(str(record.get("contract")), name)] += Decimal(value)
    return totals


def money_changes(before: list[Record], after: list[Record], schemas: SchemaSet, as_of: _dt.date) -> list[dict]:
    a, b = money_totals(before, schemas, as_of), money_totals(after, schemas, as_of)
    rows = []
    for key in sorted(set(a) | set(b)):
        if a.get(key, Decimal(0)) != b.get(key, Decimal(0)):
            contract, name = key
            rows.append({"contract": contract, "field": name, "title": schemas.title("case", ("money", name)),
                         "before": a.get(key, Decimal(0)), "after": b.get(key, Decimal(0))})
    return rows


def _kpis(summary: Summary, before: list[Record], after: list[Record], contract_id: str | None) -> None:
    try:
        old = build_report(before, summary.schemas, summary.as_of, contract_id) if _has_contract(before, contract_id) else []
        new = build_report(after, summary.schemas, summary.as_of, contract_id)
    except MissingCalendarYears as missing:
        years = sorted({e.year for e in missing.errors})
        summary.problems.append(f"缺少 {'、'.join(map(str, years))} 年的工作日历（records/calendar/），未能计算考核指标")
        return
    except LookupError as exc:  # an unknown --contract
        summary.problems.append(str(exc))
        return
    summary.kpis = kpi_deltas(old, new)
    changed = {m.ident for m in summary.moved} | {m.path for m in summary.moved}
    for report in new:
        for which in WARN_DEADLINES:
            for item in report["deadlines"][which]:
                if item.get("record") in changed or item.get("path") in changed:
                    summary.deadlines.append({**item, "contract": report["contract"]["id"], "which": which})


def _has_contract(records: list[Record], contract_id: str | None) -> bool:
    return any(r.kind == "contract" and (contract_id is None or r.id == contract_id) for r in records)


def kpi_deltas(before: list[dict], after: list[dict]) -> list[dict]:
    """The headline KPIs (table 考核指标) of both sides, matched by contract and KPI id."""
    old = {(r["contract"]["id"], k["id"]): k for r in before for k in r["kpis"]}
    rows = []
    for report in after:
        cid = report["contract"]["id"]
        for kpi in report["kpis"]:
            if table_of(kpi["id"]) != Table.KPIS:
                continue
            prev = old.get((cid, kpi["id"]), {})
            rows.append({"contract": cid, "id": kpi["id"], "name": kpi["name"], "unit": kpi["unit"],
                         "target": kpi["target"], "before": prev.get("value"), "after": kpi["value"],
                         "status_before": prev.get("status"), "status_after": kpi["status"]})
    return rows
