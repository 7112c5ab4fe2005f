"""The portal built from the demo records (see portal_demo.py): pages, KPIs, confidentiality,
offline use, template safety and the audit trail — checked on the real output files.
"""
from __future__ import annotations

import gzip
import html
import json
import posixpath
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import RECORDS, make_repo
from portal_demo import AS_OF, CASE_ID, INSPECTION_ID, PAYLOAD, PROJECT, SECRETS, built_demo, generated_pages, run_cli

from yibao.load import strict_yaml
from yibao.publish.visible import Visibility
from yibao.core.schemas import SchemaSet

PAGE_DIRS = {"institution": "institutions", "inspection": "inspections", "case": "cases", "training": "trainings",
             "contract": "contracts"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    built = built_demo(tmp_path_factory)
    assert built.rc == 0, built.stdout + built.stderr
    return built


class Text(HTMLParser):
    """Visible text of a page (what a reader sees), and the attributes of every element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def parse(path: Path) -> Text:
    parser = Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def record_ids(root: Path, kind: str) -> set[str]:
    return {p.stem for p in (root / "records" / kind).rglob("*.yaml")}


def existing_ids(root: Path, kind: str) -> set[str]:
    """Records that exist on AS_OF (registered, started …; see yibao.compute.as_of)."""
    from datetime import date

    from yibao.compute.as_of import record_as_of
    from yibao.core.record import Record

    schemas = SchemaSet.load(root / "schemas")
    out = set()
    for path in (root / "records" / kind).rglob("*.yaml"):
        data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
        if record_as_of(Record(kind, path.name, data), date.fromisoformat(AS_OF), schemas).exists:
            out.add(path.stem)
    return out


def test_build_reports_what_it_did(demo):
    assert "门户已生成" in demo.stdout and f"统计日 {AS_OF}" in demo.stdout
    assert "Traceback" not in demo.stdout + demo.stderr


@pytest.mark.parametrize("kind", ["institution", "inspection", "case", "training", "contract"])
def test_a_page_for_every_record_that_exists_on_the_date(demo, kind):
    ids = existing_ids(demo.root, kind)
    pages = {p.stem for p in (demo.output / PAGE_DIRS[kind]).glob("*.html")} - {"index"}
    assert ids, f"no {kind} records in the demo"
    assert pages == ids
    listing = parse(demo.output / PAGE_DIRS[kind] / "index.html")
    linked = {Path(a["href"]).stem for tag, a in listing.elements if tag == "a" and a.get("href", "").endswith(".html")
              and "/" not in a["href"] and not a["href"].startswith(("..", "index"))}
    assert ids <= linked, "the list page links every record that exists on the date"
    assert not linked & (record_ids(demo.root, kind) - ids), "and none registered or started later"


def test_record_pages_stay_out_of_the_navigation(demo):
    home = demo.output / "index.html"
    nav_links = re.findall(r'class="md-nav__link[^"]*"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*class="md-nav__link', home.read_text(encoding="utf-8"))
    hrefs = [a or b for a, b in nav_links]
    assert hrefs and len(hrefs) < 30
    assert not any(re.search(r"(JC|AJ|PX)-\d{4}-|/[HPJ]\d{11}\.html", h) for h in hrefs)


class KpiParser(HTMLParser):
    """Every element with ``data-kpi-id`` on a page: its contract, data-* values and shown value text."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "rect", "circle", "line", "path"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.found: dict[tuple[str, str], dict] = {}
        self.current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            return
        self.stack.append((tag, attrs))
        if "data-kpi-id" in attrs:
            contract = next(a["data-contract"] for _, a in reversed(self.stack) if "data-contract" in a)
            self.current = {"value": attrs["data-value"], "status": attrs["data-status"], "text": "", "_depth": len(self.stack)}
            self.found.setdefault((contract, attrs["data-kpi-id"]), self.current)

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        if self.current is not None and len(self.stack) == self.current["_depth"]:
            self.current = None
        self.stack.pop()

    def handle_data(self, data):
        if self.current is not None and any("yb-kpi-value" in (a.get("class") or "") for _, a in self.stack):
            self.current["text"] += data


def kpis_on_page(path: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    parser = KpiParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return {k: (v["value"], v["status"], v["text"].strip()) for k, v in parser.found.items()}


def test_home_page_kpis_are_the_values_of_yibao_report(demo):
    """One card per target the contract sets (no card for a metric it lacks), worst first, each with
    exactly the value and status of ``yibao report``."""
    rc, out, err = run_cli("-C", str(demo.root), "report", "--as-of", AS_OF, "--format", "json", "--no-cache")
    assert rc == 0, err
    reports = json.loads(out)
    expected = {}
    from yibao.compute.report import display
    from yibao.publish.leaders import SEVERITY

    for report in reports:
        for kpi in report["kpis"]:
            if kpi["contract_target"]:
                expected[(report["contract"]["id"], kpi["id"])] = kpi
    shown = kpis_on_page(demo.output / "index.html")
    assert expected, "the report has KPIs"
    assert set(shown) == set(expected)
    for key, kpi in expected.items():
        value, status, text = shown[key]
        assert value == ("" if kpi["value"] is None else str(kpi["value"])), key
        assert status == (kpi["status"] or ""), key
        assert text == display(kpi["value"], kpi["unit"]), key
    labels = [s.label for s in SEVERITY]
    for report in reports:
        cid = report["contract"]["id"]
        order = [expected[key]["status"] for key in shown if key[0] == cid]
        assert order == sorted(order, key=labels.index), (cid, order)
        import yaml

        targets = yaml.safe_load((demo.root / "records" / "contract" / f"{cid}.yaml").read_text(encoding="utf-8")).get("targets", [])
        assert len(order) == len(targets), cid


def test_home_page_shows_charts_and_the_as_of_date(demo):
    page = parse(demo.output / "index.html")
    assert AS_OF in page.text
    charts = [a["id"] for tag, a in page.elements if tag == "figure" and "yb-chart" in a.get("class", "")]
    for name in ("coverage", "inspections", "findings", "recovered"):
        assert any(c.startswith(f"chart-{name}-") for c in charts), name
    assert sum(1 for tag, a in page.elements if tag == "path" and a.get("aria-roledescription") == "bar") > 5


def _output_files(output: Path):
    """Every file, decompressed when it is gzip (sitemap.xml.gz, Pagefind's index and fragments)."""
    for path in output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            yield path, data


def test_no_confidential_value_anywhere_in_the_output(demo):
    schemas = SchemaSet.load(demo.root / "schemas")
    vis = Visibility(schemas)
    secrets = set(SECRETS)
    for kind in ("case", "inspection", "institution", "training", "contract", "staff"):
        for path in (demo.root / "records" / kind).rglob("*.yaml"):
            data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
            for value in vis.secrets(kind, data or {}):
                if isinstance(value, str) and len(value) >= 8:
                    secrets.add(value)
    assert {s for s in SECRETS} <= secrets
    places = [demo.output, demo.root / "build" / "portal"]
    checked = 0
    for place in places:
        for path, data in _output_files(place):
            text = data.decode("utf-8", errors="replace")
            variants = {text, html.unescape(text), text.replace("\u200b", ""), html.unescape(text.replace("\u200b", ""))}
            if path.suffix == ".json":
                variants.add(json.dumps(json.loads(text), ensure_ascii=False).replace("\u200b", ""))
                variants |= {html.unescape(v) for v in list(variants)}
            for secret in secrets:
                assert not any(secret in v for v in variants), f"{secret!r} leaked into {path}"
            checked += 1
    assert checked > 100


# URLs that are not references: XML namespace names, and dormant strings inside Material's own
# minified JavaScript/CSS (licence comments; code paths for repo_url, mermaid and old browsers
# that this portal never takes — the browser test fails on any request leaving 127.0.0.1).
NAMESPACES = ("http://www.w3.org/", "http://www.sitemaps.org/schemas/")
THEME_DORMANT = {
    # Material's bundle: ResizeObserver polyfill (browsers without it), mermaid (pages with diagrams),
    # repository facts (repo_url), a licence comment — none of which this portal uses
    "assets/javascripts/bundle.": ("https://unpkg.com/resize-observer-polyfill", "https://unpkg.com/mermaid@",
                                  "https://api.github.com/", "https://${", "https://clipboardjs.com"),
    # the search worker: lunr's licence comments and a help link in a console warning
    "assets/javascripts/workers/search.": ("https://bit.ly/", "http://tartarus.org/", "http://lunrjs.com"),
    # lunr language files: comments only; never loaded with the default (English) pipeline
    "assets/javascripts/lunr/": ("http://", "https://"),
    "assets/stylesheets/main.": ("https://fontawesome.com",),  # licence comment in an inline icon
    # Pagefind: contributors' pages in the translations' comments, and URL parsing bases (new URL(x, base))
    "pagefind/pagefind-ui.js": ("https://github.com/", "https://harrymkt.github.io", "https://yekta.dev", "https://p"),
    "pagefind/pagefind.js": ("https://example.com",),
    "pagefind/pagefind-worker.js": ("https://example.com",),
}
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)\\]*|https?://\$\{[^}]*\}""")


