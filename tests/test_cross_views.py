"""Cross-record rules see a view of each record (what is cached and kept between runs), and the view
holds exactly what the rules read — derived from the rules' own code, so no list can be forgotten.

The proof that the derivation is complete: every rule gives the same findings on views as on whole
records, over the demo and a generated repository. A rule that reads a field under a name built at
run time defeats the derivation, and this test is what catches it (planted below).
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from yibao.check import references
from yibao.check.references import Index, check_references, cross_view, fields_read, view_spec
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet
from yibao.speed.run import check_repository

PROJECT = Path(__file__).resolve().parent.parent


def findings(records: list[Record], schemas: SchemaSet) -> list[tuple]:
    out = []

    def report(record, code, message, at, warning=False):
        out.append((record.path, code, message, tuple(at), warning))

    check_references(records, Index.build(records), schemas, report)
    return sorted(out)


def scramble(records: list[Record], seed: int) -> None:
    """Swap field values between records of the same kind (references, types, dates, statuses, and
    keys inside nested fields), so that the rules have plenty to find."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Record]] = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record)
    for group in by_kind.values():
        for record in rng.sample(group, len(group) // 4):
            other = rng.choice(group)
            for name in list(record.data):
                if name == "id" or name not in other.data or rng.random() < 0.5:
                    continue
                mine, theirs = record.data[name], other.data[name]
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    for key in set(mine) & set(theirs):
                        if rng.random() < 0.5:
                            mine[key], theirs[key] = theirs[key], mine[key]
                else:
                    record.data[name], other.data[name] = theirs, mine


def whole_and_views(root: Path, seed: int | None = None) -> tuple[list[tuple], list[tuple]]:
    schemas = SchemaSet.load(root / "schemas")
    result = check_repository(root, schemas, jobs=1, want_data=True)
    whole = [r for r in result.records if r.valid]
    assert len(whole) > 100
    if seed is not None:
        scramble(whole, seed)
    spec = view_spec(schemas)
    views = [Record(r.kind, r.path, cross_view(r.data, spec), r.valid) for r in whole]
    return findings(whole, schemas), findings(views, schemas)


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_rules_find_the_same_on_views_as_on_whole_records_demo(seed):
    whole, views = whole_and_views(PROJECT, seed)
    assert whole == views
    if seed is not None:  # scrambled, the rules have much to say, and say it alike on views
        assert len({code for _, code, *_ in whole}) >= 5, sorted({code for _, code, *_ in whole})


def test_rules_find_the_same_on_views_as_on_whole_records_generated(tmp_path):
    from yibao.generate import generate_repository

    generate_repository(tmp_path / "gen", 400, 11, schemas_dir=PROJECT / "schemas")
    whole, views = whole_and_views(tmp_path / "gen", 4)
    assert whole == views and whole


def _reads_a_built_name(record, index, schemas, report):
    """A rule that names its field at run time: the derivation cannot see it."""
    for path, ident in references.reference_values(record, "related_inspections"):
        inspection = index.get("inspection", ident)
        if inspection is not None and inspection.get("_".join(["end", "date"])) is None:
            report(record, "planted", f"{ident} 没有结束日期", path, True)


def test_a_field_named_at_run_time_is_caught(monkeypatch):
    monkeypatch.setitem(references.CROSS_RULES, "case", (*references.CROSS_RULES["case"], _reads_a_built_name))
    monkeypatch.setattr(references, "fields_read", lambda roots: fields_read(roots) - {"end_date"})
    references._FIELDS.clear()
    references._SPECS.clear()
    try:
        whole, views = whole_and_views(PROJECT, 1)
    finally:
        references._FIELDS.clear()
        references._SPECS.clear()
    assert whole != views
    assert any(code == "planted" for _, code, *_ in views)


def test_a_new_field_a_rule_names_joins_the_view():
    def rule(record, index, schemas, report):
        return record.get("report.submitted_on"), record.get("budget")

    found = fields_read([rule])
    assert {"report.submitted_on", "budget"} <= found


def test_fields_in_constants_and_helpers_are_followed():
    # bound_to_contract reads dates through a module constant naming each kind's date fields
    found = fields_read([references.CROSS_RULES["training"][0]])
    assert {"start_date", "end_date", "timeline.registered_on", "protocol_history"} <= found


def test_the_check_cache_key_follows_the_fields(monkeypatch, tmp_path):
    from yibao.speed.cache import Cache

    schemas = SchemaSet.load(PROJECT / "schemas")
    before = Cache(PROJECT, schemas.fingerprint, tmp_path).dir
    def reads_a_new_field(record, index, schemas, report):
        record.get("a_new_field")

    monkeypatch.setitem(references.CROSS_RULES, "case", (*references.CROSS_RULES["case"], _reads_a_built_name,
                                                          reads_a_new_field))
    references._FIELDS.clear()
    try:
        after = Cache(PROJECT, schemas.fingerprint, tmp_path).dir
    finally:
        references._FIELDS.clear()
    assert before != after


def test_a_rule_reading_every_record_of_a_kind_must_say_so(monkeypatch):
    """READS_EVERY tells incremental runs which changes matter to such a rule; a rule that reads every
    record of a kind without an entry there stops the run instead of going quietly stale."""
    def counts_trainings(record, index, schemas, report):
        len(list(index.records_of("training")))

    monkeypatch.setitem(references.CROSS_RULES, "case", (*references.CROSS_RULES["case"], counts_trainings))
    schemas = SchemaSet.load(PROJECT / "schemas")
    records = [r for r in check_repository(PROJECT, schemas, jobs=1, want_data=True).records if r.valid]
    with pytest.raises(references.UndeclaredRead, match="training"):
        findings(records, schemas)
    monkeypatch.setitem(references.READS_EVERY, "case", (("training", lambda record, versions: True),))
    findings(records, schemas)  # declared: runs


def test_the_fields_are_worked_out_once_and_kept_with_the_cache(tmp_path, monkeypatch):
    from yibao.speed.cache import Cache

    schemas = SchemaSet.load(PROJECT / "schemas")
    references._FIELDS.clear()
    cache = Cache(PROJECT, schemas.fingerprint, tmp_path)
    cache.rule_fields()
    assert (cache.dir / "fields.marshal").is_file()
    references._FIELDS.clear()
    monkeypatch.setattr(references, "fields_read", lambda roots: pytest.fail("parsed the rules again"))
    Cache(PROJECT, schemas.fingerprint, tmp_path).rule_fields()
    assert references.rule_fields() >= {"protocol_history", "timeline.registered_on"}
    references._FIELDS.clear()
