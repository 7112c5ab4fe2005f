"""A shortcut through MkDocs for the pages generated from records: same pages, a fraction of the work.

A generated page (:mod:`yibao.publish.pages`) is Markdown headings and raw HTML blocks, each block
one line long. Python-Markdown copies such a block to the page unchanged, but to find where it
ends it runs an HTML parser over all of it; MkDocs runs a second one looking for anchors, and
Material's search plugin a third, then segments every Chinese run with jieba. For record pages
that is most of the build. This plugin, which ``yibao build`` adds to the configuration it loads
(it is not in ``mkdocs.yml``), takes the blocks out of the way:

1. ``on_page_markdown`` — each block line of a generated page becomes a short placeholder (the
   blocks are kept, compressed); the page is marked ``search: exclude`` for Material's indexer.
2. MkDocs converts what is left — the headings — exactly as before (ids, table of contents). Pages
   of one kind mostly share this skeleton (same headings, same number of blocks): each distinct
   skeleton is converted once, and later pages with it get the result: the page's ``render``
   sets the remembered HTML, a fresh copy of the table of contents and the heading anchors,
   which is all MkDocs's own ``render`` sets for such a skeleton (no title from an ``<h1>``, no
   link to check) — only when the skeleton's HTML holds no link, whose URL would depend on the page.
3. ``on_page_content`` — the blocks' ``id`` attributes are added to the page's anchors, as MkDocs's
   own scan would have found them (anchor validation).
4. Material renders the site navigation into every page. A generated record page is not in the
   navigation, so no entry is marked active on it and the navigation's HTML depends only on the
   page's folder (its relative links): it is rendered once per folder and reused (``on_env``
   wraps the ``partials/nav.html`` template; pages in the navigation render it as usual). Other
   parts of Material's page frame that depend only on the configuration and the folder (search
   box, palette, footer, the ``<head>`` assets, the JavaScript configuration) are reused the same
   way (:data:`SAME_PER_FOLDER`, :data:`BLOCKS_PER_FOLDER`).
5. ``on_post_page`` — the blocks go back in place of the placeholders, and the page's search
   entries are added to Material's index: one per section (the part before the first heading,
   then each heading with an id), text taken from the blocks with tags dropped, cells kept apart,
   elements marked ``data-search-exclude`` left out, Chinese segmented with jieba once per
   distinct run (Material's format: ``\\u200b`` around and between words).

Without the plugin — ``mkdocs build`` on ``build/portal/docs``, or another static site
generator reading the same Markdown — the pages come out byte for byte the same and Material
indexes them itself (more slowly, and with table cells run together). The page files stay plain
Markdown: no page depends on this module. It steps aside (plain MkDocs build) when the
configuration holds a theme, plugin or Markdown extension it was not verified with
(:func:`blockers`); ``tests/test_portal_scale.py`` compares both ways page by page.
"""
from __future__ import annotations

import html
import posixpath
import re
import zlib
from typing import Iterable

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.toc import AnchorLink, TableOfContents

NAME = "yibao/generated-pages"
#: Material partials and blocks of ``base.html`` whose HTML, on a page outside the navigation,
#: depends only on the configuration and the page's folder (relative links): no page title, table
#: of contents, content or meta in them, no previous/next page (only pages in the navigation have those)
SAME_PER_FOLDER = ("partials/nav.html", "partials/search.html", "partials/palette.html", "partials/path.html",
                   "partials/top.html")
BLOCKS_PER_FOLDER = ("styles", "libs", "fonts", "analytics", "footer", "config", "scripts")
#: what the shortcut was verified with (anything else: plain MkDocs)
THEMES = {"material"}
PLUGINS = {"search", "material/search", "macros"}
EXTENSIONS = {"toc", "tables", "fenced_code", "attr_list", "admonition"}

PLACEHOLDER = '<div data-yb-raw="{}"></div>'
_PLACEHOLDER = re.compile(r'<div data-yb-raw="(\d+)"></div>')
_BLOCK = re.compile(r"<(div|h[2-6])(?: [^<>]*)?>.*</\1>")  # one element, opened and closed on one line
_HEADING = re.compile(r"#{1,6} \S")
# what Markdown would change inside a block (tabs, CR, its own STX/ETX markers), Material's "no <h1>
# in the content" test, and our placeholder itself: a page holding any of these takes the plain way
_UNSAFE = re.compile("[\t\r\x02\x03]|<h1|data-yb-raw")
_ID = re.compile(r'\sid="([^"]*)"')
_MATERIAL_DATA_SEARCH = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")  # what Material strips from page content