def test_no_reference_to_another_host(demo):
    problems = []
    for path, data in _output_files(demo.output):
        rel = path.relative_to(demo.output).as_posix()
        if path.suffix == ".map":
            continue  # source maps are only read by developer tools
        text = data.decode("utf-8", errors="replace")
        if path.suffix == ".html":
            page = Text()
            page.feed(text)
            for tag, attrs in page.elements:
                for name in ("src", "href", "srcset", "action", "poster", "data", "formaction", "content"):
                    value = (attrs.get(name) or "").strip()
                    if re.match(r"(?:[a-z]+:)?//", value, re.I) and not value.startswith(NAMESPACES):
                        problems.append(f"{rel}: <{tag} {name}={value!r}>")
                if tag == "link" and attrs.get("rel") in ("preconnect", "dns-prefetch", "preload") and "//" in (attrs.get("href") or ""):
                    problems.append(f"{rel}: <link rel={attrs.get('rel')}>")
        for match in URL.finditer(text):
            url = match.group(0)
            if url.startswith("//") and path.suffix in (".js", ".css", ".json"):
                continue  # '//' comments and regexes in scripts, not URLs
            if url.startswith(NAMESPACES) or any(url.startswith("//" + ns.split("//")[1]) for ns in NAMESPACES):
                continue
            allowed = next((prefixes for prefix, prefixes in THEME_DORMANT.items() if rel.startswith(prefix)), ())
            if url.startswith(allowed):
                continue
            problems.append(f"{rel}: {url}")
    assert not problems, "\n".join(problems[:30])
    assert "fonts.googleapis.com" not in (demo.output / "index.html").read_text(encoding="utf-8")


