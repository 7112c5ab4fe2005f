"""One contract's records as they stood on a date ("as of").

Only facts dated on or before ``as_of`` count: an inspection counts once it has ended, a case once
it is registered, a training once it has ended, a staff member while on the team. Withdrawn
records (status 已撤回) never count: withdrawal voids a record's facts, it is kept only as history.
Records that failed validation (``Record.valid`` False) are left out by the caller.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Iterable

from ..core.record import Record
from ..core.schemas import SchemaSet
from ..core.calendar import WorkCalendar, to_date
from ..core.scope import ScopeTerms, institutions_in_scope, terminated_during


def status_terms(schemas: SchemaSet, kind: str, attribute: str) -> frozenset[str]:
    """The terms of a kind's ``status`` vocabulary marked with an ``x-`` attribute (``x-withdrawn``,
    ``x-planned`` …); none when the kind has no status vocabulary."""
    info = schemas.field(kind, ("status",))
    return frozenset(schemas.vocab(info.vocabulary).get(attribute, [])) if info and info.vocabulary else frozenset()


@dataclass(frozen=True, slots=True)
class DayTypes:
    """The day types of the vocabulary that count working days (``x-working-days``), and the one a
    date without a day type is recorded with (``x-default``: a milestone)."""

    working: frozenset[str]
    default: str | None

    @classmethod
    def of(cls, schemas: SchemaSet) -> "DayTypes":
        vocab = schemas.vocab("day_type")
        return cls(frozenset(vocab.get("x-working-days", [])), vocab.get("x-default"))


def case_stages(schemas: SchemaSet) -> tuple[tuple[str, str], ...]:
    """``(date field, status)`` of each stage of a case's timeline, the latest stage first: the
    ``x-timeline`` of the case status vocabulary, in the vocabulary's order."""
    info = schemas.field("case", ("status",))
    vocab = schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    timeline = vocab.get("x-timeline", {})
    return tuple((timeline[term], term) for term in reversed(vocab.get("enum", [])) if term in timeline)


