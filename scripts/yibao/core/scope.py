"""Which institutions a contract covers, on a given day.

An institution is covered when it is listed in ``scope.institutions`` or matches every criterion
of ``scope.rule`` (region codes, institution types, levels), and — on the day asked about — it is
a designated institution: its latest ``protocol_history`` entry on or before that day exists and is
not terminated (the protocol statuses marked ``x-terminated`` in the vocabulary, 解除). Suspended
institutions (暂停, 中止) stay in scope: they are still under agreement and still to be inspected. A terminated institution drops out from the date of the
termination, together with its inspections, so coverage is neither inflated nor blamed for an
institution that can no longer be inspected.

The day used is ``as_of``, but never later than the end of the contract period: a termination
after the contract ended does not change what the contract covered.

Facts from before a termination keep counting: :func:`terminated_during` names the institutions
whose agreement was terminated during the service period (on or before that day) after being in
force in it. The KPIs decide, metric by metric and in their printed definitions, how such an
institution counts (see :mod:`yibao.compute.kpis`).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .record import Record
from .calendar import to_date

if TYPE_CHECKING:
    from .schemas import SchemaSet


@dataclass(frozen=True, slots=True)
class ScopeTerms:
    """The vocabulary terms scope depends on: protocol statuses that end the agreement
    (``x-terminated``) and institution record statuses that void the record (``x-withdrawn``)."""

    terminated: frozenset[str]
    withdrawn: frozenset[str]

    @classmethod
    def of(cls, schemas: SchemaSet) -> "ScopeTerms":
        return cls(_marked(schemas, ("protocol_history", "status"), "x-terminated"),
                   _marked(schemas, ("status",), "x-withdrawn"))


def _one_of(value: object, terms: frozenset[str]) -> bool:
    """Whether a value as written (any type: the checks also read invalid records) is one of the terms."""
    return isinstance(value, str) and value in terms


def _marked(schemas: SchemaSet, path: tuple, attribute: str) -> frozenset[str]:
    info = schemas.field("institution", path)
    return frozenset(schemas.vocab(info.vocabulary).get(attribute, [])) if info and info.vocabulary else frozenset()


def protocol_status(institution: Record, day: _dt.date) -> str | None:
    """The protocol status in force on ``day`` (None before the first entry)."""
    status = None
    for entry in institution.get("protocol_history") or []:
        since = to_date(entry.get("since")) if isinstance(entry, dict) else None
        if since is not None and since <= day:
            status = entry.get("status")
    return status


def matches_scope(contract: Record, institution: Record) -> bool:
    """Listed by ID, or matching every criterion of the scope rule."""
    return _Scope(contract).matches(institution)


class _Scope:
    """A contract's scope, read once and asked about many institutions."""

    CHECKS = (("region_codes", "region_code"), ("institution_types", "type"), ("levels", "level"))

    def __init__(self, contract: Record) -> None:
        listed = contract.get("scope.institutions") or []
        self.listed = set(i for i in listed if isinstance(i, str)) if isinstance(listed, list) else set()
        rule = contract.get("scope.rule")
        self.criteria = ([(field, rule[key]) for key, field in self.CHECKS if key in rule]
                         if isinstance(rule, dict) and rule else None)

    def matches(self, institution: Record) -> bool:
        if institution.id in self.listed:
            return True
        if self.criteria is None:
            return False
        return all(institution.get(field) in allowed for field, allowed in self.criteria)


def scope_day(contract: Record, as_of: _dt.date) -> _dt.date:
    end = to_date(contract.get("period.end"))
    return min(as_of, end) if end else as_of


def _in_scope(scope: _Scope, institution: Record, day: _dt.date, terms: ScopeTerms) -> bool:
    if _one_of(institution.get("status"), terms.withdrawn) or not scope.matches(institution):
        return False
    status = protocol_status(institution, day)
    return status is not None and not _one_of(status, terms.terminated)


def institutions_in_scope(contract: Record, institutions: Iterable[Record], as_of: _dt.date,
                          terms: ScopeTerms) -> list[Record]:
    """The contract's institutions on ``as_of``, sorted by ID."""
    scope, day = _Scope(contract), scope_day(contract, as_of)
    return sorted((i for i in institutions if _in_scope(scope, i, day, terms)), key=lambda r: r.id or "")


def terminated_during(contract: Record, institutions: Iterable[Record], as_of: _dt.date,
                      terms: ScopeTerms) -> dict[str, _dt.date]:
    """``{id: termination date}`` of scope institutions terminated during the period, up to ``as_of``.

    An institution counts when it matches the scope, its agreement was in force on some day of the
    service period, and it is terminated on the scope day. Its termination date is the ``since`` of
    the termination in force on that day.
    """
    scope, day = _Scope(contract), scope_day(contract, as_of)
    start = to_date(contract.get("period.start"))
    out: dict[str, _dt.date] = {}
    for institution in institutions:
        if _one_of(institution.get("status"), terms.withdrawn) or not scope.matches(institution):
            continue
        if not _one_of(protocol_status(institution, day), terms.terminated):
            continue
        ended = _termination_date(institution, day, terms.terminated)
        if ended is None or (start is not None and ended <= start):
            continue  # terminated before the period began: never under this contract
        before = protocol_status(institution, ended - _dt.timedelta(days=1))
        if before is not None and not _one_of(before, terms.terminated):
            out[institution.id] = ended
    return out


def _termination_date(institution: Record, day: _dt.date, terminated: frozenset[str]) -> _dt.date | None:
    found = None
    for entry in institution.get("protocol_history") or []:
        since = to_date(entry.get("since")) if isinstance(entry, dict) else None
        if since is not None and since <= day:
            found = since if _one_of(entry.get("status"), terminated) else None
    return found
