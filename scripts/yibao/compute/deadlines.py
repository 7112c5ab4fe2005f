"""Deadlines: each contract's rules (``deadlines``) and stage dates (``milestones``), as of a date.

Periods are counted as the Civil Code says (《民法典》第二百零一条 to 第二百零四条): the event's day is
not counted; a natural-day period whose last day is not a working day in the calendar records
ends on the next working day (the item keeps ``rolled_from``, the bare date), unless the rule
says ``roll: false`` (the parties agreed otherwise, 第二百零四条). Days late count from the rolled
date. Milestones are dates the contract fixes, not counted periods: they are not rolled.

A rule reads like the contract sentence it encodes: *for every {applies_to} of {institution
types}, {ends} is due {days} {day_type} after {starts}*. Examples (seed 000 and 003):

* report due 3 natural days after a medical institution's investigation ends
  (``starts: end_date, ends: report.submitted_on, days: 3, day_type: 自然日``);
* violations handled within 20 working days after the on-site inspection ends
  (``applies_to: case, starts: inspection.end_date, ends: timeline.decided_on, days: 20,
  day_type: 工作日, on_site_only: true``). For a case, ``inspection.<field>`` is read from its
  related inspections that fit the rule, and the earliest such date starts the clock.

As of a date each applicable item is one of:

* 按时 — done on or before the due date;
* 逾期完成 — done after the due date: accepted and flagged, with how late (natural days, and
  working days for a working-day rule). A late record is a fact; refusing it would lose data;
* 已逾期 — not done and the due date has passed (overdue by N natural days);
* 即将到期 — not done and due within the next ``due_soon_days`` days (today included);
* 未到期 — not done and due later.

Items whose start date is missing or after ``as_of`` have not started and are not listed. A
working-day rule that needs a year with no calendar record yields a
:class:`~yibao.core.calendar.CalendarYearMissing` error value instead of a guess.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, fields
from typing import Iterator

from ..core.record import Record
from ..core.calendar import CalendarYearMissing, to_date
from ..core.labelled import Labelled
from . import campaigns
from .view import ContractView


class DeadlineStatus(Labelled):
    """Where a deadline item stands on the date (see the module docstring); the label is what the
    report JSON, tables and pages show."""

    ON_TIME = "按时"
    LATE = "逾期完成"
    OVERDUE = "已逾期"
    DUE_SOON = "即将到期"
    OPEN = "未到期"

    @property
    def decided(self) -> bool:
        """Done, or past due: counts in an on-time rate."""
        return self in (DeadlineStatus.ON_TIME, DeadlineStatus.LATE, DeadlineStatus.OVERDUE)


DUE_SOON_DAYS = 7
INSPECTION_PREFIX = "inspection."


@dataclass(frozen=True)
class Deadline:
    contract: str
    rule: str  # the rule's id, or the milestone's id
    name: str
    kind: str  # inspection | case | milestone
    record: str  # the record the deadline is about (the contract itself for a milestone)
    path: str
    institution: str | None
    institution_type: str | None
    starts_on: _dt.date | None
    due: _dt.date
    done_on: _dt.date | None
    days: int | None
    day_type: str
    status: DeadlineStatus
    days_late: int | None = None  # natural days after the due date (done late, or overdue as of)
    workdays_late: int | None = None  # working days late, for a working-day rule done late
    rolled_from: _dt.date | None = None  # the bare last day, when it was a rest day and the period was extended

    @property
    def decided(self) -> bool:
        """Done, or past due: counts in an on-time rate."""
        return self.status.decided

    def as_json(self) -> dict:
        out = {name: getattr(self, name) for name in _FIELDS}  # flat: no need for asdict's deep copy
        for key in ("starts_on", "due", "done_on", "rolled_from"):
            out[key] = out[key].isoformat() if out[key] else None
        out["status"] = self.status.label
        return out


_FIELDS = tuple(f.name for f in fields(Deadline))


@dataclass(frozen=True)
class Rule:
    """One entry of a contract's ``deadlines``."""

    raw: dict

    @property
    def id(self) -> str:
        return self.raw.get("id")

    @property
    def name(self) -> str:
        return self.raw.get("name") or self.raw.get("id")

    @property
    def applies_to(self) -> str:
        return self.raw.get("applies_to")

    @property
    def rolls(self) -> bool:
        """Whether a natural-day period ending on a rest day runs to the next working day (民法典 203, 204)."""
        return self.raw.get("roll") is not False

    def fits_institution_type(self, itype: str | None) -> bool:
        wanted = self.raw.get("institution_types")
        return not wanted or itype in wanted

    def fits_procedure(self, case: Record, provisions: dict[str, Record]) -> bool:
        """A law's deadline that is only for one procedure (``only_procedure``) applies to the cases
        citing a provision of that procedure (an administrative penalty, not agreement handling)."""
        wanted = self.raw.get("only_procedure")
        if not wanted:
            return True
        cited = [provisions.get(p) for p in case.get("provisions") or [] if isinstance(p, str)]
        return any(p is not None and p.get("procedure") == wanted for p in cited)

    def fits_inspection(self, inspection: Record) -> bool:
        types = self.raw.get("inspection_types")
        if types and inspection.get("type") not in types:
            return False
        return not self.raw.get("on_site_only") or inspection.get("on_site") is True


