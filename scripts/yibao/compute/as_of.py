"""A record as it stood on a date ("as of D"): whether it existed yet, and what it said then.

``yibao report`` counts only facts dated on or before its date (:mod:`yibao.compute.view`); the
portal shows every record the same way. :func:`record_as_of` (or :meth:`AsOfRules.state`, the
same with the schema facts looked up once) is a pure function of one record and one date. The
portal computes it once per record and build (:class:`yibao.publish.pages.Site`), never per page.

What a record holds falls into four groups, written down as data below (the schemas have no
``x-`` marker for it; ``tests/test_as_of.py`` checks that every date field of every schema is in
exactly one group, so a new date field cannot slip through unclassified):

* **Exists from** (:data:`EXISTS_FROM`): the date the record comes into being — an inspection's
  ``start_date``, a case's ``timeline.registered_on``, a training's ``start_date``, a team
  member's ``joined_on``. Before it the record does not exist: the portal neither lists it nor
  gives it a page. Institutions, contracts and calendars always exist.
* **Facts** (:data:`FACTS`): things that happen on a date — a case's later timeline steps, an
  inspection's or training's end, an investigation report submitted and accepted, a protocol
  status change, a milestone completed, a member leaving the team. Dated after D, they are left
  out: a case decided after D is not yet decided on D, and what the decision settles goes with
  it (:data:`CASE_DECISION`; the refused, recovered and fined amounts from the day
  :func:`~yibao.compute.frames.money_counts_from` says the report counts them). The status is
  the one of D: a case's by :func:`~yibao.compute.frames.case_status_as_of` (the rule of the
  report's status counts), an inspection's by the stage dates in :data:`INSPECTION_STAGES`, read
  against the order of the vocabulary's ``inspection_status`` (计划中 → … → 报告已采纳).
* **Corrections** (``amendments``, ``withdrawal``): not events of the work but fixes to the record.
  Amendments do not record the old values, so a record cannot be shown as it was before an
  amendment; and ``yibao report`` applies corrections to every date (a withdrawn record never
  counts, whatever the withdrawal date; amounts count as corrected). So does this module: the
  state keeps the corrected values and the withdrawn status, and only the correction entries
  dated after D (their dates, reasons, requesters) are left out; :class:`AsOf` says which fields
  were corrected later, so the page can say it shows corrected values.
* **Terms** (:data:`TERMS`): dates a contract fixes in advance (the service period, milestone
  due dates). They are not facts and stay, even after D; so do the dates of the period sampled
  records come from (:data:`DATA_PERIODS`), which lies before the inspection.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from ..core.record import Record, as_date
from ..core.schemas import SchemaSet
from .frames import MONEY_FIELDS, case_status_as_of, money_counts_from  # the report's rules
from .view import case_stages

#: the field whose date a record exists from, by kind (kinds not listed always exist)
EXISTS_FROM = {"inspection": "start_date", "case": "timeline.registered_on", "training": "start_date",
               "staff": "joined_on", "draw": "date", "self_inspection": "submitted_on", "rectification": "issued_on",
               "extrapolation": "date", "acceptance": "date", "payment": "paid_on"}


@dataclass(frozen=True)
class Fact:
    """A fact recorded with its date, at ``at`` (a dotted path of a mapping; "" is the record).

    ``each``: ``at`` is a list of mappings, each entry a fact of its own (its ``date`` may be dotted:
    ``disposal.date`` leaves the entry's ``disposal`` out). ``whole``: without the
    fact the mapping (or entry) did not exist at all, so it goes as a whole (a report not yet
    submitted, a protocol status not yet in force). ``also``: keys recorded with the date that
    belong to the same fact (a milestone's completion evidence).
    """

    at: str
    date: str
    whole: bool = False
    each: bool = False
    also: tuple[str, ...] = ()


#: a case file's documents (:mod:`yibao.core.archive`): each exists from its date; a disposal is a fact of its own
CASE_FILE = (Fact("documents", "date", whole=True, each=True), Fact("documents", "disposal.date", each=True))
#: facts by kind: left out of the state when dated after D
FACTS: dict[str, tuple[Fact, ...]] = {
    "inspection": (Fact("", "end_date"), Fact("report", "submitted_on", whole=True), Fact("report", "accepted_on"),
                   *CASE_FILE),
    "case": tuple(Fact("timeline", step) for step in
                  ("filed_on", "investigation_ended_on", "notified_on", "decided_on", "closed_on"))
            + CASE_FILE,
    "training": (Fact("", "end_date"),),
    "staff": (Fact("", "left_on"), Fact("postings", "from", whole=True, each=True),
              Fact("conflicts", "declared_on", whole=True, each=True)),
    "institution": (Fact("protocol_history", "since", whole=True, each=True),
                    Fact("risk_assessments", "since", whole=True, each=True)),
    "contract": (Fact("milestones", "completed_on", each=True, also=("evidence",)),
                 Fact("milestones", "extension.granted_on", each=True), Fact("", "signed_on"),
                 Fact("fee_cap.spending", "recorded_on", whole=True, each=True),
                 Fact("consortium", "decided_on", whole=True, each=True)),
    "budget": (Fact("spent", "date", whole=True, each=True),),
    "evaluation_scheme": (Fact("scores", "assessed_on", whole=True, each=True), Fact("peer_scores", "assessed_on", whole=True, each=True)),
    "campaign": (Fact("phases", "completed_on", each=True, also=("evidence",)),),
    "rectification": (Fact("follow_ups", "date", whole=True, each=True), Fact("review", "date", whole=True),
                      Fact("", "closed_on")),
    "sampling_plan": (Fact("selection", "selected_on", whole=True),),
}
#: the "exists from" fields as facts (for :meth:`AsOfRules.content`)
_START = {field: Fact(field.rpartition(".")[0], field.rpartition(".")[2]) for field in EXISTS_FROM.values()}
#: what a case's decision settles: not shown before the decision (the day the report counts the
#: decision's amounts: the decision, else the closing)
CASE_DECISION = ("actions", "legal_basis", "disclosed")
AMENDMENTS = Fact("amendments", "date", whole=True, each=True)
WITHDRAWAL = Fact("withdrawal", "date", whole=True)
#: dates fixed in advance, by kind: shown whatever D is (calendar records are all terms)
TERMS: dict[str, tuple[str, ...]] = {"contract": ("period.start", "period.end", "milestones.due"),
                                     "campaign": ("period.start", "period.end", "phases.due", "self_inspections.report_due"),
                                     "rectification": ("deadline",),
                                     "provision": ("effective_from",), "reward_policy": ("effective_from",),
                                     "evaluation_scheme": ("periods.start", "periods.end")}
#: dates of the data a record looked at, by kind: not facts of the work, shown as they are
DATA_PERIODS: dict[str, tuple[str, ...]] = {"inspection": ("sampling.period_start", "sampling.period_end"),
                                            "campaign": ("self_inspections.data_period.start", "self_inspections.data_period.end"),
                                            "self_inspection": ("data_period.start", "data_period.end"),
                                            "sampling_plan": ("period.start", "period.end"),
                                            "extrapolation": ("period.start", "period.end")}
#: an inspection reaches the n-th term of the vocabulary's ``inspection_status`` (its order is the
#: order of the work; withdrawal terms aside) on the date in the n-th field: planned has no date
INSPECTION_STAGES = (None, "start_date", "end_date", "report.submitted_on", "report.accepted_on")


@dataclass(frozen=True, slots=True)
class AsOf:
    """One record on one date."""

    record: Record  # the state on the date (the very record when nothing had to change)
    exists: bool  # False before the record's "exists from" date
    later: int = 0  # facts dated after the date, left out of ``record``
    corrected: tuple[str, ...] = ()  # fields named by amendments dated after the date (shown corrected)
    withdrawn_later: bool = False  # withdrawn after the date (status kept: corrections apply to every date)

    @property
    def changed_later(self) -> bool:
        return bool(self.later or self.corrected or self.withdrawn_later)


class AsOfRules:
    """The schema facts :meth:`state` needs (withdrawal terms, the inspection stages), read once."""

    def __init__(self, schemas: SchemaSet) -> None:
        self.withdrawn: dict[str, frozenset[str]] = {}
        for kind in schemas.kinds:
            info = schemas.field(kind, ("status",))
            terms = schemas.vocab(info.vocabulary).get("x-withdrawn", []) if info and info.vocabulary else []
            self.withdrawn[kind] = frozenset(terms)
        info = schemas.field("inspection", ("status",)) if "inspection" in schemas.kinds else None
        vocab = schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
        order = [t for t in vocab.get("enum", []) if t not in vocab.get("x-withdrawn", [])]
        #: (term, date field) in the order of the work; empty when the vocabulary no longer fits
        self.inspection_stages: tuple[tuple[str, str | None], ...] = (
            tuple(zip(order, INSPECTION_STAGES)) if len(order) == len(INSPECTION_STAGES) else ())
        self.case_stages = case_stages(schemas)

    def exists(self, record: Record, day: _dt.date) -> bool:
        field = EXISTS_FROM.get(record.kind)
        if field is None:
            return True
        since = as_date(record.get(field))
        return since is None or since <= day

    def state(self, record: Record, day: _dt.date) -> AsOf:
        """The record as of ``day`` (see the module docstring); never raises on odd data (old
        versions from git history were never validated)."""
        if not self.exists(record, day):
            return AsOf(record, False)
        return self.content(record, day)

    def content(self, record: Record, day: _dt.date) -> AsOf:
        """What of a record may be shown as of ``day``, whether or not it existed then: its state,
        and without its "exists from" date when that is later. For the audit trail, whose old
        versions may say a record starts later than it does now (a planned start moved forward)."""
        data = record.data if isinstance(record.data, dict) else {}
        later = 0
        start = EXISTS_FROM.get(record.kind)
        if start is not None and not self.exists(record, day):
            data, later = _leave_out(data, _START[start], day)
        for fact in FACTS.get(record.kind, ()):
            data, dropped = _leave_out(data, fact, day)
            later += dropped
        if record.kind == "case" and later:
            data = _undecided(record, data, day)
        corrected: list[str] = []
        amendments = data.get("amendments")
        if isinstance(amendments, list):
            for entry in amendments:
                if isinstance(entry, dict) and _after(entry.get(AMENDMENTS.date), day):
                    fields = entry.get("fields")
                    corrected += [f for f in fields if isinstance(f, str)] if isinstance(fields, list) else []
            data, _ = _leave_out(data, AMENDMENTS, day)
        data, withdrawn_later = _leave_out(data, WITHDRAWAL, day)
        status = self._status(record, data, day)
        if status is not None and status != data.get("status"):
            data = {**data, "status": status}
        if data is record.data:
            return AsOf(record, True)
        state = Record(record.kind, record.path, data, record.valid)
        return AsOf(state, True, later, tuple(dict.fromkeys(corrected)), bool(withdrawn_later))

    def _status(self, record: Record, data: dict, day: _dt.date) -> str | None:
        """The status on ``day`` (None: the recorded one stands)."""
        status = data.get("status")
        if not isinstance(status, str) or status in self.withdrawn.get(record.kind, ()):
            return None  # withdrawal is a correction: it holds on every date
        if record.kind == "case":
            return case_status_as_of(record, day, self.case_stages)
        if record.kind == "inspection" and self.inspection_stages:
            terms = [term for term, _ in self.inspection_stages]
            if status not in terms:
                return None
            reached = terms.index(status)
            for n, (_, field) in enumerate(self.inspection_stages[1:reached + 1], 1):
                if _after(record.get(field), day):
                    return terms[n - 1]  # that stage had not been reached on the day
        return None


def _undecided(case: Record, data: dict, day: _dt.date) -> dict:
    """A case without what its decision settles, when the decision comes after ``day`` (part of
    the decision's fact, not counted apart)."""
    money = data.get("money")
    if isinstance(money, dict):
        kept = {k: v for k, v in money.items() if k not in MONEY_FIELDS or not _after(money_counts_from(case, k), day)}
        if len(kept) != len(money):
            data = _put(data, ("money",), kept if kept else _ABSENT)
    decided = money_counts_from(case, "recovered")  # the decision, else the closing (else the registration)
    if _after(decided, day) and any(k in data for k in CASE_DECISION):
        data = {k: v for k, v in data.items() if k not in CASE_DECISION}
    return data


_RULES: dict[int, tuple[SchemaSet, AsOfRules]] = {}


def rules_for(schemas: SchemaSet) -> AsOfRules:
    """The rules of a schema set (made once per set)."""
    found = _RULES.get(id(schemas))
    if found is None or found[0] is not schemas:
        found = _RULES[id(schemas)] = (schemas, AsOfRules(schemas))
    return found[1]


def record_as_of(record: Record, day: _dt.date, schemas: SchemaSet) -> AsOf:
    """Whether ``record`` existed on ``day``, and its state then (see the module docstring)."""
    return rules_for(schemas).state(record, day)


# -- leaving facts out, copying only what changes ------------------------------------------------

def _after(value: Any, day: _dt.date) -> bool:
    date = as_date(value)
    return date is not None and date > day


def _leave_out(data: dict, fact: Fact, day: _dt.date) -> tuple[dict, int]:
    """``data`` without the fact's instances dated after ``day``, and how many there were."""
    parts = tuple(fact.at.split(".")) if fact.at else ()
    holder = _at(data, parts)
    if fact.each:
        if not isinstance(holder, list):
            return data, 0
        kept, dropped = [], 0
        inside = tuple(fact.date.split("."))
        for entry in holder:
            if isinstance(entry, dict) and _after(_at(entry, inside), day):
                dropped += 1
                if not fact.whole:
                    kept.append({k: v for k, v in entry.items() if k != inside[0] and k not in fact.also})
            else:
                kept.append(entry)
        return (_put(data, parts, kept), dropped) if dropped else (data, 0)
    if not isinstance(holder, dict) or not _after(holder.get(fact.date), day):
        return data, 0
    if fact.whole:
        return _put(data, parts, _ABSENT), 1
    return _put(data, parts, {k: v for k, v in holder.items() if k != fact.date and k not in fact.also}), 1


_ABSENT = object()


def _at(data: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _put(data: dict, parts: tuple[str, ...], value: Any) -> dict:
    """A copy of ``data`` with ``value`` at ``parts`` (removed for ``_ABSENT``); only the mappings
    on the way are copied, everything else is shared with the original."""
    if not parts:
        return value if isinstance(value, dict) else {}
    head, rest = parts[0], parts[1:]
    out = dict(data)
    if rest:
        inner = out.get(head)
        out[head] = _put(inner if isinstance(inner, dict) else {}, rest, value)
    elif value is _ABSENT:
        out.pop(head, None)
    else:
        out[head] = value
    return out
