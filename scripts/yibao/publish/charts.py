"""Charts as inline SVG, drawn at build time.

No chart library, no script, nothing fetched: a bar or line chart is a few dozen SVG elements
written here, so it works offline on an intranet, prints, shows with JavaScript disabled and
cannot raise a console error. Colours come from CSS classes (``portal.css``) so light and dark
themes both read well. Every chart carries its data as a table in a ``<details>`` for screen
readers and for copying.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .html import Markup, esc, fmt, table, yuan

WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    total: float | None = None  # for progress bars: value out of total
    note: str = ""


def _num(value) -> float:
    return float(value) if isinstance(value, (int, float, Decimal)) else 0.0


def _figure(chart_id: str, title: str, svg: str, data_table: Markup, caption: str = "") -> Markup:
    cap = f'<p class="yb-chart-note">{esc(caption)}</p>' if caption else ""
    return Markup(
        f'<figure class="yb-chart" id="{esc(chart_id)}"><figcaption>{esc(title)}</figcaption>{svg}{cap}'
        f"<details><summary>数据表</summary>{data_table}</details></figure>"
    )


def _svg_open(height: int, title: str) -> str:
    return (f'<svg class="yb-svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'preserveAspectRatio="xMidYMid meet"><title>{esc(title)}</title>')


def hbars(chart_id: str, title: str, bars: list[Bar], *, money: bool = False, caption: str = "",
          headers: tuple[str, str] = ("项目", "数量")) -> Markup:
    """Horizontal bars; with ``total`` each bar is a progress bar (value of total)."""
    if not bars:
        return _figure(chart_id, title, '<p class="yb-empty">（暂无数据）</p>', Markup(""), caption)
    label_w, row_h, pad = 190, 26, 6
    height = pad * 2 + row_h * len(bars)
    scale_max = max((b.total if b.total else b.value) for b in bars) or 1
    plot_w = WIDTH - label_w - 130
    parts = [_svg_open(height, title)]
    for i, bar in enumerate(bars):
        y = pad + i * row_h
        full = (bar.total if bar.total else scale_max) / scale_max * plot_w
        w = bar.value / scale_max * plot_w
        shown = yuan(bar.value) if money else fmt(int(bar.value) if float(bar.value).is_integer() else bar.value)
        text = f"{shown} / {fmt(int(bar.total))}" if bar.total else shown
        parts.append(f'<text class="yb-axis" x="{label_w - 8}" y="{y + row_h * 0.65:.1f}" text-anchor="end">{esc(_clip(bar.label))}</text>')
        if bar.total:
            parts.append(f'<rect class="yb-track" x="{label_w}" y="{y + 4}" width="{full:.1f}" height="{row_h - 8}" rx="3"/>')
        parts.append(f'<rect class="yb-bar yb-bar-{i % 6}" x="{label_w}" y="{y + 4}" width="{max(w, 0):.1f}" '
                     f'height="{row_h - 8}" rx="3"><title>{esc(bar.label)}：{esc(text)}</title></rect>')
        parts.append(f'<text class="yb-value" x="{label_w + max(w, full if bar.total else w) + 6:.1f}" y="{y + row_h * 0.65:.1f}">{esc(text)}</text>')
    parts.append("</svg>")
    rows = [[b.label, yuan(b.value) if money else fmt(b.value)] + ([fmt(b.total)] if any(x.total for x in bars) else [])
            for b in bars]
    head = list(headers) + (["总数"] if any(x.total for x in bars) else [])
    return _figure(chart_id, title, "".join(parts), table(head, rows, sortable=False), caption)


def vbars(chart_id: str, title: str, bars: list[Bar], *, caption: str = "", headers: tuple[str, str] = ("月份", "数量")) -> Markup:
    """Vertical bars over ordered categories (months)."""
    if not bars:
        return _figure(chart_id, title, '<p class="yb-empty">（暂无数据）</p>', Markup(""), caption)
    height, left, bottom, top = 240, 40, 36, 16
    plot_h = height - bottom - top
    plot_w = WIDTH - left - 10
    top_value = max(b.value for b in bars) or 1
    step = plot_w / len(bars)
    parts = [_svg_open(height, title), _grid(left, top, plot_w, plot_h, top_value)]
    for i, bar in enumerate(bars):
        h = bar.value / top_value * plot_h
        x = left + i * step + step * 0.15
        y = top + plot_h - h
        parts.append(f'<rect class="yb-bar yb-bar-0" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" rx="2">'
                     f"<title>{esc(bar.label)}：{esc(fmt(int(bar.value)))}</title></rect>")
        if bar.value:
            parts.append(f'<text class="yb-value" x="{x + step * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle">{esc(fmt(int(bar.value)))}</text>')
        parts.append(f'<text class="yb-axis" x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle">{esc(_short_month(bar.label))}</text>')
    parts.append("</svg>")
    rows = [[b.label, fmt(int(b.value))] for b in bars]
    return _figure(chart_id, title, "".join(parts), table(list(headers), rows, sortable=False), caption)


def line(chart_id: str, title: str, points: list[Bar], *, caption: str = "", headers: tuple[str, str] = ("月份", "金额（元）")) -> Markup:
    """A cumulative line over months (money)."""
    if not points:
        return _figure(chart_id, title, '<p class="yb-empty">（暂无数据）</p>', Markup(""), caption)
    height, left, bottom, top = 240, 78, 36, 20
    plot_h = height - bottom - top
    plot_w = WIDTH - left - 20
    top_value = max(p.value for p in points) or 1
    step = plot_w / max(len(points) - 1, 1)
    coords = [(left + i * step if len(points) > 1 else left + plot_w / 2, top + plot_h - p.value / top_value * plot_h)
              for i, p in enumerate(points)]
    parts = [_svg_open(height, title), _grid(left, top, plot_w, plot_h, top_value, money=True)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    parts.append(f'<path class="yb-line" d="{path}" fill="none"/>')
    for (x, y), p in zip(coords, points):
        parts.append(f'<circle class="yb-dot" cx="{x:.1f}" cy="{y:.1f}" r="4"><title>{esc(p.label)}：{esc(yuan(p.value))} 元</title></circle>')
        parts.append(f'<text class="yb-axis" x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{esc(_short_month(p.label))}</text>')
    parts.append("</svg>")
    rows = [[p.label, yuan(p.value), p.note] for p in points]
    return _figure(chart_id, title, "".join(parts), table([headers[0], headers[1], "当月"], rows, sortable=False), caption)


def _grid(left: float, top: float, width: float, height: float, top_value: float, money: bool = False) -> str:
    out = []
    for k in range(5):
        value = top_value * k / 4
        y = top + height - height * k / 4
        label = f"{value / 10000:.1f}万" if money and top_value >= 10000 else (yuan(value) if money else f"{value:.0f}" if top_value >= 4 else f"{value:.1f}")
        out.append(f'<line class="yb-grid" x1="{left}" y1="{y:.1f}" x2="{left + width:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="yb-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(label)}</text>')
    return "".join(out)


def _clip(label: str, n: int = 12) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _short_month(label: str) -> str:
    # "2024-03" -> "3月"; the year shows in the data table
    if len(label) == 7 and label[4] == "-":
        return f"{int(label[5:])}月"
    return label
