"""The built demo portal in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser is downloaded). The site is served from 127.0.0.1 by the standard
library's HTTP server; any request to another host is blocked and fails the test.

Screenshots of the home page and a case page (at 1440 and 390 px) are saved in test-artifacts/.
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from portal_demo import CASE_ID, INSPECTION_ID, PROJECT, built_demo

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _require_browser():
    """Fail (never skip) when the browser is missing: CI installs it (apt-get install chromium)."""
    if not CHROMIUM.is_file() and not shutil.which("chromium"):
        pytest.fail("没有找到 Chromium（/usr/bin/chromium）：请安装 Debian 的 chromium 包（apt-get install chromium），"
                    "浏览器测试不会自行下载浏览器", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        pytest.fail("没有安装 playwright（pip install playwright；不需要 playwright install）", pytrace=False)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    demo = built_demo(tmp_path_factory)
    assert demo.rc == 0, demo.stdout + demo.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(demo.output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")),
                                     args=ARGS, headless=True)
        yield instance
        instance.close()


class Watched:
    """A page that records console errors, page errors, dialogs and requests to other hosts."""

    def __init__(self, browser, base: str):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.base = base
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def clean(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"record text ran as script: {self.dialogs}"
        assert self.failed == [], f"failed requests: {self.failed}"


@pytest.fixture
def watched(browser, site_url):
    page = Watched(browser, site_url)
    yield page
    page.page.close()


def test_home_page_renders_charts_without_console_errors(watched):
    watched.open("index.html")
    page = watched.page
    assert "数据截至" in page.inner_text("article")
    charts = page.locator("figure.yb-chart")
    assert charts.count() >= 4
    drawn = 0
    for i in range(charts.count()):
        chart = charts.nth(i)
        svg = chart.locator("svg.yb-svg")
        if svg.count():
            box = svg.first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 20
            bars = chart.locator('path[aria-roledescription="bar"], path[aria-roledescription="point"]')
            widths = [bars.nth(j).bounding_box()["width"] for j in range(bars.count())]
            drawn += any(w > 0 for w in widths)
    assert drawn >= 4, "at least four charts draw bars or points"
    cards = page.locator(".yb-kpi")
    assert cards.count() >= 3 and cards.first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-home.png"), full_page=True)
    watched.clean()


def test_case_page_shows_history_with_field_changes(watched):
    watched.open(f"cases/{CASE_ID}.html")
    page = watched.page
    article = page.inner_text("article")
    assert "审计记录" in article and "共 2 个版本" in article
    assert re.search(r"合并请求\s*#12", article) and "Bob" in article
    changes = page.locator("table.yb-changes").first
    rows = changes.locator("tbody tr").all_inner_texts()
    assert any(re.search(r"状态\s+调查中\s+已结案", r) for r in rows), rows
    assert any(re.search(r"追回金额（元）\s+0\.00\s+12,480\.00", r) for r in rows), rows
    assert "{{ 7*7 }}" in article and "<script>alert(1)</script>" in article
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-case.png"), full_page=True)
    watched.clean()


def test_tables_sort_and_filter(watched):
    watched.open("institutions/index.html")
    page = watched.page
    rows = page.locator("table.yb-table tbody tr")
    total = rows.count()
    assert total > 10
    first_id = rows.first.locator("td").first.inner_text()
    page.locator(".yb-filter input").fill(first_id)
    visible = [i for i in range(total) if rows.nth(i).is_visible()]
    assert len(visible) == 1
    page.locator(".yb-filter input").fill("")
    header = page.locator("table.yb-table thead th").first
    header.click()
    header.click()  # descending
    ids = rows.locator("td:first-child").all_inner_texts()
    assert ids == sorted(ids, reverse=True)
    watched.clean()


# -- search (Pagefind, in the header of every page) and the record pages' look ----------------------

def _search(page, term: str) -> list[str]:
    box = page.locator("#yb-search input.pagefind-ui__search-input")
    box.wait_for(state="visible", timeout=20000)
    box.fill(term)
    page.wait_for_selector("#yb-search .pagefind-ui__result-link", timeout=20000)
    page.wait_for_timeout(300)  # the first results arrive before the rest are loaded
    return page.locator("#yb-search .pagefind-ui__result-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")


def _search_all(page, term: str) -> list[str]:
    """Every result's URL, best first, from the same index through Pagefind's own API (the box shows five)."""
    return page.evaluate("""async term => {
        const root = new URL(document.getElementById("yb-search").dataset.ybBase + "/", location.href).pathname;
        const pagefind = await import(root + "pagefind/pagefind.js");
        const found = await pagefind.search(term);
        return Promise.all(found.results.map(async r => (await r.data()).url));
    }""", term)


def test_search_finds_a_chinese_term_from_any_page(watched):
    watched.open(f"inspections/{INSPECTION_ID}.html")  # a record page: the same search box as MkDocs pages
    shown = _search(watched.page, "重复收费")
    assert len(shown) >= 3 and all(h.startswith("/") and ".html" in h for h in shown), shown
    links = _search_all(watched.page, "重复收费")
    assert any(f"cases/{CASE_ID}.html" in h for h in links), links
    assert any(f"inspections/{INSPECTION_ID}.html" in h for h in links), links
    watched.clean()


def test_search_finds_an_institution_by_its_chinese_name(watched, tmp_path_factory):
    demo = built_demo(tmp_path_factory)
    heading = re.search(r"<h1>(.*?)</h1>", (demo.output / "institutions" / f"{demo.institution}.html").read_text(encoding="utf-8"))
    name = heading.group(1).split(" ", 1)[1].replace("（虚构）", "")  # e.g. 克拉玛依市人民医院
    watched.open("index.html")
    links = _search(watched.page, name)
    assert any(f"institutions/{demo.institution}.html" in h for h in links), (name, links)
    watched.clean()


@pytest.mark.parametrize("ident, page", [(CASE_ID, f"cases/{CASE_ID}.html"), (INSPECTION_ID, f"inspections/{INSPECTION_ID}.html")])
def test_an_exact_record_id_ranks_its_record_first(watched, ident, page):
    watched.open("index.html")
    links = _search(watched.page, ident)
    assert links and page in links[0], links  # other pages name the ID too (lists, related records)
    watched.clean()


@pytest.fixture(scope="module")
def chunked_url(tmp_path_factory):
    """The demo site indexed 60 pages at a time: about ten bundles the search box merges."""
    from yibao.publish import search

    demo = built_demo(tmp_path_factory)
    assert demo.rc == 0, demo.stdout + demo.stderr
    site = tmp_path_factory.mktemp("chunked") / "public"
    shutil.copytree(demo.output, site)
    bundles = search.build_index(site, chunk=60)
    assert len(bundles) >= 5 and (site / "pagefind" / "bundles.json").read_text(encoding="utf-8").count("pagefind-") == len(bundles) - 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("ident, page", [(CASE_ID, f"cases/{CASE_ID}.html"), (INSPECTION_ID, f"inspections/{INSPECTION_ID}.html")])
def test_an_exact_record_id_ranks_first_across_index_chunks(browser, chunked_url, ident, page):
    """The pages naming the ID (lists, related records) lie in other bundles than the record's own.

    Each bundle scores with its own term statistics, so a page of another bundle that names the ID
    can outrank the record's own page there; the search box pins the record's own page above the
    results when the query is exactly an ID (pagefind/record-ids.json: each kind's ID pattern and
    page folder), and the record's page is among Pagefind's results too."""
    watched = Watched(browser, chunked_url)
    try:
        watched.open("index.html")
        _search(watched.page, ident.lower())  # as typed, in any case
        watched.page.locator("#yb-exact a").wait_for(timeout=20000)
        first = watched.page.locator("#yb-search a").first.get_attribute("href")
        found = _search_all(watched.page, ident)
        watched.clean()
        assert first.endswith(page), first
        assert any(page in link for link in found), found
    finally:
        watched.page.close()


def test_a_query_that_only_looks_like_an_id_pins_nothing(browser, site_url):
    watched = Watched(browser, site_url)
    try:
        watched.open("index.html")
        box = watched.page.locator("#yb-search input.pagefind-ui__search-input")
        box.wait_for(state="visible", timeout=20000)
        box.fill("JC-2024-ZZZZZZ")  # the pattern of an inspection ID, but no such record
        watched.page.wait_for_timeout(1500)
        assert watched.page.locator("#yb-exact a").count() == 0
        watched.clean()
    finally:
        watched.page.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_record_pages_have_the_sites_look(browser, site_url, width):
    page = Watched(browser, site_url)
    try:
        page.page.set_viewport_size({"width": width, "height": 900})
        page.open(f"cases/{CASE_ID}.html")
        p = page.page
        header = p.locator("header.md-header")
        assert header.is_visible() and header.bounding_box()["width"] >= width - 20
        assert "医保基金监管门户" in header.inner_text()
        assert p.locator("#yb-search input").count() == 1
        # the same stylesheet as the MkDocs pages: Material's header colour, not an unstyled page
        colour = header.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
        nav = p.locator("nav.md-nav--primary")
        assert nav.count() == 1 and "案件线索" in nav.inner_text()
        if width >= 1220:
            assert nav.is_visible() and p.locator("nav.md-nav--secondary").is_visible()  # site navigation and contents
        else:
            p.locator("label.md-header__button[for='__drawer']").click()  # the drawer opens the navigation
            p.wait_for_timeout(400)
            assert nav.is_visible()
        article = p.locator("article.md-content__inner")
        box = article.bounding_box()
        assert box and box["width"] <= width and "审计记录" in article.inner_text()
        assert p.locator("footer.md-footer").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        p.screenshot(path=str(ARTIFACTS / f"portal-record-{width}.png"), full_page=False)
        page.clean()
    finally:
        page.page.close()


# -- the leaders' portal: every target first, one click to the facts, no sideways scroll, readable charts --

#: one page of every kind a reader meets (summary pages, drill-downs, each record kind)
PAGE_KINDS = ["index.html", "deadlines.html", "coverage.html", "changes.html", "contracts/index.html",
              "contracts/HT-2024-KLMY.html", "kpis/HT-2024-KLMY/kpi-onsite_coverage.html",
              f"cases/{CASE_ID}.html", f"inspections/{INSPECTION_ID}.html", "institutions/index.html",
              "draws/CQ-2024-4MXBFV.html", "campaigns/ZX-2020-SPB.html", "rules/GZ-001.html",
              "extrapolations/index.html", "trainings/index.html", "about.html"]

#: elements wider than the viewport that are not inside a frame that scrolls on its own
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || getComputedStyle(el).position === 'fixed') continue;
    let parent = el.parentElement, framed = false;
    while (parent) {
      const style = getComputedStyle(parent);
      if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && parent.getBoundingClientRect().right <= width + 1) { framed = true; break; }
      parent = parent.parentElement;
    }
    if (!framed) out.push(el.tagName.toLowerCase() + '.' + el.className + ' → ' + Math.round(box.right) + 'px: ' + (el.textContent || '').trim().slice(0, 40));
  }
  return {scroll: document.documentElement.scrollWidth, width: width, out: out.slice(0, 10)};
}"""


