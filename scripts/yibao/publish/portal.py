"""Build the portal: check the records, read git history once, compute the report, write the
summary pages, run MkDocs (Material) programmatically on them and the hand-written pages, write
the record pages with our own templates, index the whole site with Pagefind, scan the output.

Layout (all under the records repository root):

* ``mkdocs.yml`` — theme, plugins, navigation (hand-written, committed);
* ``site/`` — hand-written pages and assets (copied into the docs folder) and ``site/overrides/``
  (theme overrides, used in place: the header with the Pagefind search box, the search marks);
* ``build/portal/docs/`` — the docs folder MkDocs reads: ``site/`` plus the generated summary
  pages (lists, coverage, deadlines, change log) and the frame page of the record pages (never
  committed); ``build/portal/macros.json`` feeds the macros of the hand-written pages;
* ``build/portal/blocks/`` — the summary pages' HTML blocks (thousands of table rows on a large
  repository): MkDocs converts each summary page with an empty slot in place of each block (its
  title, headings, navigation and table of contents as usual) and the blocks are put in the slots
  of the built pages afterwards (:func:`splice_blocks`): Python-Markdown would otherwise parse
  every tag of every row only to pass them through unchanged;
* ``public/`` (or ``--output``) — the built site (ignored by git): MkDocs's pages, the record pages
  (:mod:`yibao.publish.records`, one file per record, written one at a time by worker processes
  when there are many) and the search bundle ``pagefind/`` (:mod:`yibao.publish.search`).

Cost grows linearly with the records: every page is made from indexes built once (no page scans
all records, no git call per page) and MkDocs handles a fixed, small number of pages.
"""
from __future__ import annotations

import datetime as _dt
import gc
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..speed.pool import default_jobs
from ..core.diagnostics import Diagnostic
from ..check.publishable import Gate
from ..load.history import History, HistoryError, start_history
from ..core.schemas import SchemaSet
from . import pages as P
from . import leaders
from . import wall
from . import planning
from . import records as R
from . import search
from ..core.money import RATE_RULE
from .macros import DATA_FILE
from .visible import Visibility

CONFIG_FILE = "mkdocs.yml"
SITE_SRC = "site"
OVERRIDES = "overrides"
BUILD_DIR = Path("build") / "portal"
BLOCKS_DIR = "blocks"  # under BUILD_DIR, next to docs/
SLOT = '<div data-yb-slot="{}"></div>'
_SLOT = re.compile(r'<div data-yb-slot="(\d+)"></div>')
DEFAULT_OUTPUT = "public"
LEAK_MIN_LENGTH = 6


