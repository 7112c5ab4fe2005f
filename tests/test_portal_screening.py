"""The 数据筛查 page (yibao.publish.screening) on the demo records and in the built demo portal.

- the page lists every rule record, each with its own record page;
- the cases whose source is the vocabulary's screening source count under the rule their text names
  (the hand-written promoted cases AJ-2024-SC01GZ, confirmed, and AJ-2024-SC02GZ, not filed, under
  GZ-001), with their status as of the date;
- precision = confirmed ÷ promoted, by quarter of registration, and it follows the date;
- run summaries from the bureau's data folder show only when the build is pointed at it, and the
  build's personal-data scan reads them like any other page;
- the links resolve and no confidential value reaches the pages.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from portal_demo import SECRETS, built_demo
from test_portal import broken_links, parse

from yibao.publish import pages as P
from yibao.publish import portal, screening

from portal_demo import project_records, site_as_of

PROJECT = Path(__file__).resolve().parents[1]
RULE = "GZ-001"
CONFIRMED, NOT_FILED = "AJ-2024-SC01GZ", "AJ-2024-SC02GZ"
SECRET_PERSON = "11010519491231002X"


@pytest.fixture(scope="module")
def demo():
    return project_records()


def _site(demo, day: str) -> P.Site:
    return site_as_of(*demo, day)


def _rule_ids() -> set[str]:
    return {p.stem for p in (PROJECT / "records" / "rule").glob("*.yaml")}


def test_the_page_lists_every_rule_with_its_words(demo):
    site = _site(demo, "2024-10-15")
    page, text = screening.rules_page(site)
    assert page == screening.RULES_PAGE and _rule_ids()
    library = text.split("## 规则库", 1)[1].split("\n## ", 1)[0]
    for ident in _rule_ids():
        rule = site.get("rule", ident)
        assert f'href="{ident}.html"' in library, ident
        for value in (rule.get("name"), rule.get("category"), rule.get("violation_type"), rule.get("severity")):
            assert value in library, (ident, value)
        for parameter in rule.get("parameters") or []:
            assert parameter["title"] in library, (ident, parameter["name"])
    assert "定点药店购药的医疗类别代码：41" in library  # a parameter in words


def test_promoted_cases_count_under_their_rule(demo):
    site = _site(demo, "2024-10-15")
    sources = screening.screening_sources(site)
    assert sources  # the vocabulary's x-screening
    promoted = screening.promoted_cases(site)
    assert {p.case.id for p in promoted} == {c.id for c in site.all("case") if c.get("source") in sources}
    grouped = screening.by_rule(promoted)
    mine = {p.case.id: p for p in grouped[RULE]}
    assert set(mine) == {CONFIRMED, NOT_FILED}
    assert mine[CONFIRMED].confirmed and not mine[NOT_FILED].confirmed
    assert mine[CONFIRMED].concluded and mine[NOT_FILED].concluded
    assert None in grouped  # the generator's screening cases name no rule: listed apart, counted for none
    _, text = screening.rules_page(site)
    listed = text.split("## 由筛查转来的案件线索", 1)[1]
    assert re.search(rf'{CONFIRMED}</a></td><td><a href="{RULE}.html">{RULE}</a>', listed)


def test_precision_is_confirmed_over_promoted_by_quarter(demo):
    site = _site(demo, "2024-10-15")
    items = screening.by_rule(screening.promoted_cases(site))[RULE]
    assert screening.precision(items) == Fraction(1, 2)
    assert screening.precision_by_quarter(items) == [("2024 年第 3 季度", 2, 1, 0, Fraction(1, 2))]
    assert screening.precision([]) is None
    _, text = screening.rules_page(site)
    over_time = text.split("## 准确率随时间的变化", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf'{RULE}</a></td><td>2024 年第 3 季度</td><td data-sort="2">2</td><td data-sort="1">1</td>'
                     r'<td data-sort="0">0</td><td data-sort="0.5">50.00%</td>', over_time)
    _, rule_page = P.record_page(site, site.get("rule", RULE))
    assert "准确率 50.00%" in rule_page and CONFIRMED in rule_page and NOT_FILED in rule_page


def test_precision_follows_the_date(demo):
    # on 2024-08-01 the first case is under way (decided 2024-08-26) and the second not registered yet (08-12)
    site = _site(demo, "2024-08-01")
    items = screening.by_rule(screening.promoted_cases(site)).get(RULE, [])
    assert [i.case.id for i in items] == [CONFIRMED]
    assert not items[0].confirmed and not items[0].concluded
    assert screening.precision_by_quarter(items) == [("2024 年第 3 季度", 1, 0, 1, Fraction(0))]
    later = _site(demo, "2024-08-27")
    assert screening.precision(screening.by_rule(screening.promoted_cases(later))[RULE]) == Fraction(1, 2)


def _data_folder(tmp_path: Path, institution: str) -> Path:
    run = tmp_path / "data" / "leads" / "20240705-091500-duckdb"
    run.mkdir(parents=True)
    (run / "leads.jsonl").write_text("", encoding="utf-8")
    summary = {"run": run.name, "engine": "duckdb", "period": ["2024-03-01", "2024-05-31"], "seconds": 1.2,
               "leads": 3, "amount": "2476.00",
               "rules": [{"rule": RULE, "name": "同一就诊同日同一项目重复收费", "violation_type": "重复收费", "leads": 3,
                          "amount": "2476.00", "institutions": {institution: {"leads": 3, "amount": "2476.00"}}}]}
    (run / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    (run / "promoted.jsonl").write_text(
        json.dumps({"lead": "XS-4K7M2Q9TR1", "rule": RULE, "case": CONFIRMED, "path": "x"}) + "\n", encoding="utf-8")
    return tmp_path / "data"


def test_runs_show_only_when_the_data_folder_is_given(demo, tmp_path, monkeypatch):
    site = _site(demo, "2024-10-15")
    monkeypatch.delenv(screening.DATA_ENV, raising=False)
    _, text = screening.rules_page(site)
    assert "保存在医保局的数据目录中" in text and screening.DATA_ENV in text
    data = _data_folder(tmp_path, "H53048100002")
    monkeypatch.setenv(screening.DATA_ENV, str(data))
    _, text = screening.rules_page(site)
    runs = text.split("## 筛查批次", 1)[1]
    assert "批次 20240705-091500-duckdb" in runs and "2,476.00" in runs
    assert 'href="../institutions/H53048100002.html"' in runs
    assert re.search(r"</td><td>1</td></tr>", runs)  # one lead promoted
    monkeypatch.setenv(screening.DATA_ENV, str(next(data.rglob("summary.json"))))  # one run's summary file
    assert "批次 20240705-091500-duckdb" in screening.rules_page(site)[1]


def test_the_leak_scan_reads_the_screening_page(demo, tmp_path, monkeypatch):
    site = _site(demo, "2024-10-15")
    monkeypatch.setenv(screening.DATA_ENV, str(_data_folder(tmp_path, SECRET_PERSON)))  # personal data where a code goes
    page, text = screening.rules_page(site)
    docs = tmp_path / "docs"
    (docs / page).parent.mkdir(parents=True)
    (docs / page).write_text(text, encoding="utf-8")
    with pytest.raises(portal.PortalError) as caught:
        portal.check_no_leak(tmp_path / "out", set(), docs)
    assert caught.value.code == "personal-data-leak"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    result = built_demo(tmp_path_factory)
    assert result.rc == 0, result.stdout + result.stderr
    return result


def test_built_page_and_rule_pages_link_and_leak_nothing(built):
    index = built.output / "rules" / "index.html"
    pages = [index] + [built.output / "rules" / f"{ident}.html" for ident in sorted(_rule_ids())]
    assert all(p.is_file() for p in pages), [p.name for p in pages if not p.is_file()]
    problems, checked = broken_links(built.output, pages)
    assert not problems and checked > 50, problems[:5]
    text = parse(index).text
    assert "数据筛查" in text and all(ident in text for ident in _rule_ids())
    assert CONFIRMED in text and "50.00%" in text
    nav = (built.output / "index.html").read_text(encoding="utf-8")
    assert 'href="rules/"' in nav or 'href="rules/index.html"' in nav
    for page in pages:
        content = page.read_text(encoding="utf-8")
        assert not any(secret in content for secret in SECRETS), page.name
