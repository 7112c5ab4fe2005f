"""Special campaigns (专项治理, issue 14 item 4), as seed 003 (沙医保发〔2020〕20号) runs them.

The demo holds Shapingba's campaign (records/campaign/ZX-2020-SPB.yaml) with the agency's checklist
(附件2) filled in; each rule below is broken on a copy of the Shapingba records and must be
reported; a rectification finished after its deadline is flagged late, never refused.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import make_repo
from yibao.compute import as_of as A
from yibao.core.schemas import SchemaSet

PROJECT = Path(__file__).resolve().parents[1]
RECORDS = PROJECT / "records"
SEED = (PROJECT.parent / "shared" / "reference" / "seeds").glob("003_*.txt")
CAMPAIGN = "records/campaign/ZX-2020-SPB.yaml"
AGENCY = "records/self_inspection/2020/ZC-2020-7QH2MD.yaml"
HOSPITAL = "records/self_inspection/2020/ZC-2020-1B4K9R.yaml"
RECT = "records/rectification/2020/ZG-2020-A1C3E5.yaml"
SPB_KINDS = ("campaign", "self_inspection", "rectification")


def spb_records() -> dict[str, str]:
    """Shapingba's contract, institutions, calendar and campaign records, as committed."""
    out = {}
    paths = [RECORDS / "contract" / "HT-2020-SPB.yaml", RECORDS / "calendar" / "RL-2020.yaml",
             *sorted((RECORDS / "institution").glob("[HJ]500106*.yaml"))]
    for kind in SPB_KINDS:
        paths += sorted((RECORDS / kind).rglob("*.yaml"))
    for path in paths:
        out[path.relative_to(PROJECT).as_posix()] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture
def spb(tmp_path):
    return make_repo(tmp_path, spb_records())


def edit(repo, relpath: str, old: str, new: str) -> None:
    text = (repo.root / relpath).read_text(encoding="utf-8")
    assert text.count(old) == 1, (relpath, old)
    (repo.root / relpath).write_text(text.replace(old, new, 1), encoding="utf-8")