class PortalError(Exception):
    """The portal cannot be built: ``code`` is a stable English code, the message is Chinese."""

    def __init__(self, code: str, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(f"error[{code}] {message}")
        self.code = code
        self.message = message
        self.diagnostics = diagnostics or []


@dataclass
class BuildResult:
    output: Path
    docs: Path
    pages: int  # generated pages (summary pages and record pages)
    records: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    as_of: str = ""
    record_pages: int = 0  # of which written by our own templates (yibao.publish.records)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


# -- steps ----------------------------------------------------------------------------------------

def load_records(root: Path, schemas: SchemaSet, cache=None, jobs: int | None = None):
    """All records, checked; the portal is built only from a repository that validates."""
    from ..speed.run import check_repository

    result = check_repository(root, schemas, cache=cache, jobs=jobs, want_data=True)
    if result.errors:
        files = len({d.path for d in result.errors})
        raise PortalError("invalid-records", f"记录校验未通过（{files} 个文件共 {len(result.errors)} 个错误），门户未生成；"
                          "请先用 yibao validate 查看并修正", result.errors)
    return result.records


def work_tree_blobs(root: Path, records) -> dict[str, str]:
    """The git blob id of each record file as it is now (to tell committed versions from uncommitted edits)."""
    from ..load.git_tree import blob_id

    blobs = {}
    for record in records:
        try:
            blobs[record.path] = blob_id((root / record.path).read_bytes())
        except OSError:
            pass
    return blobs


def compute_reports(records, schemas: SchemaSet, as_of: _dt.date) -> list[dict]:
    """The same report ``yibao report`` prints: the home page shows exactly these values."""
    from ..core.calendar import MissingCalendarYears
    from ..compute.report import build_report

    try:
        return build_report(records, schemas, as_of)
    except MissingCalendarYears as missing:
        raise PortalError("calendar-year-missing", "按工作日计算时限需要的工作日历记录缺失，门户未生成",
                          missing.diagnostics()) from None


def prepare_docs(root: Path, docs: Path, site: P.Site, blocks: Path | None = None) -> list[str]:
    """Make ``docs`` hold exactly ``site/`` (without the theme overrides), the generated summary
    pages and the record pages' frame page (:data:`yibao.publish.records.FRAME_DOCS`); with
    ``blocks``, the summary pages hold slots and ``blocks`` their HTML blocks (:func:`slotted`).

    A file whose content is already right is left alone and files that are no longer wanted are
    removed, so a rebuild rewrites only what changed. Returns the generated pages' docs paths.
    """
    hand_written: dict[str, Path] = {}
    source = root / SITE_SRC
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if path.is_file() and rel.parts[0] != OVERRIDES:
                hand_written[rel.as_posix()] = path
    docs.mkdir(parents=True, exist_ok=True)
    for relpath, path in hand_written.items():
        _sync_file(docs / relpath, path.read_bytes())
    generated = [(R.FRAME_DOCS, R.FRAME_MARKDOWN)] + [make() for make in R.summary_makers(site)]
    collision = next((relpath for relpath, _ in generated if relpath in hand_written), None) or next(
        (P.Site.page_of(r.kind, r.id) for kind in P.PAGE_DIRS for r in site.all(kind)
         if r.id and P.Site.page_of(r.kind, r.id) in hand_written), None)
    if collision:
        raise PortalError("page-collision", f"site/{collision} 是手写页面，与记录生成的页面同名；请给手写页面换个名字")
    if blocks is not None:
        blocks.mkdir(parents=True, exist_ok=True)
    for number, (relpath, text) in enumerate(generated):
        if number and blocks is not None:  # not the frame page: its one block is a marker
            text, html_blocks = slotted(text)
            _sync_file(blocks / blocks_file(relpath), "\n".join(html_blocks).encode("utf-8"))
        _sync_file(docs / relpath, text.encode("utf-8"))
    written = [relpath for relpath, _ in generated[1:]]
    _remove_unwanted(docs, hand_written.keys() | {relpath for relpath, _ in generated})
    if blocks is not None:
        _remove_unwanted(blocks, {blocks_file(relpath) for relpath in written})
    return written


def blocks_file(relpath: str) -> str:
    return relpath + ".html"


def slotted(text: str) -> tuple[str, list[str]]:
    """A generated page (:mod:`yibao.publish.pages`: front matter, ``## `` headings, one-line HTML
    blocks) with each block replaced by an empty slot, and the blocks in order."""
    lines, found = [], []
    for line in text.split("\n"):
        if line.startswith("<") and line.endswith(">"):
            lines.append(SLOT.format(len(found)))
            found.append(line)
        else:
            lines.append(line)
    return "\n".join(lines), found


def splice_blocks(output: Path, blocks: Path, generated: list[str]) -> None:
    """Put each summary page's HTML blocks into the slots of its built page (every slot exactly once)."""
    for relpath in generated:
        stored = (blocks / blocks_file(relpath)).read_text(encoding="utf-8")
        parts = stored.split("\n") if stored else []
        target = output / R.html_path(relpath)
        page = target.read_text(encoding="utf-8")
        used: list[int] = []

        def fill(match: re.Match) -> str:
            used.append(int(match.group(1)))
            return parts[used[-1]] if used[-1] < len(parts) else match.group(0)

        page = _SLOT.sub(fill, page)
        if sorted(used) != list(range(len(parts))):
            raise PortalError("slot-missing", f"MkDocs 生成的 {R.html_path(relpath)} 中没有找到全部内容位置（是否改动了主题或 Markdown 扩展？）")
        target.write_text(page, encoding="utf-8")


def _sync_file(target: Path, data: bytes) -> None:
    """Write ``data`` unless the file already holds exactly it (unlinking and rewriting is slow on some disks)."""
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
    except IsADirectoryError:
        shutil.rmtree(target)
    target.write_bytes(data)


def _remove_unwanted(docs: Path, wanted) -> None:
    """Delete what an earlier build left in ``docs`` and this one did not write (then empty folders)."""
    for folder, dirs, files in os.walk(docs, topdown=False):
        base = Path(folder)
        rel = base.relative_to(docs).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for name in files:
            if prefix + name not in wanted:
                (base / name).unlink()
        if base != docs and not any(base.iterdir()):
            base.rmdir()


def macro_data(site: P.Site, history: History | None) -> dict:
    """What the hand-written pages' macros show: variables, and HTML made here from escaped values."""
    counts = {kind: len(site.all(kind)) for kind in site.schemas.kinds}
    reports = sorted(site.reports, key=lambda r: ((r.get("contract") or {}).get("period") or {}).get("start") or "", reverse=True)
    return {
        "variables": {
            "as_of": site.as_of.isoformat(),
            "counts": counts,
            # when the portal was built: HTML, marked as the one date of the about page that may lie after as_of
            "built_at": f'<span class="yb-built-at">{_dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")}</span>',
            "head": (history.head or "")[:8] if history else "未读取",
            "contracts": [P.contract_id(r) for r in reports],
            "rate_rule": RATE_RULE,
        },
        "kpi_cards": {P.contract_id(r): leaders.target_cards(site, r) for r in reports},
        "charts": {P.contract_id(r): P.home_charts(site, r) for r in reports},
    }


def secret_values(site: P.Site) -> set[str]:
    """Confidential text long enough to look for in the output without false alarms.

    Taken from the records as they are and from every readable version in git history (a value
    removed from a record long ago is as confidential as a current one). A confidential field that
    names another record (a case's reward policy, JL-…) is not secret text: the other record's ID is
    public (its file, the change log, commit messages); what is confidential is that this case
    names it, and the field itself never reaches a page (:class:`~yibao.publish.visible.Visibility`).
    """
    vis = Visibility(site.schemas)
    found = set()
    ids = {r.id for r in site.records if r.id}

    def add(kind: str, data: dict) -> None:
        for value in vis.secrets(kind, data):
            text = value if isinstance(value, str) else None
            if text and len(text.strip()) >= LEAK_MIN_LENGTH and text.strip() not in ids:
                found.add(text.strip())

    for record in site.records:
        add(record.kind, record.data)
    if site.history is not None:
        seen: set[str] = set()
        kinds = set(site.schemas.kinds)
        for path, versions in site.history.versions.items():
            kind = path.split("/")[1] if path.count("/") >= 2 else ""
            if kind not in kinds:
                continue
            for version in versions:
                for blob in (version.blob, version.before_blob):
                    if blob not in seen:
                        seen.add(blob)
                        data = site.history.parsed(blob).data
                        if data:
                            add(kind, data)
    return found


def _batches(texts: Iterable[str], size: int = 1 << 24) -> Iterator[str]:
    """The texts joined by newlines into batches of about ``size`` characters (a longer text alone)."""
    batch: list[str] = []
    length = 0
    for text in texts:
        batch.append(text)
        length += len(text) + 1
        if length >= size:
            yield "\n".join(batch)
            batch, length = [], 0
    if batch:
        yield "\n".join(batch)


def check_no_leak(output: Path, secrets: set[str], docs: Path | None = None, blocks: Path | None = None) -> None:
    """After the build: no confidential text in the search index, no personal data on any page.

    The search index holds the text of every page (records, their audit trails, the change log)
    but the KPI drill-down lists (``search.NOT_INDEXED``, read here from their own files), so a
    confidential value neither holds no page shows: Pagefind's bundle is read decompressed
    (:func:`yibao.publish.search.index_texts`), and a Material index, if one is there, as well.
    Personal data is looked for with the scanner ``validate`` uses, in every page MkDocs built from
    ``docs`` and ``blocks`` (the summary and hand-written pages, before the theme wrapped them), one text node at
    a time: an index runs table cells together ("2022 2926 2023 3109" is a year and a count twice,
    not a bank card), the pages keep their cells apart. The record pages are scanned the same way
    as they are written (:func:`yibao.publish.records.write_record_pages`), before Pagefind runs.
    """
    screen = output / wall.FILE

    def texts() -> Iterator[str]:
        for path in sorted((output / planning.DISCLOSURE_DIR).glob("*")):  # the public disclosure files (一公开)
            if path.is_file():
                yield path.read_text(encoding="utf-8")
        for path in sorted((output / leaders.EXPORT_DIR).rglob("*.csv")):
            yield path.read_text(encoding="utf-8-sig")
        if screen.is_file():
            yield screen.read_text(encoding="utf-8")
        if (output / search.BUNDLE).is_dir():
            yield from search.index_texts(output)
        for path in search.not_indexed(output):  # pages the index does not hold: their own text
            yield path.read_text(encoding="utf-8")
        legacy = output / "search" / "search_index.json"
        if legacy.is_file():
            data = json.loads(legacy.read_text(encoding="utf-8"))
            yield from (f"{d.get('title', '')}\n{d.get('text', '')}" for d in data.get("docs", []))

    if secrets:
        import html

        leaked: set[str] = set()
        for chunk in _batches(texts()):  # a few MB at a time: the whole index of a large site is GBs as text
            text = html.unescape(chunk).replace("\u200b", "")
            leaked.update(s for s in secrets if s in text or s.replace("\n", " ") in text)
        if leaked:
            shutil.rmtree(output / search.BUNDLE, ignore_errors=True)  # never left behind to be served
            shutil.rmtree(output / planning.DISCLOSURE_DIR, ignore_errors=True)
            shutil.rmtree(output / leaders.EXPORT_DIR, ignore_errors=True)
            screen.unlink(missing_ok=True)
            raise PortalError("confidential-leak", f"生成结果中出现了保密字段的内容（{len(leaked)} 处），已中止；请报告给仓库维护人员")
    places = [place for place in (docs, blocks, output / planning.DISCLOSURE_DIR, output / leaders.EXPORT_DIR)
              if place is not None and place.is_dir()]
    found = [path for place in places for path in sorted(place.rglob("*")) if path.is_file() and _personal_data_in(path)]
    found += [screen] if screen.is_file() and _personal_data_in(screen) else []
    if found:
        shutil.rmtree(output / planning.DISCLOSURE_DIR, ignore_errors=True)  # public data: never left behind
        shutil.rmtree(output / leaders.EXPORT_DIR, ignore_errors=True)
        screen.unlink(missing_ok=True)
        _personal_data_found([p.name for p in found])


def _personal_data_found(names: list[str]) -> None:
    shown = "、".join(names[:5])
    raise PortalError("personal-data-leak", f"生成结果中出现了疑似个人信息（{len(names)} 个文件，如 {shown}），已中止；请报告给仓库维护人员")


def _personal_data_in(path: Path) -> bool:
    """Whether a written page holds personal data in any one text node (tags apart)."""
    return R.personal_data_in(path.read_bytes().decode("utf-8", "replace"))


def _safe_output(root: Path, output: Path) -> Path:
    output = output.resolve()
    root = root.resolve()
    if output == root or output in root.parents or root == output.parent and output.name in ("records", "schemas", "site", "scripts", "tests"):
        raise PortalError("unsafe-output", f"输出目录 {output} 会覆盖仓库内容；请换一个目录（默认 public/）")
    if output.exists() and any(output.iterdir()) and not (output / "sitemap.xml").exists() \
            and not (output / search.BUNDLE / "pagefind-entry.json").exists() \
            and not (output / "search" / "search_index.json").exists():
        raise PortalError("unsafe-output", f"输出目录 {output} 不是空目录，也不是以前生成的门户；为免误删，请换一个目录或先清空它")
    return output


def _mkdocs_config(root: Path, docs: Path, output: Path, as_of: _dt.date, **overrides):
    """The repository's ``mkdocs.yml`` with our folders."""
    from mkdocs.config import load_config

    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        raise PortalError("no-mkdocs-config", f"仓库根目录没有 {CONFIG_FILE}")
    config = load_config(config_file=str(config_file), docs_dir=str(docs), site_dir=str(output), **overrides)
    config.extra["yibao_as_of"] = as_of.isoformat()
    return config


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _macro_reason(messages: list[str], code) -> str:
    """The page and the error line of an mkdocs-macros failure (its report embeds a traceback)."""
    import re

    for message in reversed(messages):
        page = re.search(r"_File_: `([^`]+)`", message)
        error = re.search(r"_([A-Za-z]+(?:Error|Exception|Undefined))_: (.+)", message)
        if page or error:
            where = f"site/{page[1]}" if page else "手写页面"
            return f"{where}：{error[1]}: {error[2].strip()}" if error else where
    return f"退出码 {code}"


def run_mkdocs(config, command: str = "build", serve_url: str | None = None) -> None:
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    collector = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collector)
    try:
        config.plugins.on_startup(command=command, dirty=False)
        try:
            build(config, serve_url=serve_url)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:  # including MkDocs's Abort, itself a SystemExit
        detail = "；".join(collector.messages[-5:])
        raise PortalError("mkdocs-error", f"MkDocs 构建失败：{exc}" + (f"（{detail}）" if detail else "")) from None
    except SystemExit as exc:  # mkdocs-macros exits on a macro error (on_error_fail)
        raise PortalError("macro-error", "手写页面中的宏出错，门户未生成：" + _macro_reason(collector.messages, exc.code)) from None
    finally:
        logger.removeHandler(collector)