def _report(tmp_path_factory) -> list[dict]:
    from portal_demo import AS_OF, run_cli

    demo = built_demo(tmp_path_factory)
    rc, out, err = run_cli("-C", str(demo.root), "report", "--as-of", AS_OF, "--format", "json", "--no-cache")
    assert rc == 0, err
    import json

    return json.loads(out)


@pytest.mark.parametrize("width", [1440, 390])
def test_no_page_kind_scrolls_sideways(browser, site_url, width):
    """At 390 px nothing pushes the page sideways (a wide table scrolls inside its own frame); IDs and
    amounts are not broken; at 1440 the content uses the width."""
    page = Watched(browser, site_url)
    try:
        page.page.set_viewport_size({"width": width, "height": 900})
        problems = []
        for path in PAGE_KINDS:
            page.open(path)
            found = page.page.evaluate(OVERFLOW)
            if found["scroll"] > found["width"] or found["out"]:
                problems.append(f"{path}: page {found['scroll']} px wide at {found['width']}: {found['out']}")
            broken = page.page.evaluate("""() => [...document.querySelectorAll('.yb-id, .yb-amount, .yb-kpi-value')]
                .filter(e => e.getClientRects().length > 1).map(e => e.textContent)""")
            if broken:
                problems.append(f"{path}: broken across lines: {broken[:5]}")
        if width == 1440:
            page.open("contracts/HT-2024-KLMY.html")
            content = page.page.locator("article.md-content__inner").bounding_box()
            assert content["width"] >= 900, content  # tables use the width of a desktop screen
        ARTIFACTS.mkdir(exist_ok=True)
        for path in ("index.html", "contracts/HT-2024-KLMY.html", "kpis/HT-2024-KLMY/kpi-onsite_coverage.html"):
            page.open(path)
            name = path.replace("/", "-").replace(".html", "")
            page.page.screenshot(path=str(ARTIFACTS / f"leaders-{name}-{width}.png"), full_page=True)
        assert not problems, "\n".join(problems)
        page.clean()
    finally:
        page.page.close()


