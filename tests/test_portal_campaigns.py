"""Special campaigns (专项治理) in the portal: the campaign's page (phases, reports, checklist,
rectification items), the record pages of the three kinds, links from the deadlines page — on the
demo portal (as of 2024-10-15, after the campaign) and on one built in the middle of it.

Expected figures are read from the records (seed 003's campaign, records/campaign/ZX-2020-SPB.yaml)
and computed here with plain date arithmetic, not with the package's deadline code.
"""
from __future__ import annotations

import html
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portal_demo import AS_OF, SECRETS, built_demo, make_demo_repo, run_cli
from test_portal import broken_links, parse

from yibao.core.schemas import SchemaSet
from yibao.load import strict_yaml
from yibao.publish.records import personal_data_in
from yibao.publish.visible import Visibility

CAMPAIGN = "ZX-2020-SPB"
DIRS = {"campaign": "campaigns", "self_inspection": "self-inspections", "rectification": "rectifications"}
MIDWAY = "2020-09-15"  # phase 3 under way; one rectification closed that day, later follow-ups and 回头看 not yet


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    built = built_demo(tmp_path_factory)
    assert built.rc == 0, built.stdout + built.stderr
    return built


@pytest.fixture(scope="module")
def midway(tmp_path_factory) -> Path:
    """The demo records built as of a day inside the campaign."""
    root, _, _ = make_demo_repo(tmp_path_factory.mktemp("campaign-midway"))
    output = root / "public"
    rc, out, err = run_cli("-C", str(root), "build", "--as-of", MIDWAY, "--output", str(output), "--no-cache")
    assert rc == 0, out + err
    return output


def load(root: Path, kind: str, ident: str) -> dict:
    path = next((root / "records" / kind).rglob(f"{ident}.yaml"))
    data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
    assert not problems
    return data


def records(root: Path, kind: str) -> list[dict]:
    out = []
    for path in sorted((root / "records" / kind).rglob("*.yaml")):
        data, _, _ = strict_yaml.load_bytes(path.read_bytes())
        out.append(data)
    return out