@dataclass
class RecordIndex:
    """Valid records by kind and ID, the terms that mean "withdrawn" for each kind, and the other
    vocabulary terms the computations depend on (``planned``: inspection statuses whose dates are
    only plans, ``x-planned``; ``scope_terms``: see :class:`~yibao.core.scope.ScopeTerms`;
    ``case_stages``: see :func:`case_stages`; ``day_types``: see :class:`DayTypes`)."""

    by_kind: dict[str, list[Record]]
    by_id: dict[str, dict[str, Record]]
    withdrawn: dict[str, frozenset[str]]
    calendar: WorkCalendar
    planned: frozenset[str]
    scope_terms: ScopeTerms
    case_stages: tuple[tuple[str, str], ...]
    day_types: DayTypes
    bureau_roles: frozenset[str] = frozenset()  # staff roles of the bureau's own inspectors (x-bureau): not on any team
    _live: dict[str, list[Record]] = field(default_factory=dict)
    _by_contract: dict[str, dict[str, list[Record]]] = field(default_factory=dict)
    _by_region: dict[str, list[Record]] | None = None
    _staff_of: dict[str, list[Record]] | None = None
    derived: dict = field(default_factory=dict)  # tables computed once for every contract (see frames.py)

    @classmethod
    def build(cls, records: Iterable[Record], schemas: SchemaSet) -> "RecordIndex":
        by_kind: dict[str, list[Record]] = {kind: [] for kind in schemas.kinds}
        by_id: dict[str, dict[str, Record]] = {kind: {} for kind in schemas.kinds}
        for record in records:
            if not record.valid or record.kind not in by_kind:
                continue
            by_kind[record.kind].append(record)
            if record.id is not None:
                by_id[record.kind].setdefault(record.id, record)
        withdrawn = {kind: status_terms(schemas, kind, "x-withdrawn") for kind in schemas.kinds}
        for kind in by_kind:
            by_kind[kind].sort(key=lambda r: r.id or r.path)
        return cls(by_kind, by_id, withdrawn, WorkCalendar.from_records(by_kind.get("calendar", [])),
                   status_terms(schemas, "inspection", "x-planned"), ScopeTerms.of(schemas), case_stages(schemas),
                   DayTypes.of(schemas), frozenset(schemas.vocab("staff_role").get("x-bureau", [])))

    def live(self, kind: str) -> list[Record]:
        """Records of a kind that are not withdrawn (computed once per kind)."""
        cached = self._live.get(kind)
        if cached is None:
            out = self.withdrawn.get(kind, frozenset())
            cached = self._live[kind] = [r for r in self.by_kind.get(kind, []) if r.get("status") not in out]
        return cached

    def own(self, kind: str, contract_id: str) -> list[Record]:
        """Live records of a kind that belong to a contract (grouped once, not scanned per contract)."""
        groups = self._by_contract.get(kind)
        if groups is None:
            groups = self._by_contract[kind] = {}
            for record in self.live(kind):
                groups.setdefault(record.get("contract"), []).append(record)
        return groups.get(contract_id, [])

    def staff_of(self, contract_id: str) -> list[Record]:
        """Live staff records that list a contract (grouped once, not scanned per contract): the
        contractor's team; the bureau's own inspectors (a role in ``x-bureau`` of ``staff_role``),
        who list a contract only to join its draws' inspector pool, are left out."""
        if self._staff_of is None:
            self._staff_of = {}
            for person in self.live("staff"):
                if person.get("role") in self.bureau_roles:
                    continue
                contracts = person.get("contracts") or []
                for ident in dict.fromkeys(c for c in contracts if isinstance(c, str)):
                    self._staff_of.setdefault(ident, []).append(person)
        return self._staff_of.get(contract_id, [])

    def scope_candidates(self, contract: Record) -> list[Record]:
        """Institutions that can be in a contract's scope: the listed ones and, when the scope rule
        names region codes, those of the regions (an index, not a scan of every institution)."""
        institutions = self.live("institution")
        rule = contract.get("scope.rule")
        regions = rule.get("region_codes") if isinstance(rule, dict) else None
        if not isinstance(regions, list):
            return institutions if isinstance(rule, dict) and rule else self._listed(contract)
        if self._by_region is None:
            self._by_region = {}
            for record in institutions:
                self._by_region.setdefault(record.get("region_code"), []).append(record)
        found = {r.path: r for code in regions if isinstance(code, str) for r in self._by_region.get(code, [])}
        found.update((r.path, r) for r in self._listed(contract))
        return list(found.values())

    def _listed(self, contract: Record) -> list[Record]:
        listed = contract.get("scope.institutions")
        if not isinstance(listed, list):
            return []
        by_id = self.by_id.get("institution", {})
        return [by_id[i] for i in listed if isinstance(i, str) and i in by_id]

    def get(self, kind: str, ident: str | None) -> Record | None:
        return self.by_id.get(kind, {}).get(ident) if ident else None

    @property
    def contracts(self) -> list[Record]:
        return self.by_kind.get("contract", [])


def _on_or_before(value, day: _dt.date) -> bool:
    date = to_date(value)
    return date is not None and date <= day


def inspection_counts(record: Record, as_of: _dt.date, planned: frozenset[str]) -> bool:
    """A (live) inspection counts once it was carried out (its status is not one of ``planned``)
    and had ended by ``as_of``."""
    return record.get("status") not in planned and _on_or_before(record.get("end_date"), as_of)


def case_counts(record: Record, as_of: _dt.date) -> bool:
    """A (live) case counts once it was registered by ``as_of``."""
    return _on_or_before(record.get("timeline.registered_on"), as_of)


