"""双随机 frame filters: institution level and "not inspected in the last N months", recorded in the
draw's frame and re-applied by CI (``draw-not-reproducible``) exactly as ``yibao draw`` applied them."""
from __future__ import annotations

import datetime as _dt

import pytest

from conftest import CONTRACT_ID, HOSPITAL, INSPECTION, INSPECTION_ID, PHARMACY
from test_draw import SEED, _draw, _load
from yibao.check.draws import status_terms, withdrawn_terms
from yibao.core import draw as d
from yibao.core.codes import make_uscc
from yibao.core.record import Record
from yibao.core.scope import ScopeTerms

D = _dt.date
HOSPITAL_2 = "H65020300004"  # level 一级, never inspected in the base repository


# -- the filters on their own ---------------------------------------------------------------------------
@pytest.mark.parametrize("day, months, expected", [
    (D(2024, 6, 10), 2, D(2024, 4, 10)),
    (D(2024, 1, 15), 1, D(2023, 12, 15)),
    (D(2024, 8, 31), 6, D(2024, 2, 29)),   # no 31 February: the month's last day
    (D(2024, 3, 31), 1, D(2024, 2, 29)),
    (D(2023, 3, 31), 1, D(2023, 2, 28)),
    (D(2024, 6, 3), 12, D(2023, 6, 3)),
    (D(2024, 6, 3), 30, D(2021, 12, 3)),
])
def test_months_before_counts_calendar_months(day, months, expected):
    assert d.months_before(day, months) == expected


def _inspection(ident, institution_id, start, status="已提交报告"):
    return Record("inspection", f"records/inspection/{ident}.yaml",
                  {"id": ident, "institution": institution_id, "start_date": start, "status": status})


def _institution(ident, type_, level=None):
    data = {"id": ident, "type": type_, "protocol_history": [{"status": "正常", "since": D(2020, 1, 1)}]}
    if level:
        data["level"] = level
    return Record("institution", f"records/institution/{ident}.yaml", data)


def test_recency_window_runs_from_n_months_before_up_to_the_day_before(schemas):
    day, skipped = D(2024, 6, 10), [*withdrawn_terms(schemas, "inspection"), *status_terms(schemas, "inspection", "x-planned")]
    inspections = [_inspection("JC-1", "A", D(2024, 4, 10)),   # on the window's first day: recent
                   _inspection("JC-2", "B", D(2024, 4, 9)),    # the day before it: not recent
                   _inspection("JC-3", "C", D(2024, 6, 10)),   # on the draw date: not before it
                   _inspection("JC-4", "D", D(2024, 6, 9)),
                   _inspection("JC-5", "E", D(2024, 5, 1), withdrawn_terms(schemas, "inspection")[0]),
                   _inspection("JC-6", "F", D(2024, 5, 1), status_terms(schemas, "inspection", "x-planned")[0])]
    assert d.recently_inspected(inspections, day, 2, skipped) == {"A", "D"}
    assert d.recently_inspected(inspections, day, 2) == {"A", "D", "E", "F"}  # what the skipped statuses change


def test_frame_of_applies_levels_and_recency(schemas):
    contract = Record("contract", "records/contract/HT.yaml", {"id": "HT", "scope": {"institutions": ["H1", "H2", "H3", "P1"]}})
    institutions = [_institution("H1", "定点医疗机构", "一级"), _institution("H2", "定点医疗机构", "二级"),
                    _institution("H3", "定点医疗机构"), _institution("P1", "定点零售药店")]
    terms, day = ScopeTerms.of(schemas), D(2024, 6, 10)
    types = ["定点医疗机构", "定点零售药店"]
    assert d.frame_of(contract, institutions, day, types, terms) == {"H1": "定点医疗机构", "H2": "定点医疗机构", "H3": "定点医疗机构",
                                                                      "P1": "定点零售药店"}
    assert set(d.frame_of(contract, institutions, day, types, terms, levels=["二级"])) == {"H2"}
    assert set(d.frame_of(contract, institutions, day, types, terms, levels=["一级", "二级"])) == {"H1", "H2"}
    recent = [_inspection("JC-1", "H1", D(2024, 5, 1)), _inspection("JC-2", "P1", D(2023, 1, 1))]
    assert set(d.frame_of(contract, institutions, day, types, terms, not_inspected_months=3, inspections=recent)) == {"H2", "H3", "P1"}
    assert set(d.frame_of(contract, institutions, day, types, terms, not_inspected_months=1, inspections=recent)) == {"H1", "H2", "H3", "P1"}
    both = d.frame_of(contract, institutions, day, types, terms, levels=["一级", "二级"], not_inspected_months=3, inspections=recent)
    assert both == {"H2": "定点医疗机构"}


