"""双随机 draws: risk tiers (filter and strata), the bureau's inspectors with the roles a draw requires
(at least two inspectors per target, 条例 Art. 29), and declared conflicts (回避). Each rule is recorded
in the draw or in the repository's data, re-applied by CI (``draw-not-reproducible``) exactly as
``yibao draw`` applied it, so a draw that ignores one of them is caught."""
from __future__ import annotations

import datetime as _dt
import subprocess

import pytest

from conftest import CONTRACT_ID, HOSPITAL, PHARMACY, STAFF_A, STAFF_B, staff
from test_draw import SEED, STAFF_C, STAFF_D, _load
from yibao.core import draw as d
from yibao.core.record import Record

D = _dt.date
BUREAU = "RY-B00001"  # the bureau's 执法人员
POOL = [STAFF_A, STAFF_B, STAFF_C, STAFF_D]
HOSPITAL_PATH = f"records/institution/{HOSPITAL}.yaml"
PHARMACY_PATH = f"records/institution/{PHARMACY}.yaml"


def _draw(repo, yibao, *extra, types=("定点医疗机构", "定点零售药店"), date="2024-06-03"):
    """``yibao draw`` with team members C and D on the team (their records kept when already written)."""
    for person in (STAFF_C, STAFF_D):
        if not (repo.root / f"records/staff/{person}.yaml").exists():
            repo.write(f"records/staff/{person}.yaml", staff(person))
    run = yibao("draw", "--contract", CONTRACT_ID, "--date", date, "--seed", SEED,
                "--seed-source", "抽取前一日在局网站公告：以当日上证综指收盘点位为种子", "--types", *types, *extra, cwd=repo.root)
    assert run.rc == 0, run.out + run.err
    (path,) = (repo.root / "records/draw").iterdir()
    return path.relative_to(repo.root).as_posix()


def _assess(repo, relpath, *entries):
    """Append risk assessments (tier, since) to an institution record."""
    lines = "".join(f"  - tier: {tier}\n    since: {since}\n    source: 测试区医疗保障局定点医药机构风险评估\n" for tier, since in entries)
    repo.write(relpath, (repo.root / relpath).read_text(encoding="utf-8") + "risk_assessments:\n" + lines)


def _bureau_inspector(repo, ident=BUREAU, joined="2024-01-02"):
    text = staff(ident, role="执法人员").replace("contractor: 测试医保咨询有限公司", "contractor: 测试区医疗保障局")
    repo.write(f"records/staff/{ident}.yaml", text + f"joined_on: {joined}\n")


def _declare(repo, person, institution, declared_on):
    path = f"records/staff/{person}.yaml"
    text = (repo.root / path).read_text(encoding="utf-8") if (repo.root / path).exists() else staff(person)
    repo.write(path, text + f"conflicts:\n  - institution: {institution}\n    declared_on: {declared_on}\n    reason: 曾在该机构任职\n")


def _not_reproducible(repo, yibao, relpath):
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 1, run.out
    assert yibao("draw", "verify", relpath, cwd=repo.root).rc == 1
    hits = [x for x in run.diagnostics if x.code == "draw-not-reproducible"]
    assert hits
    return hits


def _edit(repo, relpath, old, new):
    text = (repo.root / relpath).read_text(encoding="utf-8")
    assert old in text, text
    repo.write(relpath, text.replace(old, new, 1))


# -- risk tiers ---------------------------------------------------------------------------------------------
def _institution(ident, type_, *assessments):
    data = {"id": ident, "type": type_, "protocol_history": [{"status": "正常", "since": D(2020, 1, 1)}]}
    if assessments:
        data["risk_assessments"] = [{"tier": t, "since": s, "source": "评估"} for t, s in assessments]
    return Record("institution", f"records/institution/{ident}.yaml", data)


def test_the_tier_on_a_day_is_the_latest_assessment_by_then():
    record = _institution("H1", "定点医疗机构", ("高", D(2024, 5, 1)), ("中", D(2023, 1, 1)), ("低", D(2024, 9, 1)))
    assert d.risk_tier_on(record, D(2022, 12, 31)) is None
    assert d.risk_tier_on(record, D(2023, 1, 1)) == "中"
    assert d.risk_tier_on(record, D(2024, 5, 1)) == "高"       # assessed that day: in force that day
    assert d.risk_tier_on(record, D(2024, 8, 31)) == "高"
    assert d.risk_tier_on(record, D(2024, 9, 1)) == "低"


