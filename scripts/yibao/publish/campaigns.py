"""Special campaigns (专项治理) in the portal: each campaign's page, the list pages of campaigns,
self-inspection reports and rectification items, and the sections of their record pages.

A campaign's page (its record page, ``campaigns/<ID>.html``) adds to the record's fields:

* 阶段安排 — the phases as a timeline: due date, completion date and where each stands;
* 自查报告报送情况 — every institution that owes a report, per requirement: submitted on, on time
  or late by how many days (or not yet, overdue by how many), the data period the report covers,
  the number and amount of the problems it lists; then the problems themselves;
* 自查自纠任务清单 — the agency's checklist: each item's standard and lead section with the rating
  the agency's report gave it;
* 整改事项 — every rectification item: deadline, follow-ups, the 回头看 result, and whether it was
  closed on time, late, or is still open and overdue.

Everything is as of the portal's date (:mod:`yibao.compute.as_of`): reports submitted and items
issued later are not listed, facts dated later (a phase completed, a follow-up, a 回头看, a
closing) are left out of the records (:class:`yibao.publish.pages.Site` holds their states), and
where each dated item stands is the very deadline item ``yibao report`` computes
(:mod:`yibao.compute.campaigns` through :mod:`yibao.compute.deadlines`, held by ``Site.deadlines``).
Withdrawn records are not listed, as they never count. Record values reach the page only through
:mod:`yibao.publish.html` (escaped), after :class:`~yibao.publish.visible.Visibility`.

The rating colours read the vocabulary's order (``self_inspection_rating`` lists the ratings
from best to worst): the first is good, the last is bad.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from ..compute import campaigns as C
from ..compute import deadlines as dl_rules
from ..compute import report as report_mod
from ..core.calendar import to_date
from ..core.record import Record
from . import leaders
from . import pages as P
from .html import EMPTY, Markup, dl, esc, fmt, join, link, table, tag, yuan

KINDS = ("campaign", "self_inspection", "rectification")
#: fields a record page shows in its own sections rather than in 基本信息
SHOWN_APART = {"campaign": ("phases", "self_inspections"), "self_inspection": ("checklist",)}
#: the KPIs about campaigns (:mod:`yibao.compute.kpis`), shown on the campaign's page
KPI_FAMILIES = ("self_inspection_reports_on_time", "rectifications_on_time")
Status = dl_rules.DeadlineStatus


# -- what a campaign holds on the date ---------------------------------------------------------------

def live(site: P.Site, records: list[Record]) -> list[Record]:
    """Records that count: not withdrawn."""
    return [r for r in records if r.get("status") not in site.index.withdrawn.get(r.kind, ())]


def reports_of(site: P.Site, campaign: Record) -> list[Record]:
    return live(site, site.linked("self_inspection", "campaign", campaign.id))


def rectifications_of(site: P.Site, campaign: Record) -> list[Record]:
    found = live(site, site.linked("rectification", "campaign", campaign.id))
    return sorted(found, key=lambda r: (str(r.get("deadline") or ""), r.id))


def items_of(site: P.Site, campaign: Record) -> list[dl_rules.Deadline]:
    """The campaign's dated items as the report computes them: phases, reports owed, rectifications."""
    ids = [campaign.id] + [r.id for r in reports_of(site, campaign)] + [r.id for r in rectifications_of(site, campaign)]
    out = []
    for ident in dict.fromkeys(ids):
        out += [d for d in site.deadlines.get(ident, []) if d.contract == campaign.get("contract")
                and d.kind in (C.PHASE, C.REPORT, C.RECTIFICATION)]
    return out


def requirements(campaign: Record) -> list[dict]:
    return C.requirements(campaign)


#: what "done" means for each kind of dated item, in plain words
DONE_WORDS = {C.PHASE: ("按时完成", "完成"), C.REPORT: ("按时报送", "报送"), C.RECTIFICATION: ("按期完成", "完成")}