# search text
_SKELETON = re.compile(r'<h[1-6] id="(?P<id>[^"]*)"[^>]*>(?P<title>.*?)</h[1-6]>|<div data-yb-raw="(?P<n>\d+)"></div>', re.S)
_RAW_HEADING = re.compile(r'<h[2-6] [^>]*?\bid="(?P<id>[^"]*)"[^>]*>(?P<title>.*)</h[2-6]>$', re.S)
_EXCLUDED = re.compile(r"<(\w+)\b[^>]*\sdata-search-exclude\b[^>]*>")
_PERMALINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def blockers(config) -> list[str]:
    """Why the shortcut must not be taken with this configuration (empty: it may)."""
    reasons = []
    if config.theme.name not in THEMES:
        reasons.append(f"主题 {config.theme.name}")
    reasons += [f"插件 {name}" for name in config.plugins if name not in PLUGINS and name != NAME]
    reasons += [f"Markdown 扩展 {ext}" for ext in config.markdown_extensions
                if (ext if isinstance(ext, str) else type(ext).__name__) not in EXTENSIONS]
    return reasons


def split_page(markdown: str) -> tuple[str, list[str]] | None:
    """The page with each raw HTML block line replaced by a placeholder, and the blocks.

    ``None`` when the page is not of the generated form: headings and one-line blocks, each block
    between blank lines (then the page simply takes the plain way).
    """
    lines = markdown.split("\n")
    blocks: list[str] = []
    previous_blank = True
    for i, line in enumerate(lines):
        if not line.strip():
            previous_blank = True
            continue
        if line.startswith("<"):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if not previous_blank or following.strip() or not _BLOCK.fullmatch(line) or _UNSAFE.search(line):
                return None
            lines[i] = PLACEHOLDER.format(len(blocks))
            blocks.append(line)
        elif not _HEADING.match(line) or _UNSAFE.search(line):
            return None
        previous_blank = False
    return "\n".join(lines), blocks


class Segmenter:
    """Material's Chinese segmentation (jieba, ``\\u200b`` between words), each distinct run cut once."""

    def __init__(self) -> None:
        from backrefs import bre
        from material.plugins.search import plugin as material_search

        self.jieba = material_search.jieba  # None when jieba is not installed: Material does not segment then
        self.han = bre.compile_search(r"(\p{script: Han}+)", bre.UNICODE)  # Material's own pattern
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if self.jieba is None:
            return text
        return self.han.sub(self._cut, text).strip("\u200b")

    def _cut(self, match: re.Match) -> str:
        run = match.group(0)
        cut = self.cache.get(run)
        if cut is None:
            cut = self.cache[run] = "\u200b" + "\u200b".join(self.jieba.cut(run)) + "\u200b"
        return cut


def search_text(fragment: str) -> str:
    """Visible text of our HTML, as Material's index holds it (escaped), cells and items kept apart."""
    fragment = drop_excluded(fragment)
    text = html.unescape(_TAG.sub(" ", fragment))
    return html.escape(_SPACE.sub(" ", text).strip(), quote=False)


