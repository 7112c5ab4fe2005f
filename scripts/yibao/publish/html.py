"""The one way record values reach a page: escaped, formatted and never a template.

Every value taken from a record passes through :func:`esc` (or a helper built on it). It
HTML-escapes the text and turns ``{`` and ``}`` into character references, so neither the
browser, nor Python-Markdown, nor Jinja (mkdocs-macros is not sandboxed) can read a record as
markup or as a template: ``{{ 7*7 }}`` in a record shows as ``{{ 7*7 }}`` on the page.
Generated pages are raw HTML blocks inside Markdown, so Markdown syntax in a record (``*``,
``_``, ``[…](…)``) is shown as typed, too. Line breaks and tabs become character references as
well, so every raw HTML block stays on one line (no blank line can end it early, and the build's
record-page renderer in :mod:`yibao.publish.records` reads each block as one line).
"""
from __future__ import annotations

import posixpath
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

from ..core import money

#: what :func:`esc` replaces: html.escape(quote=True), template braces, and line breaks and tabs
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;",
                          "{": "&#123;", "}": "&#125;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_NEEDS_ESCAPE = re.compile("[&<>\"'{}\n\r\t]")
# page titles go through MkDocs/Material templates that unescape with `striptags`: use look-alikes
_TITLE_SAFE = str.maketrans({"<": "＜", ">": "＞", "&": "＆", "{": "｛", "}": "｝", '"': "＂", "'": "＇",
                             "\n": " ", "\r": " ", "\\": "＼", "#": "＃"})
EMPTY = "—"


class Markup(str):
    """HTML produced by this package from escaped parts: safe to place as is."""

    __slots__ = ()

    def __add__(self, other: str) -> "Markup":
        return Markup(str.__add__(self, other if isinstance(other, Markup) else esc(other)))


def esc(value: Any) -> Markup:
    """Text of a value, HTML-escaped, with template delimiters neutralised; Markup passes through."""
    if isinstance(value, Markup):
        return value
    text = value if isinstance(value, str) else fmt(value)
    return Markup(text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text)


def esc_text(value: Any) -> Markup:
    """Like :func:`esc`, keeping line breaks of multi-line text as ``<br>`` (the block stays one line)."""
    text = value if isinstance(value, str) else fmt(value)
    return Markup("<br>".join(esc(line) for line in text.replace("\r\n", "\n").split("\n")))


def title_text(value: str) -> str:
    """A page title for front matter: templates unescape titles, so markup characters become look-alikes."""
    return value.translate(_TITLE_SAFE).strip() or "—"


def fmt(value: Any) -> str:
    """Plain text of a value as people read it (no escaping)."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, (list, tuple)):
        return "、".join(fmt(v) for v in value) if value else EMPTY
    if isinstance(value, dict):
        return "；".join(f"{k}：{fmt(v)}" for k, v in value.items())
    return str(value)


def yuan(value: Any) -> str:
    """Money with thousands separators and two decimals: 12,480.00."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        return fmt(value)
    return money.yuan(value)


def percent(value: Any) -> str:
    """A rate as every page shows it: two decimals, truncated (:data:`yibao.core.money.RATE_RULE`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        return fmt(value)
    return money.rate_text(value)


def attrs(**values: Any) -> str:
    """HTML attributes; names use ``_`` for ``-``; None and False are left out."""
    parts = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        name = name.rstrip("_").replace("_", "-")
        parts.append(name if value is True else f'{name}="{esc(value)}"')
    return (" " + " ".join(parts)) if parts else ""


def tag(name: str, content: Any = "", **attributes: Any) -> Markup:
    if not attributes:
        return Markup(f"<{name}>{esc(content)}</{name}>")
    if len(attributes) == 1 and "class_" in attributes and isinstance(attributes["class_"], str):  # the usual case
        return Markup(f'<{name} class="{esc(attributes["class_"])}">{esc(content)}</{name}>')
    return Markup(f"<{name}{attrs(**attributes)}>{esc(content)}</{name}>")


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    return Markup(esc(sep).join(esc(p) for p in parts))


def link(text: Any, href: str | None, **attributes: Any) -> Markup:
    """A link when the target exists, the plain text otherwise."""
    if not href:
        return esc(text)
    return tag("a", text, href=href, **attributes)


def relative(from_page: str, to_page: str) -> str:
    """URL of ``to_page`` (a docs path like ``cases/AJ-….md``) as seen from ``from_page``."""
    target = to_page[:-3] + ".html" if to_page.endswith(".md") else to_page
    base = posixpath.dirname(from_page)
    folder, _, name = target.rpartition("/")
    if "/" not in base and "/" not in folder and ".." not in (base, folder) and "." not in (base, folder):
        # the portal's layout (pages at the top or one folder down): no need to ask the file system
        if folder == base:
            return name
        return ("../" if base else "") + (folder + "/" if folder else "") + name
    return posixpath.relpath(target, base or ".")


LIST_SEARCH_WEIGHT = 0.2


def table(headers: list[Any], rows: list[list[Any]], *, cls: str = "", sortable: bool = True,
          filterable: bool = False, empty: str = "（无）", sort_values: list[list[Any]] | None = None,
          row_classes: list[str] | None = None) -> Markup:
    """A table; cells are escaped unless they are Markup. ``sort_values`` give numeric sort keys."""
    if not rows:
        return tag("p", empty, class_="yb-empty")
    classes = " ".join(c for c in ("yb-table", "yb-sortable" if sortable else "", cls) if c)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        keys = sort_values[r] if sort_values else None
        cells = []
        for c, cell in enumerate(row):
            key = keys[c] if keys and c < len(keys) else None
            if key is None or key is False:
                cells.append(f"<td>{esc(cell)}</td>")
            else:
                cells.append(f"<td{attrs(data_sort=key)}>{esc(cell)}</td>")
        row_cls = row_classes[r] if row_classes else None
        body.append(f"<tr{attrs(class_=row_cls) if row_cls is not None else ''}>{''.join(cells)}</tr>")
    # a filterable table lists records that each have their own page: its words weigh little in search,
    # so a search for a name or an ID ranks the record's own page above the lists that mention it
    filter_attr = f' data-filter="1" data-pagefind-weight="{LIST_SEARCH_WEIGHT}"' if filterable else ""
    return Markup(f'<div class="yb-table-wrap"{filter_attr}><table class="{classes}"><thead><tr>{head}</tr></thead>'
                  f"<tbody>{''.join(body)}</tbody></table></div>")


def dl(items: list[tuple[Any, Any]]) -> Markup:
    """A definition list of label → value pairs (values may be Markup)."""
    if not items:
        return Markup("")
    inner = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return Markup(f'<dl class="yb-fields">{inner}</dl>')


def block(*parts: Any) -> str:
    """A raw HTML block for Markdown: one ``<div>``, no blank lines inside."""
    inner = "".join(esc(p) for p in parts)
    return f'<div class="yb-block">{inner}</div>\n'
