"""Build the portal: check the records, read git history once, compute the report, write the
pages, then run MkDocs (Material) programmatically.

Layout (all under the records repository root):

* ``mkdocs.yml`` — theme, plugins, navigation (hand-written, committed);
* ``site/`` — hand-written pages and assets (copied into the docs folder) and ``site/overrides/``
  (theme overrides, used in place);
* ``build/portal/docs/`` — the docs folder MkDocs reads: ``site/`` plus the generated pages
  (never committed); ``build/portal/macros.json`` feeds the macros of the hand-written pages and
  ``build/portal/jieba_user.txt`` teaches the search segmenter the vocabulary's terms;
* ``public/`` (or ``--output``) — the built site (ignored by git).

Cost grows linearly with the records: every page is made from indexes built once (no page scans
all records, no git call per page), pages are written by worker processes when there are many,
unchanged files are not rewritten, and MkDocs takes the generated pages through the shortcut in
:mod:`yibao.publish.accelerate` (same pages; their search entries made in one pass).
"""
from __future__ import annotations

import datetime as _dt
import gc
import json
import re
import logging
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..speed.pool import default_jobs
from ..core.diagnostics import Diagnostic
from ..speed.gc import gc_paused
from ..check.personal_data import find_personal_data, might_contain_personal_data
from ..check.publishable import Gate
from ..load.history import History, HistoryError, start_history
from ..core.schemas import SchemaSet
from . import pages as P
from .macros import DATA_FILE
from .visible import Visibility

CONFIG_FILE = "mkdocs.yml"
SITE_SRC = "site"
OVERRIDES = "overrides"
BUILD_DIR = Path("build") / "portal"
DEFAULT_OUTPUT = "public"
JIEBA_USER_DICT = "jieba_user.txt"
#: vocabularies whose terms the search segmenter must keep whole ("重复收费", not "重复" + "收费")
SEARCH_TERMS = ("violation_type", "inspection_type", "case_action", "case_source", "training_topic",
                "institution_type", "case_status", "inspection_status", "subject_type", "sampling_basis")
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
    pages: int  # generated pages
    records: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    as_of: str = ""
    shortcut: int = 0  # generated pages built through yibao.publish.accelerate (the rest: plain MkDocs)

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


def prepare_docs(root: Path, docs: Path, site: P.Site, jobs: int | None = None) -> list[str]:
    """Make ``docs`` hold exactly ``site/`` (without the theme overrides) plus the generated pages.

    Pages are written as they are made (never all held in memory), on a fork-capable system with
    many pages by ``jobs`` worker processes, each taking a run of pages. A file whose content is
    already right is left alone and files that are no longer wanted are removed, so a rebuild
    rewrites only what changed. Returns the generated pages' docs paths, in order.
    """
    global _PAGES
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
    makers = P.page_makers(site)
    jobs = default_jobs() if jobs is None else jobs
    _PAGES = (makers, docs, set(hand_written))  # inherited by forked workers
    try:
        with gc_paused():  # many short-lived strings, no cycles worth collecting
            if jobs <= 1 or len(makers) < PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
                runs = [_write_pages((0, len(makers)))]
            else:
                size = max(PARALLEL_PAGES // 4, len(makers) // (jobs * 4) + 1)
                spans = [(start, min(start + size, len(makers))) for start in range(0, len(makers), size)]
                with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                    runs = list(pool.map(_write_pages, spans))
    finally:
        _PAGES = None
    written: dict[str, None] = {}
    for relpaths, collision in runs:
        if collision:
            raise PortalError("page-collision", f"site/{collision} 是手写页面，与记录生成的页面同名；请给手写页面换个名字")
        written.update(dict.fromkeys(relpaths))
    _remove_unwanted(docs, hand_written.keys() | written.keys())
    return list(written)


_PAGES = None
PARALLEL_PAGES = 2000  # fewer pages are made faster by one process than by starting workers


def _write_pages(span: tuple[int, int]) -> tuple[list[str], str | None]:
    """Make and write pages ``span`` of the list (in a worker or in process); the first collision stops it."""
    makers, docs, hand_written = _PAGES
    relpaths = []
    for make in makers[span[0]:span[1]]:
        relpath, text = make()
        if relpath in hand_written:
            return relpaths, relpath
        _sync_file(docs / relpath, text.encode("utf-8"))
        relpaths.append(relpath)
    return relpaths, None


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
        },
        "kpi_cards": {P.contract_id(r): P.kpi_cards(site, r) for r in reports},
        "charts": {P.contract_id(r): P.home_charts(site, r) for r in reports},
    }


