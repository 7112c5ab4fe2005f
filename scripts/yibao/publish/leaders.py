"""What a bureau leader reads first: the contract's own targets, worst first, and the facts behind each.

The home page shows, per contract, one card for every target the contract sets (the headline KPI
of each ``targets[]`` entry, :attr:`yibao.compute.kpis.Kpi.contract_target`; nothing the contract
does not ask for), ordered 未达标 → 落后进度 → 无数据 → 进行中 → 达标, each with one line saying
why (“12 项逾期完成”, “30 家尚未检查”), a sentence a leader can read aloud, and the phase
milestones as a timeline. Every figure links to a drill-down page (``kpis/<contract>/<kpi>.md``)
listing the items behind it — each record with its institution, dates, status and whether it
counts and why — complete, sortable, filterable and downloadable as a spreadsheet
(``exports/<contract>/<kpi>.csv``, UTF-8 with BOM so Excel opens it in Chinese; cells made
inert by :func:`yibao.core.textsafe.spreadsheet_cell`).
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any, Callable

from ..compute import deadlines as dl_rules
from ..compute import kpis as kpis_mod
from ..compute import report as report_mod
from ..core.money import RATE_RULE
from ..core.record import Record
from ..core.textsafe import spreadsheet_cell
from . import money
from .html import EMPTY, Markup, block, esc, fmt, join, link, relative, table, tag
from .pages import (DUE_CLASS, MILESTONES, PAGE_DIRS, STATUS_CLASS, TERM_CLASS, Site, contract_id, date_span, deadlines_table, front_matter,
                    kind_of_id, kpi_anchor, kpi_name, kpi_status, kpi_value_text, pace_text, section)

KPI_DIR = "kpis"
EXPORT_DIR = "exports"
HOME = "index.md"
#: worst first: what a leader must see before what is fine
SEVERITY = (kpis_mod.KpiStatus.NOT_MET, kpis_mod.KpiStatus.BEHIND, kpis_mod.KpiStatus.NO_DATA,
            kpis_mod.KpiStatus.IN_PROGRESS, kpis_mod.KpiStatus.MET)
DUE_SOON_DAYS = dl_rules.DUE_SOON_DAYS


def status_of(kpi: dict) -> kpis_mod.KpiStatus | None:
    return kpis_mod.KpiStatus.from_label(kpi.get("status"))


def severity(kpi: dict) -> int:
    status = status_of(kpi)
    return SEVERITY.index(status) if status in SEVERITY else len(SEVERITY)


def contract_targets(report: dict) -> list[dict]:
    """The headline KPI of every target the contract sets, worst first, then in the contract's order."""
    found = [k for k in report.get("kpis", []) if k.get("contract_target")]
    return sorted(found, key=lambda k: (severity(k), k["contract_target"]))


def report_of(site: Site, cid: str) -> dict | None:
    return next((r for r in site.reports if contract_id(r) == cid), None)


# -- where things are ------------------------------------------------------------------------------

def kpi_page(cid: str, kpi: dict) -> str:
    return f"{KPI_DIR}/{cid}/{kpi_anchor(kpi)}.md"


def export_path(cid: str, kpi: dict) -> str:
    return f"{EXPORT_DIR}/{cid}/{kpi_anchor(kpi)}.csv"


def kpi_href(page: str, cid: str, kpi: dict) -> str:
    return relative(page, kpi_page(cid, kpi))


def has_drill_down(kpi: dict) -> bool:
    return bool(kpi.get("facts") or kpi.get("records"))


# -- why a figure is what it is -------------------------------------------------------------------

def measure(site: Site, ident: str) -> str:
    """The counting word for an item: 家 for an institution, 项 for anything else."""
    return "家" if site.get("institution", ident) is not None else "项"