# -- the command, the record and CI ------------------------------------------------------------------------
@pytest.fixture
def graded_repo(full_repo):
    """The base repository with the hospital at 二级 (inspected 2024-05-06) and a second hospital at 一级."""
    path = f"records/institution/{HOSPITAL}.yaml"
    full_repo.write(path, (full_repo.root / path).read_text(encoding="utf-8") + "level: 二级\n")
    text = (full_repo.root / path).read_text(encoding="utf-8")
    text = text.replace(HOSPITAL, HOSPITAL_2).replace("测试区人民医院", "测试区第二医院").replace("level: 二级", "level: 一级")
    text = "\n".join(f'uscc: "{make_uscc("12650203MB0000004")}"' if line.startswith("uscc:") else line for line in text.split("\n"))
    full_repo.write(f"records/institution/{HOSPITAL_2}.yaml", text)
    contract = f"records/contract/{CONTRACT_ID}.yaml"
    full_repo.write(contract, (full_repo.root / contract).read_text(encoding="utf-8").replace(f"[{HOSPITAL},", f"[{HOSPITAL}, {HOSPITAL_2},"))
    return full_repo


def _edited(repo, yibao, relpath, old, new):
    text = (repo.root / relpath).read_text(encoding="utf-8")
    assert old in text
    repo.write(relpath, text.replace(old, new, 1))
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 1 and yibao("draw", "verify", relpath, cwd=repo.root).rc == 1
    return [x for x in run.diagnostics if x.code == "draw-not-reproducible"]