# -- the demo ------------------------------------------------------------------------------------
def test_demo_campaign_quotes_the_seed(schemas):
    from yibao.load.strict_yaml import load_bytes

    campaign, problems, _ = load_bytes((PROJECT / CAMPAIGN).read_bytes())
    assert not problems
    assert [(p["id"], p["due"]) for p in campaign["phases"]] == [
        ("phase1-plan", "2020-05-15"), ("phase2-self-check", "2020-06-30"),
        ("phase3-rectification", "2020-10-31"), ("phase4-spot-check", "2020-11-30")]
    hospitals, agency = campaign["self_inspections"]
    assert (hospitals["data_period"]["start"], hospitals["data_period"]["end"]) == ("2018-01-01", "2020-05-01")
    assert hospitals["report_due"] == agency["report_due"] == "2020-06-30"
    assert [item["seq"] for item in agency["checklist"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]  # 附件2 has no 13
    seed = next(iter(SEED), None)
    if seed is not None:  # every quoted phase, standard and lead section is in the notice word for word
        text = re.sub(r"\s+", "", seed.read_text(encoding="utf-8"))
        for phase in campaign["phases"]:
            assert re.sub(r"\s+", "", phase["source"]) in text, phase["source"]
        for item in agency["checklist"]:
            assert item["standard"] in text, item["seq"]
            for lead in item["lead"].split("、"):
                assert lead in text
        assert hospitals["data_period"]["as_written"] in text
        assert agency["data_period"]["as_written"] in text


def test_demo_agency_checklist_is_filled_in(schemas):
    from yibao.load.strict_yaml import load_bytes

    report, problems, _ = load_bytes((PROJECT / AGENCY).read_bytes())
    assert not problems
    assert report["requirement"] == "agency" and report["institution"].startswith("J")
    assert [i["seq"] for i in report["checklist"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14]
    assert {i["rating"] for i in report["checklist"]} <= set(schemas.terms("self_inspection_rating"))


def test_spb_records_are_valid(spb, yibao):
    run = yibao("validate", cwd=spb.root)
    assert run.rc == 0, run.out


def test_every_date_field_of_the_campaign_kinds_is_classified(schemas):
    """As tests/test_as_of.py does for every kind, for ours alone (a date field shown before it happened fails)."""
    groups = {kind: set() for kind in SPB_KINDS}
    for kind in SPB_KINDS:
        groups[kind] |= {A.EXISTS_FROM[kind]} if kind in A.EXISTS_FROM else set()
        groups[kind] |= {f"{f.at}.{f.date}".lstrip(".") for f in A.FACTS.get(kind, ())}
        groups[kind] |= set(A.TERMS.get(kind, ())) | set(A.DATA_PERIODS.get(kind, ()))
    assert "phases.due" in groups["campaign"] and "phases.completed_on" in groups["campaign"]
    assert A.EXISTS_FROM["self_inspection"] == "submitted_on" and A.EXISTS_FROM["rectification"] == "issued_on"
    assert {"closed_on", "review.date", "follow_ups.date", "deadline"} <= groups["rectification"]


# -- checks: each rule broken once ---------------------------------------------------------------
BROKEN = [
    (AGENCY, "requirement: agency", "requirement: nobody", "unknown-requirement"),
    (HOSPITAL, "requirement: hospitals", "requirement: agency", "self-inspection-type-mismatch"),
    (HOSPITAL, "submitted_on: 2020-06-24", "submitted_on: 2020-12-01", "outside-campaign"),
    (HOSPITAL, "submitted_on: 2020-06-24", "submitted_on: 2020-04-30", "outside-campaign"),
    (HOSPITAL, "  start: 2018-01-01", "  start: 2018-03-01", "data-period-short"),
    (HOSPITAL, "  end: 2020-05-01", "  end: 2020-04-30", "data-period-short"),
    (AGENCY, "  end: 2020-05-31", "  end: 2020-05-30", "data-period-short"),
    (AGENCY, "  - {seq: 14, rating: 较好}\n", "", "checklist-incomplete"),
    (AGENCY, "  - {seq: 14, rating: 较好}", "  - {seq: 13, rating: 较好}", "checklist-unknown-item"),
    (AGENCY, "  - {seq: 14, rating: 较好}", "  - {seq: 12, rating: 较好}", "duplicate-item"),
    (HOSPITAL, "contract: HT-2020-SPB", "contract: HT-2024-KLMY", "campaign-contract-mismatch"),
    (RECT, "institution: H50010600001", "institution: H50010600002", "rectification-source-mismatch"),
    (RECT, "problem_seq: 1", "problem_seq: 7", "unknown-problem"),
    (RECT, "deadline: 2020-08-31", "deadline: 2020-07-01", "date-order"),
    (RECT, "closed_on: 2020-08-28", "closed_on: 2020-07-09", "date-order"),
    (RECT, "campaign: ZX-2020-SPB", "campaign: ZX-2020-SPX", "unresolved-reference"),
]


@pytest.mark.parametrize("relpath, old, new, code", BROKEN, ids=[f"{c}-{i}" for i, (_, _, _, c) in enumerate(BROKEN)])
def test_a_broken_rule_is_reported(spb, yibao, relpath, old, new, code):
    if code == "campaign-contract-mismatch":
        spb.write("records/contract/HT-2024-KLMY.yaml", (RECORDS / "contract" / "HT-2024-KLMY.yaml").read_text(encoding="utf-8"))
    edit(spb, relpath, old, new)
    run = yibao("validate", cwd=spb.root)
    assert run.rc == 1
    hit = [d for d in run.diagnostics if d.code == code]
    assert hit and all(d.path == relpath for d in hit), run.out
    assert re.search(r"[\u4e00-\u9fff]", hit[0].message)


def test_out_of_scope_institution_is_reported(spb, yibao):
    spb.write("records/institution/H65020300052.yaml", (RECORDS / "institution" / "H65020300052.yaml").read_text(encoding="utf-8"))
    edit(spb, RECT, "institution: H50010600001", "institution: H65020300052")
    run = yibao("validate", cwd=spb.root)
    assert "out-of-scope" in run.codes, run.out


def test_late_is_flagged_never_refused(spb, yibao):
    """Closed after the deadline, reported after 6/30: valid records, late items in the report."""
    edit(spb, RECT, "closed_on: 2020-08-28", "closed_on: 2020-09-30")
    edit(spb, HOSPITAL, "submitted_on: 2020-06-24", "submitted_on: 2020-07-02")
    assert yibao("validate", cwd=spb.root).rc == 0
    run = yibao("report", "--as-of", "2020-12-31", "--format", "json", cwd=spb.root)
    [report] = json.loads(run.out)
    late = {(d["kind"], d["record"]): d for d in report["deadlines"]["late"]}
    assert late[("rectification", "ZG-2020-A1C3E5")]["days_late"] == 30
    assert late[("self_inspection", "ZC-2020-1B4K9R")]["days_late"] == 2


# -- deadlines and KPIs ------------------------------------------------------------------------------
def spb_report(yibao, root, as_of: str) -> dict:
    run = yibao("report", "--as-of", as_of, "--format", "json", cwd=root)
    assert run.rc == 0, run.out + run.err
    [report] = json.loads(run.out)
    return report


def kpi(report: dict, ident: str) -> dict:
    return next(k for k in report["kpis"] if k["id"] == ident)


def test_report_counts_hospitals_that_reported_on_time(spb, yibao):
    report = spb_report(yibao, spb.root, "2020-12-31")
    on_time = kpi(report, "self_inspection_reports_on_time")
    # seven hospitals owe a report (H50010600005 terminated on 2020-09-15, after the report was due: it still owed
    # it); H50010600007 reported on 2020-07-06; the agency's report is not a hospital's
    assert (on_time["numerator"], on_time["denominator"], on_time["status"]) == (6, 7, "未达标")
    assert "H50010600007" not in on_time["records"] and "ZC-2020-8H0S3Y" in on_time["records"]
    rect = kpi(report, "rectifications_on_time")
    assert (rect["numerator"], rect["denominator"]) == (1, 4)  # one on time, two late, one overdue
    overdue = [(d["kind"], d["record"]) for d in report["deadlines"]["overdue"]]
    assert ("rectification", "ZG-2020-D4F6H8") in overdue


def test_before_the_due_date_nothing_is_late(spb, yibao):
    report = spb_report(yibao, spb.root, "2020-06-25")
    on_time = kpi(report, "self_inspection_reports_on_time")
    assert (on_time["numerator"], on_time["denominator"], on_time["status"]) == (3, 3, "达标")
    soon = {(d["kind"], d["institution"]) for d in report["deadlines"]["due_soon"]}
    assert ("self_inspection", "H50010600007") in soon  # due 2020-06-30, not reported yet
    assert ("milestone", None) in soon  # phase 2, due 2020-06-30


def test_an_unreported_hospital_is_overdue(spb, yibao):
    spb.remove("records/self_inspection/2020/ZC-2020-8H0S3Y.yaml")
    report = spb_report(yibao, spb.root, "2020-07-10")
    overdue = [d for d in report["deadlines"]["overdue"] if d["kind"] == "self_inspection"]
    assert [(d["institution"], d["days_late"]) for d in overdue] == [("H50010600007", 10)]
    on_time = kpi(report, "self_inspection_reports_on_time")
    assert (on_time["numerator"], on_time["denominator"]) == (6, 7) and "H50010600007" in on_time["records"]


def test_phases_are_the_contracts_milestones(spb, yibao):
    report = spb_report(yibao, spb.root, "2020-12-31")
    assert kpi(report, "milestones/phase3-rectification")["status"] == "未达标"  # 2020-11-06, after 10月底
    assert kpi(report, "milestones/phase4-spot-check")["status"] == "达标"
    assert kpi(report, "milestones")["records"] == ["ZX-2020-SPB"]
    edit(spb, CAMPAIGN, "    completed_on: 2020-11-06\n", "    completed_on: 2020-10-30\n")
    assert kpi(spb_report(yibao, spb.root, "2020-12-31"), "milestones/phase3-rectification")["status"] == "达标"