def test_home_shows_every_contract_target_worst_first(browser, site_url, tmp_path_factory):
    """A leader sees every target of each contract without clicking: failing ones first, visible."""
    from yibao.publish.leaders import SEVERITY

    reports = _report(tmp_path_factory)
    page = Watched(browser, site_url)
    try:
        page.page.set_viewport_size({"width": 1440, "height": 900})
        page.open("index.html")
        order = [s.label for s in SEVERITY]
        for report in reports:
            cid = report["contract"]["id"]
            targets = [k for k in report["kpis"] if k["contract_target"]]
            cards = page.page.locator(f'.yb-kpi-group[data-contract="{cid}"] .yb-kpi')
            shown = cards.evaluate_all("els => els.map(e => [e.dataset.kpiId, e.dataset.status])")
            assert sorted(k for k, _ in shown) == sorted(k["id"] for k in targets), cid
            statuses = [s for _, s in shown]
            assert statuses == sorted(statuses, key=order.index), (cid, statuses)
            for i, (kpi_id, status) in enumerate(shown):
                if status in ("未达标", "落后进度"):
                    card = cards.nth(i)
                    assert card.is_visible(), (cid, kpi_id)
                    why = card.locator(".yb-kpi-why")
                    assert why.count() == 1 and why.inner_text().strip(), (cid, kpi_id)  # says why, in words
        failing = sum(1 for r in reports for k in r["kpis"] if k["contract_target"] and k["status"] == "未达标")
        assert failing >= 5  # the demo has failing targets in every contract kind
        text = page.page.inner_text("article")
        for word in ("yibao", "--as-of", "on_site", "end_date", "x-confidential"):
            assert word not in text, word  # no command or field name on the leaders' page
        page.clean()
    finally:
        page.page.close()


