"""The portal at scale: page generation grows linearly with the records, and the build's shortcut
through MkDocs (yibao.publish.accelerate) gives exactly the pages plain MkDocs gives, with a search
index holding the same sections and the same visible text.

Linearity is checked on two generated repositories with real git histories (``benchmarks/bench.py``): the
work per page — CPU time of the page generator, Markdown bytes, record lookups — stays about the
same when the repository is eight times larger. The bounds are loose on purpose (a loaded 2-core
CI machine); a page that scanned all records of a kind would blow them.
"""
from __future__ import annotations

import datetime
import html
import json
import re
import time
from pathlib import Path

import pytest

from portal_demo import AS_OF, CASE_ID, SECRETS, built_demo, generated_pages

from yibao.core.record import Record
from yibao.publish import accelerate
from yibao.publish import pages as P
from yibao.publish import portal

SIZES = (40, 320)  # institutions: about 110 and 780 records (8 times more)
GENERATED = ("institutions/", "inspections/", "cases/", "trainings/", "contracts/", "coverage.html",
             "deadlines.html", "changes.html")


# -- linear generation -----------------------------------------------------------------------------

def _site(root: Path) -> P.Site:
    """What ``yibao build`` hands the page generator: checked records, history, report."""
    from yibao.load.history import read_history
    from yibao.core.schemas import SchemaSet

    schemas = SchemaSet.load(root / "schemas")
    records = portal.load_records(root, schemas, None, 1)
    as_of = datetime.date(2024, 12, 31)
    return P.Site(schemas, records, portal.compute_reports(records, schemas, as_of), as_of, read_history(root),
                  portal.work_tree_blobs(root, records))


def _per_page(site: P.Site, monkeypatch) -> dict[str, float]:
    makers = P.page_makers(site)
    for make in makers[:20]:  # warm up lazily built caches outside the measurement
        make()
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        size = sum(len(make()[1].encode("utf-8")) for make in makers)
        best = min(best, time.process_time() - started)
    calls = 0
    original = Record.get

    def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return original(self, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(Record, "get", counting)
        for make in makers:
            make()
    return {"pages": len(makers), "cpu": best / len(makers), "bytes": size / len(makers), "lookups": calls / len(makers)}


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    from bench_repository import build_repository

    out = {}
    for institutions in SIZES:
        root = tmp_path_factory.mktemp(f"scale-{institutions}") / "repo"
        build_repository(root, institutions)
        out[institutions] = _site(root)
    return out


def test_page_generation_is_linear_in_the_records(sizes, monkeypatch):
    small, large = (_per_page(sizes[n], monkeypatch) for n in SIZES)
    assert large["pages"] > 6 * small["pages"], (small, large)
    assert large["bytes"] / small["bytes"] < 1.5, f"Markdown per page grows with the repository: {small} {large}"
    assert large["lookups"] / small["lookups"] < 1.5, f"pages look at more records as the repository grows: {small} {large}"
    assert large["cpu"] / small["cpu"] < 2.5, f"time per page grows with the repository: {small} {large}"


def test_generated_blocks_are_one_line_each(sizes):
    """Every generated page is headings and one-line HTML blocks, the form the shortcut takes."""
    site = sizes[SIZES[0]]
    for relpath, text in P.generate(site):
        body = text.split("---\n", 2)[2]
        assert accelerate.split_page(body) is not None, relpath


def test_parallel_and_serial_generation_write_the_same_files(sizes, tmp_path, monkeypatch):
    site = sizes[SIZES[1]]
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.setattr(portal, "PARALLEL_PAGES", 10)  # force the worker processes on a small repository
    one = portal.prepare_docs(root, tmp_path / "one", site, jobs=1)
    two = portal.prepare_docs(root, tmp_path / "two", site, jobs=2)
    assert one == two and len(one) > 500
    for relpath in one:
        assert (tmp_path / "one" / relpath).read_bytes() == (tmp_path / "two" / relpath).read_bytes(), relpath
    # a rebuild rewrites nothing that is already right, and removes what is no longer generated
    stale = tmp_path / "one" / "cases" / "AJ-2099-STALE1.md"
    stale.write_text("old", encoding="utf-8")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "one").rglob("*.md")}
    assert portal.prepare_docs(root, tmp_path / "one", site, jobs=1) == one
    assert not stale.exists()
    assert all(p.stat().st_mtime_ns == before[p] for p in (tmp_path / "one").rglob("*.md"))