# -- the whole build --------------------------------------------------------------------------------

LINK_KEYS = ("pull_request_url", "commit_url")


def forge_links(root: Path) -> dict[str, str]:
    """Where the forge shows a pull request and a commit: ``extra.yibao`` in ``mkdocs.yml``, e.g.
    ``pull_request_url: https://git.example.org/bureau/yibao/pulls/{number}`` and
    ``commit_url: https://git.example.org/bureau/yibao/commit/{sha}``. Absent or unreadable: none."""
    import yaml

    try:
        config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    found = ((config.get("extra") or {}).get("yibao") or {}) if isinstance(config, dict) else {}
    return {key: found[key] for key in LINK_KEYS if isinstance(found, dict) and isinstance(found.get(key), str)}


def generate_docs(root: Path, as_of: _dt.date | None = None, with_history: bool = True, cache=None,
                  jobs: int | None = None) -> tuple[P.Site, Path, list[str], dict[str, float]]:
    """Check, read history, compute and write the docs folder (everything before MkDocs)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    schemas = SchemaSet.load(root / "schemas")
    pending = start_history(root) if with_history else None  # git compares trees while we check and compute
    records = load_records(root, schemas, cache, jobs)
    lap("check")
    as_of = as_of or _dt.date.today()  # as `yibao report` does
    reports = compute_reports(records, schemas, as_of)
    lap("report")
    work_tree = work_tree_blobs(root, records)
    # a version whose blob is a work-tree file's is that file: its data was loaded just now
    known = {blob: record.data for record in records if (blob := work_tree.get(record.path))}
    history = pending.finish(known, Gate()) if pending else None
    lap("history")
    site = P.Site(schemas, records, reports, as_of, history, work_tree, links=forge_links(root))
    build_dir = root / BUILD_DIR
    docs = build_dir / "docs"
    generated = prepare_docs(root, docs, site, build_dir / BLOCKS_DIR)
    (build_dir / DATA_FILE).write_text(json.dumps(macro_data(site, history), ensure_ascii=False), encoding="utf-8")
    lap("generate")
    return site, docs, generated, timings


def _build(root: Path, output: Path, as_of: _dt.date | None, progress: Callable[[str], None] | None = None,
           cache=None, jobs: int | None = None, command: str = "build", serve_url: str | None = None,
           **overrides) -> BuildResult:
    site, docs, generated, timings = generate_docs(root, as_of, cache=cache, jobs=jobs)
    if progress:
        progress(f"已生成 {len(generated)} 个汇总页面，正在用 MkDocs 构建……")
    secrets, as_of = secret_values(site), site.as_of
    counts = {kind: len(site.all(kind)) for kind in site.schemas.kinds}
    start = time.perf_counter()
    config = _mkdocs_config(root, docs, output, as_of, **overrides)
    run_mkdocs(config, command, serve_url)
    blocks = docs.parent / BLOCKS_DIR
    splice_blocks(output, blocks, generated)
    timings["mkdocs"] = time.perf_counter() - start
    start = time.perf_counter()
    frame = output / R.html_path(R.FRAME_DOCS)
    try:
        frame_html = frame.read_text(encoding="utf-8")
    except OSError:
        raise PortalError("no-frame", f"MkDocs 没有生成记录页面的框架页面 {R.FRAME_DOCS}") from None
    shutil.rmtree(frame.parent)
    built_by_mkdocs = search.site_pages(output)
    planning.write_disclosure(site, output)  # scanned with the rest (check_no_leak)
    leaders.write_exports(site, output)  # the drill-down tables as spreadsheets, scanned too
    wall.write(site, output)  # the wall screen (大屏), scanned too
    # Pagefind indexes each full chunk of record pages while the next ones are written (the two
    # share the cores); the pages MkDocs built go into the last chunk
    indexer = search.Indexer(output)
    id_patterns = search.id_patterns(site.schemas, P.PAGE_DIRS)
    names = search.record_names(site, P.PAGE_DIRS)
    try:
        try:
            written = R.write_record_pages(site, output, frame_html, default_jobs() if jobs is None else jobs, secrets,
                                           written=indexer.add)
        except R.FrameError as exc:
            raise PortalError("theme-frame", f"主题生成的页面框架无法用于记录页面：{exc}（是否改动了 site/overrides 或主题？）") from None
        if written.confidential:
            raise PortalError("confidential-leak", f"生成结果中出现了保密字段的内容（{len(written.confidential)} 个页面），已中止；请报告给仓库维护人员")
        if written.personal_data:
            _personal_data_found([Path(p).name for p in written.personal_data])
        timings["records"] = time.perf_counter() - start
        del site
        gc.collect()  # versions and their history refer to each other
        start = time.perf_counter()
        if progress:
            progress(f"已写出 {len(written.paths)} 个记录页面，正在用 Pagefind 建立搜索索引……")
        indexer.add(built_by_mkdocs)
        indexer.finish()
        search.write_id_patterns(output, id_patterns, written.paths)
        search.write_record_names(output, names, written.paths)
    except search.SearchIndexError as exc:
        indexer.abort()
        raise PortalError("search-index", str(exc)) from None
    except BaseException:
        indexer.abort()
        raise
    timings["search"] = time.perf_counter() - start
    start = time.perf_counter()
    check_no_leak(output, secrets, docs, blocks)
    timings["leak-check"] = time.perf_counter() - start
    return BuildResult(output, docs, len(generated) + len(written.paths), counts, timings, as_of.isoformat(),
                       len(written.paths))


def build_portal(root: Path, output: Path | None = None, as_of: _dt.date | None = None,
                 progress: Callable[[str], None] | None = None, cache=None, jobs: int | None = None) -> BuildResult:
    """The whole build; raises :class:`PortalError` or :class:`HistoryError` with a Chinese message."""
    root = Path(root).resolve()
    output = _safe_output(root, Path(output) if output else root / DEFAULT_OUTPUT)
    return _build(root, output, as_of, progress, cache, jobs)


def serve_portal(root: Path, host: str = "127.0.0.1", port: int = 8000, as_of: _dt.date | None = None,
                 open_browser: bool = False) -> None:
    """Build into a temporary folder and serve it; rebuild when records, schemas, site/ or mkdocs.yml change."""
    import tempfile

    from mkdocs.livereload import LiveReloadServer

    root = Path(root).resolve()
    site_dir = Path(tempfile.mkdtemp(prefix="yibao-portal-"))
    url = f"http://{host}:{port}/"
    logging.getLogger("mkdocs").setLevel(logging.WARNING)

    def builder(config=None) -> None:
        started = time.perf_counter()
        try:
            _build(root, site_dir, as_of, command="serve", serve_url=url, site_url=url)
        except (PortalError, HistoryError) as exc:
            print(f"yibao serve: {exc}")
            for d in getattr(exc, "diagnostics", [])[:50]:
                print(d.text())
            return
        print(f"yibao serve: 已更新（{time.perf_counter() - started:.1f} 秒），{url}")

    server = LiveReloadServer(builder=builder, host=host, port=port, root=str(site_dir))
    try:
        builder()
        for watched in ("records", "schemas", SITE_SRC, CONFIG_FILE):
            if (root / watched).exists():
                server.watch(str(root / watched))
        print(f"yibao serve: 预览地址 {url}（修改记录、schemas、site/ 或 mkdocs.yml 后自动重新生成；Ctrl+C 退出）")
        try:
            server.serve(open_in_browser=open_browser)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    finally:
        shutil.rmtree(site_dir, ignore_errors=True)


def relpath_for_display(path: Path) -> str:
    """A path relative to the current directory when it is inside it, else absolute."""
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)