def badge(site: P.Site, item: dl_rules.Deadline | None) -> Markup:
    """Where a dated item stands, in plain words, coloured as on the deadlines page."""
    if item is None:
        return esc(EMPTY)
    cls = P.STATUS_CLASS[P.DEADLINE_CLASS.get(item.status, "na")]
    return tag("span", status_words(item, site.as_of), class_=f"yb-badge {cls}".strip())


def status_words(item: dl_rules.Deadline, as_of) -> str:
    on_time, done = DONE_WORDS.get(item.kind, ("按时完成", "完成"))
    if item.status == Status.ON_TIME:
        return on_time
    if item.status == Status.LATE:
        return f"逾期 {item.days_late} 天{done}"
    if item.status == Status.OVERDUE:
        return f"未{done}，已逾期 {item.days_late} 天"
    if item.status == Status.DUE_SOON:
        days = (item.due - as_of).days
        return f"未{done}，{days} 天后到期" if days else f"未{done}，今天到期"
    return f"未{done}，未到期"


def row_class(item: dl_rules.Deadline | None) -> str:
    if item is None:
        return ""
    return ("yb-row-alert" if item.status == Status.OVERDUE else
            "yb-row-warn" if item.status in (Status.LATE, Status.DUE_SOON) else "")


def due_span(value: Any) -> Markup:
    return P.date_span(fmt(value) if value is not None else None, P.DUE_CLASS)


def term_span(value: Any) -> Markup:
    return P.date_span(fmt(value) if value is not None else None, P.TERM_CLASS)


def money(value: Any) -> str:
    return yuan(value) if value is not None else EMPTY


def amounts(report: Record) -> tuple[int, Decimal | None, Decimal | None]:
    """How many problems a report lists, their amount and what was refunded (None: no amount given)."""
    problems = [p for p in report.get("problems") or [] if isinstance(p, dict)]
    total = refunded = None
    for p in problems:
        if isinstance(p.get("amount"), (int, Decimal)) and not isinstance(p.get("amount"), bool):
            total = (total or Decimal(0)) + Decimal(p["amount"])
        if isinstance(p.get("refunded"), (int, Decimal)) and not isinstance(p.get("refunded"), bool):
            refunded = (refunded or Decimal(0)) + Decimal(p["refunded"])
    return len(problems), total, refunded


def period_text(period: Any) -> str:
    if not isinstance(period, dict):
        return EMPTY
    start, end = period.get("start"), period.get("end")
    return f"{fmt(start) if start else '（未写明）'} 至 {fmt(end)}"


def institution_name(site: P.Site, ident: Any) -> str:
    institution = site.get("institution", ident)
    return f"{ident} {institution.get('name') or ''}".strip() if institution is not None else fmt(ident)


# -- the campaign's page ------------------------------------------------------------------------------

def campaign_extra(site: P.Site, record: Record, page: str) -> str:
    items = items_of(site, record)
    return (summary_section(site, record, items, page)
            + phases_section(site, record, items)
            + reports_section(site, record, items, page)
            + problems_section(site, record, page)
            + checklist_section(site, record, page)
            + rectifications_section(site, record, items, page))


def counts(items: list[dl_rules.Deadline], kind: str) -> Counter:
    return Counter(d.status for d in items if d.kind == kind)


def summary_section(site: P.Site, campaign: Record, items: list[dl_rules.Deadline], page: str) -> str:
    phases = [d for d in items if d.kind == C.PHASE]
    done = sum(1 for d in phases if d.done_on is not None)
    reports, fixes = counts(items, C.REPORT), counts(items, C.RECTIFICATION)
    owed = sum(reports.values())
    rows = [("统计日", site.as_of.isoformat()),
            ("治理期间", join([term_span(campaign.get("period.start")), esc(" 至 "), term_span(campaign.get("period.end"))])),
            ("阶段", f"共 {len(phases)} 个阶段，已完成 {done} 个"),
            ("自查报告", f"应报送 {owed} 家：按时报送 {reports[Status.ON_TIME]} 家，逾期报送 {reports[Status.LATE]} 家，"
                        f"期限已过仍未报送 {reports[Status.OVERDUE]} 家，尚未到期未报送 {reports[Status.DUE_SOON] + reports[Status.OPEN]} 家"),
            ("整改事项", f"共 {sum(fixes.values())} 项：按期完成 {fixes[Status.ON_TIME]} 项，逾期完成 {fixes[Status.LATE]} 项，"
                        f"逾期未完成 {fixes[Status.OVERDUE]} 项，尚未到期 {fixes[Status.DUE_SOON] + fixes[Status.OPEN]} 项")]
    rows += kpi_rows(site, campaign, page)
    note = tag("p", f"按统计日（{site.as_of.isoformat()}）显示：统计日之后才报送的自查报告、才提出的整改事项不列出，"
                    "之后才完成的阶段和整改、才进行的督办和回头看不计入。期限是文件规定的日期，不顺延；"
                    "与 yibao report 的时限和考核指标一致。", class_="yb-note")
    return P.section("治理概况", dl(rows), note)


