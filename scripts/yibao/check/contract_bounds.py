"""Records bound to their contract: the institutions they name are in its scope, their dates in its
service period, and the contract's own figures agree with the records.

Cross-record rules, run by :mod:`.references` with the other rules across records:

- ``out-of-scope`` (error): an inspection's institution, a case's ``subject.institution`` or a
  training's participant institutions are not in the contract's ``scope`` (listed, or matching the
  scope rule: :func:`yibao.core.scope.matches_scope`, the same test the KPIs use);
- ``outside-period`` (error): an inspection's start or end date, a case's registration date or a
  training's start date lies outside the contract's service period, extended past its end by
  ``period.grace_days`` (0 when not set);
- ``expected-count-mismatch`` (warning): the contract's ``scope.expected_counts`` (the figures its
  text states) differ from the number of institution records in its scope, per type and in total.

Withdrawn records are not judged: withdrawal is how a record entered under the wrong contract is
taken back, and a record can never be deleted.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Callable

from ..core.scope import matches_scope
from ..core.record import Record, as_date
from ..core.schemas import SchemaSet

if TYPE_CHECKING:  # pragma: no cover
    from .references import Index

Report = Callable[..., None]

#: The fields of each kind that must lie in the contract's service period.
DATED_FIELDS: dict[str, tuple[str, ...]] = {
    "inspection": ("start_date", "end_date"),
    "case": ("timeline.registered_on",),
    "training": ("start_date",),
}
#: The fields of each kind that name institutions the contract must cover.
INSTITUTION_FIELDS: dict[str, str] = {
    "inspection": "institution",
    "case": "subject.institution",
    "training": "participant_institutions",
}


def _label(schemas: SchemaSet, kind: str, path: tuple) -> str:
    """A field's Chinese label; a nested field with its parent's (“涉事对象的机构编码”)."""
    title = schemas.title(kind, path)
    return f"{schemas.title(kind, path[:1])}的{title}" if len(path) > 1 else title


def _withdrawn_terms(schemas: SchemaSet, kind: str, index: "Index") -> frozenset:
    """The withdrawn states of a kind (``x-withdrawn`` of its status vocabulary), once per run."""
    memo = index.memo.setdefault("withdrawn_terms", {})
    terms = memo.get(kind)
    if terms is None:
        info = schemas.field(kind, ("status",))
        terms = memo[kind] = frozenset(schemas.vocab(info.vocabulary).get("x-withdrawn", [])
                                       if info is not None and info.vocabulary is not None else ())
    return terms


def _withdrawn(record: Record, schemas: SchemaSet, index: "Index") -> bool:
    status = record.data.get("status")
    return isinstance(status, str) and status in _withdrawn_terms(schemas, record.kind, index)


def scope_readable(contract: Record) -> bool:
    """The scope has the shape the schema gives it (else the schema check reports it, and nothing
    here can say what the contract covers)."""
    scope = contract.get("scope")
    if not isinstance(scope, dict):
        return False
    listed, rule = scope.get("institutions", []), scope.get("rule", {})
    return isinstance(listed, list) and isinstance(rule, dict) and \
        all(isinstance(values, list) and all(isinstance(v, str) for v in values) for values in rule.values())


def describe_scope(contract: Record, schemas: SchemaSet) -> str:
    """The contract's scope in words: “行政区划 650203；机构类型 定点医疗机构、定点零售药店”."""
    parts = []
    listed = contract.get("scope.institutions")
    if isinstance(listed, list) and listed:
        parts.append(f"{schemas.title('contract', ('scope', 'institutions'))} {len(listed)} 家")
    rule = contract.get("scope.rule")
    if isinstance(rule, dict):
        for key, values in rule.items():
            if isinstance(values, list):
                parts.append(f"{schemas.title('contract', ('scope', 'rule', key))} {'、'.join(map(str, values))}")
    return "；".join(parts) or "未写明"


def service_window(contract: Record) -> tuple[_dt.date, _dt.date, int] | None:
    """(first day, last day including the grace period, grace days), or None when not readable."""
    start, end = as_date(contract.get("period.start")), as_date(contract.get("period.end"))
    grace = contract.get("period.grace_days", 0)
    if start is None or end is None or type(grace) is not int or not 0 <= grace <= 366:
        return None  # the schema check reports a grace period out of its range
    try:
        return start, end + _dt.timedelta(days=grace), grace
    except OverflowError:  # a period ending at the end of the calendar
        return None