def why(site: Site, kpi: dict) -> str:
    """One line a leader reads: what holds the figure back, or that it is met."""
    facts = kpi.get("facts") or []
    held = Counter((f.get("flag") or "未计入", measure(site, f["record"])) for f in facts if not f.get("counts"))
    status = status_of(kpi)
    parts = [f"{n} {word}{flag}" for (flag, word), n in held.most_common()]
    if status == kpis_mod.KpiStatus.BEHIND and kpi.get("pace") is not None:
        parts.append(f"按进度截至统计日应达 {pace_text(kpi)}，实际 {kpi_value_text(kpi)}")
    if status == kpis_mod.KpiStatus.NO_DATA:
        return "还没有可计算的记录"
    if parts:
        return "；".join(parts)
    if status == kpis_mod.KpiStatus.MET:
        return "已达到目标"
    if status == kpis_mod.KpiStatus.IN_PROGRESS and kpi.get("unit") == kpis_mod.COUNT and kpi.get("target") is not None:
        return f"已完成 {fmt(kpi.get('value'))}，目标 {fmt(kpi.get('target'))}"
    return ""


def summary_sentence(site: Site, report: dict) -> str:
    """A line a leader can read aloud: how many targets stand where, and how far the period has run."""
    targets = contract_targets(report)
    by_status = Counter(k.get("status") for k in targets)
    order = [s.label for s in SEVERITY]
    counted = "、".join(f"{label} {by_status[label]} 项" for label in order if by_status.get(label))
    contract = report.get("contract") if isinstance(report.get("contract"), dict) else {}
    view = site.views.get(contract_id(report))
    elapsed = ""
    if view is not None and view.elapsed is not None:
        elapsed = f"服务期已过 {report_mod.display(min(view.elapsed, 1), kpis_mod.RATE)}；"
    return (f"{contract.get('name') or contract_id(report)}：{elapsed}合同共 {len(targets)} 项考核指标，"
            f"{counted or '尚无可计算的指标'}（截至 {report.get('as_of')}）。")


# -- the home page ---------------------------------------------------------------------------------

def _data_attrs(kpi: dict) -> str:
    return (f'data-kpi-id="{esc(kpi.get("id"))}" data-value="{esc(_raw(kpi.get("value")))}" '
            f'data-target="{esc(_raw(kpi.get("target")))}" data-status="{esc(_raw(kpi.get("status")))}"')


def _raw(value: Any) -> str:
    return "" if value is None else str(value)


def target_card(site: Site, cid: str, kpi: dict, page: str) -> Markup:
    cls = STATUS_CLASS[kpi_status(kpi)]
    ratio = (f"{fmt(kpi.get('numerator'))} / {fmt(kpi.get('denominator'))}" if kpi.get("denominator") is not None else "")
    reason = why(site, kpi)
    inner = join([
        tag("div", kpi_name(kpi), class_="yb-kpi-name"),
        tag("div", join([tag("span", kpi_value_text(kpi), class_="yb-kpi-value"),
                         tag("span", kpi.get("status") or EMPTY, class_="yb-kpi-status")], " "), class_="yb-kpi-main"),
        tag("div", f"目标 {kpi_value_text(kpi, 'target')}" + (f" · 按进度应达 {pace_text(kpi)}" if kpi.get("pace") is not None else "")
            + (f" · {ratio}" if ratio else ""), class_="yb-kpi-target"),
        tag("div", reason, class_="yb-kpi-why") if reason else "",
    ])
    target = kpi_href(page, cid, kpi) if has_drill_down(kpi) else site.href(page, "contract", cid)
    body = link(inner, target) if target else inner
    return Markup(f'<div class="yb-kpi {cls}" {_data_attrs(kpi)}>{body}</div>')


def target_cards(site: Site, report: dict, page: str = HOME) -> str:
    """The contract's targets as cards, worst first, with the summary sentence and the milestones."""
    cid = contract_id(report)
    contract = report.get("contract") if isinstance(report.get("contract"), dict) else {}
    period = contract.get("period") or {}
    head = tag("p", summary_sentence(site, report), class_="yb-summary")
    meta = (Markup('<p class="yb-note">') + f"{contract.get('bureau') or ''} · 服务期 "
            + date_span(period.get("start"), TERM_CLASS) + " 至 " + date_span(period.get("end"), TERM_CLASS)
            + " · " + link("合同与全部指标 →", site.href(page, "contract", cid)) + Markup("</p>"))
    cards = [target_card(site, cid, k, page) for k in contract_targets(report)]
    body = Markup('<div class="yb-kpis">') + join(cards) + Markup("</div>") if cards else tag(
        "p", "合同没有约定考核指标。", class_="yb-empty")
    return (f'<div class="yb-block yb-kpi-group" data-contract="{esc(cid)}">{head}{meta}{body}'
            f"{milestone_timeline(site, report, page)}</div>")