def kpi_rows(site: P.Site, campaign: Record, page: str) -> list[tuple[str, Markup]]:
    """The contract's campaign KPIs, as the report computes them, linked to the facts behind them."""
    report = next((r for r in site.reports if P.contract_id(r) == campaign.get("contract")), None)
    href = site.href(page, "contract", campaign.get("contract"))
    out = []
    for kpi in (report or {}).get("kpis", []):
        if report_mod.family(str(kpi.get("id"))) not in KPI_FAMILIES:
            continue
        cls = P.STATUS_CLASS[P.kpi_status(kpi)]
        value = join([esc(f"{P.kpi_value_text(kpi)}（目标 {P.kpi_value_text(kpi, 'target')}） "),
                      tag("span", kpi.get("status") or EMPTY, class_=f"yb-badge {cls}".strip())])
        drill = leaders.kpi_href(page, campaign.get("contract"), kpi) if leaders.has_drill_down(kpi) else href
        name = link(P.kpi_name(kpi), drill)
        out.append((name, value))
    return out


def phases_section(site: P.Site, campaign: Record, items: list[dl_rules.Deadline]) -> str:
    by_id = {d.rule: d for d in items if d.kind == C.PHASE}
    steps, previous_due = [], None
    for phase in campaign.get("phases") or []:
        if not isinstance(phase, dict):
            continue
        item = by_id.get(phase.get("id"))
        due = to_date(phase.get("due"))
        current = (item is not None and item.done_on is None and due is not None and site.as_of <= due
                   and (previous_due is None or previous_due < site.as_of))
        previous_due = due or previous_due
        cls = P.STATUS_CLASS[P.DEADLINE_CLASS.get(item.status, "na")] if item is not None else ""
        head = join([tag("strong", phase.get("name") or phase.get("id")), esc(" "), badge(site, item),
                     tag("span", "当前阶段", class_="yb-badge yb-status-warn") if current else ""])
        facts = [("截止日期", term_span(phase.get("due"))),
                 ("完成日期", fmt(phase.get("completed_on")) if phase.get("completed_on") else "尚未完成")]
        if phase.get("evidence"):
            facts.append(("完成依据", phase.get("evidence")))
        if phase.get("source"):
            facts.append(("文件原文", phase.get("source")))
        steps.append(Markup(f'<li class="yb-timeline-step {cls}">') + join([tag("div", head, class_="yb-timeline-head"), dl(facts)])
                     + Markup("</li>"))
    if not steps:
        return P.section("阶段安排", tag("p", "（没有阶段）", class_="yb-empty"))
    return P.section("阶段安排", Markup('<ol class="yb-timeline">') + join(steps) + Markup("</ol>"))


