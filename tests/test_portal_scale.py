"""The portal at scale: page generation grows linearly with the records, record pages are written
one at a time by our own templates (yibao.publish.records) the same way by one process or several.

Linearity is checked on two generated repositories with real git histories (``benchmarks/bench.py``): the
work per page — CPU time of the page generator, Markdown bytes, record lookups — stays about the
same when the repository is eight times larger. The bounds are loose on purpose (a loaded 2-core
CI machine); a page that scanned all records of a kind would blow them.
"""
from __future__ import annotations

import datetime
import html
import time
from pathlib import Path

import pytest

from yibao.core.record import Record
from yibao.publish import pages as P
from yibao.publish import records as R
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
    # the sizes differ enough to show a trend (pages that do not grow with the records, such as the list
    # page of every kind and the law's provisions, are in both)
    assert large["pages"] > 5 * small["pages"], (small, large)
    assert large["bytes"] / small["bytes"] < 1.5, f"Markdown per page grows with the repository: {small} {large}"
    assert large["lookups"] / small["lookups"] < 1.5, f"pages look at more records as the repository grows: {small} {large}"
    assert large["cpu"] / small["cpu"] < 2.5, f"time per page grows with the repository: {small} {large}"


def test_generated_pages_are_headings_and_one_line_blocks(sizes):
    """Every generated page is front matter, headings and one-line HTML blocks, the form the record
    renderer reads (and MkDocs converts without touching the blocks)."""
    site = sizes[SIZES[0]]
    for relpath, text in P.generate(site):
        title, parts = R.parse_page(text)
        assert title and parts, relpath


FRAME = ('<!doctype html><html lang="zh"><head><title>YBFRAMETITLE - 门户</title></head><body>'
         '<a href="#ybframetoc" class="md-skip">跳转至</a><header>门户 YBFRAMETITLE {{ 不是模板 }}</header>'
         '<nav><ul><li class="md-nav__item"><a href="#ybframetoc" class="md-nav__link">YBFRAMETOC</a></li></ul></nav>'
         '<article><div data-pagefind-body><h1>YBFRAMETITLE</h1>'
         '<h2 id="ybframetoc">YBFRAMETOC</h2>\n<div data-yb-frame="content"></div></div></article></body></html>')


def test_parallel_and_serial_writing_give_the_same_record_pages(sizes, tmp_path, monkeypatch):
    site = sizes[SIZES[1]]
    monkeypatch.setattr(R, "PARALLEL_PAGES", 10)  # force the worker processes on a small repository
    one = R.write_record_pages(site, tmp_path / "one", FRAME, jobs=1)
    two = R.write_record_pages(site, tmp_path / "two", FRAME, jobs=2)
    assert one.paths == two.paths and len(one.paths) > 500 and not one.personal_data and not one.confidential
    for relpath in one.paths:
        assert (tmp_path / "one" / relpath).read_bytes() == (tmp_path / "two" / relpath).read_bytes(), relpath
    page = (tmp_path / "one" / one.paths[0]).read_text(encoding="utf-8")
    assert "{{ 不是模板 }}" in page and "YBFRAME" not in page and "ybframetoc" not in page
    assert page.count('class="md-nav__link"') == page.count("<h2 id=")  # one contents entry per section


def test_a_page_with_a_confidential_value_is_never_written(sizes, tmp_path):
    site = sizes[SIZES[0]]
    record = next(r for r in site.all("case") if r.id)
    secret = str(record.get("summary") or record.id)
    done = R.write_record_pages(site, tmp_path, FRAME, jobs=1, secrets=frozenset({secret}))
    assert done.confidential and all(secret not in (tmp_path / p).read_text(encoding="utf-8") for p in done.paths)
    assert not (tmp_path / R.html_path(P.Site.page_of("case", record.id))).exists()


def test_frame_markers_become_slots_and_the_rest_stays_verbatim():
    env = R.environment(R.frame_template(FRAME))
    out = R.render_record(env, "AJ-1", '---\ntitle: "AJ-1 <名称> {{ 7*7 }}"\n---\n\n<div class="yb-block">x</div>\n\n'
                                       '## 基本信息\n\n<div class="yb-block">a</div>\n\n## 审计记录\n\n<div>b</div>\n')
    assert "<title>AJ-1 &lt;名称&gt; {{ 7*7 }} - 门户</title>" in out  # escaped, never evaluated
    assert '<a href="#_1" class="md-skip">' in out and '<h2 id="_2">审计记录</h2>' in out
    assert '<a href="#_1" class="md-nav__link">基本信息</a>' in out and "{{ 不是模板 }}" in out
    assert 'data-pagefind-weight="10" data-pagefind-meta="record_id">AJ-1<' in out
    with pytest.raises(R.FrameError):  # a theme that lost the content marker: refused, not guessed at
        R.frame_template(FRAME.replace('<div data-yb-frame="content"></div>', ""))
    with pytest.raises(R.FrameError):
        R.frame_template(FRAME.replace("</header>", "{% endraw %}</header>"))


def test_pages_not_of_the_generated_form_are_refused():
    for text in ('---\ntitle: "t"\n---\n\n正文段落\n',  # Markdown text
                 '---\ntitle: "t"\n---\n\n<div class="yb-block">a\n</div>\n',  # a block over two lines
                 'no front matter\n'):
        with pytest.raises(ValueError):
            R.parse_page(text)


def test_record_text_with_line_breaks_and_tabs_stays_on_one_line():
    from yibao.publish.html import block, esc_text, tag

    text = block(tag("div", "第一行\n\n\t第二行\r\n{{ x }}", class_="yb-version-msg"), esc_text("甲\r\n乙\n\n丙"))
    assert text.count("\n") == 1 and text.endswith("\n") and "\t" not in text and "\r" not in text
    assert R.parse_page('---\ntitle: "t"\n---\n\n' + text)[1][0].html == text.strip()
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