def test_frame_of_filters_and_stratifies_by_tier(schemas):
    from yibao.core.scope import ScopeTerms

    contract = Record("contract", "records/contract/HT.yaml", {"id": "HT", "scope": {"institutions": ["H1", "H2", "H3", "P1"]}})
    institutions = [_institution("H1", "定点医疗机构", ("高", D(2024, 1, 1))), _institution("H2", "定点医疗机构", ("中", D(2024, 1, 1))),
                    _institution("H3", "定点医疗机构"), _institution("P1", "定点零售药店", ("高", D(2024, 7, 1)))]
    terms, day, types = ScopeTerms.of(schemas), D(2024, 6, 10), ["定点医疗机构", "定点零售药店"]
    assert set(d.frame_of(contract, institutions, day, types, terms)) == {"H1", "H2", "H3", "P1"}
    # P1 is assessed 高 only after the day; H3 never
    assert set(d.frame_of(contract, institutions, day, types, terms, risk_tiers=["高"])) == {"H1"}
    assert set(d.frame_of(contract, institutions, day, types, terms, risk_tiers=["高", "中"])) == {"H1", "H2"}
    assert d.frame_of(contract, institutions, day, types, terms, by_risk_tier=True) == {"H1": "高", "H2": "中"}
    assert d.frame_of(contract, institutions, D(2024, 7, 1), types, terms, by_risk_tier=True) == {"H1": "高", "H2": "中", "P1": "高"}