def reports_section(site: P.Site, campaign: Record, items: list[dl_rules.Deadline], page: str) -> str:
    reports = reports_of(site, campaign)
    by_id = {r.id: r for r in reports}
    owed = [d for d in items if d.kind == C.REPORT]
    parts: list[Any] = []
    for requirement in requirements(campaign):
        mine = [d for d in owed if d.rule == requirement.get("id")]
        counted = {d.record for d in mine}
        extra = [r for r in reports if r.get("requirement") == requirement.get("id") and r.id not in counted]
        period = requirement.get("data_period") if isinstance(requirement.get("data_period"), dict) else {}
        facts = [("自查机构类型", fmt(requirement.get("institution_types"))),
                 ("报送期限", term_span(requirement.get("report_due"))),
                 ("自查数据起止时间", period.get("as_written") or period_text(period))]
        if requirement.get("source"):
            facts.append(("文件原文", requirement.get("source")))
        rows, keys, classes = [], [], []
        for d in sorted(mine, key=lambda d: (d.done_on is not None, d.institution or "")):
            report = by_id.get(d.record)
            rows.append(report_row(site, report, d.institution, d, page))
            keys.append([None, None, d.done_on.isoformat() if d.done_on else "9999", d.days_late or 0, None, None, None])
            classes.append(row_class(d))
        for report in extra:  # a report no deadline counts (an institution outside the scope on the date)
            rows.append(report_row(site, report, report.get("institution"), None, page))
            keys.append([None, None, report.get("submitted_on"), 0, None, None, None])
            classes.append("")
        body = table(["机构", "自查报告", "报送日期", "报送情况", "自查数据期间", "自查问题", "涉及金额（元）"], rows,
                     sort_values=keys, row_classes=classes, empty="（统计日时没有应报送自查报告的机构）", filterable=len(rows) > 20)
        parts += [tag("h3", requirement.get("name") or requirement.get("id")), dl(facts), body]
    if not parts:
        parts.append(tag("p", "（没有自查自纠要求）", class_="yb-empty"))
    note = tag("p", "应报送的机构：统计日在项目监管范围内、属于所列机构类型的机构。报送日期晚于期限的照常收录，标明逾期天数；"
                    "期限已过仍未报送的，标明已逾期的天数。", class_="yb-note")
    return P.section("自查报告报送情况", *parts, note)


def report_row(site: P.Site, report: Record | None, institution: Any, item: dl_rules.Deadline | None, page: str) -> list:
    who = site.ref(page, "institution", institution) if institution else esc(EMPTY)
    if report is None:
        return [who, "未报送", EMPTY, badge(site, item), EMPTY, EMPTY, EMPTY]
    number, total, _ = amounts(report)
    return [who, site.ref(page, "self_inspection", report.id, with_name=False), fmt(report.get("submitted_on")), badge(site, item),
            period_text(report.get("data_period")), f"{number} 项" if number else "未发现问题", money(total)]


def problems_section(site: P.Site, campaign: Record, page: str) -> str:
    fixes: dict[tuple, list[Record]] = defaultdict(list)
    for fix in rectifications_of(site, campaign):
        fixes[(fix.get("self_inspection"), fix.get("problem_seq"))].append(fix)
    rows, total, refunded = [], Decimal(0), Decimal(0)
    for report in sorted(reports_of(site, campaign), key=lambda r: (str(r.get("institution") or ""), r.id)):
        for p in report.get("problems") or []:
            if not isinstance(p, dict):
                continue
            linked = fixes.get((report.id, p.get("seq")), [])
            rows.append([site.ref(page, "institution", report.get("institution")),
                         site.ref(page, "self_inspection", report.id, with_name=False), fmt(p.get("seq")),
                         p.get("description"), site.term("self_inspection", ("problems", "violation_type"), p.get("violation_type")),
                         money(p.get("amount")), money(p.get("refunded")),
                         join((site.ref(page, "rectification", f.id, with_name=False) for f in linked), "、") if linked else EMPTY])
            total += Decimal(p["amount"]) if isinstance(p.get("amount"), (int, Decimal)) else 0
            refunded += Decimal(p["refunded"]) if isinstance(p.get("refunded"), (int, Decimal)) else 0
    if rows:
        rows.append([tag("strong", "合计"), "", "", f"{len(rows)} 项问题", "", yuan(total), yuan(refunded), ""])
    body = table(["机构", "自查报告", "序号", "问题", "违规类型", "涉及金额（元）", "已退回（元）", "整改事项"], rows,
                 sortable=False, empty="（统计日时报送的自查报告没有列出问题）")
    return P.section("自查发现的问题", body)


