"""What the contract pays for, on its portal page: the instalments with their trigger, due and paid
dates, the performance evaluation with every indicator's inputs and the payment it implies, the
budget lines the contract belongs to, the fee cap, the consortium and the days a team requirement (postings included) was not met.

Everything is as of the portal's date: the payments, fee caps and breaches come from the report
(:mod:`yibao.compute.payments`, :mod:`yibao.compute.team`), the evaluation from
:func:`yibao.compute.evaluation.evaluate_scheme` with the bureau's scores given by that date. A due
date may lie after it (marked ``yb-date-due``); an evaluation period still running is scored on
what is known and says so, without its later end date.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..compute import allocation
from ..compute import evaluation as ev
from ..compute import payments as pay
from ..core.calendar import to_date
from ..core.money import rate_text, yuan
from ..core.record import Record
from .html import EMPTY, Markup, dl, esc, fmt, join, link, table, tag
from .pages import DUE_CLASS, STATUS_CLASS, Site, date_span, kind_of_id, section

#: contract fields shown in these sections instead of the generic field list
SHOWN_APART = ("instalments", "consortium", "fee_cap")
PAYMENT_CLASS = {pay.PaymentStatus.PAID_ON_TIME: "ok", pay.PaymentStatus.PAID_LATE: "warn", pay.PaymentStatus.OVERDUE: "bad",
                 pay.PaymentStatus.OPEN: "na", pay.PaymentStatus.NOT_TRIGGERED: "na", pay.PaymentStatus.PAID_EARLY: "warn"}


def _report(site: Site, cid: str) -> dict:
    return next((r for r in site.reports if r["contract"]["id"] == cid), {})


def _ref(site: Site, page: str, ident: Any) -> Markup:
    """A record ID linked to its page when it has one (acceptance and payment records have none)."""
    if not isinstance(ident, str):
        return esc(EMPTY)
    kind = kind_of_id(site, ident)
    return site.ref(page, kind, ident, with_name=False) if kind else esc(ident)


def _badge(label: str) -> Markup:
    cls = STATUS_CLASS[PAYMENT_CLASS.get(pay.PaymentStatus.from_label(label), "na")]
    return tag("span", label, class_=f"yb-badge {cls}".strip())


def _money(value: Any) -> str:
    return "待定" if value is None else f"{yuan(value)} 元"


# -- the contract's money terms ---------------------------------------------------------------------
def terms_section(site: Site, record: Record, page: str) -> str:
    items = []
    if record.get("contract_amount") is not None:
        items.append(("合同金额", _money(record.get("contract_amount"))))
    if record.get("term_years") is not None:
        items.append(("合同期限", f"{record.get('term_years')} 年"))
    members = [m for m in record.get("consortium") or [] if isinstance(m, dict)]
    rows = [[m.get("name"), fmt(m.get("rank")), fmt(m.get("year")), "、".join(m.get("regions") or []) or EMPTY,
             rate_text(m["share"]) if m.get("share") is not None else EMPTY, m.get("note") or EMPTY] for m in members]
    if not items and not rows:
        return ""
    parts: list[Any] = [dl(items)] if items else []
    if rows:
        parts.append(table(["成员", "排名", "分配年度", "承办区域（区划代码）", "份额", "说明"], rows))
    return section("合同金额与承办机构", *parts)


# -- instalments ------------------------------------------------------------------------------------
def _due(site: Site, item: dict) -> Markup:
    due = date_span(item.get("due"), DUE_CLASS)
    rolled = item.get("rolled_from")
    if rolled:
        shown = esc(rolled) if to_date(rolled) <= site.as_of else Markup("期末")
        due = join([due, Markup('<span class="yb-note">（'), shown, Markup("为休息日，顺延）</span>")])
    return due


def _conditions(site: Site, item: dict, page: str) -> Markup:
    parts = []
    for c in item.get("conditions", []):
        record = join(["（", _ref(site, page, c["record"]), "）"]) if c.get("record") else ""
        parts.append(tag("li", join([f"{c['label']}：{c['date'] or '尚未满足'}", record, f" {c.get('note') or ''}"])))
    return Markup("<ul>") + join(parts) + Markup("</ul>")


def instalments_section(site: Site, record: Record, page: str) -> str:
    items = _report(site, record.id).get("payments", [])
    if not items:
        return ""
    rows, keys = [], []
    for item in items:
        evaluation = item.get("evaluation")
        amount = _money(item.get("amount"))
        if evaluation:
            amount += f"（约定 {_money(item.get('base'))}，考核 {evaluation['text']}）"
        rows.append([join([tag("strong", item["id"]), " ", item["name"]]), amount, _conditions(site, item, page),
                     fmt(item.get("trigger_date")), _due(site, item), f"{item.get('days')} 个{item.get('day_type')}",
                     join([_money(item.get("paid")), " ", join([_ref(site, page, p) for p in item.get("payments", [])], "、")]),
                     fmt(item.get("paid_on")), _badge(item["status"]),
                     EMPTY if item.get("days_late") is None else f"{item['days_late']} 天"])
        keys.append([None, item.get("amount"), None, None, None, None, item.get("paid"), None, None, item.get("days_late")])
    notes = [f"{i['id']}：{n}" for i in items for n in i.get("notes", [])]
    note = tag("p", "付款条件全部满足之日为触发日；应付日按合同约定的天数和日期类型计算（自然日最后一日遇周末、法定节假日顺延，《民法典》第二百零三条；"
                    "工作日按工作日历）。付款记录合计达到应付金额之日为付清日，晚于应付日为逾期支付。"
               + (" " + "；".join(notes) if notes else ""), class_="yb-note")
    return section("付款进度", table(["分期", "应付金额", "付款条件", "触发日", "应付日", "期限", "已付", "付清日", "状态", "逾期"],
                                     rows, sort_values=keys), note)


# -- evaluation --------------------------------------------------------------------------------------
_DUE = re.compile(r"(\d{4}-\d{2}-\d{2})( 前)")


def _with_due_dates(text: str) -> Markup:
    """Text quoting a due date ("应于 2024-10-20 前完成", a milestone's "（2024-12-31 前）"), the date marked
    as a due date: a KPI's facts and names may quote one that lies after the portal's date."""
    parts, at = [], 0
    for match in _DUE.finditer(text):
        parts += [esc(text[at:match.start(1)]), date_span(match.group(1), DUE_CLASS)]
        at = match.end(1)
    return join(parts + [esc(text[at:])])


def _inputs(site: Site, item: ev.IndicatorScore, page: str) -> Markup:
    if not item.inputs:
        return esc(EMPTY)
    entries = [tag("li", join(["✓ " if f.counts else "✗ ", _ref(site, page, f.record) if kind_of_id(site, f.record) else _with_due_dates(f.record),
                                _with_due_dates(f"：{f.note}") if f.note else ""]))
               for f in sorted(item.inputs, key=lambda f: f.counts)]  # what does not count first, as on the KPI pages
    return Markup(f"<details><summary>{len(item.inputs)} 条依据</summary><ul>") + join(entries) + Markup("</ul></details>")


def evaluation_section(site: Site, record: Record, page: str) -> str:
    parts: list[Any] = []
    for scheme in site.index.own(ev.KIND, record.id):
        for period in scheme.get("periods") or []:
            if not isinstance(period, dict):
                continue
            start, end = to_date(period.get("start")), to_date(period.get("end"))
            if start is None or end is None or start > site.as_of:
                continue
            result = ev.evaluate_scheme(scheme, site.index, site.schemas, period.get("id"), site.as_of)
            running = end > site.as_of
            when = (f"考核期 {result.period}（尚未结束，按 {site.as_of} 已知的数据计）" if running
                    else f"考核期 {result.period}（{start} 至 {end}）")
            if result.missing:  # a partial sum is no score: no tier, no payment share
                head = (f"{scheme.get('title')}：{when}，评分不全，考核结果未定：尚缺"
                        f"{'、'.join(i.name for i in result.indicators if i.id in result.missing)}；其余指标已计 {ev.score_text(result.score)} 分")
            else:
                head = (f"{scheme.get('title')}：{when}，总分 {ev.score_text(result.score)} 分，档次 {result.tier or EMPTY}，"
                        f"付款比例 {EMPTY if result.payment_share is None else rate_text(result.payment_share)}"
                        + (f"；{result.consequence}" if result.consequence else ""))
            rows, keys = [], []
            for item in result.indicators:
                rows.append([item.group, item.name, ev.score_text(item.weight), site.schemas.label("indicator_source", item.source),
                             item.value_text(item.value), item.value_text(item.target),
                             EMPTY if item.share is None else rate_text(item.share), ev.score_text(item.points),
                             join([_with_due_dates(item.basis), _inputs(site, item, page)], " ")])
                keys.append([None, None, float(item.weight), None, None, None, None, float(item.points), None])
            tiers = "；".join(f"{t.get('name')} ≥ {t.get('min_score')} 分付 {rate_text(t.get('payment_share'))}"
                             + (f"，{t.get('consequence')}" if t.get("consequence") else "")
                             for t in scheme.get("tiers") or [] if isinstance(t, dict))
            parts += [tag("p", head, class_="yb-summary"),
                      table(["类别", "指标", "权重", "来源", "数值", "目标", "得分比例", "得分", "依据"], rows, sort_values=keys),
                      tag("p", f"分档：{tiers}。依据：{scheme.get('source')}", class_="yb-note")]
            parts += _allocation(site, scheme, result.period)
    if not parts:
        return ""
    return section("绩效考核", *parts)


def _allocation(site: Site, scheme: Record, period: str) -> list[Any]:
    """The members ranked by the period's scores beside the regions they hold before and after (seed 004)."""
    out: list[Any] = []
    for result in allocation.allocations(scheme, site.index, site.schemas, site.as_of):
        if result.period != period:
            continue
        rows = [[fmt(m.rank) if m.rank else EMPTY, m.name, EMPTY if m.score is None else f"{ev.score_text(m.score)} 分", m.source,
                 "、".join(m.regions_before) or EMPTY,
                 "尚未登记" if m.regions_after is None else ("、".join(m.regions_after) or "（不再承办）")] for m in result.members]
        said = (f"{result.year} 年度的区域分配与考核排名一致（得分高的机构分得的区域不少于得分低的）。" if not result.flags and all(
                    m.regions_after is not None for m in result.members) else
                f"{result.year} 年度的区域分配尚未登记。" if not result.flags else "")
        out += [tag("h3", f"{result.year} 年度服务区域分配（按考核期 {period} 的得分）"),
                table(["排名", "承办机构", "考核得分", "得分来源", "原承办区域", f"{result.year} 年承办区域"], rows, sortable=False)]
        out += [tag("p", tag("span", f"与考核结果不一致：{flag}", class_=f"yb-badge {STATUS_CLASS['bad']}"), class_="yb-summary") for flag in result.flags]
        out.append(tag("p", said + "分配机制：结合每年考核情况按区域分配服务范围，原则上优先分配服务质量好的承办机构（肇庆市医疗救助保险服务项目需求调研公告 一（四）3）。",
                       class_="yb-note"))
    return out


# -- budget lines ------------------------------------------------------------------------------------
def budget_section(site: Site, record: Record, page: str) -> str:
    budgets = [b for b in site.all("budget") if any(isinstance(l, dict) and l.get("contract") == record.id
                                                     for l in b.get("lines") or [])]
    paid = sum((Decimal(str(i.get("paid") or 0)) for i in _report(site, record.id).get("payments", [])), Decimal(0))
    parts: list[Any] = []
    for budget in budgets:
        spent: dict[str, Decimal] = {}
        for entry in budget.get("spent") or []:
            if isinstance(entry, dict):
                spent[entry.get("line")] = spent.get(entry.get("line"), Decimal(0)) + Decimal(str(entry.get("amount") or 0))
        rows, total = [], Decimal(0)
        for line in budget.get("lines") or []:
            if not isinstance(line, dict):
                continue
            amount = Decimal(str(line.get("amount") or 0))
            total += amount
            own = line.get("contract") == record.id
            used = f"{yuan(spent[line.get('id')])} 元" if line.get("id") in spent else ("见本项目付款" if own else EMPTY)
            rows.append([join([tag("strong", line.get("name")) if own else line.get("name")]),
                         fmt(line.get("quantity")) + (line.get("unit") or "") if line.get("quantity") is not None else EMPTY,
                         f"{yuan(line['unit_price'])} 元" if line.get("unit_price") is not None else EMPTY,
                         f"{yuan(amount)} 元", "本项目" if own else (line.get("contract") or EMPTY), used, line.get("source") or EMPTY])
        rows.append([tag("strong", "合计"), EMPTY, EMPTY, f"{yuan(total)} 元", EMPTY, EMPTY,
                     "与预算总额一致" if total == Decimal(str(budget.get("total") or 0)) else f"预算总额 {yuan(budget.get('total'))} 元，不一致"])
        own_total = sum((Decimal(str(l.get("amount") or 0)) for l in budget.get("lines") or []
                         if isinstance(l, dict) and l.get("contract") == record.id), Decimal(0))
        parts += [tag("p", f"{budget.get('title')}（{budget.id}，{budget.get('year')} 年，{budget.get('bureau')}）："
                           f"预算总额 {yuan(budget.get('total'))} 元，合 {yuan(Decimal(str(budget.get('total'))) / 10000)} 万元；"
                           f"其中本项目 {yuan(own_total)} 元，截至 {site.as_of} 已付 {yuan(paid)} 元。", class_="yb-summary"),
                  table(["明细", "数量", "单价", "金额", "对应项目", "实际支出", "依据"], rows, sortable=False)]
    if not parts:
        return ""
    return section("预算明细", *parts, tag("p", "有单价的明细：数量 × 单价 = 金额；各行之和须等于预算总额，对应本项目的各行之和须等于本项目的预算金额（yibao validate 检查）。",
                                          class_="yb-note"))


# -- fee cap and postings -----------------------------------------------------------------------------
def fee_cap_section(site: Site, record: Record, page: str) -> str:
    terms = record.get("fee_cap")
    if not isinstance(terms, dict):
        return ""
    caps = _report(site, record.id).get("fee_caps", [])
    rows = []
    for cap in caps:
        regions = "；".join(f"{r['region']} {yuan(r['amount'])} 元（{r['recorded_on']} 登记）" for r in cap["regions"])
        rows.append([fmt(cap["year"]), regions + (f"；未登记：{'、'.join(cap['missing'])}" if cap["missing"] else ""),
                     f"{yuan(cap['spending'])} 元", f"{yuan(cap['by_rate'])} 元", f"{yuan(cap['ceiling'])} 元",
                     tag("strong", f"{yuan(cap['cap'])} 元"), "年度封顶" if cap["capped_by_ceiling"] else "按比例"])
    head = tag("p", f"服务费上限 = min({rate_text(terms.get('rate'))} × 年度实际支出, 年度封顶 {_money(terms.get('ceiling'))})。"
                    f"依据：{terms.get('source') or EMPTY}", class_="yb-summary")
    return section("服务费上限", head, table(["年度", "各区实际支出（医保局登记）", "实际支出合计", "按比例", "年度封顶", "服务费上限", "取值"], rows,
                                           empty="（尚未登记实际支出）"))


def team_section(site: Site, record: Record, page: str) -> str:
    """Every team requirement checked on every day of the period so far: the runs of days one was not met."""
    requirements = record.get("team_requirements")
    if not isinstance(requirements, dict) or not requirements:
        return ""
    breaches = _report(site, record.id).get("team_breaches", [])
    rows = [[b["requirement"], b["start"], b["end"], f"{b['days']} 天", f"{b['have']} / {b['need']}"] for b in breaches]
    postings = [r for r in requirements.get("postings") or [] if isinstance(r, dict)]
    asked = "；".join(f"{r.get('name')}（每个区划至少 {r.get('min_each')} 名：{'、'.join(r.get('regions') or record.get('scope.rule.region_codes') or [])}）"
                     for r in postings)
    head = ("合同的团队要求（人数、岗位、职称、学历、用工形式" + ("、派驻：" + asked if asked else "") + "）在服务期内每一天都须满足；"
            f"截至 {site.as_of}：" + (f"{len(breaches)} 段时间不满足，见下表。" if breaches else "每一天都满足。"))
    return section("团队要求逐日核对", tag("p", head, class_="yb-summary"),
                   table(["要求", "起", "止", "天数", "人数 / 要求"], rows, empty="（无缺员）"))


def contract_money(site: Site, record: Record, page: str) -> str:
    """Every money section of a contract's page (empty for a contract without such terms)."""
    return (terms_section(site, record, page) + instalments_section(site, record, page) + evaluation_section(site, record, page)
            + budget_section(site, record, page) + fee_cap_section(site, record, page) + team_section(site, record, page))
