"""Charts drawn at build time with Vega-Lite (rendered to SVG by vl-convert, offline).

A chart is a Vega-Lite specification made here from the figures and rendered to inline SVG when
the portal is built: no script runs in the reader's browser and nothing is fetched, so charts work
on an intranet, print, and show with JavaScript disabled. The rules a reader relies on are set
once here: counts have whole-number ticks, one chart has one money unit (万元 or 元, said in its
title), colour means something (a status, or one colour for one series), labels are 12 px at
the chart's own width (narrow enough for a 390 px phone, so nothing is shrunk), and every chart
carries its data as a table beside it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import vl_convert

from .html import Markup, esc, fmt, table, yuan

WIDTH = 330  # the plot's width in px: fits a 390 px phone without scaling the text down
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
#: what a colour means; the same names as the KPI cards' status classes
STATUS_COLOURS = {"ok": "#2e7d32", "bad": "#c62828", "warn": "#ef6c00", "na": "#757575"}
SERIES = "#3949ab"  # one series, one colour
TRACK = "#d9dce3"
STATUS_WORDS = {"ok": "达到目标", "bad": "未达到目标", "warn": "落后进度", "na": "没有目标"}
TEN_THOUSAND = 10_000


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    total: float | None = None  # for progress bars: value out of total
    note: str = ""
    status: str = ""  # ok / bad / warn / na: the bar's colour says it (empty: the one series colour)
    status_label: str = ""  # the status in words, for the legend (the KPI's own status word)


def _config() -> dict:
    axis = {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12, "labelColor": "#555",
            "titleColor": "#555", "gridColor": "#e0e0e0", "domainColor": "#999", "tickColor": "#999", "labelLimit": 150}
    return {"font": FONT, "axis": axis, "legend": {"labelFont": FONT, "labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "text": {"font": FONT, "fontSize": 12}, "view": {"stroke": None}, "background": None}


def render(spec: dict, chart_id: str) -> str:
    """A Vega-Lite specification as inline SVG; its internal IDs are made unique to the chart."""
    svg = vl_convert.vegalite_to_svg({**spec, "config": _config()})
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    return svg.replace('class="marks"', 'class="yb-svg marks" role="img"', 1)


def _figure(chart_id: str, title: str, svg: str, data_table: Markup, caption: str = "") -> Markup:
    cap = f'<p class="yb-chart-note">{esc(caption)}</p>' if caption else ""
    return Markup(
        f'<figure class="yb-chart" id="{esc(chart_id)}"><figcaption>{esc(title)}</figcaption>'
        f'<div class="yb-chart-svg">{svg}</div>{cap}'
        f"<details><summary>数据表</summary>{data_table}</details></figure>"
    )


def _empty(chart_id: str, title: str, caption: str) -> Markup:
    return _figure(chart_id, title, '<p class="yb-empty">（暂无数据）</p>', Markup(""), caption)


def _count_axis(top: float) -> dict:
    """Whole-number ticks for counts: 0, 5, 10 … never 0.5 of an inspection."""
    return {"tickMinStep": 1, "format": "d", "tickCount": min(max(int(top), 1), 5)}


def money_unit(values: list[float]) -> tuple[float, str]:
    """One money unit for a whole chart: 万元 when the largest amount reaches ten thousand yuan."""
    return (TEN_THOUSAND, "万元") if values and max(values) >= TEN_THOUSAND else (1, "元")


def hbars(chart_id: str, title: str, bars: list[Bar], *, money: bool = False, caption: str = "",
          headers: tuple[str, str] = ("项目", "数量")) -> Markup:
    """Horizontal bars, one per category; with ``total`` each bar is a progress bar (value of total)
    and its colour is its status."""
    if not bars:
        return _empty(chart_id, title, caption)
    progress = any(b.total for b in bars)
    divisor, unit = money_unit([b.value for b in bars]) if money else (1, "")
    rows = []
    for b in bars:
        shown = f"{yuan(b.value)} 元" if money else (f"{fmt(_int(b.value))} / {fmt(_int(b.total))}" if b.total else fmt(_int(b.value)))
        rows.append({"label": b.label, "value": b.value / divisor, "total": (b.total or 0) / divisor,
                     "share": (b.value / b.total) if b.total else None, "text": shown,
                     "status": b.status_label or STATUS_WORDS.get(b.status or "", "")})
    height = 30 * len(bars)
    y = {"field": "label", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 130}}
    layers: list[dict] = []
    if progress:
        layers.append({"mark": {"type": "bar", "color": TRACK, "cornerRadius": 2},
                       "encoding": {"y": y, "x": {"field": "share", "type": "quantitative", "title": None,
                                                   "scale": {"domain": [0, 1]}, "axis": {"format": ".0%", "tickCount": 4}},
                                    "x2": {"datum": 1}}})
        bar_x = {"field": "share", "type": "quantitative"}
    else:
        bar_x = {"field": "value", "type": "quantitative", "title": f"金额（{unit}）" if money else None,
                 "axis": _count_axis(max(r["value"] for r in rows)) if not money else {"tickCount": 4}}
    colour: dict = {"value": SERIES}
    used = {b.status_label or STATUS_WORDS.get(b.status, ""): b.status for b in bars if b.status}
    if used:
        colour = {"field": "status", "type": "nominal", "title": None,
                  "scale": {"domain": list(used), "range": [STATUS_COLOURS[s] for s in used.values()]}}
    layers.append({"mark": {"type": "bar", "cornerRadius": 2}, "encoding": {"y": y, "x": bar_x, "color": colour}})
    layers.append({"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12},
                   "encoding": {"y": y, "x": {"value": 0} if progress else bar_x, "text": {"field": "text"}}
                   | ({"x": {"datum": 0}} if progress else {})})
    if progress:  # the count sits at the left end, over the track; the share is the bar
        layers[-1]["mark"] |= {"color": "#111", "dx": 4}
    spec = {"width": WIDTH - 140, "height": height, "data": {"values": rows}, "layer": layers}
    data_rows = [[b.label, yuan(b.value) if money else fmt(b.value)] + ([fmt(b.total)] if progress else []) for b in bars]
    head = list(headers) + (["总数"] if progress else [])
    return _figure(chart_id, title + (f"（{unit}）" if money else ""), render(spec, chart_id),
                   table(head, data_rows, sortable=False), caption)


def vbars(chart_id: str, title: str, bars: list[Bar], *, caption: str = "", headers: tuple[str, str] = ("月份", "数量")) -> Markup:
    """Vertical bars over ordered categories (months): counts with whole-number ticks."""
    if not bars:
        return _empty(chart_id, title, caption)
    rows = [{"label": _short_month(b.label), "value": b.value} for b in bars]
    x = {"field": "label", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    y = {"field": "value", "type": "quantitative", "title": None, "axis": _count_axis(max(b.value for b in bars))}
    spec = {"width": WIDTH - 40, "height": 170, "data": {"values": rows},
            "layer": [{"mark": {"type": "bar", "color": SERIES, "cornerRadius": 2}, "encoding": {"x": x, "y": y}},
                      {"mark": {"type": "text", "dy": -7, "fontSize": 11},
                       "transform": [{"filter": "datum.value > 0"}],
                       "encoding": {"x": x, "y": y, "text": {"field": "value", "type": "quantitative", "format": "d"}}}]}
    data_rows = [[b.label, fmt(_int(b.value))] for b in bars]
    return _figure(chart_id, title, render(spec, chart_id), table(list(headers), data_rows, sortable=False), caption)


def line(chart_id: str, title: str, points: list[Bar], *, caption: str = "", headers: tuple[str, str] = ("月份", "金额（元）")) -> Markup:
    """A cumulative amount over months, in one money unit for the whole chart."""
    if not points:
        return _empty(chart_id, title, caption)
    divisor, unit = money_unit([p.value for p in points])
    rows = [{"label": _short_month(p.label), "value": p.value / divisor} for p in points]
    x = {"field": "label", "type": "ordinal", "sort": None, "title": None, "axis": {"labelAngle": 0}}
    y = {"field": "value", "type": "quantitative", "title": unit, "axis": {"tickCount": 4, "format": ",.1f" if divisor > 1 else ",.0f"}}
    spec = {"width": WIDTH - 50, "height": 170, "data": {"values": rows},
            "layer": [{"mark": {"type": "line", "color": SERIES, "strokeWidth": 2.5, "point": {"color": SERIES, "size": 40}},
                       "encoding": {"x": x, "y": y}}]}
    data_rows = [[p.label, yuan(p.value), p.note] for p in points]
    return _figure(chart_id, f"{title}（{unit}）", render(spec, chart_id),
                   table([headers[0], headers[1], "当月"], data_rows, sortable=False), caption)


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _short_month(label: str) -> str:
    # "2024-03" -> "3月"; the year shows in the data table
    if len(label) == 7 and label[4] == "-":
        return f"{int(label[5:])}月"
    return label