def milestone_timeline(site: Site, report: dict, page: str) -> Markup:
    """The contract's phase milestones (and a campaign's phases), in date order, as a timeline."""
    cid = contract_id(report)
    steps = [k for k in report.get("kpis", []) if report_mod.family(k["id"]) == MILESTONES and "/" in k["id"]]
    if not steps:
        return Markup("")
    items = []
    for kpi in steps:
        fact = next(iter(kpi.get("facts") or []), None)
        cls = STATUS_CLASS[kpi_status(kpi)]
        note = tag("span", note_html(fact["note"]), class_="yb-note") if fact else ""
        items.append(tag("li", join([tag("span", kpi.get("status") or EMPTY, class_=f"yb-badge {cls}".strip()), " ",
                                     kpi_name(kpi), " ", note]), class_=f"yb-timeline-step {cls}".strip()))
    summary = next((k for k in report.get("kpis", []) if k["id"] == MILESTONES), None)
    title = "阶段节点" + (f"（按时完成 {fmt(summary.get('numerator'))} / {fmt(summary.get('denominator'))}）"
                          if summary and summary.get("denominator") else "")
    more = link("查看 →", kpi_href(page, cid, summary)) if summary and has_drill_down(summary) else ""
    return Markup(f'<div class="yb-milestones"><h3>{esc(title)} {more}</h3><ol class="yb-timeline">{join(items)}</ol></div>')


# -- drill-down pages ------------------------------------------------------------------------------

_DUE_IN_NOTE = re.compile(r"(应于 )(\d{4}-\d{2}-\d{2})( 前)")
_DUE_IN_NAME = re.compile(r"（\d{4}-\d{2}-\d{2} 前）$")


def note_html(note: str) -> Markup:
    """A fact's note; the due date it quotes is marked as one (it may lie after the statistics date)."""
    parts, at = [], 0
    for match in _DUE_IN_NOTE.finditer(note):
        parts += [esc(note[at:match.start(2)]), date_span(match.group(2), DUE_CLASS)]
        at = match.end(2)
    return join(parts + [esc(note[at:])])


def page_title(kpi: dict) -> str:
    """A drill-down page's title: the KPI's name without a milestone's due date (shown in the page)."""
    return _DUE_IN_NAME.sub("", str(kpi.get("name") or kpi.get("id")))

def item_facts(site: Site, kpi: dict) -> list[dict]:
    """The items behind a figure: its facts, or (for a plain count) its records, each counting."""
    if kpi.get("facts"):
        return list(kpi["facts"])
    return [{"record": r, "counts": True, "note": "", "flag": None, "days_late": None} for r in kpi.get("records") or []]


def describe(site: Site, ident: str) -> dict:
    """What a reader needs to recognise an item: kind, name, institution, dates, status."""
    kind = kind_of_id(site, ident) or ("staff" if site.get("staff", ident) is not None else None)
    record = site.get(kind, ident) if kind else None
    out = {"kind": kind, "record": record, "name": "", "institution": None, "dates": "", "status": ""}
    if record is None:
        return out
    if kind == "institution":
        out["name"] = record.get("name") or ""
        out["status"] = record.get("type") or ""
        return out
    out["institution"] = record.get("institution") or record.get("subject.institution")
    out["name"] = (record.get("title") or record.get("name") or record.get("type") or record.get("kind")
                   or record.get("role") or "")
    start = record.get("start_date") or record.get("date") or record.get("timeline.registered_on") or record.get("joined_on")
    end = record.get("end_date") or record.get("timeline.closed_on")
    out["dates"] = f"{fmt(start)} 至 {fmt(end)}" if start and end and end != start else fmt(start) if start else ""
    status = record.get("status")
    out["status"] = status if isinstance(status, str) else ""
    return out


