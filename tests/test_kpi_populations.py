"""Who counts, what each coverage figure is, and what the status word says — figures by hand.

Built on the fixture of test_compute.py (contract A: 2024-03-01..11-20, 265 days; contract B:
Shapingba-style, 2020-05-01..11-30), with changes made per test:

* a hospital inspected and sampled, then terminated (解除) mid-period, keeps its facts in coverage,
  sampling and the problem-record rate; one terminated before any inspection leaves the population;
* night rounds and day rounds each to full coverage (seed 003) are two figures and one status;
* a per-institution target governed by each institution fails when one falls short;
* a count target far behind its pace says 落后进度, one on pace says 进行中.
"""
from __future__ import annotations

import pytest

from test_compute import (
    A, B, CONTRACT_A, CONTRACT_B, FILES, H1, H2, H3, HB1, HB2, HB3, figures, inspection, institution, kpi, load, report,
    sampling, write_repo,
)


def build(tmp_path, changes: dict[str, str]):
    files = {**FILES, **changes}
    return load(write_repo(tmp_path / "repo", files))


# -- termination mid-period ------------------------------------------------------------------------
def terminated(ident: str, since: str, volumes: str) -> str:
    return institution(ident, "定点医疗机构", "650203", volumes, history=f"  - {{status: 解除, since: {since}}}")


def test_a_hospital_terminated_after_its_inspection_keeps_its_facts(tmp_path):
    # H2 (inspected 9/27 with 90 of 4,000 records sampled, 30 problems) is terminated on 10/01
    fixture = build(tmp_path, {f"records/institution/{H2}.yaml": terminated(H2, "2024-10-01",
                               "{year: 2022, medical_records: 2000};{year: 2023, medical_records: 2000}")})
    rep = report(fixture, "2024-10-15")
    # problem-record rate by seed 000's formula: (120 + 30 + 25) / (300 + 90 + 50), H2 included
    assert figures(rep, "problem_discovery_rate") == (175, 440, round(175 / 440, 6), "进行中")
    assert figures(rep, f"problem_discovery_rate/{H2}") == (30, 90, round(1 / 3, 6), "进行中")
    # sampling: H1 300/10,000 and H2 90/4,000 (H3 has no 2022 volume): 390 / 14,000
    assert figures(rep, "record_sampling_rate") == (390, 14000, round(390 / 14000, 6), "达标")
    # coverage: H1, H2 (inspected before its termination), H3 covered; H4 not yet: 3 of 4 (pace 3.46)
    assert figures(rep, "onsite_coverage/定点医疗机构") == (3, 4, 0.75, "进行中")
    definition = kpi(rep, "onsite_coverage")["definition"]
    assert "解除" in definition and "照常计入" in definition


def test_a_hospital_terminated_before_any_inspection_leaves_the_population(tmp_path):
    # H4 (inspected only 10/18-10/20) is terminated on 07/01: not inspected while it was designated
    changes = {f"records/institution/{'H65020300004'}.yaml": terminated("H65020300004", "2024-07-01",
               "{year: 2022, medical_records: 1000};{year: 2023, medical_records: 1000}")}
    changes["records/inspection/2024/JC-2024-000008.yaml"] = inspection(
        "JC-2024-000008", A, "H65020300004", "日常巡查", "2024-06-18", "2024-06-20", report="2024-06-22")
    with_inspection = report(build(tmp_path / "a", changes), "2024-10-15")
    assert figures(with_inspection, "onsite_coverage/定点医疗机构") == (4, 4, 1, "达标")  # inspected 6/20, terminated 7/1
    del changes["records/inspection/2024/JC-2024-000008.yaml"]
    files = {k: v for k, v in {**FILES, **changes}.items() if not k.endswith("JC-2024-000008.yaml")}
    without = report(load(write_repo(tmp_path / "b" / "repo", files)), "2024-10-15")
    assert figures(without, "onsite_coverage/定点医疗机构") == (3, 3, 1, "达标")  # H1-H3; H4 left uninspected


def test_a_termination_before_the_period_never_counts(tmp_path):
    # terminated 2024-02-01, before the period began 03-01: not this contract's institution
    fixture = build(tmp_path, {f"records/institution/{'H65020300004'}.yaml": terminated(
        "H65020300004", "2024-02-01", "{year: 2022, medical_records: 1000};{year: 2023, medical_records: 1000}")})
    final = report(fixture, "2024-11-21")
    assert figures(final, "onsite_coverage/定点医疗机构")[:2] == (3, 3)


# -- night and day rounds, each to full coverage -------------------------------------------------------
ROUNDS = CONTRACT_B.replace(
    "{metric: onsite_coverage, name: 住院医疗机构全覆盖, target: 1, institution_types: [定点医疗机构], inpatient_only: true}",
    "{metric: onsite_coverage, name: 夜间日间查房全覆盖, target: 1, institution_types: [定点医疗机构], inpatient_only: true, "
    "inspection_types: [夜间查房, 日间查房], each_inspection_type: true}")


