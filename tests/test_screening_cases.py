"""Cases made from screening leads name the rule that found them (``screening``): yibao lead promote
writes it, CI checks it against the rule record, and the portal's precision per rule counts by it
rather than by the rule ID the case's text happens to mention."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit, findings

from portal_demo import project_records, site_as_of

PROJECT = Path(__file__).resolve().parents[1]
SC01GZ = "records/case/2024/AJ-2024-SC01GZ.yaml"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def test_demo_screening_cases_name_their_rule(demo, yibao):
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out
    assert not [f for f in findings(run, "warning") if f[1].startswith("screening-")], run.out


def test_a_screening_rule_on_a_case_from_another_source_is_refused(demo, yibao):
    edit(demo, SC01GZ, "source: 数据筛查", "source: 举报投诉")
    run = yibao("validate", cwd=demo)
    assert run.rc == 1 and (SC01GZ, "screening-source-mismatch") in findings(run, "error"), run.out
    assert "规则 GZ-001" in run.out


def test_a_rule_looking_for_another_violation_is_shown(demo, yibao):
    edit(demo, SC01GZ, "violation_types: [重复收费]", "violation_types: [串换项目收费]")
    run = yibao("validate", cwd=demo)
    assert run.rc == 0 and (SC01GZ, "screening-violation-mismatch") in findings(run, "warning"), run.out


def test_a_missing_rule_is_an_unresolved_reference(demo, yibao):
    edit(demo, SC01GZ, "  rule: GZ-001", "  rule: GZ-999")
    run = yibao("validate", cwd=demo)
    assert run.rc == 1 and (SC01GZ, "unresolved-reference") in findings(run, "error"), run.out


def test_the_portal_counts_a_case_under_its_named_rule_not_its_text():
    from yibao.publish import screening

    schemas, records = project_records()
    moved = []
    for record in records:
        if record.id == "AJ-2024-SC02GZ":  # its text names GZ-001; the structured field says GZ-002
            data = {**record.data, "screening": {**record.data["screening"], "rule": "GZ-002"}}
            record = replace(record, data=data)
        moved.append(record)
    site = site_as_of(schemas, moved, "2024-12-31")
    by_case = {p.case.id: p.rule for p in screening.promoted_cases(site)}
    assert by_case["AJ-2024-SC01GZ"] == "GZ-001" and by_case["AJ-2024-SC02GZ"] == "GZ-002"