def drop_excluded(fragment: str) -> str:
    """Without the elements marked ``data-search-exclude`` (and their content)."""
    while "data-search-exclude" in fragment:
        start = _EXCLUDED.search(fragment)
        if start is None:
            return fragment
        name = start.group(1)
        depth, end = 0, len(fragment)
        for tag in re.finditer(rf"<(/?){name}\b[^>]*>", fragment[start.start():]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                end = start.start() + tag.end()
                break
        fragment = fragment[:start.start()] + " " + fragment[end:]
    return fragment


def _toc_tokens(items) -> tuple:
    return tuple((item.title, item.id, item.level, _toc_tokens(item.children)) for item in items)


def _toc(tokens: tuple) -> TableOfContents:
    """A fresh table of contents from remembered tokens, as ``mkdocs.structure.toc.get_toc`` builds it."""
    def link(token) -> AnchorLink:
        title, ident, level, children = token
        anchor = AnchorLink(title, ident, level)
        anchor.children = [link(child) for child in children]
        return anchor

    items = [link(token) for token in tokens]
    if items:
        items[0].active = True  # type: ignore[attr-defined]
    return TableOfContents(items)


class _Remembered:
    """A page's ``render`` for a skeleton converted before: what MkDocs's ``Page.render`` would set."""

    def __init__(self, page, remembered: tuple[str, tuple, frozenset[str]]) -> None:
        self.page, self.remembered = page, remembered

    def __call__(self, config, files) -> None:
        page = self.page
        del page.render  # back to MkDocs's own method
        page.content, toc, anchors = self.remembered
        page.toc = _toc(toc)
        page.present_anchor_ids = set(anchors)


class GeneratedPages(BasePlugin):
    """The shortcut for the pages ``yibao build`` generated in this run (docs paths in ``pages``)."""

    def __init__(self, pages: Iterable[str]) -> None:
        super().__init__()
        self.pages = set(pages)
        self.held: dict[str, tuple[bytes, frozenset[str]]] = {}
        self.skeletons: dict[str, tuple[str, tuple, frozenset[str]] | None] = {}  # skeleton -> converted (None: not reusable)
        self.pending: dict[str, str] = {}  # page -> its skeleton, converted by MkDocs now
        self.partials: dict[str, dict[str, str]] = {}  # template -> page folder -> its HTML on a page outside the navigation
        self.in_nav: set[str] = set()  # pages in the site navigation
        self.search = None
        self.segment: Segmenter | None = None
        self.taken = 0  # pages that went through the shortcut (the rest took the plain way)

    def on_config(self, config):
        from material.plugins.search.plugin import SearchPlugin

        for plugin in config.plugins.values():
            if isinstance(plugin, SearchPlugin) and plugin.config.enabled:
                self.search = plugin
                self.segment = Segmenter()
        return config

    def on_nav(self, nav, config, files):
        self.in_nav = {page.file.src_uri for page in nav.pages}
        return nav

    def on_env(self, env, config, files):
        from jinja2 import TemplateNotFound

        for name in SAME_PER_FOLDER:
            try:
                template = env.get_template(name)
            except TemplateNotFound:
                continue
            template.root_render_func = self._once_per_folder(template.root_render_func, self.partials.setdefault(name, {}))
        try:
            base = env.get_template("base.html")
        except TemplateNotFound:
            base = None
        for name in BLOCKS_PER_FOLDER if base is not None else ():
            if name in base.blocks:
                base.blocks[name] = self._once_per_folder(base.blocks[name], self.partials.setdefault(f"block {name}", {}))
        return env

    def _once_per_folder(self, render, rendered: dict[str, str]):
        generated, in_nav = self.pages, self.in_nav

        def render_once_per_folder(context):
            page = context.get("page")
            if page is None or page.file.src_uri not in generated or page.file.src_uri in in_nav:
                yield from render(context)
                return
            folder = posixpath.dirname(page.url)
            if folder not in rendered:
                rendered[folder] = "".join(render(context))
            yield rendered[folder]

        return render_once_per_folder

    def on_page_markdown(self, markdown, page, config, files):
        if page.file.src_uri not in self.pages:
            return markdown
        split = split_page(markdown)
        if split is None:
            return markdown
        skeleton, blocks = split
        ids = frozenset(html.unescape(found) for block in blocks for found in _ID.findall(block))
        self.held[page.file.src_uri] = (zlib.compress("\n".join(blocks).encode("utf-8"), 1), ids)
        if self.search is not None:
            page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
        remembered = self.skeletons.get(skeleton)
        if remembered is not None:
            page.render = _Remembered(page, remembered)  # in place of converting the same skeleton again
        else:
            self.pending[page.file.src_uri] = skeleton
        return skeleton

    def on_page_content(self, html_text, page, config, files):
        uri = page.file.src_uri
        held = self.held.get(uri)
        if held is None:
            return html_text
        skeleton = self.pending.pop(uri, None)
        if skeleton is not None:
            if skeleton not in self.skeletons:
                reusable = ("href=" not in html_text and "src=" not in html_text and not page.links_to_anchors
                            and getattr(page, "_title_from_render", "?") is None)
                self.skeletons[skeleton] = (html_text, _toc_tokens(page.toc), frozenset(page.present_anchor_ids or ())) \
                    if reusable else None
        page.present_anchor_ids = (page.present_anchor_ids or set()) | held[1]
        return html_text

    def on_post_page(self, output, page, config):
        held = self.held.pop(page.file.src_uri, None)
        if held is None:
            return output
        blocks = zlib.decompress(held[0]).decode("utf-8").split("\n")
        if self.search is not None:
            blocks = [_MATERIAL_DATA_SEARCH.sub("", block) if "data-search-" in block else block for block in blocks]
        seen: list[int] = []

        def put_back(match: re.Match) -> str:
            seen.append(int(match.group(1)))
            return blocks[seen[-1]]

        output = _PLACEHOLDER.sub(put_back, output)
        if seen != list(range(len(blocks))):
            raise PluginError(f"{page.file.src_uri}：生成页面的内容没有按原样放回（{len(seen)}/{len(blocks)}）")
        if self.search is not None:
            self.search.search_index.entries.extend(self.entries(page, blocks))
        self.taken += 1
        return output

    def entries(self, page, blocks: list[str]) -> list[dict]:
        """The page's search entries, section by section, in Material's format."""
        title = str(page.meta.get("title", page.title))
        sections: list[tuple[str | None, str, list[str]]] = [(None, html.escape(title, quote=False), [])]
        for token in _SKELETON.finditer(page.content or ""):
            if token.group("n") is None:
                sections.append((html.unescape(token.group("id")), _PERMALINK.sub("", token.group("title")), []))
                continue
            block = blocks[int(token.group("n"))]
            heading = _RAW_HEADING.match(block)
            if heading:
                sections.append((html.unescape(heading.group("id")), heading.group("title"), []))
            else:
                sections[-1][2].append(block)
        out = []
        for anchor, heading_html, parts in sections:
            out.append({
                "location": page.url + (f"#{anchor}" if anchor else ""),
                "title": self.segment(search_text(heading_html)),
                "text": self.segment(" ".join(filter(None, map(search_text, parts)))),
            })
        return out