def test_own_assets_reference_nothing_outside(demo):
    for name in ("assets/portal.js", "assets/portal.css"):
        text = (demo.output / name).read_text(encoding="utf-8")
        assert not re.search(r"https?:|//[a-z0-9-]+\.", text, re.I), name


def test_template_payload_in_records_is_shown_literally(demo):
    for page_path in (f"cases/{CASE_ID}.html", f"inspections/{INSPECTION_ID}.html"):
        raw = (demo.output / page_path).read_text(encoding="utf-8")
        text = parse(demo.output / page_path).text
        assert "{{ 7*7 }}" in text and "{% raw %}原样{% endraw %}" in text and "{# 注释 #}" in text, page_path
        assert "<script>alert(1)</script>" in text and "**粗体**" in text and "[链接](javascript:alert(1))" in text
        assert "<script>alert(1)" not in raw, "record text must never become markup"
        assert 'href="javascript' not in raw and "<strong>粗体" not in raw
        assert PAYLOAD.replace('"', "'") in text, "the whole payload, verbatim"
    assert "49" not in parse(demo.output / f"cases/{CASE_ID}.html").text.split("案情摘要", 1)[1].split("金额", 1)[0]


def test_generated_pages_never_run_macros(demo):
    generated = generated_pages(demo.root)  # the summary pages MkDocs builds (record pages never pass through it)
    assert len(generated) >= 8
    assert not any(re.search(r"(JC|AJ|PX)-\d{4}-", p.name) for p in generated)
    for path in generated:
        head = path.read_text(encoding="utf-8").split("---", 2)[1]
        assert "render_macros: false" in head, path
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        assert "{{" not in body and "{%" not in body and "{#" not in body, path