def checklist_section(site: P.Site, campaign: Record, page: str) -> str:
    parts: list[Any] = []
    reports = reports_of(site, campaign)
    for requirement in requirements(campaign):
        checklist = [c for c in requirement.get("checklist") or [] if isinstance(c, dict)]
        if not checklist:
            continue
        filed = [r for r in reports if r.get("requirement") == requirement.get("id")]
        parts.append(tag("h3", requirement.get("name") or requirement.get("id")))
        if not filed:
            parts.append(checklist_table(site, checklist, None, page))
        for report in filed:
            parts.append(tag("p", join([esc("自查报告 "), site.ref(page, "self_inspection", report.id, with_name=False),
                                        esc(f"（{institution_name(site, report.get('institution'))}，{fmt(report.get('submitted_on'))} 报送）")]),
                             class_="yb-note"))
            parts.append(checklist_table(site, checklist, report, page))
    if not parts:
        return ""
    note = tag("p", f"任务清单照录文件附件；评价结果由经办机构在自查报告中逐项填写（{'、'.join(rating_terms(site))}）。", class_="yb-note")
    return P.section("自查自纠任务清单", *parts, note)


def rating_terms(site: P.Site) -> list[str]:
    """The ratings of a checklist item, best first (the vocabulary's order)."""
    info = site.field("self_inspection", ("checklist", "rating"))
    return list(site.schemas.terms(info.vocabulary)) if info is not None and info.vocabulary else []


def rating_class(site: P.Site, rating: Any) -> str:
    """The vocabulary lists ratings best first: the first is good, the last bad (see the module docstring)."""
    terms = rating_terms(site)
    if rating not in terms or len(terms) < 2:
        return ""
    return P.STATUS_CLASS["ok"] if rating == terms[0] else P.STATUS_CLASS["bad"] if rating == terms[-1] else P.STATUS_CLASS["warn"]


def ratings_of(report: Record | None) -> dict:
    if report is None:
        return {}
    return {c.get("seq"): c for c in report.get("checklist") or [] if isinstance(c, dict)}


def checklist_table(site: P.Site, checklist: list[dict], report: Record | None, page: str) -> Markup:
    rated = ratings_of(report)
    rows, classes = [], []
    for item in checklist:
        rating = rated.get(item.get("seq"), {})
        value = rating.get("rating")
        shown = (tag("span", value, class_=f"yb-badge {rating_class(site, value)}".strip()) if value is not None
                 else ("尚未报送" if report is None else "未评价"))
        rows.append([fmt(item.get("seq")), item.get("area"), item.get("standard"), item.get("lead"), shown,
                     rating.get("note") or EMPTY])
        classes.append("yb-row-alert" if value is not None and rating_class(site, value) == P.STATUS_CLASS["bad"] else "")
    counted = Counter(c.get("rating") for c in rated.values())
    where = ("self_inspections", "checklist")
    headers = [site.title("campaign", where + (name,)) for name in ("seq", "area", "standard", "lead")]
    headers += [site.title("self_inspection", ("checklist", name)) for name in ("rating", "note")]
    table_html = table(headers, rows, sortable=False, row_classes=classes)
    if report is None:
        return table_html
    terms = rating_terms(site) or sorted(counted)
    summary = "、".join(f"{term} {counted.get(term, 0)} 项" for term in terms)
    return join([table_html, tag("p", f"评价结果：{summary}（共 {len(checklist)} 项）。", class_="yb-note")])


def rectifications_section(site: P.Site, campaign: Record, items: list[dl_rules.Deadline], page: str) -> str:
    by_id = {d.record: d for d in items if d.kind == C.RECTIFICATION}
    rows, keys, classes = [], [], []
    for fix in rectifications_of(site, campaign):
        item = by_id.get(fix.id)
        rows.append(rectification_row(site, fix, item, page))
        keys.append([None, None, None, None, fix.get("issued_on"), fix.get("deadline"), None, None,
                     fix.get("closed_on") or "9999", item.days_late or 0 if item else 0])
        classes.append(row_class(item))
    body = table(rectification_headers(site), rows,
                 sort_values=keys, row_classes=classes, empty="（统计日时没有整改事项）", filterable=len(rows) > 20)
    note = tag("p", "整改期限当天或以前完成的为按期完成；期限后完成的照常收录，标明逾期天数；期限已过仍未完成的，标明已逾期的天数。"
                    "跟踪督办和回头看只列统计日以前进行的。", class_="yb-note")
    return P.section("整改事项", body, note)


