"""Sampling plans and extrapolations as records (check.planning, yibao sample, yibao extrapolate):
each rule is broken on a copy of the demo and must be caught; the commands write what CI accepts.

Independent figures: the FULL extrapolation of test_schemas (stratum A: N = 100, n = 10; stratum B:
N = n = 5) worked by hand — ȳ_A = 245.75 / 10 = 24.575, s_A² = Σ(y − ȳ)² / 9 = 1823.4... so that
SE = √(100² · (1 − 10/100) · s_A² / 10) and stratum B (sampled whole) adds no error; the point
estimate 100 · 24.575 + 850 = 3307.50 exactly. Checked here with the formulas written out, not our code.
"""
from __future__ import annotations

import hashlib
import math
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit
from scipy.stats import t as student_t

PROJECT = Path(__file__).resolve().parents[1]
PLAN = "records/sampling_plan/CY-2024-3YDJ95.yaml"
EXTRAPOLATION = "records/extrapolation/JS-2024-7QK2MD.yaml"
CASE = "records/case/2024/AJ-2024-43TGWJ.yaml"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def codes(run) -> list[tuple[str, str]]:
    return re.findall(r"^(records/\S+?):\d+:\d+: error\[([a-z-]+)\]", run.out, re.M)


def test_demo_planning_records_pass(demo, yibao):
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out
    assert "病历抽样计划 1" in run.out and "抽样外推 1" in run.out


@pytest.mark.parametrize("old, new", [
    ("volume: 2912", "volume: 2913"),           # the hospital's volume is not what its record says
    ("required_count: 73", "required_count: 72"),  # ⌈2.5% × 2912⌉ = 73
    ("rate: 0.025", "rate: 0.02"),             # the contract says 2.5%
    ("volume_years: [2022, 2023]", "volume_years: [2023]"),  # 近两年 of a 2024 contract
    ("  size: 90", "  size: 80"),               # the statistical size for ±10% at 95%, p = 0.4
    ("planned_count: 90", "planned_count: 73"),  # the larger of the two
    ("  count: 90", "  count: 91"),             # the selection must take the planned count
])
def test_a_plan_whose_counts_do_not_follow_the_contract_is_refused(demo, yibao, old, new):
    edit(demo, PLAN, old, new)
    run = yibao("validate", cwd=demo)
    assert run.rc == 1
    assert (PLAN, "plan-count-mismatch") in codes(run), run.out


def test_a_plan_for_a_metric_without_a_plan_rule_is_refused(demo, yibao):
    edit(demo, PLAN, "metric: record_sampling_rate", "metric: onsite_coverage")
    run = yibao("validate", cwd=demo)
    assert (PLAN, "plan-count-mismatch") in codes(run), run.out


def test_changing_the_contract_rate_breaks_the_plan(demo, yibao):
    edit(demo, "records/contract/HT-2024-KLMY.yaml", "医院病历抽审比例（近两年病历总数）\n    target: 0.025",
         "医院病历抽审比例（近两年病历总数）\n    target: 0.03")
    run = yibao("validate", PLAN, cwd=demo)
    assert (PLAN, "plan-count-mismatch") in codes(run), run.out


@pytest.mark.parametrize("old, new", [
    ("point_estimate: 616580.80", "point_estimate: 616580.81"),
    ("demand: 445205.13", "demand: 445205.12"),
    ("      lower: 445205.13", "      lower: 445205.14"),
    ("degrees_of_freedom: 78", "degrees_of_freedom: 79"),
    ("population_size: 12000", "population_size: 12001"),  # the strata changed, the figures did not
])
def test_tampered_extrapolation_figures_are_refused_to_the_fen(demo, yibao, old, new):
    edit(demo, EXTRAPOLATION, old, new)
    run = yibao("validate", cwd=demo)
    assert (EXTRAPOLATION, "extrapolation-mismatch") in codes(run), run.out


def test_extrapolate_writes_what_the_check_accepts_and_keeps_comments(demo, yibao):
    edit(demo, EXTRAPOLATION, "population_size: 12000", "population_size: 12001")
    assert yibao("extrapolate", "--check", cwd=demo).rc == 1
    run = yibao("extrapolate", EXTRAPOLATION, cwd=demo)
    assert run.rc == 0, run.out + run.err
    text = (demo / EXTRAPOLATION).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server") and "# 演示" in text and text.count("\nresult:") == 1
    assert yibao("extrapolate", "--check", cwd=demo).rc == 0
    # the case still cites the old demand: now caught
    run = yibao("validate", cwd=demo)
    assert (CASE, "extrapolated-amount-mismatch") in codes(run), run.out