def fact_rows(site: Site, kpi: dict, page: str) -> tuple[list, list, list, list[list[str]]]:
    facts = sorted(item_facts(site, kpi), key=lambda f: (bool(f.get("counts")), -(f.get("days_late") or 0)))
    rows, keys, classes, plain = [], [], [], []
    for f in facts:
        ident = f["record"]
        info = describe(site, ident)
        inst = site.get("institution", info["institution"]) if info["institution"] else None
        counted = "计入" if f.get("counts") else (f.get("flag") or "未计入")
        ref = site.ref(page, info["kind"], ident, with_name=False) if info["kind"] in PAGE_DIRS or info["kind"] == "staff" else esc(ident)
        institution = (site.ref(page, "institution", info["institution"], with_name=False) + " " + esc(inst.get("name") or "")
                       if inst is not None else esc(info["institution"] or ""))
        badge = tag("span", counted, class_=f"yb-badge {STATUS_CLASS['ok' if f.get('counts') else 'bad']}")
        rows.append([Markup(f'<span class="yb-id">{ref}</span>'), info["name"], institution, info["dates"], info["status"] or EMPTY,
                     badge, note_html(f.get("note") or "")])
        keys.append([ident, None, info["institution"], info["dates"], None, 1 if f.get("counts") else 0, f.get("days_late") or 0])
        classes.append("" if f.get("counts") else "yb-row-alert")
        plain.append([ident, info["name"], info["institution"] or "", inst.get("name") if inst is not None else "",
                      info["dates"], info["status"], counted, f.get("note") or ""])
    return rows, keys, classes, plain


FACT_HEADERS = ["编号", "名称", "机构", "日期", "记录状态", "是否计入", "说明"]
EXPORT_HEADERS = ["编号", "名称", "机构编码", "机构名称", "日期", "记录状态", "是否计入", "说明"]


def breakdowns(report: dict, kpi: dict) -> list[dict]:
    """The other KPIs of the same family (per type, per institution …), for a headline's page."""
    family = report_mod.family(kpi["id"])
    return [k for k in report.get("kpis", []) if k is not kpi and report_mod.family(k["id"]) == family]


def drill_page(site: Site, cid: str, kpi: dict) -> tuple[str, str]:
    page = kpi_page(cid, kpi)
    report = report_of(site, cid) or {}
    cls = STATUS_CLASS[kpi_status(kpi)]
    contract_href = site.href(page, "contract", cid)
    lines = [("实际", kpi_value_text(kpi)), ("目标", kpi_value_text(kpi, "target"))]
    if kpi.get("pace") is not None:
        lines.append(("按进度截至统计日应达", pace_text(kpi)))
    if kpi.get("denominator") is not None:
        lines.append(("计算", f"{fmt(kpi.get('numerator'))} / {fmt(kpi.get('denominator'))}"))
    facts = join([tag("span", join([tag("span", k, class_="yb-fact-label"), " ", tag("strong", v)]), class_="yb-fact")
                  for k, v in lines], " ")
    reason = why(site, kpi)
    head = join([
        tag("p", join([tag("span", kpi.get("status") or EMPTY, class_=f"yb-badge {cls}".strip()), " ", facts])),
        tag("p", reason, class_="yb-kpi-why") if reason else "",
        tag("p", join([f"{cid} · 数据截至 {report.get('as_of')} · ", link("返回合同页面", contract_href) if contract_href else "",
                       " · ", link("返回首页", relative(page, HOME))]), class_="yb-note"),
        Markup('<details class="yb-definition"><summary>口径说明</summary>') + tag("p", kpi.get("definition") or "")
        + tag("p", RATE_RULE) + Markup("</details>"),
    ])
    rows, keys, classes, _ = fact_rows(site, kpi, page)
    held = sum(1 for c in classes if c)
    caption = (f"共 {len(rows)} 项，其中 {held} 项未计入（排在前面）。" if held else f"共 {len(rows)} 项，全部计入。") if rows else ""
    download = link("下载表格（CSV，Excel 可直接打开）", relative(page, export_path(cid, kpi))) if rows else ""
    listing = table(FACT_HEADERS, rows, sort_values=keys, row_classes=classes, filterable=True,
                    empty="（没有计入的记录）", cls="yb-facts")
    text = front_matter(page_title(kpi)) + block(tag("p", kpi_name(kpi)) if page_title(kpi) != kpi.get("name") else "", head) + "\n"
    from . import planning  # which draw a figure's inspections came from (双随机)

    text += section("计入的记录与原因", tag("p", join([caption, " ", download]), class_="yb-note"), listing,
                    planning.kpi_draw_note(site, kpi, page))
    subs = breakdowns(report, kpi) if "/" not in kpi["id"] else []
    if subs:
        text += section("分项", kpi_list(site, cid, subs, page))
    return page, text