def rectification_headers(site: P.Site) -> list[str]:
    """The columns of :func:`rectification_row`, the record's own fields under their schema titles."""
    titles = [site.title("rectification", (name,)) for name in ("item", "issued_on", "deadline", "follow_ups", "review", "closed_on")]
    return ["整改事项", "机构", titles[0], "来源", *titles[1:], "完成情况"]


def follow_ups_html(fix: Record) -> Markup:
    entries = [f for f in fix.get("follow_ups") or [] if isinstance(f, dict)]
    if not entries:
        return esc(EMPTY)
    return join((esc(f"{fmt(f.get('date'))}：{fmt(f.get('note'))}") for f in entries), Markup("<br>"))


def review_html(fix: Record) -> Markup:
    review = fix.get("review")
    if not isinstance(review, dict):
        return esc("尚未回头看")
    text = f"{fmt(review.get('date'))}：{fmt(review.get('conclusion'))}"
    return esc(text + (f"（{review.get('note')}）" if review.get("note") else ""))


def source_html(site: P.Site, fix: Record, page: str) -> Markup:
    ident = fix.get("self_inspection")
    if not ident:
        return esc(EMPTY)
    seq = fix.get("problem_seq")
    return join([site.ref(page, "self_inspection", ident, with_name=False), esc(f" 第 {seq} 项问题" if seq is not None else "")])


def rectification_row(site: P.Site, fix: Record, item: dl_rules.Deadline | None, page: str) -> list:
    return [site.ref(page, "rectification", fix.id, with_name=False), site.ref(page, "institution", fix.get("institution")),
            fix.get("item"), source_html(site, fix, page), fmt(fix.get("issued_on")), due_span(fix.get("deadline")),
            follow_ups_html(fix), review_html(fix), fmt(fix.get("closed_on")) if fix.get("closed_on") else "尚未完成",
            badge(site, item)]


# -- the record pages of reports and rectification items ------------------------------------------------

def campaign_link(site: P.Site, record: Record, page: str) -> Markup:
    campaign = site.get("campaign", record.get("campaign"))
    name = f"{record.get('campaign')} {campaign.get('name') or ''}".strip() if campaign is not None else fmt(record.get("campaign"))
    return tag("p", join([esc("所属专项治理："), link(name, site.href(page, "campaign", record.get("campaign")))]), class_="yb-note")


def self_inspection_extra(site: P.Site, record: Record, page: str) -> str:
    out = P.section("报送时限", campaign_link(site, record, page), P.deadlines_table(site, site.deadlines.get(record.id, []), page))
    campaign = site.get("campaign", record.get("campaign"))
    requirement = next((r for r in requirements(campaign) if r.get("id") == record.get("requirement")), None) if campaign else None
    checklist = [c for c in (requirement or {}).get("checklist") or [] if isinstance(c, dict)]
    if checklist or record.get("checklist"):
        if not checklist:  # the campaign's list is not readable: the ratings as recorded
            checklist = [{"seq": c.get("seq")} for c in record.get("checklist") if isinstance(c, dict)]
        out += P.section("自查自纠任务清单评价", checklist_table(site, checklist, record, page))
    fixes = live(site, site.linked("rectification", "self_inspection", record.id))
    if fixes:
        rows = [rectification_row(site, fix, next((d for d in site.deadlines.get(fix.id, []) if d.kind == C.RECTIFICATION), None), page)
                for fix in fixes]
        out += P.section("整改事项", table(rectification_headers(site), rows, sortable=False))
    return out


def rectification_extra(site: P.Site, record: Record, page: str) -> str:
    return P.section("整改时限", campaign_link(site, record, page), P.deadlines_table(site, site.deadlines.get(record.id, []), page))


