"""Every contract's inspections and cases as of a date, as pandas frames aggregated in one pass.

A province has hundreds of contracts with a few hundred records each. Aggregating each contract
on its own costs more in pandas' per-call overhead than in work, so the report builds one frame
per kind for all contracts, groups it by contract (and institution, source, status, violation
type, subject type) once, and the metric functions in :mod:`yibao.compute.kpis` only look up
their contract's rows. What counts on a date is decided by the same predicates as
:class:`~yibao.compute.view.ContractView` (:func:`~yibao.compute.view.inspection_counts`,
:func:`~yibao.compute.view.case_counts`).

Money is summed in integer fen (exact), never in floats.
"""
from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import pandas as pd

from ..core.record import Record
from ..core.calendar import to_date
from .view import ContractView, RecordIndex, case_counts, inspection_counts

MONEY_FIELDS = ("involved", "refused", "recovered", "fined")
INSPECTION_COLUMNS = ["contract", "id", "institution", "type", "on_site", "basis", "population", "sampled", "problems"]
CASE_COLUMNS = ["contract", "id", "source", "status", "subject", "violation", *MONEY_FIELDS]

ANY_BASIS = "*"  # every counted inspection, with or without sampling
ON_SITE = "on-site"  # on-site inspections only, with or without sampling


@dataclass(frozen=True)
class Totals:
    """One institution's counted inspections: sums of the sampling figures, and the inspection IDs."""

    population: int
    sampled: int
    problems: int
    ids: tuple[str, ...]


@dataclass(frozen=True)
class MoneySum:
    amount: Decimal
    ids: list[str]


def case_status_as_of(case: Record, as_of: _dt.date, stages: tuple[tuple[str, str], ...]) -> str | None:
    """The case's status on ``as_of``: its recorded status once every timeline date has passed,
    else the stage of the latest timeline date on or before ``as_of`` (``stages``: the vocabulary's
    timeline, latest first, :func:`~yibao.compute.view.case_stages`)."""
    dates = [(to_date(case.get(f)), term) for f, term in stages]
    if all(d is None or d <= as_of for d, _ in dates):
        return case.get("status")
    for day, term in dates:
        if day is not None and day <= as_of:
            return term
    return None


def money_counts_from(case: Record, money_field: str) -> _dt.date | None:
    """When a money amount becomes a fact: involved on registration; refused, recovered and fined
    on the decision (else closing, else registration when the case records no such date)."""
    if money_field == "involved":
        return to_date(case.get("timeline.registered_on"))
    for dotted in ("timeline.decided_on", "timeline.closed_on", "timeline.registered_on"):
        day = to_date(case.get(dotted))
        if day is not None:
            return day
    return None


def to_fen(value) -> int:
    """An amount in yuan (validated: at most two decimals) as an exact integer number of fen."""
    return int(Decimal(str(value)).scaleb(2))