def status_of(due: _dt.date, done: _dt.date | None, as_of: _dt.date, due_soon_days: int = DUE_SOON_DAYS) -> DeadlineStatus:
    if done is not None:
        return DeadlineStatus.ON_TIME if done <= due else DeadlineStatus.LATE
    if as_of > due:
        return DeadlineStatus.OVERDUE
    return DeadlineStatus.DUE_SOON if (due - as_of).days <= due_soon_days else DeadlineStatus.OPEN


def _done(record: Record, field: str | list, as_of: _dt.date) -> _dt.date | None:
    """The completion date if it is on or before ``as_of`` (a later one has not happened yet); a
    list of fields (a law's deadline: filed, or closed without filing) takes the earliest present."""
    fields_ = field if isinstance(field, list) else [field]
    dates = [d for d in (to_date(record.get(f)) for f in fields_ if isinstance(f, str)) if d is not None]
    done = min(dates) if dates else None
    return done if done is not None and done <= as_of else None


def _case_start(view: ContractView, rule: Rule, case: Record) -> _dt.date | None:
    starts = rule.raw.get("starts", "")
    related = [view.inspection(i) for i in case.get("related_inspections") or []]
    related = [r for r in related if r is not None and rule.fits_inspection(r)]
    if starts.startswith(INSPECTION_PREFIX):
        field = starts[len(INSPECTION_PREFIX):]
        dates = [d for d in (to_date(r.get(field)) for r in related) if d is not None]
        return min(dates) if dates else None
    if (rule.raw.get("inspection_types") or rule.raw.get("on_site_only")) and not related:
        return None
    return to_date(case.get(starts))


def _subjects(view: ContractView, rule: Rule) -> Iterator[tuple[Record, str | None, str | None, _dt.date | None]]:
    """(record, institution, institution type, start date) for each record the rule applies to."""
    if rule.applies_to == "inspection":
        for inspection in view.started_inspections:
            institution = inspection.get("institution")
            itype = view.institution_type(institution)
            if rule.fits_institution_type(itype) and rule.fits_inspection(inspection):
                yield inspection, institution, itype, to_date(inspection.get(rule.raw.get("starts", "")))
    elif rule.applies_to == "case":
        provisions = view.index.by_id.get("provision", {})
        for case in view.cases:  # registered by as_of: a later case does not exist yet
            itype = case.get("subject.type")
            if rule.fits_institution_type(itype) and rule.fits_procedure(case, provisions):
                yield case, case.get("subject.institution"), itype, _case_start(view, rule, case)


def _evaluate_rule(view: ContractView, rule: Rule, due_soon_days: int, errors: list[CalendarYearMissing]) -> list[Deadline]:
    out = []
    day_types = view.index.day_types
    days, day_type = int(rule.raw.get("days", 0)), rule.raw.get("day_type", day_types.default)
    working = day_type in day_types.working
    rolls = rule.rolls and not working
    bare = _dt.timedelta(days=days)
    as_of, calendar, ends = view.as_of, view.calendar, rule.raw.get("ends", "")
    contract, rule_id, rule_name, applies_to = view.id, rule.id, rule.name, rule.applies_to
    since = rule.raw.get("since")  # a law's deadline runs only from the day the law took effect
    for record, institution, itype, start in _subjects(view, rule):  # ~100k items at province scale
        if start is None or start > as_of or (since is not None and start < since):
            continue
        needed_for = _Needed(contract, rule_name, rule_id, record, start, days, day_type)
        try:
            due = calendar.add_days(start, days, working, needed_for, rolls)
            rolled_from = start + bare if rolls and due != start + bare else None
            done = _done(record, ends, as_of)
            status = status_of(due, done, as_of, due_soon_days)
            days_late = workdays_late = None
            if status == DeadlineStatus.LATE:
                days_late = (done - due).days
                if working:
                    workdays_late = calendar.workdays_between(due, done, needed_for)
            elif status == DeadlineStatus.OVERDUE:
                days_late = (as_of - due).days
        except CalendarYearMissing as missing:
            errors.append(missing)
            continue
        out.append(Deadline(contract, rule_id, rule_name, applies_to, record.id, record.path, institution, itype,
                            start, due, done, days, day_type, status, days_late, workdays_late, rolled_from))
    return out