# -- the shortcut through MkDocs: same pages, equivalent search index ------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    built = built_demo(tmp_path_factory)
    assert built.rc == 0, built.stdout + built.stderr
    return built


@pytest.fixture(scope="module")
def plain(demo, tmp_path_factory):
    """The demo built again without the shortcut: MkDocs converts and Material indexes every page."""
    output = tmp_path_factory.mktemp("plain-mkdocs") / "site"
    result = portal.build_portal(demo.root, output, datetime.date.fromisoformat(AS_OF), accelerate=False)
    assert result.shortcut == 0
    return output


def _generated_pages(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html")
                  if p.relative_to(output).as_posix().startswith(GENERATED))


def test_shortcut_pages_are_byte_for_byte_those_of_plain_mkdocs(demo, plain):
    pages = _generated_pages(demo.output)
    assert len(pages) > 100 and pages == _generated_pages(plain)
    different = [p for p in pages if (demo.output / p).read_bytes() != (plain / p).read_bytes()]
    assert different == []


def _visible(text: str) -> str:
    """Index text without markup, spacing or word breaks (how the two indexers differ)."""
    text = re.sub(r"</?(p|code|pre|li|ol|ul|sub|sup)>", "", text)
    return re.sub(r"[\s\u200b]+", "", html.unescape(text))


