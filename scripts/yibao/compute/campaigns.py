"""Special campaigns (专项治理) as of a date: their phases, the self-inspection reports the covered
institutions owe, and the rectification items, as dated items for :mod:`.deadlines`.

Seed 003 (沙医保发〔2020〕20号) runs a campaign in four phases, each with a date the notice fixes
(方案 5月15日前, 自查自纠 6月30日前, 专项治理 10月底前, 迎接抽查复查 11月底前); every designated medical
institution and the agency report their self-inspection by 2020-06-30; rectification items
(整改) carry their own deadline. These are dates fixed in advance, not periods counted from an
event, so they are never rolled to a working day (as the contract's milestones).

* a phase is a milestone (``kind`` ``milestone``): the campaign's ``phases[].due``, done on
  ``completed_on``;
* a self-inspection report (``kind`` ``self_inspection``) is owed by every institution of the
  requirement's types in the contract's scope on the date (or whose agreement was terminated
  during the period after the report was due), due ``self_inspections[].report_due``,
  done on the earliest ``submitted_on`` of its live reports for that requirement;
* a rectification item (``kind`` ``rectification``) is due on its ``deadline`` and done on
  ``closed_on``; it exists from ``issued_on``.

Done dates after the statistics date have not happened yet. Withdrawn records never count.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..core.calendar import to_date
from ..core.record import Record
from .view import ContractView

PHASE, REPORT, RECTIFICATION = "milestone", "self_inspection", "rectification"
RECTIFICATION_RULE = "rectification"
RECTIFICATION_NAME = "整改事项按期完成"


@dataclass(frozen=True, slots=True)
class DatedItem:
    """One thing due on a fixed date (see the module docstring)."""

    rule: str
    name: str
    kind: str
    record: str
    path: str
    institution: str | None
    institution_type: str | None
    starts_on: _dt.date | None
    due: _dt.date
    done_on: _dt.date | None


def _on_or_before(value, day: _dt.date) -> _dt.date | None:
    date = to_date(value)
    return date if date is not None and date <= day else None


def campaigns(view: ContractView) -> list[Record]:
    """The contract's live campaigns."""
    return view.index.own("campaign", view.id)


def reports(view: ContractView) -> list[Record]:
    """Live self-inspection reports of the contract submitted by the statistics date."""
    return [r for r in view.index.own("self_inspection", view.id) if _on_or_before(r.get("submitted_on"), view.as_of)]


def rectifications(view: ContractView) -> list[Record]:
    """Live rectification items of the contract issued by the statistics date."""
    return [r for r in view.index.own("rectification", view.id) if _on_or_before(r.get("issued_on"), view.as_of)]


def requirements(campaign: Record) -> list[dict]:
    found = campaign.get("self_inspections")
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def covered(view: ContractView, requirement: dict, due: _dt.date) -> list[Record]:
    """The institutions that owe a report: of the requirement's types, in the contract's scope on
    the date, or terminated during the period after the report was due (they owed it)."""
    types = requirement.get("institution_types") or []
    owed = [i for i in view.scope if i.get("type") in types]
    for ident, terminated in sorted(view.terminated.items()):
        institution = view.institution(ident)
        if terminated > due and institution is not None and institution.get("type") in types:
            owed.append(institution)
    return owed


def phase_items(view: ContractView, campaign: Record) -> list[DatedItem]:
    out = []
    for phase in campaign.get("phases") or []:
        due = to_date(phase.get("due")) if isinstance(phase, dict) else None
        if due is None:
            continue
        out.append(DatedItem(phase.get("id"), phase.get("name") or phase.get("id"), PHASE, campaign.id, campaign.path,
                             None, None, None, due, _on_or_before(phase.get("completed_on"), view.as_of)))
    return out


def report_items(view: ContractView, campaign: Record, submitted: list[Record]) -> list[DatedItem]:
    start = to_date(campaign.get("period.start"))
    if start is None or start > view.as_of:
        return []
    out = []
    for requirement in requirements(campaign):
        due = to_date(requirement.get("report_due"))
        if due is None:
            continue
        mine = {}
        for report in submitted:
            if report.get("campaign") == campaign.id and report.get("requirement") == requirement.get("id"):
                mine.setdefault(report.get("institution"), []).append(report)
        name = f"{requirement.get('name') or requirement.get('id')}：报送自查报告"
        for institution in covered(view, requirement, due):
            found = sorted(mine.get(institution.id, []), key=lambda r: (to_date(r.get("submitted_on")), r.id))
            first = found[0] if found else None
            out.append(DatedItem(requirement.get("id"), name, REPORT, first.id if first else campaign.id,
                                 first.path if first else campaign.path, institution.id, institution.get("type"), start, due,
                                 to_date(first.get("submitted_on")) if first else None))
    return out


def rectification_items(view: ContractView, items: list[Record]) -> list[DatedItem]:
    out = []
    for item in items:
        due = to_date(item.get("deadline"))
        if due is None:
            continue
        institution = item.get("institution")
        out.append(DatedItem(RECTIFICATION_RULE, RECTIFICATION_NAME, RECTIFICATION, item.id, item.path, institution,
                             view.institution_type(institution), to_date(item.get("issued_on")), due,
                             _on_or_before(item.get("closed_on"), view.as_of)))
    return out


def dated_items(view: ContractView) -> list[DatedItem]:
    """Every campaign item of the contract that has started by the statistics date."""
    submitted = reports(view)
    out: list[DatedItem] = []
    for campaign in campaigns(view):
        out += phase_items(view, campaign)
        out += report_items(view, campaign, submitted)
    out += rectification_items(view, rectifications(view))
    return out