@pytest.mark.parametrize("old, new", [
    ("  extrapolated: 445205.13", "  extrapolated: 445205.14"),
    ("  extrapolated: 445205.13\n", ""),
    ("  extrapolation: JS-2024-7QK2MD\n", ""),
])
def test_a_case_must_use_the_lower_90_percent_limit_of_the_extrapolation_it_cites(demo, yibao, old, new):
    edit(demo, CASE, old, new)
    run = yibao("validate", cwd=demo)
    assert (CASE, "extrapolated-amount-mismatch") in codes(run), run.out


def test_the_cited_extrapolation_must_concern_the_case_subject(demo, yibao):
    edit(demo, CASE, "  institution: H53048100002", "  institution: H53048100001")
    run = yibao("validate", cwd=demo)
    assert (CASE, "extrapolated-amount-mismatch") in codes(run), run.out


def test_full_record_figures_against_the_formulas_written_out():
    a = [0, 120.50, 0, 35.00, 0, 0, 80.25, 0, 0, 10.00]
    mean = sum(a) / 10
    s2 = sum((x - mean) ** 2 for x in a) / 9
    se = math.sqrt(100 ** 2 * (1 - 10 / 100) * s2 / 10)
    point = 100 * mean + (500 + 250 + 100)
    assert round(point, 2) == 3307.50
    assert round(se, 2) == 1274.60
    t90 = student_t.ppf(0.95, 15 - 2)
    assert math.floor((point - t90 * se) * 100) / 100 == 1050.27


def test_sample_plan_select_verify_round_trip_outside_the_repository(demo, yibao, tmp_path):
    hospital = tmp_path / "hospital"
    hospital.mkdir()
    numbers = [f"ZY{y}{i:06d}" for y, n in ((2022, 1383), (2023, 1529)) for i in range(1, n + 1)]
    (hospital / "list.txt").write_text("\n".join(numbers) + "\n", encoding="utf-8")
    run = yibao("sample", "plan", "--contract", "HT-2024-KLMY", "--institution", "H65020300052", "--metric", "record_sampling_rate",
                "--period", "2022-01-01", "2023-12-31", cwd=demo)
    assert run.rc == 0, run.err
    (path,) = [p for p in (demo / "records/sampling_plan").iterdir() if p.name != Path(PLAN).name]
    relpath = path.relative_to(demo).as_posix()
    assert "required_count: 73" in path.read_text(encoding="utf-8")
    # the list inside the repository is refused: it is the hospital's data
    inside = demo / "list.txt"
    shutil.copy(hospital / "list.txt", inside)
    run = yibao("sample", "select", relpath, "--list", str(inside), "--seed", "s", "--seed-source", "公告的种子", cwd=demo)
    assert run.rc == 2 and "仓库之内" in run.err
    inside.unlink()
    run = yibao("sample", "select", relpath, "--list", str(hospital / "list.txt"), "--seed", "2024-05-06 公告 7731",
                "--seed-source", "抽取前一日公告", "--date", "2024-05-06", "--output", str(hospital / "chosen.txt"), cwd=demo)
    assert run.rc == 0, run.err
    chosen = (hospital / "chosen.txt").read_text(encoding="utf-8").split()
    assert len(chosen) == 73
    text = path.read_text(encoding="utf-8")
    assert not any(n in text for n in numbers), "no record number may reach the repository"
    # the hash is the shell's: sort -u | sha256sum without the last newline
    shell = subprocess.run("sort -u | head -c -1 | sha256sum", shell=True, input="\n".join(numbers) + "\n",
                           capture_output=True, text=True, env={"LC_ALL": "C"}).stdout.split()[0]
    assert f'list_sha256: "{shell}"' in text or f"list_sha256: {shell}" in text
    assert yibao("validate", cwd=demo).rc == 0
    run = yibao("sample", "verify", relpath, "--list", str(hospital / "list.txt"), "--selection", str(hospital / "chosen.txt"), cwd=demo)
    assert run.rc == 0, run.out
    # another list (one number changed) or another selection does not verify
    (hospital / "other.txt").write_text("\n".join(numbers[:-1] + ["ZY2023999999"]) + "\n", encoding="utf-8")
    assert yibao("sample", "verify", relpath, "--list", str(hospital / "other.txt"), cwd=demo).rc == 1
    (hospital / "chosen.txt").write_text("\n".join(chosen[:-1] + [numbers[0] if numbers[0] not in chosen else numbers[1]]) + "\n",
                                         encoding="utf-8")
    assert yibao("sample", "verify", relpath, "--list", str(hospital / "list.txt"), "--selection", str(hospital / "chosen.txt"),
                 cwd=demo).rc == 1
    assert hashlib.sha256("\n".join(sorted(numbers)).encode()).hexdigest() == shell