def test_search_index_has_the_sections_and_text_material_would_index(demo, plain):
    ours = json.loads((demo.output / "search" / "search_index.json").read_text(encoding="utf-8"))
    theirs = json.loads((plain / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert ours["config"] == theirs["config"]
    ours_by = {d["location"]: d for d in ours["docs"]}
    theirs_by = {d["location"]: d for d in theirs["docs"]}
    assert set(ours_by) == set(theirs_by)
    generated = [loc for loc in ours_by if loc.startswith(GENERATED)]  # hand-written pages show the build time
    assert len(generated) > 300
    for location in generated:
        assert _visible(ours_by[location]["title"]) == _visible(theirs_by[location]["title"]), location
        assert _visible(ours_by[location]["text"]) == _visible(theirs_by[location]["text"]), location
    # the shortcut made the generated pages' entries (table cells kept apart), Material the others
    assert sum(ours_by[loc]["text"] != theirs_by[loc]["text"] for loc in generated) > len(generated) // 2
    case = ours_by[f"cases/{CASE_ID}.html#_1"]["text"]
    assert "\u200b重复收费\u200b" in f"\u200b{case}\u200b" and "举报原文" not in case
    assert all(secret not in _visible(json.dumps(ours, ensure_ascii=False)) for secret in SECRETS)


def test_search_words_are_segmented_as_material_segments_them():
    from material.plugins.search.plugin import SearchIndex

    segment = accelerate.Segmenter()
    for text in ("同一住院日重复收取护理费；原文：{{ 7*7 }}", "检查编号 JC-2024-TEST02 现场检查 2024-05-20",
                 "石溪县康宁街镇卫生院（虚构） 双随机抽查", "〇々𠀀 mixed 中文"):
        assert segment(text) == SearchIndex()._segment_chinese(text), text


def test_search_text_drops_excluded_elements_and_markup():
    fragment = ('<div class="yb-block"><p>可见&amp;文字</p><details data-search-exclude><summary>新建</summary>'
                '<details><summary>内层</summary>隐藏</details>也隐藏</details><table><tr><td>A</td><td>B</td></tr></table></div>')
    assert accelerate.search_text(fragment) == "可见&amp;文字 A B"


def test_pages_not_of_the_generated_form_take_the_plain_way():
    assert accelerate.split_page('\n<div class="yb-block">a</div>\n\n## 标题\n\n<div class="yb-block">b</div>\n') is not None
    for body in ('\n<div class="yb-block">a\n</div>\n',  # a block over two lines
                 '\n<div class="yb-block">a</div>\n## 标题\n',  # no blank line after the block
                 '\n<div class="yb-block">a\tb</div>\n',  # Markdown would expand the tab
                 '\n正文段落\n',  # Markdown text
                 '\n<div class="yb-block"><h1>x</h1></div>\n'):  # Material looks for <h1> in the content
        assert accelerate.split_page(body) is None, body


def test_configuration_it_was_not_verified_with_builds_the_plain_way(demo):
    config = portal._mkdocs_config(demo.root, demo.root / "build" / "portal" / "docs", demo.root / "unused",
                                   datetime.date.fromisoformat(AS_OF), ["cases/x.md"])
    assert accelerate.NAME in config.plugins
    assert accelerate.blockers(config) == []
    config.markdown_extensions.append("footnotes")
    assert accelerate.blockers(config) == ["Markdown 扩展 footnotes"]


def test_every_generated_demo_page_takes_the_shortcut(demo):
    """Payloads, multi-line text and tabs in records still give one-line blocks (escaped)."""
    generated = generated_pages(demo.root)
    assert len(generated) > 100
    for path in generated:
        body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
        assert accelerate.split_page(body) is not None, path


def test_record_text_with_line_breaks_and_tabs_stays_on_one_line():
    from yibao.publish.html import block, esc_text, tag

    text = block(tag("div", "第一行\n\n\t第二行\r\n{{ x }}", class_="yb-version-msg"), esc_text("甲\r\n乙\n\n丙"))
    assert text.count("\n") == 1 and text.endswith("\n") and "\t" not in text and "\r" not in text
    assert accelerate.split_page("\n" + text) is not None
    assert "第一行\n\n\t第二行\r\n{{ x }}" in html.unescape(text) and "甲<br>乙<br><br>丙" in text


# -- git log in the background ---------------------------------------------------------------------

def test_history_with_known_blobs_is_the_history_read_from_git(tmp_path):
    """Versions equal to a work-tree file take the data checked just before: nothing else changes."""
    from bench_repository import build_repository
    from yibao.load.history import read_history, start_history
    from yibao.core.schemas import SchemaSet

    root = tmp_path / "repo"
    build_repository(root, 40)
    records = portal.load_records(root, SchemaSet.load(root / "schemas"), None, 1)
    blobs = portal.work_tree_blobs(root, records)
    known = {blobs[r.path]: r.data for r in records}
    pending = start_history(root)  # git works in the background
    reused = pending.finish(known)
    plain = read_history(root)

    def versions(history):
        return {path: [(v.commit.sha, v.status, v.blob, v.parsed.data, v.before.data, v.pr) for v in vs]
                for path, vs in history.versions.items()}

    assert versions(reused) == versions(plain) and len(plain.versions) == len(records)
    assert sum(reused.parsed(blob).data is data for blob, data in known.items()) == len(records)
    with pytest.raises(Exception) as caught:  # a folder without git: reported when the history is needed
        start_history(tmp_path / "no-git").finish()
    assert getattr(caught.value, "code", None) == "not-a-git-repo"


def test_invalid_records_are_reported_before_a_shallow_clone(tmp_path):
    import subprocess

    from conftest import RECORDS
    from test_portal import _small_portal
    from portal_demo import run_cli

    repo = _small_portal(tmp_path / "origin")
    case = repo.root / "records" / "case" / "2024" / "AJ-2024-000001.yaml"
    case.write_text(RECORDS["records/case/2024/AJ-2024-000001.yaml"].replace("status: 已立案", "status: 已经立案"),
                    encoding="utf-8")
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qam", "second"],
                   cwd=repo.root, check=True, capture_output=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True, capture_output=True)
    rc, out, err = run_cli("-C", str(clone), "build", "--no-cache")
    assert rc == 1 and "error[invalid-records]" in err and "shallow-clone" not in err