#: The institution fields a scope rule reads (``compute.scope``: region codes, types, levels).
_SCOPE_FIELDS = ("region_code", "type", "level")


class _Bounds:
    """One contract's scope and service period, read once per run and asked about many records."""

    def __init__(self, contract: Record) -> None:
        self.contract = contract
        self.readable = scope_readable(contract)
        listed = contract.get("scope.institutions")
        self.listed = frozenset(i for i in listed if isinstance(i, str)) if isinstance(listed, list) else frozenset()
        self.by_rule = Record("contract", contract.path, {"id": contract.id, "scope": {"rule": contract.get("scope.rule")}})
        self.verdicts: dict[tuple, bool] = {}
        self.window = service_window(contract)
        # ISO dates compare as text: most dates are settled without parsing them
        self.text_window = (self.window[0].isoformat(), self.window[1].isoformat()) if self.window else None

    def covers(self, institution: Record) -> bool:
        """``matches_scope(contract, institution)``: the rule's answer depends only on the fields
        it reads, so it is asked once per combination of them."""
        if institution.id in self.listed:
            return True
        data = institution.data
        key = (data.get("region_code"), data.get("type"), data.get("level"))
        try:
            verdict = self.verdicts.get(key)
        except TypeError:  # a list or a map where text belongs (the schema check reports it)
            key = tuple(v if isinstance(v, str) else None for v in key)
            verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self.verdicts[key] = matches_scope(self.by_rule, Record("institution", "", dict(zip(_SCOPE_FIELDS, key))))
        return verdict

    @classmethod
    def of(cls, record: Record, index: "Index") -> "_Bounds | None":
        """The bounds of the contract a record belongs to (None when it does not resolve)."""
        ident = record.data.get("contract")
        if not isinstance(ident, str):
            return None
        memo = index.memo.get("bounds")
        if memo is None:
            memo = index.memo["bounds"] = {}
        if ident not in memo:  # one index per run: an ID names one contract record
            contract = index.get("contract", ident)
            memo[ident] = cls(contract) if contract is not None else None
        return memo[ident]


# -- scope ---------------------------------------------------------------------------------------------
def _describe_institution(institution: Record) -> str:
    facts = [str(v) for v in (institution.get("type"), institution.get("level")) if isinstance(v, str)]
    region = institution.get("region_code")
    if isinstance(region, str):
        facts.append(f"行政区划 {region}")
    return f"{institution.id}（{'，'.join(facts)}）" if facts else str(institution.id)


