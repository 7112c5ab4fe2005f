"""Record pages (one per institution, inspection, case, training and contract record, with its
audit trail) written straight to HTML by our own Jinja2 templates, one page at a time.

MkDocs builds only the hand-written and summary pages. To make the record pages look like the
rest of the site, the build adds one *frame page* to the MkDocs pages (:data:`FRAME_DOCS`): a page
one folder down, like every record page, outside the navigation, whose title, one section heading
and content are our own markers. The theme renders it with its header, navigation, table of
contents, footer, styles and scripts; :func:`frame_template` then turns that HTML into a Jinja
template — every stretch of the theme's output kept verbatim (inside ``{% raw %}``), each marker
replaced by a slot (page title, the table of contents' entries, the content block) — and the
frame page is removed from the output. ``templates/record.html`` in this package fills the slots.
No MkDocs, Material or Jinja internals are touched: the frame is the theme's public output.

A page's content comes from :func:`yibao.publish.pages.record_page`: front matter with the title,
``## `` section headings (our own labels) and one-line HTML blocks whose record values were
escaped there. Headings get the ids Python-Markdown's table of contents would give them, so
anchors stay as they were. The environment autoescapes: the title and headings are escaped again
here; only the generated blocks, built from escaped parts, are marked safe.
"""
from __future__ import annotations

import html
import json
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jinja2
from markdown.extensions.toc import slugify, unique
from markupsafe import Markup

from ..check.personal_data import find_personal_data, might_contain_personal_data
from ..speed.gc import gc_paused
from . import leaders
from . import pages as P

#: the frame page, as a docs path; its output is read and deleted after MkDocs
FRAME_DOCS = "yb-frame/index.md"
FRAME_TITLE = "YBFRAMETITLE"
FRAME_TOC = "YBFRAMETOC"
FRAME_TOC_ID = "ybframetoc"
FRAME_CONTENT = '<div data-yb-frame="content"></div>'
FRAME_MARKDOWN = (f'---\ntitle: "{FRAME_TITLE}"\nrender_macros: false\n---\n\n## {FRAME_TOC}\n\n{FRAME_CONTENT}\n')
TEMPLATES = Path(__file__).with_name("templates")
PARALLEL_PAGES = 2000  # fewer pages are written faster by one process than by starting workers


class FrameError(Exception):
    """The theme's rendering of the frame page lacks a marker (another theme or template override)."""


def frame_template(page_html: str) -> str:
    """Jinja source of the frame: the theme's HTML kept verbatim, the markers turned into slots."""
    if "{% endraw %}" in page_html or "{%- endraw" in page_html:
        raise FrameError("页面框架中出现了 {% endraw %}")
    content_start = page_html.find(f'<h2 id="{FRAME_TOC_ID}"')
    content_end = page_html.find(FRAME_CONTENT)
    if content_start < 0 or content_end < content_start:
        raise FrameError("页面框架中没有找到正文的位置")
    content_end += len(FRAME_CONTENT)
    pieces: list[tuple[str, str]] = []  # (kind, text): "raw" verbatim, "jinja" our slot

    def add_raw(text: str) -> None:
        at = 0
        for match in re.finditer(rf"{FRAME_TITLE}|#{FRAME_TOC_ID}", text):
            pieces.append(("raw", text[at:match.start()]))
            pieces.append(("jinja", "{{ title }}" if match.group(0) == FRAME_TITLE else "#{{ toc[0].id if toc else '' }}"))
            at = match.end()
        pieces.append(("raw", text[at:]))

    before = page_html[:content_start]
    link = before.find(f'href="#{FRAME_TOC_ID}" class="md-nav__link')  # the table of contents' one entry
    if link < 0:
        link = before.rfind(f'href="#{FRAME_TOC_ID}"')
        link = link if link > 0 and before.rfind("<li", 0, link) > before.rfind("</li>", 0, link) else -1
    if link >= 0:
        li_start = before.rfind("<li", 0, link)
        li_end = before.find("</li>", link) + len("</li>")
        item = before[li_start:li_end]
        add_raw(before[:li_start])
        pieces.append(("jinja", "{% for item in toc %}"))
        at = 0
        for match in re.finditer(rf"{FRAME_TOC}|#{FRAME_TOC_ID}", item):
            pieces.append(("raw", item[at:match.start()]))
            pieces.append(("jinja", "{{ item.title }}" if match.group(0) == FRAME_TOC else "#{{ item.id }}"))
            at = match.end()
        pieces += [("raw", item[at:]), ("jinja", "{% endfor %}")]
        add_raw(before[li_end:])
    else:
        add_raw(before)
    pieces.append(("jinja", "{% block content %}{% endblock %}"))
    add_raw(page_html[content_end:])
    leftover = [text for kind, text in pieces if kind == "raw" and (FRAME_TITLE in text or FRAME_TOC_ID in text
                                                                     or FRAME_TOC in text)]
    if leftover:
        raise FrameError("页面框架中还有未替换的标记")
    return "".join(f"{{% raw %}}{text}{{% endraw %}}" if kind == "raw" else text for kind, text in pieces if text)


def environment(frame_source: str) -> jinja2.Environment:
    """Our templates (autoescape on, undefined names are errors) plus the frame as ``frame.html``."""
    loader = jinja2.ChoiceLoader([jinja2.DictLoader({"frame.html": frame_source}),
                                  jinja2.FileSystemLoader(str(TEMPLATES))])
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


