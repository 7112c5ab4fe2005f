"""Credit grades (医保信用评价) of designated institutions for a year, by a credit scheme record
(``records/credit_scheme/``): base score, deductions for each decision and inspection finding, grade
thresholds, and the red and black lists — all from the record, nothing hard-coded.

A case deducts when the institution is its subject (``subject.type`` one of the scheme's
institution types), it was decided in the scheme's year (``timeline.decided_on``) and it is not
withdrawn: once per deduction item whose ``actions`` meet the case's actions, or whose
``fine_basis`` is the fine basis of a provision the case cites (fraud: 骗取金额). Inspections of the
institution that ended in the year deduct ``points`` per finding, at most ``max_points``. Each
deduction keeps the record and the fact it rests on, so a grade can be checked by hand.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

from ..core.calendar import to_date
from ..core.record import Record
from ..core.schemas import SchemaSet
from .view import RecordIndex

KIND = "credit_scheme"


@dataclass(frozen=True)
class Deduction:
    item: str  # the deduction item's id
    name: str
    points: int
    kind: str  # case | inspection
    record: str
    fact: str


@dataclass(frozen=True)
class Grade:
    institution: str
    name: str
    type: str
    score: int
    grade: str
    deductions: tuple[Deduction, ...]
    red: bool
    black: bool
    black_reason: str = ""
    black_until: _dt.date | None = None

    def as_json(self) -> dict:
        return {"institution": self.institution, "name": self.name, "type": self.type, "score": self.score, "grade": self.grade,
                "red_list": self.red, "black_list": self.black, "black_reason": self.black_reason or None,
                "black_until": self.black_until.isoformat() if self.black_until else None,
                "deductions": [d.__dict__ for d in self.deductions]}


class CreditError(ValueError):
    """A scheme that cannot be applied (no such scheme, no grade for a score): a usage error, in Chinese."""


def _in_year(value, year: int) -> bool:
    day = to_date(value)
    return day is not None and day.year == year


def _add_months(day: _dt.date, months: int) -> _dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return _dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def grade_of(scheme: Record, score: int) -> str:
    for row in sorted(scheme.get("grades") or [], key=lambda g: -int(g.get("min_score", 0))):
        if score >= int(row.get("min_score", 0)):
            return str(row.get("grade"))
    raise CreditError(f"信用评价办法 {scheme.id} 没有得分 {score} 所属的等级（最低一档的最低得分应为 0）")


def case_fact(case: Record, provisions: dict[str, Record]) -> str:
    """What the deduction rests on: the decision's date, actions and provisions (no person, no text)."""
    cited = [str(provisions[p].get("citation")) for p in case.get("provisions") or [] if isinstance(p, str) and p in provisions]
    actions = "、".join(a for a in case.get("actions") or [] if isinstance(a, str))
    return f"{case.get('timeline.decided_on')} 作出处理决定：{actions}" + (f"（依据{'；'.join(cited)}）" if cited else "")


def case_deductions(scheme: Record, case: Record, provisions: dict[str, Record]) -> list[Deduction]:
    actions = {a for a in case.get("actions") or [] if isinstance(a, str)}
    bases = {(provisions[p].get("fine") or {}).get("multiple_of") for p in case.get("provisions") or []
             if isinstance(p, str) and p in provisions}
    out = []
    for item in scheme.get("deductions") or []:
        if not isinstance(item, dict) or item.get("per_finding"):
            continue
        if actions & set(item.get("actions") or ()) or bases & set(item.get("fine_basis") or ()):
            out.append(Deduction(str(item.get("id")), str(item.get("name")), int(item.get("points", 0)), "case", case.id,
                                 case_fact(case, provisions)))
    return out


def inspection_deductions(scheme: Record, inspections: list[Record]) -> list[Deduction]:
    out = []
    for item in scheme.get("deductions") or []:
        if not isinstance(item, dict) or not item.get("per_finding"):
            continue
        left = item.get("max_points")
        for inspection in inspections:
            found = len(inspection.get("findings") or [])
            points = found * int(item.get("points", 0))
            if left is not None:
                points = min(points, left)
                left -= points
            if points > 0:
                out.append(Deduction(str(item.get("id")), str(item.get("name")), points, "inspection", inspection.id,
                                     f"{inspection.get('end_date')} 结束的{inspection.get('type')}发现问题 {found} 项"))
    return out


def evaluate(records: Iterable[Record], schemas: SchemaSet, scheme_id: str | None = None) -> tuple[Record, list[Grade]]:
    """The scheme (the only one, or ``scheme_id``) and every institution's grade under it."""
    index = RecordIndex.build(records, schemas)
    schemes = index.live(KIND)
    if scheme_id is not None:
        schemes = [s for s in schemes if s.id == scheme_id]
    if not schemes:
        raise CreditError(f"没有信用评价办法 {scheme_id}" if scheme_id else "仓库中没有信用评价办法（records/credit_scheme/）")
    if len(schemes) > 1:
        raise CreditError("有多个信用评价办法，请用 --scheme 指定：" + "、".join(s.id for s in schemes))
    scheme = schemes[0]
    return scheme, grade_all(scheme, index)


def grade_all(scheme: Record, index: RecordIndex) -> list[Grade]:
    year, region = scheme.get("year"), scheme.get("region_code")
    types = set(scheme.get("institution_types") or ())
    provisions = index.by_id.get("provision", {})
    cases: dict[str, list[Record]] = {}
    for case in index.live("case"):
        institution = case.get("subject.institution")
        if case.get("subject.type") in types and case.get("actions") and _in_year(case.get("timeline.decided_on"), year):
            cases.setdefault(institution, []).append(case)
    inspections: dict[str, list[Record]] = {}
    for inspection in index.live("inspection"):
        if _in_year(inspection.get("end_date"), year):
            inspections.setdefault(inspection.get("institution"), []).append(inspection)
    red, black = scheme.get("red_list") or {}, scheme.get("black_list") or {}
    out = []
    for institution in index.live("institution"):
        if institution.get("region_code") != region or institution.get("type") not in types:
            continue
        own = sorted(cases.get(institution.id, []), key=lambda c: (str(c.get("timeline.decided_on")), c.id))
        deductions = [d for c in own for d in case_deductions(scheme, c, provisions)]
        deductions += inspection_deductions(scheme, sorted(inspections.get(institution.id, []), key=lambda i: (str(i.get("end_date")), i.id)))
        score = max(0, int(scheme.get("base_score", 0)) - sum(d.points for d in deductions))
        grade = grade_of(scheme, score)
        is_red = grade in (red.get("grades") or ()) and not (red.get("without_cases") and own)
        reason, since = "", None
        if grade in (black.get("grades") or ()):
            reason, since = f"评价等级为 {grade}", _dt.date(year, 12, 31)
        listed = [c for c in own if set(c.get("actions") or ()) & set(black.get("actions") or ())]
        if listed:
            first = listed[0]
            reason = "；".join(filter(None, [reason, f"案件 {first.id} 的处理决定含{'、'.join(sorted(set(first.get('actions')) & set(black.get('actions'))))}"]))
            since = min(filter(None, [since, to_date(first.get("timeline.decided_on"))]))
        months = black.get("exit_after_months")
        out.append(Grade(institution.id, str(institution.get("name")), str(institution.get("type")), score, grade, tuple(deductions),
                         is_red, bool(reason), reason, _add_months(since, months) if since and months else None))
    out.sort(key=lambda g: (g.score, g.institution))
    return out
