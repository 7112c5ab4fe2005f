"""Special campaigns (专项治理): self-inspection reports and rectification items bound to their
campaign, its requirements and its checklist.

Cross-record rules, run by :mod:`.references` (each reads only the records a record names):

- ``campaign-contract-mismatch`` (error): a report or rectification item names another contract
  than its campaign's;
- ``out-of-scope`` (error): the reporting or rectifying institution is not in the contract's scope;
- ``unknown-requirement`` (error): a report names a requirement the campaign does not list;
- ``self-inspection-type-mismatch`` (error): the institution is not of the requirement's types;
- ``outside-campaign`` (error): a report's ``submitted_on`` lies outside the campaign's period (a
  report after ``report_due`` but within the campaign is late, which the deadlines flag, never refuse);
- ``data-period-short`` (error): the report's data period does not cover the requirement's;
- ``checklist-incomplete`` / ``checklist-unknown-item`` / ``duplicate-item`` (error): every item of
  the requirement's checklist is rated exactly once, and nothing else;
- ``rectification-source-mismatch`` / ``unknown-problem`` (error): a rectification item's source
  report is of the same campaign and institution, and its problem number is listed there;
- ``date-order`` (error): a rectification's deadline, follow-ups, 回头看 and completion are not
  before the day it was issued.

A rectification completed after its deadline is valid: :mod:`yibao.compute.deadlines` lists it as
逾期完成 and the KPI ``rectifications_on_time`` counts it late. Withdrawn records are not judged.
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Callable

from ..core.record import Record, as_date
from ..core.schemas import SchemaSet
from ..core.scope import matches_scope

if TYPE_CHECKING:  # pragma: no cover
    from .references import Index

Report = Callable[..., None]


def _withdrawn(record: Record, schemas: SchemaSet) -> bool:
    info = schemas.field(record.kind, ("status",))
    terms = schemas.vocab(info.vocabulary).get("x-withdrawn", []) if info is not None and info.vocabulary else []
    status = record.data.get("status")
    return isinstance(status, str) and status in terms


def _items(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _number(value: object) -> int | None:
    """A sequence number as written, or None when it is not one (the schema check reports that)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _duplicates(record: Record, field: str, key: str, label: str, report: Report) -> None:
    seen: set = set()
    for i, item in enumerate(_items(record.get(field))):
        value = item.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            if value in seen:
                report(record, "duplicate-item", f"{label} {value} 重复；每项只能出现一次", (field, i, key))
            seen.add(value)