def test_case_page_shows_history_with_field_level_changes(demo):
    page = parse(demo.output / f"cases/{CASE_ID}.html")
    text = page.text
    assert "审计记录" in text and "共 2 个版本" in text
    assert "Bob" in text and "Reviewer" in text and f"Close case {CASE_ID}" in text
    assert "合并请求 #12" in text and "Merge pull request #12 from tianshan/close-case" in text
    raw = (demo.output / f"cases/{CASE_ID}.html").read_text(encoding="utf-8")
    assert re.search(r"<td>状态</td><td><span class=\"yb-old\">调查中</span></td><td><span class=\"yb-new\">已结案</span></td>", raw)
    assert re.search(r"<td>金额 › 追回金额（元）</td><td><span class=\"yb-old\">0\.00</span></td><td><span class=\"yb-new\">12,480\.00</span></td>", raw)
    # the confidential fields changed in no version shown, and are never listed
    assert "举报原文" not in text and "举报奖励" not in text


def test_case_timeline_and_institution_links(demo):
    page = parse(demo.output / f"cases/{CASE_ID}.html")
    assert "办理时间线与时限" in page.text and "2024-07-15" in page.text
    hrefs = {a.get("href") for tag, a in page.elements if tag == "a"}
    assert f"../institutions/{demo.institution}.html" in hrefs
    assert f"../inspections/{INSPECTION_ID}.html" in hrefs
    assert f"../contracts/{demo.contract}.html" in hrefs


def test_coverage_lists_uninspected_institutions_first(demo):
    page = (demo.output / "coverage.html").read_text(encoding="utf-8")
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table)
    flags = ["尚未检查" in r for r in rows]
    assert rows and flags == sorted(flags, reverse=True), "not yet inspected come first"


def _fragments(demo) -> dict[str, dict]:
    from yibao.publish import search

    return {f["url"].lstrip("/"): f for f in search.fragments(demo.output)}


def test_search_index_covers_every_page_and_keeps_chinese_terms(demo):
    """Pagefind indexed the MkDocs pages and the record pages (their content only), Chinese segmented;
    not the KPI drill-down lists (search.NOT_INDEXED), which the leak check reads from their files."""
    from yibao.publish import search

    fragments = _fragments(demo)
    pages = {p.relative_to(demo.output).as_posix() for p in demo.output.rglob("*.html")} - {"404.html", "screen.html"}
    drill_down = {p for p in pages if p.startswith(search.NOT_INDEXED)}
    assert len(drill_down) > 100 and set(fragments) == pages - drill_down
    case = fragments[f"cases/{CASE_ID}.html"]
    assert "重复收费" in case["content"].replace("\u200b", "") and case["meta"]["record_id"] == CASE_ID
    assert case["meta"]["title"].startswith(CASE_ID)
    assert "医保基金监管门户" not in case["content"], "the header and navigation stay out of the index"
    assert "新建记录" not in fragments[f"inspections/{INSPECTION_ID}.html"]["content"]  # data-pagefind-ignore
    assert not (demo.output / "search").exists(), "no Material search index any more"