def from_fen(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


_INT64_MAX = 2**63 - 1


def _int_column(values: list):
    """Integers as a pandas column: ``Int64`` when no sum of them can overflow it (the usual case,
    fast), else Python ints (exact at any size). Amounts of up to 18 digits are valid, and in fen
    one alone can exceed ``Int64`` (999999999999999999 yuan), as can a sum of smaller ones."""
    if sum(abs(v) for v in values if v is not None) > _INT64_MAX:
        return pd.array(values, dtype=object)
    return pd.array(values, dtype="Int64")


class Frames:
    """The frames and group tables of one report (one record index, one date)."""

    def __init__(self, index: RecordIndex, as_of: _dt.date) -> None:
        self.index, self.as_of = index, as_of
        self._totals: dict[tuple, dict[str, dict[str, Totals]]] = {}
        self._cases_by: dict[str, dict[str, dict[str, list[str]]]] = {}
        self._money_by: dict[str, dict[str, dict[str, dict[str, MoneySum]]]] = {}

    # -- inspections ---------------------------------------------------------------------------
    @cached_property
    def inspections(self) -> pd.DataFrame:
        """One row per counted inspection of every contract."""
        rows = []
        for r in self.index.live("inspection"):  # ~50k at province scale: plain dict access
            if not inspection_counts(r, self.as_of, self.index.planned):
                continue
            data = r.data
            sampling = data.get("sampling")
            if type(sampling) is not dict:
                sampling = {}
            rows.append((data.get("contract"), r.id, data.get("institution"), data.get("type"), data.get("on_site") is True,
                         sampling.get("basis"), sampling.get("population"), sampling.get("sampled"),
                         sampling.get("problem_records")))
        columns = list(zip(*rows)) if rows else [()] * len(INSPECTION_COLUMNS)
        data = dict(zip(INSPECTION_COLUMNS, columns))
        frame = pd.DataFrame({name: pd.array(list(data[name]), dtype=object) for name in INSPECTION_COLUMNS[:6]})
        frame["on_site"] = frame["on_site"].astype(bool)
        for name in ("population", "sampled", "problems"):
            frame[name] = _int_column(list(data[name]))
        return frame

    def institution_totals(self, contract_id: str, inspection_types: list[str] | None, basis: str) -> dict[str, Totals]:
        """Per institution of one contract: its counted inspections of the given types, filtered by
        sampling ``basis`` (a term of the vocabulary; :data:`ANY_BASIS`: with or without sampling;
        :data:`ON_SITE`: on-site inspections only). Computed for all contracts at the first call."""
        key = (tuple(inspection_types) if inspection_types else None, basis)
        table = self._totals.get(key)
        if table is None:
            table = self._totals[key] = self._aggregate(*key)
        return table.get(contract_id, {})

    def _aggregate(self, inspection_types: tuple[str, ...] | None, basis: str) -> dict[str, dict[str, Totals]]:
        frame = self.inspections
        mask = pd.Series(True, index=frame.index)
        if inspection_types:
            mask &= frame["type"].isin(inspection_types)
        if basis == ON_SITE:
            mask &= frame["on_site"]
        elif basis != ANY_BASIS:
            mask &= frame["basis"] == basis
        chosen = frame[mask]
        if chosen.empty:
            return {}
        keys = ["contract", "institution"]
        sums = chosen.groupby(keys, sort=False, dropna=False)[["population", "sampled", "problems"]].sum()
        ids: dict[tuple, list[str]] = defaultdict(list)
        for contract, institution, ident in zip(*_lists(chosen, "contract", "institution", "id")):
            ids[(contract, institution)].append(ident)
        out: dict[str, dict[str, Totals]] = {}
        for (contract, institution), population, sampled, problems in zip(
                sums.index.tolist(), *_lists(sums, "population", "sampled", "problems")):
            out.setdefault(contract, {})[institution] = Totals(int(population), int(sampled), int(problems),
                                                               tuple(ids[(contract, institution)]))
        return out

    # -- cases ---------------------------------------------------------------------------------
    @cached_property
    def cases(self) -> pd.DataFrame:
        """One row per (registered case, violation type) of every contract, with the case's status
        on the date and each amount in fen once it counts (else missing)."""
        rows = []
        for case in self.index.live("case"):
            if not case_counts(case, self.as_of):
                continue
            status = case_status_as_of(case, self.as_of, self.index.case_stages)
            money = []
            for name in MONEY_FIELDS:
                amount = case.get(f"money.{name}")
                counts_from = money_counts_from(case, name)
                ok = amount is not None and counts_from is not None and counts_from <= self.as_of
                money.append(to_fen(amount) if ok else None)
            head = (case.get("contract"), case.id, case.get("source"), status, case.get("subject.type"))
            for violation in case.get("violation_types") or [None]:
                rows.append((*head, violation, *money))
        columns = list(zip(*rows)) if rows else [()] * len(CASE_COLUMNS)
        data = dict(zip(CASE_COLUMNS, columns))
        frame = pd.DataFrame({name: pd.array(list(data[name]), dtype=object) for name in CASE_COLUMNS[:6]})
        for name in MONEY_FIELDS:
            frame[name] = _int_column(list(data[name]))
        return frame

    @cached_property
    def unique_cases(self) -> pd.DataFrame:
        return self.cases.drop_duplicates("id")

    def case_ids(self, contract_id: str) -> list[str]:
        return self._case_ids.get(contract_id, [])

    @cached_property
    def _case_ids(self) -> dict[str, list[str]]:
        return _ids_by(self.unique_cases, ["contract"])

    def cases_by(self, contract_id: str, column: str) -> dict[str, list[str]]:
        """Case IDs of one contract grouped by ``source``, ``status`` or ``violation``."""
        table = self._cases_by.get(column)
        if table is None:
            data = self.cases if column == "violation" else self.unique_cases
            table = self._cases_by[column] = _nested(_ids_by(data[data[column].notna()], ["contract", column]))
        return table.get(contract_id, {})

    def money_total(self, contract_id: str, name: str) -> MoneySum | None:
        """One amount summed over a contract's cases (None when no case has it yet)."""
        return self._money_totals[name].get(contract_id)

    @cached_property
    def _money_totals(self) -> dict[str, dict[str, MoneySum]]:
        out = {}
        cases = self.unique_cases
        for name in MONEY_FIELDS:
            present = cases[cases[name].notna()]
            sums = present.groupby("contract", sort=False, dropna=False)[name].sum()
            ids = _ids_by(present, ["contract"])
            out[name] = {contract: MoneySum(from_fen(total), ids[contract])
                         for contract, total in zip(sums.index.tolist(), sums.tolist())}
        return out

    def money_by(self, contract_id: str, column: str, name: str) -> dict[str, MoneySum]:
        """One amount of a contract's cases, summed per ``subject`` or ``violation`` term; a case
        with several violation types counts in full under each."""
        table = self._money_by.get(column)
        if table is None:
            table = self._money_by[column] = self._money_groups(column)
        return table[name].get(contract_id, {})

    def _money_groups(self, column: str) -> dict[str, dict[str, dict[str, MoneySum]]]:
        cases = self.cases
        present = cases[cases[column].notna()].drop_duplicates(["id", column])
        keys = ["contract", column]
        sums = present.groupby(keys, sort=False, dropna=False)[list(MONEY_FIELDS)].sum()
        out = {}
        for name in MONEY_FIELDS:
            ids = _ids_by(present[present[name].notna()], keys)
            amounts = dict(zip(sums.index.tolist(), sums[name].tolist()))
            table: dict[str, dict[str, MoneySum]] = {}
            for key, found in ids.items():
                table.setdefault(key[0], {})[key[1]] = MoneySum(from_fen(amounts[key]), found)
            out[name] = table
        return out


def _ids_by(frame: pd.DataFrame, keys: list[str]) -> dict:
    """Sorted unique IDs of the rows of each group of ``keys`` (a tuple key for several columns),
    in one pass over the rows."""
    groups: dict = defaultdict(set)
    if len(keys) == 1:
        for key, ident in zip(*_lists(frame, keys[0], "id")):
            groups[key].add(ident)
    else:
        for *key, ident in zip(*_lists(frame, *keys, "id")):
            groups[tuple(key)].add(ident)
    return {key: sorted(found) for key, found in groups.items()}


def _lists(frame: pd.DataFrame, *columns: str) -> list[list]:
    """Columns as Python lists (iterating a pandas column item by item is slow)."""
    return [frame[column].tolist() for column in columns]


def _nested(table: dict[tuple, list[str]]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for (contract, key), found in table.items():
        out.setdefault(contract, {})[key] = found
    return out


def frames_for(view: ContractView) -> Frames:
    """The frames shared by every contract of the view's report (built on first use)."""
    frames = view.index.derived.get(("frames", view.as_of))
    if frames is None:
        frames = view.index.derived[("frames", view.as_of)] = Frames(view.index, view.as_of)
    return frames