@dataclass(frozen=True, slots=True)
class _Needed:
    """What a working-day count is for, written out only if a calendar year is missing."""

    contract: str
    rule_name: str
    rule_id: str
    record: Record
    start: _dt.date
    days: int
    day_type: str

    def __str__(self) -> str:
        return (f"项目 {self.contract} 的时限规则“{self.rule_name}”（{self.rule_id}）对 {self.record.id} "
                f"从 {self.start} 起算 {self.days} 个{self.day_type}")


def extended_due(item: dict, as_of: _dt.date) -> _dt.date | None:
    """A milestone's due date after the one extension the bureau granted by ``as_of`` (natural
    days added to the fixed date; whether it stays within ``max_extension_days`` is checked by
    ``check.money``), else None."""
    extension = item.get("extension")
    due = to_date(item.get("due"))
    if not isinstance(extension, dict) or due is None or not isinstance(extension.get("days"), int):
        return None
    granted = to_date(extension.get("granted_on"))
    if granted is None or granted > as_of:
        return None
    return due + _dt.timedelta(days=extension["days"])


def _milestones(view: ContractView) -> list[campaigns.DatedItem]:
    out = []
    for item in view.contract.get("milestones") or []:
        due = to_date(item.get("due"))
        if due is None:
            continue
        name = item.get("name") or item.get("id")
        extended = extended_due(item, view.as_of)
        if extended is not None:
            name, due = f"{name}（原定 {due}，延期至 {extended}）", extended
        out.append(campaigns.DatedItem(item.get("id"), name, "milestone", view.id,
                                       view.contract.path, None, None, None, due, to_date(item.get("completed_on"))))
    return out


def _fixed_dates(view: ContractView, due_soon_days: int) -> list[Deadline]:
    """Things due on a date fixed in advance, never rolled: the contract's milestones and special
    campaigns' phases, self-inspection reports and rectification items (:mod:`.campaigns`)."""
    out = []
    for item in (*_milestones(view), *campaigns.dated_items(view)):
        done = item.done_on if item.done_on is not None and item.done_on <= view.as_of else None
        status = status_of(item.due, done, view.as_of, due_soon_days)
        days_late = ((done - item.due).days if status == DeadlineStatus.LATE else
                     (view.as_of - item.due).days if status == DeadlineStatus.OVERDUE else None)
        out.append(Deadline(view.id, item.rule, item.name, item.kind, item.record, item.path, item.institution,
                            item.institution_type, item.starts_on, item.due, done, None,
                            view.index.day_types.default, status, days_late))
    return out


def law_rules(view: ContractView) -> list[Rule]:
    """The procedure deadlines the law sets (``deadlines`` of the provision records), for the cases of
    every contract; each named with its provision, so a late step says which article it broke."""
    out = []
    for provision in view.index.live("provision"):
        for raw in provision.get("deadlines") or []:
            if isinstance(raw, dict):
                out.append(Rule({**raw, "applies_to": "case", "id": f"{provision.id}:{raw.get('id')}",
                                 "name": f"{raw.get('name')}（{provision.get('citation')}）",
                                 "since": to_date(provision.get("effective_from"))}))
    return out


def evaluate(view: ContractView, due_soon_days: int = DUE_SOON_DAYS) -> tuple[list[Deadline], list[CalendarYearMissing]]:
    """Every deadline item of the contract as of ``view.as_of``, and the calendar years missing."""
    errors: list[CalendarYearMissing] = []
    items: list[Deadline] = []
    for raw in view.contract.get("deadlines") or []:
        if isinstance(raw, dict):
            items.extend(_evaluate_rule(view, Rule(raw), due_soon_days, errors))
    for rule in law_rules(view):
        items.extend(_evaluate_rule(view, rule, due_soon_days, errors))
    items.extend(_fixed_dates(view, due_soon_days))
    items.sort(key=lambda d: (d.due, d.rule, d.record))
    return items, errors


def overdue(items: list[Deadline]) -> list[Deadline]:
    return sorted((d for d in items if d.status == DeadlineStatus.OVERDUE), key=lambda d: (d.due, d.record))


def due_soon(items: list[Deadline]) -> list[Deadline]:
    return sorted((d for d in items if d.status == DeadlineStatus.DUE_SOON), key=lambda d: (d.due, d.record))


def late(items: list[Deadline]) -> list[Deadline]:
    return sorted((d for d in items if d.status == DeadlineStatus.LATE), key=lambda d: (d.due, d.record))