def test_every_page_has_the_search_box_and_its_content_marked(demo):
    for rel in ("index.html", "about.html", "cases/index.html", f"cases/{CASE_ID}.html", f"institutions/{demo.institution}.html"):
        page = (demo.output / rel).read_text(encoding="utf-8")
        assert page.count('id="yb-search"') == 1 and page.count("data-pagefind-body") == 1, rel
        assert re.search(r'<script src="(\.\./)?pagefind/pagefind-ui\.js">', page), rel
    assert (demo.output / "pagefind" / "pagefind-ui.js").is_file()


def test_record_pages_share_the_frame_of_the_mkdocs_pages(demo):
    """Same head assets, header and site navigation as a MkDocs page of the same folder."""
    record = (demo.output / "cases" / f"{CASE_ID}.html").read_text(encoding="utf-8")
    listing = (demo.output / "cases" / "index.html").read_text(encoding="utf-8")

    def assets(text):
        return re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', text)

    def nav_links(text):
        nav = text.split('md-nav--primary', 1)[1].split("</nav>", 1)[0]
        return [posixpath.normpath(posixpath.join("cases", h)) for h in re.findall(r'href="([^"]+)"', nav)]

    assert assets(record) == assets(listing) and len(assets(record)) >= 4
    assert nav_links(record) == nav_links(listing)
    assert '<header class="md-header' in record and '<footer class="md-footer' in record
    assert not (demo.output / "yb-frame").exists(), "the frame page is not left in the site"


def test_no_broken_links(demo):
    """Every relative link and asset of every page points at a file of the site, and every #anchor exists."""
    problems, checked = broken_links(demo.output)
    assert checked > 10000 and not problems, "\n".join(problems[:30])


def broken_links(output: Path, pages: list[Path] | None = None) -> tuple[list[str], int]:
    """The relative links and assets of ``pages`` (default: every page) that point at no file of
    the site or at no #anchor of their page, and how many links were checked."""
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = {a.get("id") for _, a in parse(path).elements if a.get("id")}
        return ids[path]

    problems, checked = [], 0
    for path in sorted(output.rglob("*.html")) if pages is None else pages:
        for tag, attrs in parse(path).elements:
            for name in ("href", "src"):
                value = attrs.get(name)
                if not value or re.match(r"[a-z]+:", value, re.I) or value.startswith("//"):
                    continue
                target, _, anchor = value.partition("#")
                if target.startswith("/"):  # 404.html links from the site's root (it is served at any path)
                    file = output / target.lstrip("/")
                else:
                    file = (path.parent / target).resolve() if target else path
                if file.is_dir():
                    file = file / "index.html"
                checked += 1
                if not file.is_file():
                    problems.append(f"{path.relative_to(output)}: {value}")
                elif anchor and file.suffix == ".html" and anchor not in anchors(file):
                    problems.append(f"{path.relative_to(output)}: {value} (no such anchor)")
    return problems, checked


def test_deadlines_page_matches_the_report(demo):
    rc, out, _ = run_cli("-C", str(demo.root), "report", "--as-of", AS_OF, "--format", "json", "--no-cache")
    reports = json.loads(out)
    overdue = sum(len(r["deadlines"]["overdue"]) for r in reports)
    soon = sum(len(r["deadlines"]["due_soon"]) for r in reports)
    late = sum(len(r["deadlines"]["late"]) for r in reports)
    text = parse(demo.output / "deadlines.html").text
    assert f"已逾期、尚未完成（{overdue}）" in text and f"7 日内到期（{soon}）" in text and f"已完成但逾期（{late}）" in text
    assert late > 0 and overdue > 0


# -- small repositories: failures are clear --------------------------------------------------------

def _small_portal(tmp_path: Path, records=None):
    repo = make_repo(tmp_path, RECORDS if records is None else records)
    shutil.copytree(PROJECT / "site", repo.root / "site")
    shutil.copy2(PROJECT / "mkdocs.yml", repo.root / "mkdocs.yml")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=repo.root, check=True, capture_output=True)
    return repo


