"""Site search with Pagefind: an index of the whole built site, Chinese segmented when indexing
and when querying (the ``pagefind[extended]`` package bundles the binary; nothing is downloaded).

Pagefind reads every page's ``data-pagefind-body`` element (the main content: the theme override
``site/overrides/main.html`` marks it on the MkDocs pages, ``templates/record.html`` on the record
pages) and skips what is marked ``data-pagefind-ignore``. Record pages carry their ID in an element
of the highest weight, also kept as ``record_id`` metadata, so that an exact ID finds its page first.
The index, the search interface (``pagefind-ui.js``/``.css``, loaded in the header of every page by
``assets/portal.js``) and its WebAssembly live in ``pagefind/`` inside the site: it works offline.

The index's fragments hold the indexed text of each page, gzip-compressed: :func:`index_texts`
decompresses them so that the leak scan reads exactly what the index serves.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Iterator

import orjson

BUNDLE = "pagefind"
STAGE = ".yb-search-stage"
CHUNK_PAGES = 5000  # pages per Pagefind run: about 0.6 GB of memory each
UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-highlight.js")
#: what every compressed Pagefind file starts with once decompressed
SIGNATURE = b"pagefind_dcd"


class SearchIndexError(Exception):
    pass


#: folders of pages left out of the search index: the KPI drill-down lists (one page per figure,
#: 7,953 of them for 51 contracts at 20k records) name the same records as the records' own pages,
#: crowd them in the results and took 40% of Pagefind's time; they are reached from their figure.
#: The leak check reads these pages themselves instead (:func:`not_indexed`).
NOT_INDEXED = ("kpis/",)


def indexed(relpaths: Iterable[str]) -> list[str]:
    return [p for p in relpaths if not p.startswith(NOT_INDEXED)]


def not_indexed(site_dir: Path) -> list[Path]:
    """The pages of the site that the search index does not hold, sorted."""
    return sorted(p for folder in NOT_INDEXED if (site_dir / folder).is_dir() for p in (site_dir / folder).rglob("*.html"))


def site_pages(site_dir: Path) -> list[str]:
    """The site's HTML pages (not the search bundles' own files), sorted."""
    return sorted(rel for p in site_dir.rglob("*.html")
                  if not (rel := p.relative_to(site_dir).as_posix()).startswith((BUNDLE + "/", BUNDLE + "-", STAGE)))


def build_index(site_dir: Path, chunk: int = CHUNK_PAGES) -> list[str]:
    """Run Pagefind over the built site; returns the bundles' folders (``pagefind/`` first).

    Pagefind holds a whole index in memory (about 100 KB per page with Chinese segmentation), so
    a large site is indexed ``chunk`` pages at a time, each run into its own bundle; the search
    interface merges them at query time (``pagefind/bundles.json`` lists the others). Each run
    reads hard links (or copies) of its pages in a staging folder inside the site: the URLs the
    index holds are the pages' own.
    """
    ids = site_dir / BUNDLE / RECORD_IDS
    kept = json.loads(ids.read_text(encoding="utf-8"))["patterns"] if ids.is_file() else None  # outlives a new index
    indexer = Indexer(site_dir, chunk)
    try:
        pages = site_pages(site_dir)
        indexer.add(pages)
        bundles = indexer.finish()
        if kept is not None:
            write_id_patterns(site_dir, kept, pages)
        return bundles
    except BaseException:
        indexer.abort()
        raise


class Indexer:
    """Pagefind runs over pages as they are written: every ``chunk`` pages handed to :meth:`add`
    are indexed into a bundle by a Pagefind process running in the background while the caller
    writes more pages (one run at a time: each holds its chunk's index in memory). Bundles are
    ``pagefind/`` (with the search interface), ``pagefind-2/`` …; :meth:`finish` indexes the rest
    and lists the other bundles in ``pagefind/bundles.json``; :meth:`abort` removes them all."""

    def __init__(self, site_dir: Path, chunk: int = CHUNK_PAGES):
        self.site_dir, self.chunk = site_dir, max(1, chunk)
        self.pending: list[str] = []
        self.bundles: list[str] = []
        self.running: tuple[subprocess.Popen, Path, Path] | None = None
        for old in [site_dir / BUNDLE, *site_dir.glob(f"{BUNDLE}-*"), *site_dir.glob(f"{STAGE}*")]:
            shutil.rmtree(old, ignore_errors=True)

    def add(self, relpaths: list[str]) -> None:
        """Pages just written (paths relative to the site); a full chunk starts a Pagefind run."""
        self.pending += indexed(relpaths)
        while len(self.pending) >= self.chunk:
            pages, self.pending = self.pending[:self.chunk], self.pending[self.chunk:]
            self._start(pages)

    def finish(self) -> list[str]:
        if self.pending or not self.bundles and self.running is None:
            pages, self.pending = self.pending, []
            self._start(pages)
        self._wait()
        for name in UNUSED:  # other interfaces Pagefind ships; the portal loads pagefind-ui.js only
            (self.site_dir / BUNDLE / name).unlink(missing_ok=True)
        (self.site_dir / BUNDLE / "bundles.json").write_text(json.dumps([f"{b}/" for b in self.bundles[1:]]), encoding="utf-8")
        return self.bundles

    def abort(self) -> None:
        """Stop a run and remove every bundle (an index of a build that failed is never left to be served)."""
        if self.running is not None:
            process, stage, _ = self.running
            self.running = None
            process.kill()
            process.wait()
            shutil.rmtree(stage, ignore_errors=True)
        for bundle in self.bundles:
            shutil.rmtree(self.site_dir / bundle, ignore_errors=True)

    def _start(self, pages: list[str]) -> None:
        number = len(self.bundles)
        name = BUNDLE if number == 0 else f"{BUNDLE}-{number + 1}"
        stage = self.site_dir / f"{STAGE}-{number + 1}"
        shutil.rmtree(stage, ignore_errors=True)
        folders: set[Path] = set()
        for relpath in pages:
            target = stage / relpath
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            try:
                os.link(self.site_dir / relpath, target)
            except OSError:
                shutil.copyfile(self.site_dir / relpath, target)
        self._wait()  # the previous run ends before this one starts (memory)
        self.bundles.append(name)
        self.running = (_start(stage, self.site_dir / name), stage, self.site_dir / name)

    def _wait(self) -> None:
        if self.running is None:
            return
        process, stage, bundle = self.running
        self.running = None
        try:
            _check(process, bundle)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        if bundle.name != BUNDLE:
            for extra in ("pagefind-ui.js", "pagefind-ui.css", *UNUSED):  # the interface comes from the first bundle
                (bundle / extra).unlink(missing_ok=True)


def _start(source: Path, bundle: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "pagefind", "--site", str(source), "--output-path", str(bundle),
               "--keep-index-url", "--force-language", "zh", "--silent"]
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SearchIndexError(f"无法运行 Pagefind：{exc}") from None


def _check(process: subprocess.Popen, bundle: Path) -> None:
    output, _ = process.communicate()
    if process.returncode != 0 or not (bundle / "pagefind-entry.json").is_file():
        detail = (output or "").strip().splitlines()[-3:]
        raise SearchIndexError("Pagefind 建立搜索索引失败" + (f"：{'；'.join(detail)}" if detail else "")
                               + "（需要 pip install 'pagefind[extended]'）")


def decompressed(path: Path) -> bytes:
    """A file of the bundle as Pagefind reads it (its index files are gzip-compressed)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data[len(SIGNATURE):] if data.startswith(SIGNATURE) else data


def bundle_dirs(site_dir: Path) -> list[Path]:
    return sorted(p for p in [site_dir / BUNDLE, *site_dir.glob(f"{BUNDLE}-*")] if p.is_dir())


def fragments(site_dir: Path):
    """Each indexed page as Pagefind stores it: ``url``, ``content``, ``meta``, ``anchors`` …"""
    for bundle in bundle_dirs(site_dir):
        for path in sorted((bundle / "fragment").glob("*.pf_fragment")):
            yield orjson.loads(decompressed(path))


def index_texts(site_dir: Path) -> Iterator[str]:
    """Everything the search bundles hold as text, one file at a time: every fragment (content,
    title, metadata, anchors) and the other files, decompressed (the word index itself is binary;
    its words come from the same text). One file at a time, so that a scan of a large site never
    holds the whole index in memory."""
    for bundle in bundle_dirs(site_dir):
        for path in sorted(bundle.rglob("*")):
            if not path.is_file() or path.suffix in (".wasm", ".js", ".css"):
                continue
            data = decompressed(path)
            if path.suffix == ".pf_fragment":
                fragment = orjson.loads(data)
                parts = [fragment.get("content", "")]
                parts += [str(v) for v in (fragment.get("meta") or {}).values()]
                parts += [str(a.get("text", "")) for a in fragment.get("anchors") or []]
                yield "\n".join(parts)
            else:
                yield data.decode("utf-8", "replace")


#: record IDs and where their pages are: {"patterns": [[ID pattern, folder], …]} (read by assets/portal.js)
RECORD_IDS = "record-ids.json"


def id_patterns(schemas, page_dirs: dict[str, str]) -> list[list[str]]:
    """For every kind with record pages: the pattern of its IDs (from its schema's ``id``) and the
    folder of its pages. The search box pins a record's own page above the results when the query
    is exactly its ID: Pagefind ranks within each index bundle, so across bundles a page that only
    names the ID could otherwise come first."""
    out = []
    for kind, folder in page_dirs.items():
        if kind not in schemas.schemas:
            continue
        node, _ = schemas.resolve(schemas.schemas[kind].get("properties", {}).get("id", {}))
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            out.append([pattern, folder])
    return out


def write_id_patterns(site_dir: Path, patterns: list[list[str]], pages: Iterable[str]) -> None:
    """The ID patterns, and per folder the IDs that have a page (``pagefind/ids/<folder>.json``, fetched
    only when a query has the form of an ID: the search box never asks the server for a page that
    may not exist)."""
    folders = {folder for _, folder in patterns}
    ids: dict[str, list[str]] = {folder: [] for folder in folders}
    for relpath in pages:
        folder, _, name = relpath.rpartition("/")
        if folder in ids and name.endswith(".html"):
            ids[folder].append(name[: -len(".html")])
    (site_dir / BUNDLE / "ids").mkdir(exist_ok=True)
    for folder, names in ids.items():
        (site_dir / BUNDLE / "ids" / f"{folder}.json").write_text(json.dumps(sorted(names)), encoding="utf-8")
    (site_dir / BUNDLE / RECORD_IDS).write_text(json.dumps({"patterns": patterns}, ensure_ascii=False), encoding="utf-8")



#: record names and where their pages are: [[ID, name, folder], …] (read by assets/portal.js)
RECORD_NAMES = "record-names.json"
#: the fields that name a record on its page (the first a kind's schema has whose label says it is a
#: name or heading: a staff record's ``title`` is a professional title, 职称, and is left out)
NAME_FIELDS = ("name", "title")
NAMES_A_RECORD = re.compile("名称|标题")


def record_names(site, page_dirs: dict[str, str]) -> list[list[str]]:
    """Every record with a page and a public name (institutions, contracts, rules …): ``[ID, name,
    folder]``. Pagefind segments Chinese with jieba when indexing but with the browser's
    ``Intl.Segmenter`` when querying, and the two disagree on names ("瑞康大药房" is 瑞康/大/药房 in the
    index, 瑞康/大药房 in the query: Pagefind/pagefind#1237), so a full institution name can miss its
    own page. The search box matches the query against these names as plain text and pins the
    records it names above Pagefind's results. A confidential field is never a name here."""
    out = []
    for kind, folder in page_dirs.items():
        schema = site.schemas.schemas.get(kind, {}).get("properties", {})
        field = next((f for f in NAME_FIELDS if f in schema and not schema[f].get("x-confidential")
                      and NAMES_A_RECORD.search(str(schema[f].get("title", "")))), None)
        if field is None:
            continue
        for record in site.all(kind):
            name = record.get(field)
            if isinstance(name, str) and name.strip():
                out.append([record.id, name.strip(), folder])
    return sorted(out)


def write_record_names(site_dir: Path, names: list[list[str]], pages: Iterable[str]) -> None:
    """The names of the records whose page was written (``pagefind/record-names.json``)."""
    written = set(pages)
    kept = [entry for entry in names if f"{entry[2]}/{entry[0]}.html" in written]
    (site_dir / BUNDLE / RECORD_NAMES).write_text(json.dumps(kept, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