def bound_to_contract(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> None:
    """The rule for inspections, cases and trainings: in the contract's scope and period."""
    if _withdrawn(record, schemas, index):
        return
    bounds = _Bounds.of(record, index)
    if bounds is not None:
        institutions_in_contract_scope(record, bounds, index, schemas, report)
        dates_in_contract_period(record, bounds, schemas, report)


def institutions_in_contract_scope(record: Record, bounds: _Bounds, index: "Index", schemas: SchemaSet, report: Report) -> None:
    field = INSTITUTION_FIELDS.get(record.kind)
    if field is None or not bounds.readable:
        return
    value = record.get(field)
    base = tuple(field.split("."))
    if isinstance(value, str):
        named = [(base, value)]
    else:
        named = [(base + (i,), v) for i, v in enumerate(value) if isinstance(v, str)] if isinstance(value, list) else []
    for at, ident in named:
        institution = index.get("institution", ident)
        if institution is None or bounds.covers(institution):
            continue  # a missing institution is unresolved-reference's to report
        contract = bounds.contract
        report(record, "out-of-scope",
               f"{_label(schemas, record.kind, base)} {_describe_institution(institution)} 不在项目 {contract.id} 的监管范围内"
               f"（范围：{describe_scope(contract, schemas)}）；请核对项目编号或机构编码", at)


# -- period --------------------------------------------------------------------------------------------
def dates_in_contract_period(record: Record, bounds: _Bounds, schemas: SchemaSet, report: Report) -> None:
    fields = DATED_FIELDS.get(record.kind)
    if not fields or bounds.window is None:
        return
    first, last, grace = bounds.window
    low, high = bounds.text_window
    for dotted in fields:
        value = record.get(dotted)
        if type(value) is str and len(value) == 10 and low <= value <= high:
            continue
        day = as_date(value)
        if day is None or first <= day <= last:
            continue
        contract = bounds.contract
        period = f"{contract.get('period.start')} 至 {contract.get('period.end')}"
        if grace:
            period += f"，另有宽限 {grace} 天，即至 {last}"
        where = "早于服务期开始" if day < first else "晚于服务期结束"
        label = schemas.title(record.kind, tuple(dotted.split(".")))
        label += "" if label.endswith("日期") else "日期"
        report(record, "outside-period",
               f"{label}（{day}）{where}：项目 {contract.id} 的服务期为 {period}；"
               f"请核对日期，或登记到对应的项目", tuple(dotted.split(".")))


# -- expected counts ----------------------------------------------------------------------------------------
def _institution_groups(index: "Index", schemas: SchemaSet) -> dict[str | None, Counter]:
    """Institutions not withdrawn, counted by (region, type, level), grouped by region; built once
    per index (per run)."""
    memo = index.memo.get("institution_groups")
    if memo is None:
        memo = defaultdict(Counter)
        keys: Counter = Counter()
        withdrawn = _withdrawn_terms(schemas, "institution", index)
        for institution in index.records_of("institution"):  # 100k records: kept tight
            data = institution.data
            key = (data.get("region_code"), data.get("type"), data.get("level"), data.get("status"))
            try:
                keys[key] += 1
            except TypeError:  # a list or a map where text belongs (the schema check reports it)
                keys[tuple(v if isinstance(v, str) else None for v in key)] += 1
        for (region, itype, level, status), n in keys.items():
            if not (isinstance(status, str) and status in withdrawn):
                clean = tuple(v if isinstance(v, str) else None for v in (region, itype, level))
                memo[clean[0]][clean] += n
        index.memo["institution_groups"] = memo
    return memo


def _counts_in_scope(contract: Record, index: "Index", schemas: SchemaSet) -> Counter:
    """Institution records in the contract's scope, by type."""
    groups = _institution_groups(index, schemas)
    bounds = _Bounds(contract)
    rule = contract.get("scope.rule")
    regions = rule.get("region_codes") if isinstance(rule, dict) else None
    candidates = [groups[r] for r in regions if r in groups] if isinstance(regions, list) else list(groups.values())
    counts: Counter = Counter()
    if isinstance(rule, dict) and rule:  # the region filter is a shortcut: matches_scope decides
        for group in candidates:
            for key, n in group.items():
                if matches_scope(bounds.by_rule, Record("institution", "", dict(zip(_SCOPE_FIELDS, key)))):
                    counts[key[1]] += n
    for ident in sorted(bounds.listed):
        institution = index.get("institution", ident)
        if institution is None or _withdrawn(institution, schemas, index):
            continue
        if not (isinstance(rule, dict) and rule and matches_scope(bounds.by_rule, institution)):
            itype = institution.get("type")
            counts[itype if isinstance(itype, str) else None] += 1
    return counts


def expected_counts_match(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> None:
    expected = record.get("scope.expected_counts")
    if not isinstance(expected, dict) or not expected or not scope_readable(record) or not getattr(index, "complete", True):
        return  # checking some files only: the institutions are not all loaded
    counts = _counts_in_scope(record, index, schemas)
    types = schemas.terms("institution_type")
    for key, stated in expected.items():
        if type(stated) is not int:
            continue
        actual = counts.get(key, 0) if key in types else sum(n for t, n in counts.items() if t in types)
        if actual != stated:
            what = "" if key in types else "机构"
            tail = "；请核对监管范围，或补齐机构记录" if actual < stated else "；请核对监管范围和合同约定的数量"
            report(record, "expected-count-mismatch",
                   f"合同约定{key} {stated} 家，记录中在监管范围内的{what}有 {actual} 家"
                   f"（范围：{describe_scope(record, schemas)}）{tail}", ("scope", "expected_counts", key), True)  # a warning


def may_change_counts(contract: Record, institutions: list[Record]) -> bool:
    """Whether a change to these institution records (old and new versions) can change the
    contract's count check: one of them is in its scope (re-checking after a small change,
    ``speed.incremental``)."""
    if not isinstance(contract.get("scope.expected_counts"), dict) or not scope_readable(contract):
        return False
    bounds = _Bounds(contract)
    return any(bounds.covers(institution) for institution in institutions)