def jieba_words(schemas: SchemaSet) -> list[str]:
    words = []
    for name in SEARCH_TERMS:
        try:
            words += schemas.terms(name)
        except KeyError:
            continue
    return sorted(set(w for w in words if len(w) >= 2))


def secret_values(site: P.Site) -> set[str]:
    """Confidential text long enough to look for in the output without false alarms.

    Taken from the records as they are and from every readable version in git history (a value
    removed from a record long ago is as confidential as a current one).
    """
    vis = Visibility(site.schemas)
    found = set()

    def add(kind: str, data: dict) -> None:
        for value in vis.secrets(kind, data):
            text = value if isinstance(value, str) else None
            if text and len(text.strip()) >= LEAK_MIN_LENGTH:
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


def check_no_leak(output: Path, secrets: set[str], docs: Path | None = None) -> None:
    """After the build: no confidential text in the search index, no personal data on any page.

    The search index holds the text of every page (records, their audit trails, the change log),
    so a confidential value it does not hold no page shows. Personal data is looked for with the
    scanner ``validate`` uses, in every page this build wrote (``docs``: the generated record and
    summary pages and the hand-written ones, before MkDocs wrapped them in the theme), one text
    node at a time: the index runs table cells together ("2022 2926 2023 3109" is a year and a
    count twice, not a bank card), the pages keep their cells apart.
    """
    index = output / "search" / "search_index.json"
    if secrets and index.is_file():
        import html

        data = json.loads(index.read_text(encoding="utf-8"))
        text = "\n".join(html.unescape(f"{d.get('title', '')}\n{d.get('text', '')}") for d in data.get("docs", []))
        text = text.replace("\u200b", "")
        leaked = [s for s in secrets if s in text or s.replace("\n", " ") in text]
        if leaked:
            raise PortalError("confidential-leak", f"生成结果中出现了保密字段的内容（{len(leaked)} 处），已中止；请报告给仓库维护人员")
    places = [docs] if docs is not None and docs.is_dir() else []
    found = [path for place in places for path in sorted(place.rglob("*")) if path.is_file() and _personal_data_in(path)]
    if found:
        shown = "、".join(p.name for p in found[:5])
        raise PortalError("personal-data-leak", f"生成结果中出现了疑似个人信息（{len(found)} 个文件，如 {shown}），已中止；请报告给仓库维护人员")


_MARKUP = re.compile(r"<[^>]*>")


def _personal_data_in(path: Path) -> bool:
    """Whether a written page holds personal data in any one text node (tags apart)."""
    import html

    text = path.read_bytes().decode("utf-8", "replace")
    if not might_contain_personal_data(text):
        return False
    for piece in _MARKUP.split(text):
        piece = html.unescape(piece).replace("\u200b", "")
        if len(piece) >= 11 and find_personal_data(piece):
            return True
    return False


def _safe_output(root: Path, output: Path) -> Path:
    output = output.resolve()
    root = root.resolve()
    if output == root or output in root.parents or root == output.parent and output.name in ("records", "schemas", "site", "scripts", "tests"):
        raise PortalError("unsafe-output", f"输出目录 {output} 会覆盖仓库内容；请换一个目录（默认 public/）")
    if output.exists() and any(output.iterdir()) and not (output / "search" / "search_index.json").exists() \
            and not (output / "sitemap.xml").exists():
        raise PortalError("unsafe-output", f"输出目录 {output} 不是空目录，也不是以前生成的门户；为免误删，请换一个目录或先清空它")
    return output