def day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class Blocks(HTMLParser):
    """The text of each element with a given class, and of each table row (cells apart)."""

    def __init__(self, cls: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cls, self.found, self.rows = cls, [], []
        self._depth: list[int] = []  # open depths of the wanted elements
        self._level = 0
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self._level += 1
        if self.cls in (dict(attrs).get("class") or "").split():
            self._depth.append(self._level)
            self.found.append("")
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if self._depth and self._depth[-1] == self._level:
            self._depth.pop()
        self._level -= 1
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_data(self, data):
        if self._depth:
            self.found[-1] += data
        if self._row:
            self._row[-1] += data


def blocks(path: Path, cls: str = "yb-timeline-step") -> Blocks:
    parser = Blocks(cls)
    parser.feed(path.read_text(encoding="utf-8").replace("<br>", " "))
    return parser


def row_of(path: Path, *needles: str) -> list[str]:
    """The first table row of a page whose first cell holds the first needle and whose cells hold the others."""
    rows = [r for r in blocks(path).rows if r and needles[0] in r[0] and all(any(n in cell for cell in r) for n in needles)]
    assert rows, f"no row with {needles} in {path.name}"
    return rows[0]


# -- the campaign's page -------------------------------------------------------------------------------

def test_the_page_lists_all_four_phases_with_the_seeds_dates(demo):
    campaign = load(demo.root, "campaign", CAMPAIGN)
    steps = blocks(demo.output / "campaigns" / f"{CAMPAIGN}.html").found
    assert len(campaign["phases"]) == 4 and len(steps) == 4
    # seed 003: 方案 5月15日前, 自查自纠 6月30日前, 专项治理 10月底前, 迎接抽查复查 11月底前
    assert [str(p["due"]) for p in campaign["phases"]] == ["2020-05-15", "2020-06-30", "2020-10-31", "2020-11-30"]
    for phase, text in zip(campaign["phases"], steps):
        assert phase["name"] in text and str(phase["due"]) in text and str(phase["completed_on"]) in text
        late = (day(phase["completed_on"]) - day(phase["due"])).days
        assert (f"逾期 {late} 天完成" if late > 0 else "按时完成") in text, text


def test_the_late_report_shows_as_late_with_its_days(demo):
    campaign = load(demo.root, "campaign", CAMPAIGN)
    due = {r["id"]: day(r["report_due"]) for r in campaign["self_inspections"]}
    page = demo.output / "campaigns" / f"{CAMPAIGN}.html"
    late = [r for r in records(demo.root, "self_inspection") if day(r["submitted_on"]) > due[r["requirement"]]]
    assert late, "the demo holds a late report"
    for report in late:
        days = (day(report["submitted_on"]) - due[report["requirement"]]).days
        row = row_of(page, report["institution"], report["id"], str(report["submitted_on"]))
        assert f"逾期 {days} 天报送" in " ".join(row), row
    on_time = [r for r in records(demo.root, "self_inspection") if r not in late]
    for report in on_time:
        assert "按时报送" in " ".join(row_of(page, report["institution"], report["id"], str(report["submitted_on"])))
    period = late[0]["data_period"]
    assert f"{period['start']} 至 {period['end']}" in " ".join(row_of(page, late[0]["institution"], late[0]["id"]))


def test_problems_are_listed_with_their_amounts(demo):
    page = demo.output / "campaigns" / f"{CAMPAIGN}.html"
    for report in records(demo.root, "self_inspection"):
        for problem in report.get("problems") or []:
            row = " ".join(row_of(page, report["institution"], report["id"], problem["description"]))
            if "amount" in problem:
                assert f"{problem['amount']:,.2f}" in row, row


def test_an_open_rectification_shows_as_overdue(demo):
    page = demo.output / "campaigns" / f"{CAMPAIGN}.html"
    items = records(demo.root, "rectification")
    open_items = [r for r in items if "closed_on" not in r]
    assert open_items, "the demo holds an open rectification item"
    for item in open_items:
        days = (date.fromisoformat(AS_OF) - day(item["deadline"])).days
        row = " ".join(row_of(page, item["id"]))
        assert f"未完成，已逾期 {days} 天" in row and "尚未完成" in row, row
    for item in (r for r in items if "closed_on" in r):
        late = (day(item["closed_on"]) - day(item["deadline"])).days
        row = " ".join(row_of(page, item["id"]))
        assert (f"逾期 {late} 天完成" if late > 0 else "按期完成") in row, row
        if "review" in item:
            assert item["review"]["conclusion"] in row


def test_the_agency_checklist_shows_each_standard_with_its_rating_and_lead(demo):
    campaign = load(demo.root, "campaign", CAMPAIGN)
    agency = next(r for r in campaign["self_inspections"] if r.get("checklist"))
    report = next(r for r in records(demo.root, "self_inspection") if r["requirement"] == agency["id"])
    ratings = {c["seq"]: c["rating"] for c in report["checklist"]}
    page = demo.output / "campaigns" / f"{CAMPAIGN}.html"
    for item in agency["checklist"]:
        row = row_of(page, str(item["seq"]), item["standard"])
        assert row[0] == str(item["seq"]) and item["lead"] in row and ratings[item["seq"]] in row, row


def test_record_pages_exist_for_the_three_kinds_and_their_lists_link_them(demo):
    for kind, folder in DIRS.items():
        ids = {r["id"] for r in records(demo.root, kind)}
        pages = {p.stem for p in (demo.output / folder).glob("*.html")} - {"index"}
        assert ids and pages == ids, kind
        listing = parse(demo.output / folder / "index.html")
        linked = {Path(a["href"]).stem for t, a in listing.elements if t == "a" and a.get("href", "").endswith(".html")
                  and "/" not in a["href"]}
        assert ids <= linked, kind
    report = parse(demo.output / "self-inspections" / "ZC-2020-8H0S3Y.html").text
    assert "所属专项治理" in report and CAMPAIGN in report and "逾期完成 6 天" in report  # its deadline, as on the deadlines page
    nav = (demo.output / "index.html").read_text(encoding="utf-8")
    assert 'href="campaigns/index.html"' in nav


def test_campaign_items_on_the_deadlines_page_link_to_their_pages(demo):
    page = demo.output / "deadlines.html"
    anchors = {a.get("href") for t, a in parse(page).elements if t == "a"}
    open_items = [r["id"] for r in records(demo.root, "rectification") if "closed_on" not in r]
    for ident in open_items:  # overdue on AS_OF
        assert f"rectifications/{ident}.html" in anchors, ident


def test_links_resolve(demo, midway):
    for output in (demo.output, midway):
        pages = [output / "deadlines.html", *[p for folder in DIRS.values() for p in (output / folder).glob("*.html")]]
        problems, checked = broken_links(output, pages)
        assert checked > 100 and not problems, "\n".join(problems[:30])


def test_nothing_confidential_or_personal_on_the_campaign_pages(demo):
    """The build's own leak scan passed (the build succeeded); these pages hold no confidential value of any record."""
    schemas = SchemaSet.load(demo.root / "schemas")
    vis = Visibility(schemas)
    secrets = set(SECRETS)
    for kind in schemas.kinds:
        for data in records(demo.root, kind) if (demo.root / "records" / kind).is_dir() else []:
            secrets |= {v for v in vis.secrets(kind, data or {}) if isinstance(v, str) and len(v) >= 6}
    for folder in DIRS.values():
        for path in (demo.output / folder).glob("*.html"):
            text = path.read_text(encoding="utf-8")
            plain = html.unescape(text)
            assert not [s for s in secrets if s in text or s in plain], path
            assert not personal_data_in(text), path


# -- as of a day inside the campaign --------------------------------------------------------------------

def test_midway_phases_stand_as_they_did_that_day(midway):
    steps = blocks(midway / "campaigns" / f"{CAMPAIGN}.html").found
    assert len(steps) == 4
    assert "按时完成" in steps[0] and "按时完成" in steps[1]
    assert "未完成，未到期" in steps[2] and "当前阶段" in steps[2] and "2020-11-06" not in steps[2]
    assert "未完成，未到期" in steps[3] and "2020-11-27" not in steps[3]


def test_midway_rectifications_leave_out_later_facts(midway):
    page = midway / "campaigns" / f"{CAMPAIGN}.html"
    closed_that_day = " ".join(row_of(page, "ZG-2020-B2D4F6"))
    assert "逾期 15 天完成" in closed_that_day and "2020-10-12" not in closed_that_day  # its 回头看 came later
    still_open = " ".join(row_of(page, "ZG-2020-C3E5G7"))  # closed 2020-11-20, deadline 2020-09-30
    assert "未完成，15 天后到期" in still_open or "未完成，未到期" in still_open
    assert "2020-11-20" not in still_open and "2020-10-20" not in still_open
    reviewed_later = " ".join(row_of(page, "ZG-2020-A1C3E5"))  # 回头看 on 2020-09-20
    assert "按期完成" in reviewed_later and "2020-09-20" not in reviewed_later
    text = parse(page).text
    assert not re.search(r"2020-(09-(1[6-9]|2\d|30)|1[0-2]-\d\d)", text.replace("2020-09-30", "").replace("2020-10-31", "")
                         .replace("2020-11-30", "")), "no fact after the day (due dates aside)"