def record_title(site: P.Site, record: Record) -> str:
    """A report's or an item's title: its ID, the institution's name and what it is."""
    institution = site.get("institution", record.get("institution"))
    who = institution.get("name") if institution is not None else record.get("institution")
    return f"{record.id} {who or ''} {site.schemas.kind_label(record.kind)}".replace("  ", " ").strip()


EXTRA = {"campaign": campaign_extra, "self_inspection": self_inspection_extra, "rectification": rectification_extra}


# -- list pages ---------------------------------------------------------------------------------------

def list_page(site: P.Site, kind: str) -> tuple[str, str]:
    page = f"{P.PAGE_DIRS[kind]}/index.md"
    label = site.schemas.kind_label(kind)
    records = site.all(kind)
    if kind == "campaign":
        rows = []
        for r in records:
            items = items_of(site, r)
            phases = [d for d in items if d.kind == C.PHASE]
            reports, fixes = counts(items, C.REPORT), counts(items, C.RECTIFICATION)
            rows.append([site.ref(page, kind, r.id, with_name=False), r.get("name"), site.ref(page, "contract", r.get("contract")),
                         join([term_span(r.get("period.start")), esc(" 至 "), term_span(r.get("period.end"))]),
                         f"{sum(1 for d in phases if d.done_on)} / {len(phases)}",
                         f"{reports[Status.ON_TIME]} / {sum(reports.values())}",
                         f"{fixes[Status.ON_TIME]} / {sum(fixes.values())}", P.status_badge(site, r)])
        body = table(["编号", "名称", "所属项目", "治理期间", "已完成阶段", "按时报送自查报告", "按期完成整改", "记录状态"], rows)
        hint = "点击编号查看阶段安排、自查报告、任务清单评价和整改事项。"
    elif kind == "self_inspection":
        rows, keys = [], []
        for r in sorted(records, key=lambda r: (str(r.get("submitted_on") or ""), r.id)):
            item = next((d for d in site.deadlines.get(r.id, []) if d.kind == C.REPORT), None)
            number, total, _ = amounts(r)
            rows.append([site.ref(page, kind, r.id, with_name=False), site.ref(page, "institution", r.get("institution")),
                         site.ref(page, "campaign", r.get("campaign"), with_name=False), fmt(r.get("submitted_on")), badge(site, item),
                         period_text(r.get("data_period")), str(number), money(total), P.status_badge(site, r)])
            keys.append([None, None, None, None, item.days_late or 0 if item else 0, None, number, str(total or 0), None])
        body = table(["编号", "机构", "专项治理", "报送日期", "报送情况", "自查数据期间", "问题数", "涉及金额（元）", "记录状态"], rows,
                     sort_values=keys, filterable=True)
        hint = "点击编号查看报告的自查问题和任务清单评价。"
    else:
        rows, keys, classes = [], [], []
        for r in sorted(records, key=lambda r: (str(r.get("deadline") or ""), r.id)):
            item = next((d for d in site.deadlines.get(r.id, []) if d.kind == C.RECTIFICATION), None)
            rows.append([site.ref(page, kind, r.id, with_name=False), site.ref(page, "institution", r.get("institution")),
                         r.get("item"), due_span(r.get("deadline")), fmt(r.get("closed_on")) if r.get("closed_on") else "尚未完成",
                         badge(site, item), P.status_badge(site, r)])
            keys.append([None, None, None, r.get("deadline"), r.get("closed_on") or "9999", item.days_late or 0 if item else 0, None])
            classes.append(row_class(item))
        body = table(["编号", "机构", "整改内容", "整改期限", "完成日期", "完成情况", "记录状态"], rows, sort_values=keys,
                     row_classes=classes, filterable=True)
        hint = "点击编号查看跟踪督办和回头看。"
    intro = tag("p", f"统计日 {site.as_of.isoformat()} 时共 {len(records)} 条{label}记录，按统计日的状态显示"
                     f"（统计日之后才报送或提出的记录不列出）。{hint}", class_="yb-note")
    return page, P.front_matter(label) + P.block(intro, body)
