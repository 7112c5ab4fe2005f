"""Rules across records: unique IDs, references that resolve, and types that fit each other.

Which fields refer to which kind comes from the schemas (:attr:`~yibao.core.schemas.SchemaSet.relations`).

Each rule takes the :class:`Index` of all loaded records and reports through ``report(record,
code, message, at)`` (a fifth argument True for a warning); positions are found by the runner from the
files that have problems. Records bound to their contract (scope, service period, the contract's
stated counts) are checked in :mod:`.contract_bounds`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..core.record import Record
from ..core.schemas import SchemaSet, nearest
from . import contract_bounds, draws

#: ``report(record, code, message, at[, warning])``: the fifth argument, True for a warning, is
#: passed positionally (a collecting callable may take ``*args``)
Report = Callable[..., None]


@dataclass
class Index:
    """Records by kind and by ID; built once per run."""

    by_kind: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    duplicates: list[tuple[Record, Record]] = field(default_factory=list)
    known_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: False when only some files were loaded (``yibao validate PATH``): rules that count every
    #: record of a kind (``READS_EVERY``) say nothing then
    complete: bool = True
    #: what a rule computed once per run from the whole index (see ``contract_bounds``)
    memo: dict = field(default_factory=dict)

    @classmethod
    def build(cls, records: Iterable[Record], extra_ids: dict[str, set[str]] | None = None) -> "Index":
        index = cls()
        seen: dict[str, Record] = {}
        for record in records:
            ident = record.id
            if ident is None:
                continue
            if ident in seen:
                index.duplicates.append((record, seen[ident]))
                continue
            seen[ident] = record
            index.by_kind[record.kind][ident] = record
            index.known_ids[record.kind].add(ident)
        for kind, ids in (extra_ids or {}).items():
            index.known_ids[kind] |= ids
        return index

    def get(self, kind: str, ident: str) -> Record | None:
        if not isinstance(ident, str):  # a mistyped reference (a list, a number) refers to nothing
            return None
        return self.by_kind.get(kind, {}).get(ident)

    def exists(self, kind: str, ident: str) -> bool:
        return ident in self.known_ids.get(kind, ())

    def records_of(self, kind: str) -> Iterable[Record]:
        """Every loaded record of a kind (the first of records with the same ID)."""
        return self.by_kind.get(kind, {}).values()


def check_references(records: Iterable[Record], index: Index, schemas: SchemaSet, report: Report) -> None:
    for duplicate, first in index.duplicates:
        report(duplicate, "duplicate-id", f"编号 {duplicate.id} 重复：{first.path} 已使用这个编号；请用 yibao new 生成新编号", ("id",))
    for record in records:
        references_resolve(record, index, schemas, report)
        for fn in CROSS_RULES.get(record.kind, ()):
            fn(record, index, schemas, report)


def _missing(kind: str, ident: str, index: Index, schemas: SchemaSet) -> str:
    label = schemas.kind_label(kind)
    candidates = index.known_ids.get(kind, set())
    hint = nearest(ident, sorted(candidates)) if len(candidates) <= 5000 else None
    tip = f"；是不是 {hint}？" if hint else ""
    return f"引用的{label} {ident} 不存在（records/{kind}/ 下没有 {ident}.yaml）{tip}"


_BASES: dict[str, tuple[str, ...]] = {}


def reference_values(record: Record, dotted: str) -> list[tuple[tuple, str]]:
    """(path, value) for a reference field that holds one ID or a list of IDs."""
    value = record.get(dotted)
    if value is None:
        return []
    base = _BASES.get(dotted)
    if base is None:
        base = _BASES[dotted] = tuple(dotted.split("."))
    if isinstance(value, str):
        return [(base, value)]
    if isinstance(value, list):
        return [(base + (i,), v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def references_resolve(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    """Each field that refers to another kind (from the schemas) names an existing record of it."""
    for dotted, kind in schemas.references_of(record.kind):
        for path, ident in reference_values(record, dotted):
            if not index.exists(kind, ident):
                report(record, "unresolved-reference", _missing(kind, ident, index, schemas), path)


def _text(value: object) -> str | None:
    """A term as written, or None when the value is not text (the schema check reports that)."""
    return value if isinstance(value, str) else None


def inspection_fits_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    institution = index.get("institution", record.get("institution") or "")
    if institution is None:
        return
    itype = institution.get("type")
    inspection_types = schemas.vocab("inspection_type").get("x-applies-to", {})
    allowed = inspection_types.get(_text(record.get("type")))
    if allowed and itype in schemas.terms("institution_type") and itype not in allowed:
        report(record, "inspection-type-mismatch",
               f"检查类型“{record.get('type')}”不适用于{itype}（{institution.id}）；适用于：{'、'.join(allowed)}", ("type",))
    violations = schemas.vocab("violation_type").get("x-applies-to", {})
    findings = record.get("findings")
    for i, finding in enumerate(findings if isinstance(findings, list) else []):
        term = _text(finding.get("violation_type")) if isinstance(finding, dict) else None
        allowed = violations.get(term)
        if allowed and itype not in allowed:
            report(record, "violation-type-mismatch",
                   f"违规类型“{term}”不适用于{itype}（{institution.id}）；适用于：{'、'.join(allowed)}", ("findings", i, "violation_type"))


def inspectors_on_contract(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    contract = record.get("contract")
    for path, ident in reference_values(record, "inspectors"):
        staff = index.get("staff", ident)
        contracts = staff.get("contracts") if staff else None
        if isinstance(contracts, list) and contract not in contracts:
            report(record, "staff-not-on-contract", f"检查人员 {ident} 不在项目 {contract} 的团队中（见 {staff.path}）", path)


def case_subject_fits_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    subject_type = record.get("subject.type")
    institution = index.get("institution", record.get("subject.institution") or "")
    if institution is None or subject_type not in schemas.terms("institution_type"):
        return
    if institution.get("type") != subject_type:
        report(record, "subject-type-mismatch",
               f"对象类型为{subject_type}，但 {institution.id} 是{institution.get('type')}", ("subject", "type"))


def related_inspections_same_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    institution = record.get("subject.institution")
    for path, ident in reference_values(record, "related_inspections"):
        inspection = index.get("inspection", ident)
        if inspection is not None and institution and inspection.get("institution") != institution:
            report(record, "related-inspection-mismatch",
                   f"关联检查 {ident} 检查的是 {inspection.get('institution')}，与案件对象 {institution} 不同", path)


#: Rules that read every record of other kinds, not only the records referred to: the kind
#: checked -> ((the kind read, whether any of some versions of such records can change the checked
#: record's findings), ...). After a small change, ``speed.incremental`` re-checks each record of the
#: first kind for which the old and new versions of the changed records of the second kind say so.
READS_EVERY: dict[str, tuple[tuple[str, Callable[[Record, list[Record]], bool]], ...]] = {
    "contract": (("institution", contract_bounds.may_change_counts),),
    # a draw is re-run from the contract's scope institutions, team and past inspections
    "draw": tuple((kind, draws.any_version_matters) for kind in ("institution", "staff", "inspection")),
}


#: The only top-level fields cross-record rules read. Cross rules always run on this view of a
#: record (freshly loaded or from the cache alike), so both paths give the same answers.
CROSS_FIELDS = ("id", "type", "contract", "contracts", "institution", "inspectors", "subject",
                "related_inspections", "trainers", "participant_institutions", "scope", "findings",
                "region_code", "level", "status", "period", "start_date", "end_date", "timeline",
                "protocol_history", "joined_on", "left_on", "draw", "date", "seed", "frame", "pool", "result")


def cross_view(data: dict) -> dict:
    view = {k: _plain(data[k]) for k in CROSS_FIELDS if k in data and k not in ("findings", "timeline")}
    timeline = data.get("timeline")
    if isinstance(timeline, dict):  # the registration date is the one rules across records read
        view["timeline"] = {k: _plain(v) for k, v in timeline.items() if k == "registered_on"}
    elif "timeline" in data:
        view["timeline"] = _plain(timeline)
    findings = data.get("findings")
    if isinstance(findings, list):
        view["findings"] = [{"violation_type": _plain(f.get("violation_type"))} if isinstance(f, dict) else None for f in findings]
    elif "findings" in data:
        view["findings"] = _plain(findings)
    return view


def _plain(value):
    """Only plain data in a view (Decimal as text), so it can be cached with marshal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def referenced_ids(record: Record, schemas: SchemaSet) -> list[str]:
    """The IDs of the records a record refers to (its fields that refer to other kinds)."""
    out = []
    for dotted, _ in schemas.references_of(record.kind):
        value = record.get(dotted)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


_BOUND = (contract_bounds.bound_to_contract,)
#: The rules of each kind besides :func:`references_resolve`, which every record runs.
CROSS_RULES: dict[str, tuple] = {
    "contract": (contract_bounds.expected_counts_match,),
    "inspection": (inspection_fits_institution, inspectors_on_contract, draws.inspection_matches_draw, *_BOUND),
    "case": (case_subject_fits_institution, related_inspections_same_institution, *_BOUND),
    "training": _BOUND,
    "draw": (draws.draw_reproducible,),
}