def _mkdocs_config(root: Path, docs: Path, output: Path, as_of: _dt.date, generated: Iterable[str] = (),
                   accelerate: bool = True, notes: Callable[[str], None] | None = None, **overrides):
    """The repository's ``mkdocs.yml`` with our folders; plus the shortcut for ``generated`` pages
    (:mod:`yibao.publish.accelerate`) unless ``accelerate`` is off or the configuration rules it out."""
    from mkdocs.config import load_config

    from .accelerate import NAME, GeneratedPages, blockers

    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        raise PortalError("no-mkdocs-config", f"仓库根目录没有 {CONFIG_FILE}")
    config = load_config(config_file=str(config_file), docs_dir=str(docs), site_dir=str(output), **overrides)
    config.extra["yibao_as_of"] = as_of.isoformat()
    for name, plugin in config.plugins.items():
        if name.endswith("search") and "jieba_dict_user" in plugin.config:
            plugin.config["jieba_dict_user"] = str(docs.parent / JIEBA_USER_DICT)
    generated = list(generated)
    if accelerate and generated:
        reasons = blockers(config)
        if reasons:
            if notes:
                notes(f"mkdocs.yml 中有未验证过的{'、'.join(reasons)}，生成页面按 MkDocs 常规方式构建（结果相同，速度较慢）")
        else:
            plugin = GeneratedPages(generated)
            plugin.load_config({})
            config.plugins[NAME] = plugin
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

    logging.getLogger("jieba").setLevel(logging.WARNING)  # no "Building prefix dict" chatter
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
    site = P.Site(schemas, records, reports, as_of, history, work_tree)
    build_dir = root / BUILD_DIR
    docs = build_dir / "docs"
    generated = prepare_docs(root, docs, site, jobs)
    (build_dir / DATA_FILE).write_text(json.dumps(macro_data(site, history), ensure_ascii=False), encoding="utf-8")
    (build_dir / JIEBA_USER_DICT).write_text("".join(f"{w} 100000 n\n" for w in jieba_words(schemas)), encoding="utf-8")
    lap("generate")
    return site, docs, generated, timings


def build_portal(root: Path, output: Path | None = None, as_of: _dt.date | None = None,
                 progress: Callable[[str], None] | None = None, cache=None, jobs: int | None = None,
                 accelerate: bool = True) -> BuildResult:
    """The whole build; raises :class:`PortalError` or :class:`HistoryError` with a Chinese message.

    ``accelerate=False`` builds the generated pages the plain MkDocs way (same pages, slower; the
    tests compare both)."""
    root = Path(root).resolve()
    output = _safe_output(root, Path(output) if output else root / DEFAULT_OUTPUT)
    site, docs, generated, timings = generate_docs(root, as_of, cache=cache, jobs=jobs)
    if progress:
        progress(f"已生成 {len(generated)} 个页面，正在用 MkDocs 构建……")
    # what is needed after MkDocs, taken now: the records and their history are let go before it runs
    secrets, as_of = secret_values(site), site.as_of
    counts = {kind: len(site.all(kind)) for kind in site.schemas.kinds}
    del site
    gc.collect()  # versions and their history refer to each other
    start = time.perf_counter()
    config = _mkdocs_config(root, docs, output, as_of, generated, accelerate, notes=progress)
    run_mkdocs(config)
    timings["mkdocs"] = time.perf_counter() - start
    from .accelerate import NAME

    shortcut = config.plugins[NAME].taken if NAME in config.plugins else 0
    start = time.perf_counter()
    check_no_leak(output, secrets, docs)
    timings["leak-check"] = time.perf_counter() - start
    return BuildResult(output, docs, len(generated), counts, timings, as_of.isoformat(), shortcut)


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
            site, docs, generated, _ = generate_docs(root, as_of)
            config = _mkdocs_config(root, docs, site_dir, site.as_of, generated, notes=print, site_url=url)
            run_mkdocs(config, command="serve", serve_url=url)
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
