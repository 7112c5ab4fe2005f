"""双随机 draws (compute.draw): the ranking is the shell's ``sha256sum``; strata, inspectors,
conflicts and the frame hash behave as documented."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess

import pytest

from yibao.core import draw as d

SEED = "2024-06-03 上证综指收盘 3078.49"
IDS = ["H65020300001", "H65020300002", "H65020300003", "P65020300001", "P65020300002"]


def test_ranking_is_the_shells_sha256sum():
    by_shell = {}
    for ident in IDS:
        out = subprocess.run(["sh", "-c", 'printf \'%s\\n%s\' "$1" "$2" | sha256sum', "sh", SEED, ident],
                             capture_output=True, check=True).stdout.decode()
        by_shell[ident] = out.split()[0]
    assert all(by_shell[i] == d.rank_key(SEED, i) for i in IDS)
    assert d.rank(SEED, IDS) == sorted(IDS, key=lambda i: by_shell[i])
    assert d.pick(SEED, IDS, 2) == sorted(IDS, key=lambda i: by_shell[i])[:2]


def test_frame_hash_is_the_shells():
    joined = "\n".join(sorted(IDS))
    out = subprocess.run(["sh", "-c", 'printf \'%s\' "$1" | sha256sum', "sh", joined],
                         capture_output=True, check=True).stdout.decode()
    assert d.ids_sha256(reversed(IDS)) == out.split()[0]


def test_stratified_takes_k_per_stratum_in_draw_order():
    frame = {i: ("定点医疗机构" if i[0] == "H" else "定点零售药店") for i in IDS}
    got = d.run_draw(SEED, frame, ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC"], {"定点医疗机构": 2, "定点零售药店": 1}, 2)
    targets = [r["institution"] for r in got.result]
    assert targets == d.pick(SEED, IDS[:3], 2) + d.pick(SEED, IDS[3:], 1)
    assert got.strata == {"定点医疗机构": 3, "定点零售药店": 2} and got.frame_size == 5
    for r in got.result:
        assert len(r["inspectors"]) == 2
        assert r["inspectors"] == d.pick(f"{SEED}\ninspectors\n{r['institution']}", ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC"], 2)
    with pytest.raises(d.DrawError):
        d.run_draw(SEED, frame, ["RY-AAAAAA", "RY-BBBBBB"], {"定点零售药店": 3}, 2)


def test_conflicts_are_excluded():
    pool = ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC", "RY-DDDDDD"]
    free = d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2)
    chosen = free.result[0]["inspectors"]
    bound = d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2, {IDS[0]: chosen})
    assert set(bound.result[0]["inspectors"]) == set(pool) - set(chosen)
    with pytest.raises(d.DrawError):
        d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2, {IDS[0]: pool[:3]})


def test_a_different_seed_draws_differently():
    many = [f"H650203{n:05d}" for n in range(40)]
    assert d.pick(SEED, many, 5) != d.pick(SEED + "0", many, 5)
    assert d.ids_sha256(many) == hashlib.sha256("\n".join(many).encode()).hexdigest()


# -- the record, the command and the check rules ----------------------------------------------------------
from conftest import CJK, CONTRACT_ID, HOSPITAL, INSPECTION, INSPECTION_ID, PHARMACY, STAFF_A, STAFF_B, staff  # noqa: E402

STAFF_C, STAFF_D = "RY-A00003", "RY-A00004"
I = f"records/inspection/2024/{INSPECTION_ID}.yaml"


def _draw(full_repo, yibao, *extra, types=("定点医疗机构", "定点零售药店"), date="2024-06-03"):
    for person in (STAFF_C, STAFF_D):
        full_repo.write(f"records/staff/{person}.yaml", staff(person))
    run = yibao("draw", "--contract", CONTRACT_ID, "--date", date, "--seed", SEED,
                "--seed-source", "抽取前一日在局网站公告：以当日上证综指收盘点位为种子", "--types", *types, *extra, cwd=full_repo.root)
    assert run.rc == 0, run.out + run.err
    assert CJK.search(run.err) and "复核：yibao draw verify" in run.err
    (path,) = (full_repo.root / "records/draw").iterdir()
    return path.relative_to(full_repo.root).as_posix()


def _load(full_repo, relpath):
    import yaml

    return yaml.safe_load((full_repo.root / relpath).read_text(encoding="utf-8"))


def test_a_draw_made_by_the_command_validates_and_verifies(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--per-type", "定点医疗机构=1", "定点零售药店=1")
    data = _load(full_repo, relpath)
    assert data["frame"]["ids_sha256"] == d.ids_sha256([HOSPITAL, PHARMACY]) and data["frame"]["size"] == 2
    assert data["pool"]["ids_sha256"] == d.ids_sha256([STAFF_A, STAFF_B, STAFF_C, STAFF_D])
    assert [r["institution"] for r in data["result"]] == [HOSPITAL, PHARMACY]
    for r in data["result"]:
        assert r["inspectors"] == d.pick(d.inspector_seed(SEED, r["institution"]), [STAFF_A, STAFF_B, STAFF_C, STAFF_D], 2)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    run = yibao("draw", "verify", relpath, cwd=full_repo.root)
    assert run.rc == 0 and "复核通过" in run.out


def _tampered(full_repo, yibao, relpath, old, new):
    text = (full_repo.root / relpath).read_text(encoding="utf-8")
    assert old in text
    full_repo.write(relpath, text.replace(old, new, 1))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1
    assert yibao("draw", "verify", cwd=full_repo.root).rc == 1
    return [x for x in run.diagnostics if x.code == "draw-not-reproducible"]


def test_a_tampered_result_is_caught(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", types=("定点医疗机构",))
    data = _load(full_repo, relpath)
    chosen = data["result"][0]["inspectors"]
    other = next(p for p in (STAFF_A, STAFF_B, STAFF_C, STAFF_D) if p not in chosen)
    hits = _tampered(full_repo, yibao, relpath, chosen[1], other)
    assert len(hits) == 1 and "检查人员应为" in hits[0].message and hits[0].line == full_repo.line_of(relpath, other)


def test_a_tampered_frame_hash_is_caught(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1")
    real = _load(full_repo, relpath)["frame"]["ids_sha256"]
    hits = _tampered(full_repo, yibao, relpath, real, "f" * 64)
    assert len(hits) == 1 and "抽取范围的 SHA-256" in hits[0].message and real in hits[0].message


def test_a_changed_seed_is_caught(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", "--inspectors", "3")
    hits = _tampered(full_repo, yibao, relpath, SEED, SEED + "1")
    assert hits and all(CJK.search(h.message) for h in hits)


def test_a_changed_frame_after_the_draw_date_does_not_matter_but_a_removed_member_does(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", "--inspectors", "3")
    full_repo.write(f"records/staff/RY-A00009.yaml", staff("RY-A00009").replace("education: 本科\n", "education: 本科\njoined_on: 2024-07-01\n"))
    assert yibao("validate", cwd=full_repo.root).rc == 0  # joined after the draw: not in its pool
    full_repo.remove(f"records/staff/{STAFF_D}.yaml")
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1 and any("人员库的 SHA-256" in x.message for x in run.diagnostics if x.code == "draw-not-reproducible")


def test_last_inspectors_are_excluded(full_repo, yibao):
    # the base inspection of the hospital (2024-05-06) was made by A and B
    relpath = _draw(full_repo, yibao, "--count", "1", "--exclude-last-inspectors", types=("定点医疗机构",))
    assert _load(full_repo, relpath)["result"] == [{"institution": HOSPITAL, "inspectors": d.pick(d.inspector_seed(SEED, HOSPITAL), [STAFF_C, STAFF_D], 2)}]
    assert yibao("validate", cwd=full_repo.root).rc == 0
    # a draw that ignores the exclusion but says it made it is not reproducible
    text = (full_repo.root / relpath).read_text(encoding="utf-8")
    full_repo.write(relpath, text.replace("exclude_last_inspectors: true", "exclude_last_inspectors: false"))
    free = d.pick(d.inspector_seed(SEED, HOSPITAL), [STAFF_A, STAFF_B, STAFF_C, STAFF_D], 2)
    if free != [STAFF_C, STAFF_D]:
        assert yibao("validate", cwd=full_repo.root).rc == 1


def _double_random(full_repo, draw_id=None, inspectors=None, start="2024-06-10"):
    text = INSPECTION.replace("type: 日常巡查", "type: 双随机抽查").replace("start_date: 2024-05-06", f"start_date: {start}")
    text = text.replace("end_date: 2024-05-07", f"end_date: {start}").replace("submitted_on: 2024-05-08", f"submitted_on: {start}")
    if inspectors is not None:
        text = text.replace(f"inspectors: [{STAFF_A}, {STAFF_B}]", f"inspectors: [{', '.join(inspectors)}]")
    if draw_id:
        text = text.replace("inspectors:", f"draw: {draw_id}\ninspectors:", 1)
    full_repo.write("records/inspection/2024/JC-2024-000009.yaml", text.replace(INSPECTION_ID, "JC-2024-000009"))
    return "records/inspection/2024/JC-2024-000009.yaml"


def test_an_inspection_must_match_its_draw(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", types=("定点医疗机构",))
    data = _load(full_repo, relpath)
    chosen = data["result"][0]["inspectors"]
    path = _double_random(full_repo, data["id"], chosen)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    other = next(p for p in (STAFF_A, STAFF_B, STAFF_C, STAFF_D) if p not in chosen)
    _double_random(full_repo, data["id"], [chosen[0], other])
    hit = yibao("validate", cwd=full_repo.root).only("draw-mismatch")
    assert hit.path == path and f"未被抽中：{other}" in hit.message and hit.line == full_repo.line_of(path, "inspectors:")


def test_an_unselected_institution_is_caught(full_repo, yibao):
    relpath = _draw(full_repo, yibao, "--count", "1", types=("定点零售药店",))
    path = _double_random(full_repo, _load(full_repo, relpath)["id"])
    hit = yibao("validate", cwd=full_repo.root).only("draw-mismatch")
    assert hit.path == path and f"没有抽中 {HOSPITAL}" in hit.message


def test_a_double_random_inspection_needs_a_draw_from_the_date_in_the_vocabulary(full_repo, yibao):
    import json

    path = _double_random(full_repo)
    assert yibao("validate", cwd=full_repo.root).rc == 0  # before the date in x-requires-draw
    vocab_path = full_repo.root / "schemas/vocabulary.schema.json"
    vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    term, _ = next(iter(vocab["$defs"]["inspection_type"]["x-requires-draw"].items()))
    vocab["$defs"]["inspection_type"]["x-requires-draw"] = {term: "2024-01-01"}
    vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    hit = yibao("validate", cwd=full_repo.root).only("draw-mismatch")
    assert hit.path == path and "必须引用双随机抽取记录" in hit.message


def test_incremental_runs_recheck_draws_when_what_they_read_changes(tmp_path, monkeypatch, yibao):
    """A draw reads every institution, team member and inspection: a cached run after a change of
    any of them says what a whole run says."""
    import os
    from pathlib import Path

    from yibao.speed import cache as cache_module
    from yibao.speed import incremental, run as runner
    from yibao.speed.cache import Cache
    from yibao.core.schemas import SchemaSet

    project = Path(__file__).resolve().parent.parent
    root = tmp_path / "repo"
    shutil.copytree(project / "records", root / "records")
    shutil.copytree(project / "schemas", root / "schemas")
    monkeypatch.setattr(cache_module, "_RACY_NS", 0)
    run = yibao("draw", "--contract", "HT-2024-KLMY", "--date", "2024-06-03", "--seed", SEED, "--seed-source", "抽取前一日在局网站公告",
                "--types", "定点医疗机构", "--count", "3", "--exclude-last-inspectors", cwd=root)
    assert run.rc == 0, run.err
    for path in (root / "records").rglob("*.yaml"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    taken = []
    original = incremental.recheck
    monkeypatch.setattr(incremental, "recheck", lambda *a, **k: taken.append(1) or original(*a, **k))

    def both():
        schemas = SchemaSet.load(root / "schemas")
        cached = runner.check_repository(root, schemas, cache=Cache(root, schemas.fingerprint, tmp_path / "cache"), jobs=1, want_data=False)
        whole = runner.check_repository(root, schemas, cache=None, jobs=1, want_data=False)
        assert [x.text() for x in cached.diagnostics] == [x.text() for x in whole.diagnostics]
        return [x for x in whole.diagnostics if x.code == "draw-not-reproducible"]

    assert both() == []
    (draw_path,) = [p for p in (root / "records/draw").iterdir() if "HT-2024-KLMY" in p.read_text(encoding="utf-8")]  # not the demo's own draw
    import yaml
    drawn = yaml.safe_load(draw_path.read_text(encoding="utf-8"))["result"]
    staff_file = next(p for p in (root / "records/staff").iterdir() if p.stem == drawn[0]["inspectors"][0])
    text = staff_file.read_text(encoding="utf-8")
    staff_file.write_text(re.sub(r"(?m)^joined_on: .*\n", "", text) + "joined_on: 2024-07-01\n", encoding="utf-8")
    assert any("人员库" in x.message for x in both())
    staff_file.write_text(text, encoding="utf-8")
    assert both() == []
    institution = root / f"records/institution/{drawn[0]['institution']}.yaml"
    text = institution.read_text(encoding="utf-8")
    institution.write_text(text.replace("type: 定点医疗机构", "type: 定点零售药店", 1), encoding="utf-8")
    assert any("抽取范围" in x.message for x in both())
    institution.write_text(text, encoding="utf-8")
    assert both() == []
    assert taken  # the cached runs went the incremental way