def kpi_list(site: Site, cid: str, kpis: list[dict], page: str) -> Markup:
    """KPIs as a table whose names link to their drill-down pages."""
    rows, keys, classes = [], [], []
    for k in kpis:
        name = link(kpi_name(k), kpi_href(page, cid, k)) if has_drill_down(k) else kpi_name(k)
        cls = kpi_status(k)
        rows.append([name, kpi_value_text(k, "target"), kpi_value_text(k),
                     f"{fmt(k.get('numerator'))} / {fmt(k.get('denominator'))}" if k.get("denominator") is not None else fmt(k.get("numerator")),
                     tag("span", k.get("status") or EMPTY, class_=f"yb-badge {STATUS_CLASS[cls]}".strip()), why(site, k) or EMPTY])
        keys.append([None, k.get("target"), k.get("value"), k.get("numerator"), severity(k), None])
        classes.append({"bad": "yb-row-alert", "warn": "yb-row-warn"}.get(cls, ""))
    return table(["指标", "目标", "实际", "分子 / 分母", "状态", "原因"], rows, sort_values=keys, row_classes=classes,
                 filterable=len(rows) > 20)


def drill_makers(site: Site) -> list[Callable[[], tuple[str, str]]]:
    return [partial(drill_page, site, contract_id(r), k) for r in site.reports for k in r.get("kpis", []) if has_drill_down(k)]