@dataclass
class ContractView:
    contract: Record
    index: RecordIndex
    as_of: _dt.date
    schemas: SchemaSet
    _type_prefix: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.contract.id or ""

    @property
    def calendar(self) -> WorkCalendar:
        return self.index.calendar

    @cached_property
    def period(self) -> tuple[_dt.date | None, _dt.date | None]:
        return to_date(self.contract.get("period.start")), to_date(self.contract.get("period.end"))

    @property
    def running(self) -> bool:
        """True until the end of the contract period's last day (《民法典》第二百零三条第二款: the last
        day ends at 24:00, so on the last day itself the period is still running)."""
        end = self.period[1]
        return end is None or self.as_of <= end

    @cached_property
    def elapsed(self) -> Fraction | None:
        """The share of the service period wholly past before ``as_of`` (0 to 1): the statistics
        date itself is still running, as the period's last day is until 24:00."""
        start, end = self.period
        if start is None or end is None or end < start:
            return None
        total = (end - start).days + 1
        done = min(max((self.as_of - start).days, 0), total)
        return Fraction(done, total)

    def _own(self, kind: str) -> list[Record]:
        return self.index.own(kind, self.id)

    # -- institutions ------------------------------------------------------------------------
    @cached_property
    def scope(self) -> list[Record]:
        return institutions_in_scope(self.contract, self.index.scope_candidates(self.contract), self.as_of,
                                     self.index.scope_terms)

    @cached_property
    def terminated(self) -> dict[str, _dt.date]:
        """Scope institutions whose agreement was terminated during the period: ``{id: date}``."""
        return terminated_during(self.contract, self.index.scope_candidates(self.contract), self.as_of,
                                 self.index.scope_terms)

    @cached_property
    def scope_ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.scope)

    def institution(self, ident: str | None) -> Record | None:
        return self.index.get("institution", ident)

    def institution_type(self, ident: str | None) -> str | None:
        """The type recorded for an institution, else the one its code prefix (H/P/J) stands for."""
        record = self.institution(ident)
        if record is not None and record.get("type"):
            return record.get("type")
        if not self._type_prefix:
            prefixes = self.schemas.vocab("institution_type").get("x-id-prefix", {})
            self._type_prefix.update({prefix: kind for kind, prefix in prefixes.items()})
        return self._type_prefix.get(ident[:1]) if ident else None

    def institution_name(self, ident: str | None) -> str:
        record = self.institution(ident)
        return (record.get("name") if record is not None else None) or (ident or "")

    # -- what has happened by as_of ----------------------------------------------------------
    @cached_property
    def started_inspections(self) -> list[Record]:
        """This contract's inspections that were carried out (not planned, not withdrawn)."""
        return [r for r in self._own("inspection") if r.get("status") not in self.index.planned]

    @cached_property
    def inspections(self) -> list[Record]:
        """Inspections that had ended by ``as_of``."""
        return [r for r in self._own("inspection") if inspection_counts(r, self.as_of, self.index.planned)]

    @cached_property
    def all_cases(self) -> list[Record]:
        return self._own("case")

    @cached_property
    def cases(self) -> list[Record]:
        """Cases registered by ``as_of``."""
        return [r for r in self.all_cases if case_counts(r, self.as_of)]

    @cached_property
    def trainings(self) -> list[Record]:
        """Trainings and study trips that had ended by ``as_of``."""
        return [r for r in self._own("training") if _on_or_before(r.get("end_date"), self.as_of)]

    @cached_property
    def staff(self) -> list[Record]:
        """Team members on this contract on ``as_of`` (joined on or before it, not yet left)."""
        out = []
        for person in self.index.staff_of(self.id):
            joined, left = to_date(person.get("joined_on")), to_date(person.get("left_on"))
            if (joined is None or joined <= self.as_of) and (left is None or left > self.as_of):
                out.append(person)
        return out

    def inspection(self, ident: str | None) -> Record | None:
        record = self.index.get("inspection", ident)
        status = record.get("status") if record is not None else None
        if record is None or status in self.index.withdrawn.get("inspection", ()) or status in self.index.planned:
            return None
        return record