def test_a_level_filter_narrows_the_frame_and_is_re_run(graded_repo, yibao):
    assert yibao("validate", cwd=graded_repo.root).rc == 0
    relpath = _draw(graded_repo, yibao, "--count", "1", "--levels", "二级", types=("定点医疗机构",))
    data = _load(graded_repo, relpath)
    assert data["frame"]["levels"] == ["二级"] and "等级为二级" in data["frame"]["description"]
    assert data["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL]) and data["frame"]["size"] == 1
    assert [r["institution"] for r in data["result"]] == [HOSPITAL]
    assert yibao("validate", cwd=graded_repo.root).rc == 0
    assert yibao("draw", "verify", relpath, cwd=graded_repo.root).rc == 0
    # the filter edited after the fact: CI re-runs the edited filter and the recorded frame no longer follows
    hits = _edited(graded_repo, yibao, relpath, "levels: [二级]", "levels: [一级]")
    assert any("抽取范围的 SHA-256" in h.message and d.ids_sha256([HOSPITAL_2]) in h.message for h in hits)
    assert any(h.line == graded_repo.line_of(relpath, "ids_sha256: ") for h in hits)


def test_both_levels_keep_both_hospitals(graded_repo, yibao):
    relpath = _draw(graded_repo, yibao, "--count", "2", "--levels", "一级", "二级", types=("定点医疗机构",))
    data = _load(graded_repo, relpath)
    assert data["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL, HOSPITAL_2]) and data["frame"]["size"] == 2
    # a removed filter is as much a change as an edited one
    text = (graded_repo.root / relpath).read_text(encoding="utf-8")
    graded_repo.write(relpath, text.replace("levels: [一级, 二级]\n", "levels: [三级]\n"))
    assert yibao("validate", cwd=graded_repo.root).rc == 1


def test_a_recency_filter_leaves_out_the_recently_inspected(graded_repo, yibao):
    # the hospital's inspection started 2024-05-06: within 2 months of 2024-06-10, not within 1
    relpath = _draw(graded_repo, yibao, "--count", "1", "--not-inspected-months", "2", types=("定点医疗机构",), date="2024-06-10")
    data = _load(graded_repo, relpath)
    assert data["frame"]["not_inspected_months"] == 2 and "2 个月内未开始过检查" in data["frame"]["description"]
    assert data["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL_2]) and [r["institution"] for r in data["result"]] == [HOSPITAL_2]
    assert yibao("validate", cwd=graded_repo.root).rc == 0
    hits = _edited(graded_repo, yibao, relpath, "not_inspected_months: 2", "not_inspected_months: 1")
    assert any("抽取范围机构数" in h.message for h in hits)
    # and dropped altogether
    text = (graded_repo.root / relpath).read_text(encoding="utf-8")
    graded_repo.write(relpath, text.replace("  not_inspected_months: 1\n", ""))
    run = yibao("validate", cwd=graded_repo.root)
    assert run.rc == 1 and "draw-not-reproducible" in run.codes


def test_a_withdrawn_inspection_does_not_count_as_recent(graded_repo, yibao, schemas):
    path = f"records/inspection/2024/{INSPECTION_ID}.yaml"
    withdrawn = withdrawn_terms(schemas, "inspection")[0]
    graded_repo.write(path, INSPECTION.replace("status: 已提交报告", f"status: {withdrawn}"))
    relpath = _draw(graded_repo, yibao, "--count", "2", "--not-inspected-months", "2", types=("定点医疗机构",), date="2024-06-10")
    assert _load(graded_repo, relpath)["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL, HOSPITAL_2])


def test_filters_combine_with_strata_and_refuse_an_emptied_stratum(graded_repo, yibao):
    pharmacy = f"records/institution/{PHARMACY}.yaml"
    graded_repo.write(pharmacy, (graded_repo.root / pharmacy).read_text(encoding="utf-8") + "level: 未定级\n")
    # by level: the 一级 hospital and the 未定级 pharmacy stay, the 二级 hospital goes
    relpath = _draw(graded_repo, yibao, "--per-type", "定点医疗机构=1", "定点零售药店=1", "--levels", "一级", "未定级", date="2024-06-10")
    data = _load(graded_repo, relpath)
    assert data["frame"]["strata"] == {"定点医疗机构": 1, "定点零售药店": 1}
    assert [r["institution"] for r in data["result"]] == [HOSPITAL_2, PHARMACY]
    assert yibao("validate", cwd=graded_repo.root).rc == 0
    graded_repo.remove(relpath)
    # by level and recency together: the 二级 hospital was inspected 2024-05-06, so no hospital is left to draw
    run = yibao("draw", "--contract", CONTRACT_ID, "--date", "2024-06-10", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
                "--types", "定点医疗机构", "定点零售药店", "--per-type", "定点医疗机构=1", "定点零售药店=1",
                "--levels", "二级", "未定级", "--not-inspected-months", "2", cwd=graded_repo.root)
    assert run.rc != 0 and "定点医疗机构抽取 1 家，超过抽取范围内的 0 家" in run.err
    # recency with strata: the hospital stratum loses the inspected hospital, the pharmacy stratum keeps its pharmacy
    relpath = _draw(graded_repo, yibao, "--per-type", "定点医疗机构=1", "定点零售药店=1", "--not-inspected-months", "2", date="2024-06-10")
    data = _load(graded_repo, relpath)
    assert data["frame"]["strata"] == {"定点医疗机构": 1, "定点零售药店": 1} and data["frame"]["size"] == 2
    assert [r["institution"] for r in data["result"]] == [HOSPITAL_2, PHARMACY]


def test_unknown_levels_and_bad_months_are_refused(graded_repo, yibao):
    base = ("draw", "--contract", CONTRACT_ID, "--date", "2024-06-10", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
            "--types", "定点医疗机构", "--count", "1")
    run = yibao(*base, "--levels", "四级", cwd=graded_repo.root)
    assert run.rc != 0 and "不认识的机构等级 四级" in run.err
    run = yibao(*base, "--not-inspected-months", "0", cwd=graded_repo.root)
    assert run.rc != 0 and "--not-inspected-months" in run.err