def campaign_consistent(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> None:
    """A campaign's own lists: unique phase and requirement codes, unique checklist numbers, data
    periods that start before they end."""
    _duplicates(record, "phases", "id", "阶段编码", report)
    _duplicates(record, "self_inspections", "id", "自查要求编码", report)
    for i, requirement in enumerate(_items(record.get("self_inspections"))):
        seen: set = set()
        for j, item in enumerate(_items(requirement.get("checklist"))):
            no = _number(item.get("seq"))
            if no is not None and no in seen:
                report(record, "duplicate-item", f"任务清单序号 {no} 重复", ("self_inspections", i, "checklist", j, "seq"))
            seen.add(no)
        period = requirement.get("data_period") if isinstance(requirement.get("data_period"), dict) else {}
        start, end = as_date(period.get("start")), as_date(period.get("end"))
        if start and end and start > end:
            report(record, "date-order", f"自查数据开始日期 {start} 晚于结束日期 {end}", ("self_inspections", i, "data_period", "start"))


def _campaign(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> Record | None:
    """The record's campaign (None when it does not resolve: unresolved-reference reports that),
    after checking both name the same contract and the institution is in its scope."""
    campaign = index.get("campaign", record.get("campaign"))
    if campaign is None:
        return None
    if record.get("contract") != campaign.get("contract"):
        report(record, "campaign-contract-mismatch",
               f"所属项目 {record.get('contract')} 与专项治理 {campaign.id} 的所属项目 {campaign.get('contract')} 不同；请核对",
               ("contract",))
    contract = index.get("contract", campaign.get("contract"))
    institution = index.get("institution", record.get("institution"))
    if contract is not None and institution is not None and not matches_scope(contract, institution):
        report(record, "out-of-scope",
               f"{institution.id}（{institution.get('type')}）不在项目 {contract.id} 的监管范围内；请核对机构编码", ("institution",))
    return campaign


def _requirement(campaign: Record, ident: object) -> tuple[int, dict] | None:
    for i, requirement in enumerate(_items(campaign.get("self_inspections"))):
        if requirement.get("id") == ident:
            return i, requirement
    return None


def self_inspection_fits_campaign(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> None:
    if _withdrawn(record, schemas):
        return
    campaign = _campaign(record, index, schemas, report)
    if campaign is None:
        return
    found = _requirement(campaign, record.get("requirement"))
    if found is None:
        known = "、".join(str(r.get("id")) for r in _items(campaign.get("self_inspections"))) or "（无）"
        report(record, "unknown-requirement",
               f"专项治理 {campaign.id} 没有编码为“{record.get('requirement')}”的自查要求；可选：{known}", ("requirement",))
        return
    _, requirement = found
    institution = index.get("institution", record.get("institution"))
    types = requirement.get("institution_types") or []
    if institution is not None and institution.get("type") not in types:
        report(record, "self-inspection-type-mismatch",
               f"{institution.id} 是{institution.get('type')}，自查要求“{requirement.get('name')}”只适用于{'、'.join(types)}",
               ("institution",))
    _submitted_in_campaign(record, campaign, report)
    _covers_data_period(record, requirement, report)
    _checklist_complete(record, campaign, requirement, report)
    _duplicates(record, "problems", "seq", "问题序号", report)


def _submitted_in_campaign(record: Record, campaign: Record, report: Report) -> None:
    submitted = as_date(record.get("submitted_on"))
    start, end = as_date(campaign.get("period.start")), as_date(campaign.get("period.end"))
    if submitted is None or start is None or end is None or start <= submitted <= end:
        return
    where = "早于专项治理开始" if submitted < start else "晚于专项治理结束"
    report(record, "outside-campaign",
           f"报送日期（{submitted}）{where}：专项治理 {campaign.id} 的期间为 {start} 至 {end}；请核对日期或所属专项治理",
           ("submitted_on",))


def _covers_data_period(record: Record, requirement: dict, report: Report) -> None:
    wanted = requirement.get("data_period") if isinstance(requirement.get("data_period"), dict) else {}
    want_start, want_end = as_date(wanted.get("start")), as_date(wanted.get("end"))
    start, end = as_date(record.get("data_period.start")), as_date(record.get("data_period.end"))
    as_written = wanted.get("as_written") or f"{want_start} 至 {want_end}"
    if start is not None and want_start is not None and start > want_start:
        report(record, "data-period-short",
               f"自查数据从 {start} 开始，未覆盖要求的数据期间（{as_written}，即自 {want_start} 起）", ("data_period", "start"))
    if end is not None and want_end is not None and end < want_end:
        report(record, "data-period-short",
               f"自查数据截至 {end}，未覆盖要求的数据期间（{as_written}，即至 {want_end}）", ("data_period", "end"))
    if start is not None and end is not None and start > end:
        report(record, "date-order", f"自查数据开始日期 {start} 晚于结束日期 {end}", ("data_period", "start"))


def _checklist_complete(record: Record, campaign: Record, requirement: dict, report: Report) -> None:
    template = {_number(item.get("seq")): item for item in _items(requirement.get("checklist"))}
    template.pop(None, None)
    rated: dict[int, int] = {}
    for i, item in enumerate(_items(record.get("checklist"))):
        no = _number(item.get("seq"))
        if no is None:
            continue
        if no not in template:
            listed = "、".join(str(n) for n in template) or "（该要求没有任务清单）"
            report(record, "checklist-unknown-item",
                   f"任务清单中没有序号 {no}；专项治理 {campaign.id} 的“{requirement.get('name')}”清单序号为：{listed}",
                   ("checklist", i, "seq"))
        elif no in rated:
            report(record, "duplicate-item", f"任务清单序号 {no} 重复评价；每项只评价一次", ("checklist", i, "seq"))
        rated.setdefault(no, i)
    missing = [n for n in template if n not in rated]
    if missing:
        at = ("checklist",) if record.get("checklist") is not None else ("requirement",)
        report(record, "checklist-incomplete",
               f"自查自纠任务清单尚有 {len(missing)} 项未评价（好、较好、差）：序号 {'、'.join(map(str, missing))}", at)


def rectification_fits_campaign(record: Record, index: "Index", schemas: SchemaSet, report: Report) -> None:
    if _withdrawn(record, schemas):
        return
    campaign = _campaign(record, index, schemas, report)
    _dates_in_order(record, report)
    source = index.get("self_inspection", record.get("self_inspection"))
    problem = record.get("problem_seq")
    if source is None:
        if problem is not None and record.get("self_inspection") is None:
            report(record, "unknown-problem", "填写了自查问题序号，却没有填写来源自查报告 self_inspection", ("problem_seq",))
        return
    if (campaign is not None and source.get("campaign") != campaign.id) or source.get("institution") != record.get("institution"):
        report(record, "rectification-source-mismatch",
               f"来源自查报告 {source.id} 是 {source.get('institution')} 在 {source.get('campaign')} 中的报告，"
               f"与本整改事项的机构 {record.get('institution')}、专项治理 {record.get('campaign')} 不符", ("self_inspection",))
    if _number(problem) is not None and problem not in {_number(p.get("seq")) for p in _items(source.get("problems"))}:
        report(record, "unknown-problem", f"来源自查报告 {source.id} 没有序号为 {problem} 的自查问题", ("problem_seq",))


def _dates_in_order(record: Record, report: Report) -> None:
    issued = as_date(record.get("issued_on"))
    if issued is None:
        return
    later: list[tuple[tuple, _dt.date | None, str]] = [(("deadline",), as_date(record.get("deadline")), "整改期限")]
    later += [(("follow_ups", i, "date"), as_date(f.get("date")), "督办日期") for i, f in enumerate(_items(record.get("follow_ups")))]
    later += [(("review", "date"), as_date(record.get("review.date")), "回头看日期"),
              (("closed_on",), as_date(record.get("closed_on")), "整改完成日期")]
    for at, day, label in later:
        if day is not None and day < issued:
            report(record, "date-order", f"{label}（{day}）早于整改事项的提出日期（{issued}）", at)