def test_one_click_from_a_failing_card_to_the_late_reports(browser, site_url, tmp_path_factory):
    reports = _report(tmp_path_factory)
    klmy = next(r for r in reports if r["contract"]["id"] == "HT-2024-KLMY")
    kpi = next(k for k in klmy["kpis"] if k["id"] == "reports_on_time/定点零售药店")
    late = [f["record"] for f in kpi["facts"] if not f["counts"]]
    assert kpi["status"] == "未达标" and len(late) >= 5
    page = Watched(browser, site_url)
    try:
        page.open("index.html")
        page.page.locator(f'.yb-kpi[data-kpi-id="{kpi["id"]}"] a').first.click()
        page.page.wait_for_load_state("networkidle")
        assert "/kpis/HT-2024-KLMY/" in page.page.url
        rows = page.page.locator("table.yb-facts tbody tr")
        assert rows.count() == len(kpi["facts"])  # complete: every item behind the figure, no "等 N 条"
        first = rows.evaluate_all("rs => rs.map(r => [r.cells[0].innerText.trim(), r.cells[5].innerText.trim(), r.cells[6].innerText.trim()])")
        top = first[:len(late)]
        assert sorted(r[0] for r in top) == sorted(late)  # the late reports come first
        assert all(r[1] == "逾期完成" and re.search(r"逾期 \d+ 天", r[2]) for r in top), top
        assert page.page.locator("a[href$='.csv']").count() == 1  # the table downloads for Excel
        page.page.locator(".yb-filter input").fill(late[0])
        assert sum(1 for i in range(rows.count()) if rows.nth(i).is_visible()) == 1
        page.clean()
    finally:
        page.page.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_charts_have_readable_text(browser, site_url, width):
    """Labels at least 11 px as rendered (not shrunk to fit a phone), whole-number count ticks."""
    page = Watched(browser, site_url)
    try:
        page.page.set_viewport_size({"width": width, "height": 900})
        page.open("index.html")
        sizes = page.page.evaluate("""() => [...document.querySelectorAll('figure.yb-chart svg text')]
            .filter(t => t.textContent.trim()).map(t => [t.textContent, t.getBoundingClientRect().height])""")
        assert len(sizes) > 40
        small = [(text, h) for text, h in sizes if h < 11]
        assert not small, small[:10]
        ticks = page.page.evaluate("""() => [...document.querySelectorAll('[id^=chart-inspections] g.role-axis-label text')]
            .map(t => t.textContent)""")
        assert ticks, "the monthly chart has axis labels"
        assert not any("." in t for t in ticks), ticks  # no 0.5 inspection
        page.clean()
    finally:
        page.page.close()


