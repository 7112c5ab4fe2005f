"""A run after a small change re-checks only what the change can affect, and says exactly what a
whole run says.

Random edits of the kinds that move cross-record findings (an institution's type, a staff
member's contracts, references to missing records, deleted, added, broken and duplicate files)
are applied to a copy of the demo records, in a plain folder and in a git work tree; after each
round the cached, incremental run is compared with a run without any cache.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from yibao.speed import cache as cache_module
from yibao.speed import incremental, run as runner
from yibao.speed.cache import Cache
from yibao.check import references
from yibao.check.references import reference_values, referenced_ids
from yibao.load import strict_yaml
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet

PROJECT = Path(__file__).resolve().parent.parent


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                   check=True, capture_output=True)


@pytest.fixture(params=["folder", "git"])
def demo(request, tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(PROJECT / "records", root / "records")
    shutil.copytree(PROJECT / "schemas", root / "schemas")
    old = 1_600_000_000
    for path in (root / "records").rglob("*.yaml"):
        os.utime(path, (old, old))  # older than the racy window, as files of a real checkout are
    # the files were all just written: without this, every one would be "racy" and read again
    monkeypatch.setattr(cache_module, "_RACY_NS", 0)
    if request.param == "git":
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "records")
    return root


def _run(root: Path, cache_dir: Path | None):
    schemas = SchemaSet.load(root / "schemas")
    cache = Cache(root, schemas.fingerprint, cache_dir) if cache_dir is not None else None
    return runner.check_repository(root, schemas, cache=cache, jobs=1, want_data=False)


def _seen(result) -> tuple:
    return [d.text() for d in result.diagnostics], result.files, dict(result.counts), result.internal_errors


def _files(root: Path, kind: str) -> list[Path]:
    return sorted((root / "records" / kind).rglob("*.yaml"))


def _sub(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(pattern, replacement, text, count=1, flags=re.M), encoding="utf-8")


def _edit(root: Path, rng: random.Random) -> str:
    """One random edit; returns what it did (for the failure message)."""
    institutions, inspections = _files(root, "institution"), _files(root, "inspection")
    cases, staff = _files(root, "case"), _files(root, "staff")
    choice = rng.randrange(9)
    if choice == 0 and institutions:  # an institution changes type: inspections of it may no longer fit
        path = rng.choice(institutions)
        hospital = "type: 定点医疗机构" in path.read_text(encoding="utf-8")
        _sub(path, r"^type: .*$", "type: 定点零售药店" if hospital else "type: 定点医疗机构")
        return f"type of {path.name}"
    if choice == 1 and staff:  # a staff member leaves every contract listed
        path = rng.choice(staff)
        _sub(path, r"^contracts: .*$", "contracts: [HT-2020-SPB]")
        return f"contracts of {path.name}"
    if choice == 2 and inspections:  # a reference to a record that does not exist
        path = rng.choice(inspections)
        _sub(path, r"^institution: .*$", f"institution: H6502030{rng.randrange(9000, 9999)}")
        return f"missing institution in {path.name}"
    if choice == 3 and institutions:  # a referenced record is deleted
        path = rng.choice(institutions)
        path.unlink()
        return f"deleted {path.name}"
    if choice == 4 and inspections:  # the same ID in a second file (another year folder)
        path = rng.choice(inspections)
        copy = path.parent.parent / "2025" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        return f"duplicated {path.name}"
    if choice == 5 and cases:  # a file that no longer loads
        path = rng.choice(cases)
        path.write_text(path.read_text(encoding="utf-8") + "\nsummary: [unclosed\n", encoding="utf-8")
        return f"broke {path.name}"
    if choice == 6 and cases:  # a case about another institution
        path, other = rng.choice(cases), rng.choice(institutions)
        _sub(path, r"^  institution: .*$", f"  institution: {other.stem}")
        return f"subject of {path.name}"
    if choice == 7 and inspections:  # an ID that differs from the file name, used by another file
        path, other = rng.choice(inspections), rng.choice(inspections)
        _sub(path, r"^id: .*$", f"id: {other.stem}")
        return f"id of {path.name} -> {other.stem}"
    if choice == 8:  # a deleted record comes back, restored as it was
        missing = [p for p in (PROJECT / "records").rglob("*.yaml")
                   if not (root / p.relative_to(PROJECT)).exists()]
        if missing:
            source = rng.choice(missing)
            shutil.copyfile(source, root / source.relative_to(PROJECT))
            return f"restored {source.name}"
    return "nothing"


def test_incremental_runs_equal_whole_runs_on_random_edits(demo, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    taken = []
    original = incremental.recheck

    def spy(*args, **kwargs):
        done = original(*args, **kwargs)
        taken.append(done is not None)
        return done

    monkeypatch.setattr(incremental, "recheck", spy)
    assert _seen(_run(demo, cache)) == _seen(_run(demo, None))
    rng = random.Random(20261123)
    for round_ in range(12):
        done = [_edit(demo, rng) for _ in range(rng.randint(1, 4))]
        if (demo / ".git").exists() and round_ % 3 == 2:
            _git(demo, "add", "-A")
            _git(demo, "commit", "-qm", f"round {round_}")
        incremental_result, whole = _seen(_run(demo, cache)), _seen(_run(demo, None))
        assert incremental_result == whole, done
    assert sum(taken) >= 10  # the incremental path was really taken, not the whole-run fallback


def test_a_damaged_state_falls_back_to_a_whole_run(demo, tmp_path):
    cache = tmp_path / "cache"
    _run(demo, cache)
    for state in cache.rglob("state.marshal"):
        state.write_bytes(b"not marshal")
    path = _files(demo, "inspection")[0]
    _sub(path, r"^institution: .*$", "institution: H65020309999")
    assert _seen(_run(demo, cache)) == _seen(_run(demo, None))
    assert any(d.code == "unresolved-reference" for d in _run(demo, cache).diagnostics)


def test_only_the_affected_files_are_read_again(demo, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    _run(demo, cache)
    institution = next(p for p in _files(demo, "institution") if "type: 定点医疗机构" in p.read_text(encoding="utf-8"))
    users = []
    schemas = SchemaSet.load(demo / "schemas")
    for path in (demo / "records").rglob("*.yaml"):
        relpath = str(path.relative_to(demo))
        value, problems, _ = strict_yaml.load_bytes(path.read_bytes())
        if institution.stem in referenced_ids(Record(relpath.split("/")[1], relpath, value), schemas):
            users.append(path)
    checked = []
    original = runner.check_many

    def spy(job, items, *args, **kwargs):
        checked.extend(relpath for relpath, _ in items)
        return original(job, items, *args, **kwargs)

    monkeypatch.setattr(runner, "check_many", spy)
    _sub(institution, r"^type: 定点医疗机构$", "type: 定点零售药店")
    result = _run(demo, cache)
    assert any(d.code == "inspection-type-mismatch" for d in result.diagnostics)
    expected = {str(p.relative_to(demo)) for p in [institution, *users]}
    # and every draw: a draw re-runs itself from all institutions, so it is re-checked after any change to one
    expected |= {str(p.relative_to(demo)) for p in _files(demo, "draw")}
    assert users and set(checked) == expected, (set(checked) - expected, expected - set(checked))


def test_a_hint_for_a_missing_reference_follows_new_records(demo, tmp_path):
    """A new record nobody refers to can still change another file's message: the nearest ID
    suggested for an unresolved reference."""
    cache = tmp_path / "cache"
    inspection = _files(demo, "inspection")[0]
    _sub(inspection, r"^institution: .*$", "institution: H65020399999")
    before = _run(demo, cache)
    source = _files(demo, "institution")[0]
    added = source.with_name("H65020399998.yaml")
    added.write_text(source.read_text(encoding="utf-8").replace(source.stem, added.stem), encoding="utf-8")
    after = _run(demo, cache)
    assert _seen(after) == _seen(_run(demo, None))
    hint = [d.message for d in after.diagnostics if d.code == "unresolved-reference"]
    assert hint and "H65020399998" in hint[0] and hint != [d.message for d in before.diagnostics if d.code == "unresolved-reference"]


def test_records_with_data_after_an_incremental_run_equal_a_fresh_load(demo, tmp_path):
    """A report after a small change gets every record's data: from the cache where it is known,
    read again where the incremental run checked without keeping data."""
    cache = tmp_path / "cache"
    schemas = SchemaSet.load(demo / "schemas")

    def load(cache_dir):
        made = Cache(demo, schemas.fingerprint, cache_dir) if cache_dir is not None else None
        return runner.check_repository(demo, schemas, cache=made, jobs=1, want_data=True)

    load(cache)  # data cached
    _sub(_files(demo, "case")[0], r"^source: .*$", "source: 举报投诉")
    _run(demo, cache)  # incremental, without data
    for _ in range(2):  # the second time the whole run is answered from the cache
        cached, fresh = load(cache), load(None)
        assert [(r.kind, r.path, r.data, r.valid) for r in cached.records] == \
               [(r.kind, r.path, r.data, r.valid) for r in fresh.records]
        assert _seen(cached) == _seen(fresh)


def test_a_state_of_the_wrong_shape_falls_back_to_a_whole_run(demo, tmp_path):
    import marshal

    cache = tmp_path / "cache"
    _run(demo, cache)
    for state in cache.rglob("state.marshal"):
        state.write_bytes(marshal.dumps({"state": {"version": 1, "tokens": [], "ids": {}, "refs": {}, "cross": {},
                                                   "payload": ((), 0, {})}}))
    path = _files(demo, "inspection")[0]
    _sub(path, r"^institution: .*$", "institution: H65020309999")
    assert _seen(_run(demo, cache)) == _seen(_run(demo, None))


# -- a new cross-record rule needs no list of the fields it reads ------------------------------------
def _registered_before_inspection_ended(record, index, schemas, report) -> None:
    """A rule the checks do not have: it reads a related inspection's ``report.submitted_on``, a
    field no cross-record rule read before (a stand-in for the next rule someone writes)."""
    registered = record.get("timeline.registered_on")
    for path, ident in reference_values(record, "related_inspections"):
        inspection = index.get("inspection", ident)
        reported = inspection.get("report.submitted_on") if inspection is not None else None
        if isinstance(reported, str) and isinstance(registered, str) and reported > registered:
            report(record, "registered-before-inspection-ended", f"登记于 {registered}，关联检查 {ident} 于 {reported} 才提交报告", path, True)


def _edit_with_cases(root: Path, rng: random.Random) -> str:
    """The usual random edits, and cases registered early: re-checked, they look up inspections
    that did not change (so only the last run's picture of them is at hand)."""
    cases = [p for p in _files(root, "case") if "related_inspections: [" in p.read_text(encoding="utf-8")]
    if rng.random() < 0.5 and cases:
        path = rng.choice(cases)
        _sub(path, r"^  registered_on: .*$", f"  registered_on: 2020-0{rng.randint(1, 9)}-0{rng.randint(1, 9)}")
        return f"registered_on of {path.name}"
    return _edit(root, rng)


def _new_rule_rounds(demo: Path, cache: Path, rounds: int = 10) -> list[bool]:
    """Random edits; for each round, whether the incremental run equals a whole run."""
    assert _seen(_run(demo, cache)) == _seen(_run(demo, None))
    rng = random.Random(7)
    equal = []
    for _ in range(rounds):
        for _ in range(rng.randint(1, 3)):
            _edit_with_cases(demo, rng)
        equal.append(_seen(_run(demo, cache)) == _seen(_run(demo, None)))
    return equal


@pytest.fixture
def new_rule(monkeypatch):
    """Register the new rule the way every rule is registered, and no other way: no field list."""
    monkeypatch.setitem(references.CROSS_RULES, "case", (*references.CROSS_RULES["case"], _registered_before_inspection_ended))


def test_a_new_cross_record_rule_reading_a_new_field_needs_no_list(demo, tmp_path, new_rule, monkeypatch):
    taken = []
    original = incremental.recheck
    monkeypatch.setattr(incremental, "recheck", lambda *a, **k: (lambda done: taken.append(done is not None) or done)(original(*a, **k)))
    assert all(_new_rule_rounds(demo, tmp_path / "cache"))
    assert any(d.code == "registered-before-inspection-ended" for d in _run(demo, None).diagnostics)
    assert sum(taken) >= 8  # the incremental path was really taken


def test_the_new_rule_goes_wrong_with_a_hand_kept_field_list(demo, tmp_path, new_rule, monkeypatch):
    """Control: with the old way (the state keeps only a hand-kept list of fields per kind, which
    the new rule's field is not on), an incremental run differs from a whole run."""
    old_list = {"institution": ("type", "region_code", "level", "status", "protocol_history"),
                "staff": ("contracts", "joined_on", "left_on", "status"),
                "inspection": ("institution", "inspectors", "start_date", "status"),
                "contract": ("scope", "period"), "draw": ("contract", "result")}
    original = incremental.state_of

    def listed_only(outcomes, *args, **kwargs):
        state = original(outcomes, *args, **kwargs)
        kinds = {o.path: o.kind for o in outcomes}
        state["views"] = {p: {k: v for k, v in view.items() if k in ("id", *old_list.get(kinds[p], ()))}
                          for p, view in state["views"].items() if kinds[p] in old_list}
        return state

    monkeypatch.setattr(incremental, "state_of", listed_only)
    assert not all(_new_rule_rounds(demo, tmp_path / "cache"))