def export_csv(site: Site, cid: str, kpi: dict) -> bytes:
    _, _, _, plain = fact_rows(site, kpi, kpi_page(cid, kpi))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for row in plain:
        writer.writerow([spreadsheet_cell(str(cell)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_exports(site: Site, output: Path) -> list[Path]:
    """Every drill-down table as a spreadsheet file beside the site (scanned by the leak check)."""
    written = []
    for report in site.reports:
        cid = contract_id(report)
        for kpi in report.get("kpis", []):
            if not has_drill_down(kpi):
                continue
            path = output / export_path(cid, kpi)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(export_csv(site, cid, kpi))
            written.append(path)
    return written


# -- deadlines -------------------------------------------------------------------------------------

def deadlines_page(site: Site) -> tuple[str, str]:
    """Overdue, due within 7 days, and completed late: each with its days and its rule in words."""
    page = "deadlines.md"
    text = front_matter("时限提醒")
    overdue, soon, late = [], [], []
    for report in site.reports:
        found = report.get("deadlines") or {}
        overdue += found.get("overdue", [])
        soon += found.get("due_soon", [])
        late += found.get("late", [])
    late.sort(key=lambda d: -(d.get("days_late") or 0))
    text += block(tag("p", f"数据截至 {site.as_of.isoformat()}。每项写明适用的时限规则（期限和起止）、到期日、完成日期和逾期天数；"
                           "期限按合同约定计算，自然日的最后一日遇休息日顺延，工作日按工作日历计算。", class_="yb-note")) + "\n"
    when = site.as_of.isoformat()
    text += section(f"已逾期、尚未完成（{len(overdue)}）",
                    deadlines_table(site, overdue, page, with_record=True) if overdue else
                    tag("p", f"截至 {when}，没有已逾期而尚未完成的事项。", class_="yb-empty"))
    text += section(f"{DUE_SOON_DAYS} 日内到期（{len(soon)}）",
                    deadlines_table(site, soon, page, with_record=True) if soon else
                    tag("p", f"{when} 起 {DUE_SOON_DAYS} 日内没有到期的事项。", class_="yb-empty"))
    text += section(f"已完成但逾期（{len(late)}）",
                    deadlines_table(site, late, page, with_record=True) if late else
                    tag("p", f"截至 {when}，没有逾期完成的事项。", class_="yb-empty"))
    return page, text


def page_makers(site: Site) -> list[Callable[[], tuple[str, str]]]:
    return drill_makers(site) + [partial(deadlines_page, site)]


# -- the contract page: its terms in words, its figures with their reasons ------------------------------

TARGET_FIELDS_SHOWN_APART = ("targets", "deadlines")
_QUALIFIER_SKIP = ("metric", "name", "target")


def _words(site: Site, path: tuple, value: Any) -> str:
    if isinstance(value, bool):
        return site.title("contract", path) if value else ""
    if isinstance(value, list):
        return "、".join(site.term("contract", path, v) for v in value)
    return site.term("contract", path, value)


def target_sentence(site: Site, contract: Record, target: dict, unit: str) -> str:
    """A contract target as a reader says it: 病历抽审比例 ≥ 2.50%（近两年；适用机构类型：定点医疗机构）."""
    label = target.get("name") or site.schemas.label("metric", target.get("metric", ""))
    goal = report_mod.display(target.get("target"), unit) if target.get("target") is not None else EMPTY
    details = []
    rules = {r.get("id"): r for r in contract.get("deadlines") or [] if isinstance(r, dict)}
    for key, value in target.items():
        if key in _QUALIFIER_SKIP or value in (None, "", []):
            continue
        path = ("targets", key)
        if key == "lookback_years":
            details.append(f"近{value}年业务量为分母")
        elif key == "denominator_year_offset":
            years = contract.get("period.start")
            details.append(f"以{years.year - value}年业务量为分母" if hasattr(years, "year") else f"{site.title('contract', path)}：{value}")
        elif key == "deadline":
            rule = rules.get(value) or {}
            details.append(f"时限：{rule.get('name') or value}")
        elif key == "governed_by":
            details.append("每家机构都须达到" if value == "each" else "按合计比例判定")
        else:
            text = _words(site, path, value)
            if text:
                details.append(text if isinstance(value, bool) else f"{site.title('contract', path)}：{text}")
    metric = site.schemas.label("metric", target.get("metric", ""))
    head = f"{label} ≥ {goal}"
    if metric and metric not in label:
        head += f"（指标：{metric}）"
    return head + (f"（{'；'.join(details)}）" if details else "")


def rule_sentence(site: Site, rule: dict) -> str:
    """A deadline rule in words: its subject, from which date, how many days of which kind, until what."""
    kind = rule.get("applies_to") or ""
    kind_label = site.schemas.kind_label(kind) if kind else ""

    def field(dotted: str) -> str:
        if not isinstance(dotted, str) or not kind:
            return fmt(dotted)
        own = dotted.split(".")
        if own[0] in site.schemas.kinds and len(own) > 1:  # inspection.end_date in a case rule
            return f"关联{site.schemas.kind_label(own[0])}的{site.label(own[0], tuple(own[1:]))}"
        return site.label(kind, tuple(own))

    who = "、".join(rule.get("institution_types") or []) or "全部机构"
    which = "、".join(rule.get("inspection_types") or [])
    text = (f"{rule.get('name')}：{who}{('的' + which) if which else '的'}{kind_label}，自“{field(rule.get('starts'))}”起 "
            f"{rule.get('days')} 个{rule.get('day_type')}内完成“{field(rule.get('ends'))}”")
    if rule.get("source"):
        text += f"（依据：{rule['source']}）"
    return text


def contract_terms(site: Site, record: Record, page: str) -> str:
    report = report_of(site, record.id) or {}
    headlines = {k.get("contract_target"): k for k in report.get("kpis", []) if k.get("contract_target")}
    items = []
    for position, target in enumerate(record.get("targets") or [], start=1):
        if not isinstance(target, dict):
            continue
        kpi = headlines.get(position)
        unit = kpi.get("unit") if kpi else (kpis_mod.RATE if isinstance(target.get("target"), float) else kpis_mod.COUNT)
        sentence = target_sentence(site, record, target, unit)
        if kpi is not None:
            cls = STATUS_CLASS[kpi_status(kpi)]
            sentence_html = join([link(sentence, kpi_href(page, record.id, kpi)) if has_drill_down(kpi) else esc(sentence), " ",
                                  tag("span", f"{kpi.get('status') or EMPTY} {kpi_value_text(kpi)}", class_=f"yb-badge {cls}".strip())])
        else:
            sentence_html = esc(sentence)
        items.append(tag("li", sentence_html))
    rules = [tag("li", rule_sentence(site, r)) for r in record.get("deadlines") or [] if isinstance(r, dict)]
    out = section("合同约定的考核目标", Markup("<ol>") + join(items) + Markup("</ol>") if items else tag("p", "（无）", class_="yb-empty"))
    if rules:
        out += section("合同约定的时限", Markup("<ol>") + join(rules) + Markup("</ol>"),
                       tag("p", "自然日期限的最后一日遇周末或法定节假日顺延至其后第一个工作日（《民法典》第二百零三条），合同另有约定的除外；"
                                "工作日期限按工作日历计算。", class_="yb-note"))
    return out


def contract_figures(site: Site, record: Record, page: str) -> str:
    """The contract's figures: its targets with reasons, then the descriptive tables, each linked to its facts."""
    report = report_of(site, record.id)
    if report is None:
        return ""
    targets = contract_targets(report)
    out = section("考核目标完成情况（未达标在前）", kpi_list(site, record.id, targets, page),
                  tag("p", f"数据截至 {report.get('as_of')}。点击指标名称查看计入的每一条记录和原因。" + RATE_RULE, class_="yb-note"))
    groups: dict[Any, list[dict]] = {}
    for kpi in report.get("kpis", []):
        if kpi.get("contract_target"):
            continue
        groups.setdefault(report_mod.table_of(kpi["id"]), []).append(kpi)
    for name in (report_mod.Table.KPIS, report_mod.Table.MILESTONES, report_mod.Table.INSTITUTIONS):
        if groups.get(name):
            out += section("分项与明细" if name == report_mod.Table.KPIS else name.label, kpi_list(site, record.id, groups[name], page))
    for name in (report_mod.Table.CASES, report_mod.Table.MONEY):
        if groups.get(name):
            out += section(name.label, figure_list(site, record.id, groups[name], page))
    return out


def figure_list(site: Site, cid: str, kpis: list[dict], page: str) -> Markup:
    """Descriptive figures (counts, amounts): name and value only, no target or status to judge."""
    rows, keys = [], []
    for k in kpis:
        if not k.get("value") and not k.get("records"):
            continue
        name = link(kpi_name(k), kpi_href(page, cid, k)) if has_drill_down(k) else kpi_name(k)
        rows.append([name, Markup(f'<span class="yb-amount">{esc(kpi_value_text(k))}</span>')])
        keys.append([None, k.get("value")])
    unit = "金额（元）" if kpis and kpis[0].get("unit") == kpis_mod.YUAN else "数量"
    return table(["项目", unit], rows, sort_values=keys, empty="（都为 0）")


def contract_extra(site: Site, record: Record, page: str) -> str:
    from .pages import contract_team  # the team and record counts stay with the other record sections

    return (contract_terms(site, record, page) + contract_figures(site, record, page)
            + money.contract_money(site, record, page) + contract_team(site, record, page))


EXTRA = {"contract": contract_extra}
SHOWN_APART = {"contract": TARGET_FIELDS_SHOWN_APART + money.SHOWN_APART}