def test_wall_screen_fills_a_1920_display_offline(browser, site_url, tmp_path_factory):
    reports = _report(tmp_path_factory)
    page = Watched(browser, site_url)
    try:
        page.page.set_viewport_size({"width": 1920, "height": 1080})
        page.open("screen.html")
        tiles = page.page.locator(".tile")
        assert tiles.count() == sum(1 for r in reports for k in r["kpis"] if k["contract_target"])
        size = page.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] <= 1920 and size[1] <= 1080, size
        assert page.page.locator('meta[http-equiv="refresh"]').count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "wall-screen-1920.png"))
        page.clean()
    finally:
        page.page.close()


@pytest.mark.parametrize("query, page", [
    ("瑞康大药房丰收街店", "institutions/P65020300251.html"),  # Pagefind alone: not among its first fifty
    ("澄江市福源路众益药店", "institutions/P53048100347.html"),
])
def test_a_full_chinese_name_pins_its_record_above_the_results(watched, query, page):
    """Pagefind segments Chinese one way when indexing (jieba: 瑞康/大/药房) and another when querying
    (the browser's Intl.Segmenter: 瑞康/大药房), so a pharmacy's full name can miss its own page; the
    search box matches the query against the records' names (pagefind/record-names.json) and pins them."""
    watched.open("index.html")
    _search(watched.page, query)
    pinned = watched.page.locator("#yb-exact .yb-by-name a")
    pinned.first.wait_for(timeout=20000)
    assert pinned.first.get_attribute("href").endswith(page)
    assert query in pinned.first.inner_text()
    watched.page.locator("#yb-search input.pagefind-ui__search-input").fill("药房")  # a part of hundreds of names
    watched.page.locator("#yb-exact .yb-by-name").wait_for(timeout=20000)
    text = watched.page.locator("#yb-exact .yb-by-name").inner_text()
    assert text.count("（P") == 5 and "另有" in text, text
    watched.clean()


@pytest.mark.parametrize("width", [1440, 390])
def test_the_pinned_names_are_on_top_of_the_results_and_fit_a_phone(watched, width):
    """The pinned panel is not hidden under Pagefind's results panel (which moves down by its height)
    and its names wrap instead of pushing the page sideways."""
    watched.page.set_viewport_size({"width": width, "height": 844})
    watched.open("index.html")
    _search(watched.page, "药房")
    watched.page.locator("#yb-exact .yb-by-name").wait_for(timeout=20000)
    watched.page.wait_for_timeout(300)
    seen = watched.page.evaluate("""() => {
        const pin = document.getElementById("yb-exact").getBoundingClientRect();
        const drawer = document.querySelector("#yb-search .pagefind-ui__drawer").getBoundingClientRect();
        const link = document.querySelector("#yb-exact .yb-by-name a").getBoundingClientRect();
        const hit = document.elementFromPoint(link.left + 4, link.top + link.height / 2);
        return {onTop: !!hit && !!hit.closest("#yb-exact"), below: drawer.top >= pin.bottom - 1,
                sideways: document.documentElement.scrollWidth - window.innerWidth};
    }""")
    assert seen == {"onTop": True, "below": True, "sideways": 0}, seen
    watched.clean()
