"""Site search with Pagefind: an index of the whole built site, Chinese segmented when indexing
and when querying (the ``pagefind[extended]`` package bundles the binary; nothing is downloaded).

Pagefind reads every page's ``data-pagefind-body`` element (the main content: the theme override
``site/overrides/main.html`` marks it on the MkDocs pages, ``templates/record.html`` on the record
pages) and skips what is marked ``data-pagefind-ignore``. Record pages carry their ID in an element
of the highest weight, also kept as ``record_id`` metadata, so that an exact ID finds its page first.
The index, the search interface (``pagefind-ui.js``/``.css``, loaded in the header of every page by
``assets/portal.js``) and its WebAssembly live in ``pagefind/`` inside the site: it works offline.

The index's fragments hold the indexed text of each page, gzip-compressed: :func:`index_text`
decompresses them so that the leak scan reads exactly what the index serves.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def build_index(site_dir: Path, chunk: int = CHUNK_PAGES) -> list[str]:
    """Run Pagefind over the built site; returns the bundles' folders (``pagefind/`` first).

    Pagefind holds a whole index in memory (about 100 KB per page with Chinese segmentation), so
    a large site is indexed ``chunk`` pages at a time, each run into its own bundle; the search
    interface merges them at query time (``pagefind/bundles.json`` lists the others). Each run
    reads hard links (or copies) of its pages in a staging folder inside the site: the URLs the
    index holds are the pages' own.
    """
    pages = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")
                   if p.relative_to(site_dir).parts[0] not in (BUNDLE, STAGE) and not p.name.startswith(BUNDLE + "-"))
    for old in [site_dir / BUNDLE, *site_dir.glob(f"{BUNDLE}-*")]:
        shutil.rmtree(old, ignore_errors=True)
    bundles = []
    for number, start in enumerate(range(0, max(len(pages), 1), chunk)):
        name = BUNDLE if number == 0 else f"{BUNDLE}-{number + 1}"
        stage = site_dir / STAGE
        shutil.rmtree(stage, ignore_errors=True)
        for relpath in pages[start:start + chunk]:
            target = stage / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(site_dir / relpath, target)
            except OSError:
                shutil.copyfile(site_dir / relpath, target)
        try:
            _run(stage, site_dir / name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        bundles.append(name)
        if number:
            for extra in ("pagefind-ui.js", "pagefind-ui.css", *UNUSED):  # the interface comes from the first bundle
                (site_dir / name / extra).unlink(missing_ok=True)
    for name in UNUSED:  # other interfaces Pagefind ships; the portal loads pagefind-ui.js only
        (site_dir / BUNDLE / name).unlink(missing_ok=True)
    (site_dir / BUNDLE / "bundles.json").write_text(json.dumps([f"{b}/" for b in bundles[1:]]), encoding="utf-8")
    return bundles


def _run(source: Path, bundle: Path) -> None:
    command = [sys.executable, "-m", "pagefind", "--site", str(source), "--output-path", str(bundle),
               "--keep-index-url", "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SearchIndexError(f"无法运行 Pagefind：{exc}") from None
    if done.returncode != 0 or not (bundle / "pagefind-entry.json").is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
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


def index_text(site_dir: Path) -> str:
    """Everything the search bundles hold as text: every fragment (content, title, metadata, anchors)
    and the other files, decompressed (the word index itself is binary; its words come from the
    same text)."""
    parts = []
    for bundle in bundle_dirs(site_dir):
        for path in sorted(bundle.rglob("*")):
            if not path.is_file() or path.suffix in (".wasm", ".js", ".css"):
                continue
            data = decompressed(path)
            if path.suffix == ".pf_fragment":
                fragment = orjson.loads(data)
                parts.append(fragment.get("content", ""))
                parts += [str(v) for v in (fragment.get("meta") or {}).values()]
                parts += [str(a.get("text", "")) for a in fragment.get("anchors") or []]
            else:
                parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)