def test_a_risk_tier_filter_is_recorded_and_re_run(full_repo, yibao):
    _assess(full_repo, HOSPITAL_PATH, ("高", "2024-01-10"))
    _assess(full_repo, PHARMACY_PATH, ("低", "2024-01-10"))
    relpath = _draw(full_repo, yibao, "--count", "1", "--risk-tiers", "高", "中")
    data = _load(full_repo, relpath)
    assert data["frame"]["risk_tiers"] == ["高", "中"] and "风险等级为高、中" in data["frame"]["description"]
    assert data["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL]) and [r["institution"] for r in data["result"]] == [HOSPITAL]
    assert yibao("validate", cwd=full_repo.root).rc == 0
    # a reassessment after the draw date does not change the draw
    _assess_more = (full_repo.root / PHARMACY_PATH).read_text(encoding="utf-8")
    full_repo.write(PHARMACY_PATH, _assess_more + "  - tier: 高\n    since: 2024-07-01\n    source: 复评\n")
    assert yibao("validate", cwd=full_repo.root).rc == 0
    # a backdated one does: the pharmacy was 高 on the draw date, so the recorded frame no longer follows
    full_repo.write(PHARMACY_PATH, _assess_more + "  - tier: 高\n    since: 2024-05-01\n    source: 复评\n")
    hits = _not_reproducible(full_repo, yibao, relpath)
    assert any("抽取范围的 SHA-256" in h.message for h in hits)
    full_repo.write(PHARMACY_PATH, _assess_more)
    # the filter edited in the record
    _edit(full_repo, relpath, "risk_tiers: [高, 中]", "risk_tiers: [高, 低]")
    assert any("抽取范围机构数" in h.message for h in _not_reproducible(full_repo, yibao, relpath))


def test_strata_by_risk_tier(full_repo, yibao):
    second = "H65020300004"
    text = (full_repo.root / HOSPITAL_PATH).read_text(encoding="utf-8")
    from yibao.core.codes import make_uscc

    text = "\n".join(f'uscc: "{make_uscc("12650203MB0000004")}"' if line.startswith("uscc:") else line for line in text.split("\n"))
    full_repo.write(f"records/institution/{second}.yaml", text.replace(HOSPITAL, second).replace("测试区人民医院", "测试区第二医院"))
    contract = f"records/contract/{CONTRACT_ID}.yaml"
    _edit(full_repo, contract, f"[{HOSPITAL},", f"[{HOSPITAL}, {second},")
    _assess(full_repo, HOSPITAL_PATH, ("高", "2024-01-10"))
    _assess(full_repo, f"records/institution/{second}.yaml", ("中", "2024-01-10"))
    _assess(full_repo, PHARMACY_PATH, ("高", "2024-01-10"))
    relpath = _draw(full_repo, yibao, "--per-risk-tier", "高=1", "中=1")
    data = _load(full_repo, relpath)
    assert data["frame"]["per_risk_tier"] == {"高": 1, "中": 1} and data["frame"]["count"] == 2
    # the agency (no assessment) is not in a tier-stratified frame
    assert data["frame"]["strata"] == {"中": 1, "高": 2} and data["frame"]["size"] == 3
    high = d.pick(SEED, [HOSPITAL, PHARMACY], 1)
    assert [r["institution"] for r in data["result"]] == [second, *high]  # strata in code point order: 中 before 高
    assert yibao("validate", cwd=full_repo.root).rc == 0
    # counts moved between tiers after the fact
    _edit(full_repo, relpath, "per_risk_tier: {高: 1, 中: 1}", "per_risk_tier: {高: 2}")
    _not_reproducible(full_repo, yibao, relpath)
    # both ways of stratifying at once is refused
    run = yibao("draw", "--contract", CONTRACT_ID, "--date", "2024-06-03", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
                "--types", "定点医疗机构", "--per-type", "定点医疗机构=1", "--per-risk-tier", "高=1", cwd=full_repo.root)
    assert run.rc == 2 and "只能用一个" in run.err


def test_unknown_tiers_and_roles_are_refused(full_repo, yibao):
    base = ("draw", "--contract", CONTRACT_ID, "--date", "2024-06-03", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
            "--types", "定点医疗机构", "--count", "1")
    run = yibao(*base, "--risk-tiers", "极高", cwd=full_repo.root)
    assert run.rc == 2 and "不认识的风险等级 极高" in run.err
    run = yibao(*base, "--require", "局长=1", cwd=full_repo.root)
    assert run.rc == 2 and "--require" in run.err
    run = yibao(*base, "--inspectors", "1", cwd=full_repo.root)
    assert run.rc == 2 and "至少 2 人" in run.err and "第二十九条" in run.err


# -- the bureau's inspectors and required roles ---------------------------------------------------------------
def test_required_roles_are_taken_first_in_draw_order():
    roles = {p: "医学" for p in POOL} | {BUREAU: "执法人员"}
    everyone = [*POOL, BUREAU]
    for target in (HOSPITAL, PHARMACY, "H65020300009"):
        order = d.rank(d.inspector_seed(SEED, target), everyone)
        free = d.pick_inspectors(SEED, target, everyone, 2, roles)
        assert free == order[:2]  # no requirement: the first two, as before
        bound = d.pick_inspectors(SEED, target, everyone, 2, roles, [("执法人员", 1)])
        assert BUREAU in bound and len(bound) == 2
        # the bureau inspector plus the first other one, listed in draw order
        assert bound == [p for p in order if p in {BUREAU, next(x for x in order if x != BUREAU)}]
    with pytest.raises(d.DrawError, match="执法人员只有 1 人"):
        d.pick_inspectors(SEED, HOSPITAL, everyone, 2, roles, [("执法人员", 2)])
    # requirements adding up to more than the minimum raise the number
    assert len(d.pick_inspectors(SEED, HOSPITAL, everyone, 2, roles, [("执法人员", 1), ("医学", 2)])) == 3


def test_required_roles_by_the_shell():
    """The role rule re-run with sha256sum and sort: rank, take the first 执法人员, then the first other."""
    roles = {p: "医学" for p in POOL} | {BUREAU: "执法人员"}
    script = ('for id in "$@"; do printf \'%s\\n%s\' "$seed" "$id" | sha256sum | sed "s/ .*/ $id/"; done | sort')
    seed = d.inspector_seed(SEED, HOSPITAL)
    out = subprocess.run(["sh", "-c", script, "sh", *POOL, BUREAU], env={"seed": seed, "PATH": "/usr/bin:/bin"},
                         capture_output=True, check=True).stdout.decode().split("\n")
    order = [line.split()[1] for line in out if line]
    first_bureau = next(p for p in order if p == BUREAU)
    first_other = next(p for p in order if p != BUREAU)
    expected = [p for p in order if p in (first_bureau, first_other)]
    assert d.pick_inspectors(SEED, HOSPITAL, [*POOL, BUREAU], 2, roles, [("执法人员", 1)]) == expected


def test_a_draw_requiring_a_bureau_inspector(full_repo, yibao):
    _bureau_inspector(full_repo)
    relpath = _draw(full_repo, yibao, "--per-type", "定点医疗机构=1", "定点零售药店=1", "--require", "执法人员=1")
    data = _load(full_repo, relpath)
    assert data["pool"]["roles"] == [{"role": "执法人员", "min": 1}]
    assert data["pool"]["ids_sha256"] == d.ids_sha256([*POOL, BUREAU]) and data["pool"]["size"] == 5
    for entry in data["result"]:
        assert BUREAU in entry["inspectors"] and len(entry["inspectors"]) == 2
    assert yibao("validate", cwd=full_repo.root).rc == 0
    assert yibao("draw", "verify", relpath, cwd=full_repo.root).rc == 0
    # the bureau inspector swapped for a team member: caught
    entry = data["result"][0]
    other = next(p for p in POOL if p not in entry["inspectors"])
    _edit(full_repo, relpath, f"inspectors: [{', '.join(entry['inspectors'])}]",
          f"inspectors: [{', '.join(other if p == BUREAU else p for p in entry['inspectors'])}]")
    assert any("检查人员应为" in h.message for h in _not_reproducible(full_repo, yibao, relpath))


def test_a_requirement_the_pool_cannot_meet_is_refused(full_repo, yibao):
    relpath = None
    run = yibao("draw", "--contract", CONTRACT_ID, "--date", "2024-06-03", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
                "--types", "定点医疗机构", "--count", "1", "--require", "执法人员=1", cwd=full_repo.root)
    assert run.rc == 2 and "可抽取的执法人员只有 0 人" in run.err and relpath is None
    # and a recorded requirement is re-checked: a draw made without it, then said to have had it
    _bureau_inspector(full_repo)
    relpath = _draw(full_repo, yibao, "--count", "1", "--inspectors", "2", types=("定点医疗机构",))
    text = (full_repo.root / relpath).read_text(encoding="utf-8")
    chosen = _load(full_repo, relpath)["result"][0]["inspectors"]
    full_repo.write(relpath, text.replace("exclude_last_inspectors: false", "exclude_last_inspectors: false, roles: [{role: 执法人员, min: 2}]"))
    hits = _not_reproducible(full_repo, yibao, relpath)
    assert any("执法人员只有 1 人" in h.message for h in hits), chosen


def test_the_bureau_inspectors_are_not_on_the_contractors_team(full_repo, yibao, schemas):
    from yibao.check.references import Index  # noqa: F401  (the same records the report reads)
    from yibao.compute.view import RecordIndex
    from yibao.speed.run import check_repository

    _bureau_inspector(full_repo)
    result = check_repository(full_repo.root, schemas, want_data=True)
    index = RecordIndex.build(result.records, schemas)
    team = {p.id for p in index.staff_of(CONTRACT_ID)}
    assert BUREAU not in team and {STAFF_A, STAFF_B} <= team
    # yet the bureau inspector is in the draws' pool
    assert BUREAU in d.pool_of(CONTRACT_ID, [r for r in result.records if r.kind == "staff"], D(2024, 6, 3))


# -- declared conflicts (回避) ------------------------------------------------------------------------------------
def test_declared_conflicts_on_or_before_the_day():
    people = [Record("staff", "records/staff/A.yaml", {"id": "A", "conflicts": [
        {"institution": "H1", "declared_on": D(2024, 5, 1), "reason": "曾在该机构任职"},
        {"institution": "H2", "declared_on": D(2024, 7, 1), "reason": "与该机构有经济往来"}]}),
        Record("staff", "records/staff/B.yaml", {"id": "B", "conflicts": [{"institution": "H1", "declared_on": D(2024, 6, 3)}]})]
    assert d.declared_conflicts(people, D(2024, 6, 3)) == {"H1": ["A", "B"]}
    assert d.declared_conflicts(people, D(2024, 6, 2)) == {"H1": ["A"]}
    assert d.merge_conflicts({"H1": ["A"]}, {"H1": ["A", "C"], "H2": ["B"]}) == {"H1": ["A", "C"], "H2": ["B"]}


def test_a_declared_conflict_is_excluded_and_re_checked(full_repo, yibao):
    # who the hospital would get without conflicts
    free = d.pick(d.inspector_seed(SEED, HOSPITAL), POOL, 2)
    conflicted = free[0]
    _declare(full_repo, conflicted, HOSPITAL, "2024-05-20")
    relpath = _draw(full_repo, yibao, "--count", "1", types=("定点医疗机构",))
    (entry,) = _load(full_repo, relpath)["result"]
    assert conflicted not in entry["inspectors"]
    assert entry["inspectors"] == d.pick(d.inspector_seed(SEED, HOSPITAL), [p for p in POOL if p != conflicted], 2)
    assert yibao("validate", cwd=full_repo.root).rc == 0
    # the draw rewritten to the free result (the conflict ignored): caught
    _edit(full_repo, relpath, f"inspectors: [{', '.join(entry['inspectors'])}]", f"inspectors: [{', '.join(free)}]")
    assert any("检查人员应为" in h.message for h in _not_reproducible(full_repo, yibao, relpath))


def test_a_conflict_declared_after_the_draw_does_not_change_it_but_a_backdated_one_does(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", types=("定点医疗机构",))
    (entry,) = _load(full_repo, relpath)["result"]
    _declare(full_repo, entry["inspectors"][0], HOSPITAL, "2024-06-04")
    assert yibao("validate", cwd=full_repo.root).rc == 0
    _declare(full_repo, entry["inspectors"][1], HOSPITAL, "2024-06-03")  # on the draw date: in force
    assert any("检查人员应为" in h.message for h in _not_reproducible(full_repo, yibao, relpath))


def test_the_readmes_inspector_example_runs_in_a_shell_and_matches_the_demo_draw():
    """The README's loop for the demo draw, run for real: the shell prints the lines the cog block
    wrote, and the inspectors the sentence names are the ones the demo record holds."""
    import pathlib

    import yaml

    import cog_examples

    script, sentence = cog_examples.draw_inspectors_example("CQ-2024-TFQ5PM", "H53048100002")
    printed = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout.decode().splitlines()
    assert printed == [line[2:] for line in script.splitlines() if line.startswith("# ")]
    record = yaml.safe_load((pathlib.Path(cog_examples.ROOT) / "records/draw/CQ-2024-TFQ5PM.yaml").read_text(encoding="utf-8"))
    (entry,) = [e for e in record["result"] if e["institution"] == "H53048100002"]
    assert f"抽中 {'、'.join(entry['inspectors'])}" in sentence
    assert "RY-W2TQAM（申报回避）" in sentence  # the declared conflict is in the demo


def test_an_inspection_by_an_inspector_who_declared_a_conflict_is_flagged(full_repo, yibao):
    """Any inspection, drawn or not: a warning (what happened is recorded, not refused), found again
    when only the staff record changes (the inspection is re-checked from the cache's point of view)."""
    from conftest import INSPECTION_ID

    inspection = f"records/inspection/2024/{INSPECTION_ID}.yaml"  # the hospital, 2024-05-06, by A and B
    assert yibao("validate", cwd=full_repo.root).rc == 0
    _declare(full_repo, STAFF_B, HOSPITAL, "2024-05-07")  # after the start: nothing to say
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0 and "inspector-conflict" not in run.codes
    full_repo.write(f"records/staff/{STAFF_B}.yaml", staff(STAFF_B))
    _declare(full_repo, STAFF_B, HOSPITAL, "2024-05-06")
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    (hit,) = [x for x in run.diagnostics if x.code == "inspector-conflict"]
    assert hit.path == inspection and STAFF_B in hit.message and "申报" in hit.message
    assert hit.line == full_repo.line_of(inspection, "inspectors:")
