"""The wall screen (大屏, seed 001): one full-screen page for a 1920×1080 display in a meeting room.

Written by ``yibao build`` as ``screen.html`` beside the portal, standalone (its own inline style,
no theme, no script, nothing from another host): the targets of every contract with their status
colour, the month's inspections and findings, cases and screening leads by status, and what is
overdue. It reloads itself every few minutes, so a display left open shows the site as last built.
The page goes through the same leak check as the rest of the site.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from pathlib import Path

from ..compute import report as report_mod
from ..core.record import as_date
from . import charts
from .html import EMPTY, Markup, esc, fmt, join, tag
from .leaders import contract_targets, why
from .pages import STATUS_CLASS, Site, contract_id, kpi_status, kpi_value_text

FILE = "screen.html"
REFRESH_SECONDS = 300
COLOURS = {"yb-status-ok": "#43a047", "yb-status-bad": "#e53935", "yb-status-warn": "#fb8c00", "": "#9e9e9e"}

STYLE = """
*{box-sizing:border-box} html,body{margin:0;height:100%;background:#0d1b2a;color:#e0e6ee;
font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif}
body{display:grid;grid-template-rows:auto 1fr;min-height:100vh;padding:18px 28px;gap:14px}
header{display:flex;justify-content:space-between;align-items:baseline;border-bottom:2px solid #1f3b57;padding-bottom:8px}
h1{font-size:34px;margin:0;letter-spacing:2px} .when{font-size:18px;color:#9fb3c8}
main{display:grid;grid-template-columns:1.5fr 1fr;gap:18px;min-height:0}
section{background:#13263a;border-radius:8px;padding:12px 16px;overflow:hidden}
h2{font-size:22px;margin:0 0 10px;color:#cfe3f7} h3{font-size:18px;margin:8px 0 6px;color:#9fb3c8}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:10px}
.tile{background:#1b3149;border-left:8px solid #9e9e9e;border-radius:6px;padding:8px 12px}
.tile .n{font-size:15px;color:#b8c7d6;min-height:2.4em} .tile .v{font-size:34px;font-weight:700}
.tile .s{font-size:16px;margin-left:8px} .tile .w{font-size:14px;color:#ffcc80}
.col{display:grid;gap:18px;align-content:start;min-height:0}
.big{display:flex;gap:26px;flex-wrap:wrap} .big div{font-size:16px;color:#9fb3c8} .big b{display:block;font-size:40px;color:#fff}
table{width:100%;border-collapse:collapse;font-size:16px} td,th{padding:4px 6px;border-bottom:1px solid #24405e;text-align:left}
th{color:#9fb3c8;font-weight:400} td.num{text-align:right;white-space:nowrap} .late{color:#ff8a80;white-space:nowrap}
.yb-chart{margin:0} .yb-chart figcaption{font-size:16px;color:#9fb3c8} .yb-chart details,.yb-chart-note{display:none}
.yb-svg text{fill:#e0e6ee !important} .empty{color:#9fb3c8;font-size:16px}
"""


def month_of(day: _dt.date) -> tuple[_dt.date, _dt.date]:
    start = day.replace(day=1)
    following = (start + _dt.timedelta(days=32)).replace(day=1)
    return start, following - _dt.timedelta(days=1)


def target_tiles(site: Site, report: dict) -> Markup:
    tiles = []
    for kpi in contract_targets(report):
        colour = COLOURS[STATUS_CLASS[kpi_status(kpi)]]
        reason = why(site, kpi)
        tiles.append(Markup(f'<div class="tile" style="border-left-color:{colour}">')
                     + tag("div", kpi.get("name") or kpi.get("id"), class_="n")
                     + Markup('<div><span class="v">') + esc(kpi_value_text(kpi)) + Markup(
                         f'</span><span class="s" style="color:{colour}">') + esc(kpi.get("status") or EMPTY)
                     + Markup("</span></div>") + (tag("div", reason, class_="w") if reason and kpi_status(kpi) != "ok" else "")
                     + Markup("</div>"))
    return Markup('<div class="tiles">') + join(tiles) + Markup("</div>")


def month_block(site: Site) -> Markup:
    start, end = month_of(site.as_of)
    started = ended = 0
    findings: Counter = Counter()
    for view in site.views.values():
        for r in view.started_inspections:
            day = as_date(r.get("start_date"))
            if day is not None and start <= day <= site.as_of:
                started += 1
        for r in view.inspections:
            day = as_date(r.get("end_date"))
            if day is not None and start <= day <= site.as_of:
                ended += 1
                for f in r.get("findings") or []:
                    if isinstance(f, dict) and f.get("violation_type"):
                        findings[f["violation_type"]] += 1
    big = Markup('<div class="big">') + join([
        Markup("<div>本月开始检查<b>") + esc(fmt(started)) + Markup("</b></div>"),
        Markup("<div>本月结束检查<b>") + esc(fmt(ended)) + Markup("</b></div>"),
        Markup("<div>本月发现问题<b>") + esc(fmt(sum(findings.values()))) + Markup("</b></div>")]) + Markup("</div>")
    bars = [charts.Bar(k, n) for k, n in findings.most_common(6)]
    chart = charts.hbars("wall-findings", "本月发现问题（按违规类型）", bars, headers=("违规类型", "问题数")) if bars else tag(
        "p", "本月已结束的检查中还没有发现问题。", class_="empty")
    return tag("h2", f"本月（{start.isoformat()} 至 {site.as_of.isoformat()}）") + big + chart


def cases_block(site: Site) -> Markup:
    by_status: Counter = Counter()
    by_source: Counter = Counter()
    for report in site.reports:
        for kpi in report.get("kpis", []):
            family, qualifier = report_mod.family(kpi["id"]), report_mod.qualifier(kpi["id"])
            if family == "cases_by_status" and kpi.get("value"):
                by_status[qualifier] += kpi["value"]
            if family == "cases_by_source" and kpi.get("value"):
                by_source[qualifier] += kpi["value"]
    order = site.schemas.terms("case_status")
    rows = "".join(f"<tr><td>{esc(s)}</td><td class=\"num\">{esc(fmt(by_status[s]))}</td></tr>" for s in order if by_status.get(s))
    sources = "".join(f"<tr><td>{esc(s)}</td><td class=\"num\">{esc(fmt(n))}</td></tr>" for s, n in by_source.most_common())
    status_table = Markup(f"<table><tr><th>状态</th><th>件数</th></tr>{rows}</table>") if rows else tag("p", "没有案件线索。", class_="empty")
    source_table = Markup(f"<table><tr><th>来源（含数据筛查预警）</th><th>件数</th></tr>{sources}</table>") if sources else ""
    return tag("h2", "案件线索") + status_table + tag("h3", "按来源") + source_table


def overdue_block(site: Site, limit: int = 8) -> Markup:
    items = []
    for report in site.reports:
        found = report.get("deadlines") or {}
        items += found.get("overdue", [])
    items.sort(key=lambda d: -(d.get("days_late") or 0))
    if not items:
        return tag("h2", "逾期未完成") + tag("p", f"截至 {site.as_of.isoformat()}，没有逾期未完成的事项。", class_="empty")
    rows = "".join(f"<tr><td>{esc(d.get('record'))}</td><td>{esc(d.get('name'))}</td>"
                   f"<td class=\"late\">逾期 {esc(fmt(d.get('days_late')))} 天</td></tr>" for d in items[:limit])
    more = tag("p", f"另有 {len(items) - limit} 项，见门户“时限提醒”页面。", class_="empty") if len(items) > limit else ""
    return tag("h2", f"逾期未完成（{len(items)}）") + Markup(f"<table>{rows}</table>") + more


def render(site: Site, built_at: str) -> str:
    contracts = join([tag("h3", (r.get("contract") or {}).get("name") or contract_id(r)) + target_tiles(site, r)
                      for r in site.reports])
    left = Markup("<section>") + tag("h2", "考核指标（未达标在前）") + contracts + Markup("</section>")
    right = Markup('<div class="col">') + join([Markup("<section>") + block + Markup("</section>") for block in
                                                (month_block(site), cases_block(site), overdue_block(site))]) + Markup("</div>")
    return ("<!doctype html>\n"
            f'<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><title>医保基金监管大屏</title>'
            f"<style>{STYLE}</style></head><body>"
            f"<header><h1>医保基金监管大屏</h1><span class=\"when\">数据截至 {esc(site.as_of.isoformat())} · 生成于 <span class=\"yb-built-at\">{esc(built_at)}</span>"
            f" · 每 {REFRESH_SECONDS // 60} 分钟自动刷新</span></header>"
            f"<main>{left}{right}</main></body></html>\n")


def write(site: Site, output: Path) -> Path:
    path = output / FILE
    built_at = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    path.write_text(render(site, built_at), encoding="utf-8")
    return path