def rounds(tmp_path, *visits: tuple[str, str, str]):
    assert ROUNDS != CONTRACT_B
    changes = {f"records/contract/{B}.yaml": ROUNDS}
    for n, (inst, kind, day) in enumerate(visits, 1):
        ident = f"JC-2020-0000R{n}"
        changes[f"records/inspection/2020/{ident}.yaml"] = inspection(ident, B, inst, kind, day, day, report=day)
    return build(tmp_path, changes)


def test_night_and_day_rounds_are_two_figures_and_one_status(tmp_path):
    # HB1 and HB2 have inpatient service (HB3 not). Night rounds: HB1, HB2. Day rounds: HB1 only.
    fixture = rounds(tmp_path, (HB1, "夜间查房", "2020-09-01"), (HB2, "夜间查房", "2020-09-02"), (HB1, "日间查房", "2020-09-03"))
    rep = report(fixture, "2020-12-01", B)
    assert figures(rep, "onsite_coverage/夜间查房") == (2, 2, 1, "达标")
    assert figures(rep, "onsite_coverage/日间查房") == (1, 2, 0.5, "未达标")
    # overall: institutions covered by both kinds — HB1 only — so the target is not met
    assert figures(rep, "onsite_coverage") == (1, 2, 0.5, "未达标")
    assert HB3 not in " ".join(kpi(rep, "onsite_coverage")["records"])


def test_without_each_type_either_round_counts(tmp_path):
    fixture = rounds(tmp_path, (HB1, "夜间查房", "2020-09-01"), (HB2, "日间查房", "2020-09-02"))
    one_flag_less = report(fixture, "2020-12-01", B)
    assert figures(one_flag_less, "onsite_coverage") == (0, 2, 0, "未达标")  # each type on its own: neither covers both
    loose = {f"records/contract/{B}.yaml": ROUNDS.replace(", each_inspection_type: true", "")}
    for n, (inst, kind, day) in enumerate(((HB1, "夜间查房", "2020-09-01"), (HB2, "日间查房", "2020-09-02")), 1):
        loose[f"records/inspection/2020/JC-2020-0000R{n}.yaml"] = inspection(f"JC-2020-0000R{n}", B, inst, kind, day, day, report=day)
    rep = report(build(tmp_path / "loose", loose), "2020-12-01", B)
    assert figures(rep, "onsite_coverage") == (2, 2, 1, "达标")


# -- a per-institution target ------------------------------------------------------------------------
def test_governed_by_each_institution(tmp_path):
    each = CONTRACT_A.replace("sampling_basis: 病历, lookback_years: 2}", "sampling_basis: 病历, lookback_years: 2, governed_by: each}", 1)
    assert each != CONTRACT_A
    rep = report(build(tmp_path, {f"records/contract/{A}.yaml": each}), "2024-10-15")
    # pooled 390/14,000 = 2.79% meets 2.5%, but H2 has 2.25%: governed by each, the target is not met yet
    assert figures(rep, "record_sampling_rate")[:3] == (390, 14000, round(390 / 14000, 6))
    assert kpi(rep, "record_sampling_rate")["status"] == "进行中"
    assert figures(rep, "record_sampling_rate/institutions-short") == (1, None, 1, None)
    assert kpi(rep, "record_sampling_rate/institutions-short")["records"] == ["JC-2024-000002", "JC-2024-00000A"]
    final = report(build(tmp_path / "f", {f"records/contract/{A}.yaml": each}), "2024-11-21")
    assert kpi(final, "record_sampling_rate")["status"] == "未达标"


def test_pooled_governs_by_default(fixture_a):
    rep = report(fixture_a, "2024-10-15")
    assert kpi(rep, "record_sampling_rate")["status"] == "达标"
    assert figures(rep, "record_sampling_rate/institutions-short")[0] == 1  # H2 still named


@pytest.fixture(scope="module")
def fixture_a(tmp_path_factory):
    return load(write_repo(tmp_path_factory.mktemp("a") / "repo", FILES))


# -- pace ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("as_of, held, expected", [
    # 4 trainings over 265 days; the days wholly past before the statistics date count.
    # On 04-10 40 days are past: 0.60 expected, 1 held (4/10) -> on pace
    ("2024-04-10", 1, "进行中"),
    # 06-12: 103 days, 1.55 expected, 2 held -> on pace
    ("2024-06-12", 2, "进行中"),
    # 08-31: 183 days, 2.76 expected, 2 whole: 2 held -> on pace
    ("2024-08-31", 2, "进行中"),
    # 09-15: 198 days, 2.99: still 2 whole; 09-16: 199 days, 3.004: the third is due
    ("2024-09-15", 2, "进行中"),
    ("2024-09-16", 2, "落后进度"),
    # the last day: 264 days past, 3.98 expected, 3 whole, 3 held: the day runs to 24:00
    ("2024-11-20", 3, "进行中"),
    ("2024-11-21", 3, "未达标"),
])
def test_count_target_pace(fixture_a, as_of, held, expected):
    rep = report(fixture_a, as_of)
    assert figures(rep, "trainings_held")[0] == held
    assert kpi(rep, "trainings_held")["status"] == expected


def test_nothing_is_behind_on_the_first_day(fixture_a):
    rep = report(fixture_a, "2024-03-01")  # 1 of 265 days: no whole training, trip or institution is due yet
    assert [k["id"] for k in rep["kpis"] if k["status"] == "落后进度"] == []