@dataclass
class Section:
    heading: str = ""
    id: str = ""
    html: Markup | None = None


def parse_page(text: str) -> tuple[str, list[Section]]:
    """Title and content of a page made by :mod:`yibao.publish.pages` (front matter, ``## `` headings,
    one-line HTML blocks); anything else is refused, never guessed at."""
    if not text.startswith("---\n"):
        raise ValueError("生成的页面没有 front matter")
    head, _, body = text[4:].partition("\n---\n")
    title = next((json.loads(line[len("title: "):]) for line in head.split("\n") if line.startswith("title: ")), None)
    if not isinstance(title, str):
        raise ValueError("生成的页面没有标题")
    parts: list[Section] = []
    ids: set[str] = set()
    for line in body.split("\n"):
        if not line.strip():
            continue
        if line.startswith("## "):
            heading = line[3:].strip()
            parts.append(Section(heading=heading, id=unique(slugify(heading, "-"), ids)))
        elif line.startswith("<") and line.endswith(">"):
            parts.append(Section(html=Markup(line)))  # built from escaped parts (yibao.publish.html)
        else:
            raise ValueError(f"生成的页面中有无法识别的一行：{line[:40]}")
    return title, parts


def render_record(env: jinja2.Environment, ident: str, text: str) -> str:
    title, parts = parse_page(text)
    toc = [{"title": part.heading, "id": part.id} for part in parts if part.heading]
    return env.get_template("record.html").render(title=title, ident=ident, toc=toc, parts=parts)


def record_makers(site: P.Site) -> list[Callable[[], tuple[str, str]]]:
    """The record pages among :func:`yibao.publish.pages.page_makers` (the rest go through MkDocs)."""
    return [make for make in P.page_makers(site) if getattr(make, "func", None) is P.record_page]


def summary_makers(site: P.Site) -> list[Callable[[], tuple[str, str]]]:
    return [make for make in P.page_makers(site) if getattr(make, "func", None) is not P.record_page] + leaders.page_makers(site)


def html_path(docs_path: str) -> str:
    return docs_path[:-3] + ".html" if docs_path.endswith(".md") else docs_path


_MARKUP = re.compile(r"<[^>]*>")


def personal_data_in(text: str) -> bool:
    """Whether a page's text holds personal data in any one text node (tags apart)."""
    if not might_contain_personal_data(text):
        return False
    for piece in _MARKUP.split(text):
        if len(piece) < 11:  # unescaping only shortens a text node
            continue
        piece = html.unescape(piece).replace("\u200b", "") if "&" in piece or "\u200b" in piece else piece
        if len(piece) >= 11 and might_contain_personal_data(piece) and find_personal_data(piece):
            return True
    return False


@dataclass
class Written:
    paths: list[str]
    personal_data: list[str]  # pages refused: personal data found
    confidential: list[str]  # pages refused: a confidential value found


_JOB = None  # (makers, env, output), inherited by forked workers


def _holds_secret(text: str, secrets: frozenset[str]) -> bool:
    """Whether a page's text holds a confidential value, as written or once unescaped (unescaped once)."""
    if any(secret in text for secret in secrets):
        return True
    plain = html.unescape(text) if "&" in text else text
    return plain is not text and any(secret in plain for secret in secrets)


def _write_span(span: tuple[int, int]) -> Written:
    makers, env, output, secrets = _JOB
    done = Written([], [], [])
    folders: set[Path] = set()
    for make in makers[span[0]:span[1]]:
        relpath, text = make()
        target = output / html_path(relpath)
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        if personal_data_in(text):  # scanned before the theme wraps it, as the MkDocs pages are
            done.personal_data.append(relpath)
            continue
        if secrets and _holds_secret(text, secrets):
            done.confidential.append(relpath)  # never written, so never indexed
            continue
        target.write_text(render_record(env, make.args[1].id, text), encoding="utf-8")
        done.paths.append(html_path(relpath))
    return done


def write_record_pages(site: P.Site, output: Path, frame_html: str, jobs: int = 1,
                       secrets: frozenset[str] = frozenset(),
                       written: Callable[[list[str]], None] | None = None) -> Written:
    """Render every record page into ``output``, one at a time (never all in memory); on a
    fork-capable system with many pages, ``jobs`` worker processes each take runs of pages.
    A page holding personal data or one of ``secrets`` is not written (and is reported).
    ``written`` is called with the paths of each run of pages as soon as it is on disk, in order
    (the search index starts on them while the next runs are written)."""
    global _JOB
    env = environment(frame_template(frame_html))
    env.get_template("record.html")  # compiled once, before the workers are forked
    makers = record_makers(site)
    _JOB = (makers, env, output, frozenset(secrets))
    try:
        with gc_paused():
            runs = []
            if jobs <= 1 or len(makers) < PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
                runs.append(_write_span((0, len(makers))))
                if written:
                    written(runs[-1].paths)
            else:
                size = max(PARALLEL_PAGES // 4, len(makers) // (jobs * 4) + 1)
                spans = [(start, min(start + size, len(makers))) for start in range(0, len(makers), size)]
                with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                    for run in pool.map(_write_span, spans):  # in order, each as soon as it is done
                        runs.append(run)
                        if written:
                            written(run.paths)
    finally:
        _JOB = None
    return Written(*([p for run in runs for p in getattr(run, name)] for name in ("paths", "personal_data", "confidential")))