def test_small_repository_builds(tmp_path: Path):
    repo = _small_portal(tmp_path)
    rc, out, err = run_cli("-C", str(repo.root), "build", "--as-of", "2024-06-30", "--no-cache")
    assert rc == 0, out + err
    assert (repo.root / "public" / "cases" / "AJ-2024-000001.html").is_file()


def test_macro_error_fails_the_build(tmp_path: Path):
    repo = _small_portal(tmp_path)
    (repo.root / "site" / "about.md").write_text("---\nrender_macros: true\n---\n# 关于\n\n{{ no_such_macro() }}\n", encoding="utf-8")
    rc, out, err = run_cli("-C", str(repo.root), "build", "--as-of", "2024-06-30", "--no-cache")
    assert rc == 2
    assert "error[macro-error]" in err and "site/about.md" in err and "Traceback" not in err + out


def test_invalid_records_are_refused_with_diagnostics(tmp_path: Path):
    repo = _small_portal(tmp_path)
    repo.write("records/case/2024/AJ-2024-000001.yaml", RECORDS["records/case/2024/AJ-2024-000001.yaml"].replace("status: 已立案", "status: 已经立案"))
    rc, out, err = run_cli("-C", str(repo.root), "build", "--no-cache")
    assert rc == 1
    assert re.search(r"^records/case/2024/AJ-2024-000001\.yaml:\d+:\d+: error\[", out, re.M)
    assert "error[invalid-records]" in err and not (repo.root / "public").exists()


def test_shallow_clone_is_refused(tmp_path: Path):
    repo = _small_portal(tmp_path / "origin")
    (repo.root / "records" / "case" / "2024" / "AJ-2024-000001.yaml").write_text(
        RECORDS["records/case/2024/AJ-2024-000001.yaml"].replace("status: 已立案", "status: 调查中"), encoding="utf-8")
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qam", "second"],
                   cwd=repo.root, check=True, capture_output=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)], check=True, capture_output=True)
    rc, out, err = run_cli("-C", str(clone), "build", "--no-cache")
    assert rc == 2
    assert "error[shallow-clone]" in err and "fetch-depth: 0" in err


def test_output_folder_that_is_not_a_portal_is_not_wiped(tmp_path: Path):
    repo = _small_portal(tmp_path)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("x", encoding="utf-8")
    rc, out, err = run_cli("-C", str(repo.root), "build", "--output", str(precious), "--no-cache")
    assert rc == 2 and "error[unsafe-output]" in err
    assert (precious / "keep.txt").is_file()


# -- the two guards every value passes -------------------------------------------------------------

def test_escaping_neutralises_markup_and_template_delimiters():
    from yibao.publish.html import esc, title_text

    out = esc("{{ 7*7 }} {% if x %} {# c #} <b>&</b> \"'")
    assert "{" not in out and "}" not in out and "<b>" not in out
    assert html.unescape(out) == "{{ 7*7 }} {% if x %} {# c #} <b>&</b> \"'"
    assert not set(title_text("<script>{{ x }}&\"#")) & set("<>{}&\"#")


def test_visibility_drops_confidential_and_unknown_fields():
    schemas = SchemaSet.load(PROJECT / "schemas")
    vis = Visibility(schemas)
    case = {"id": "AJ-2024-000001", "lead_text": "机密", "whistleblower_reward": 1, "summary": "公开", "unknown": "x",
            "money": {"recovered": 1}}
    assert vis.redact("case", case) == {"id": "AJ-2024-000001", "summary": "公开", "money": {"recovered": 1}}
    inspection = {"findings": [{"violation_type": "重复收费", "description": "d", "evidence": "机密证据"}]}
    assert vis.redact("inspection", inspection) == {"findings": [{"violation_type": "重复收费", "description": "d"}]}
    assert sorted(map(str, vis.secrets("case", case))) == ["1", "机密"]
    assert vis.secrets("inspection", inspection) == ["机密证据"]
