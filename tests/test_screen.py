"""Claims screening: every rule of ``records/rule/`` on DuckDB and on Spark over the same small
generated data, row by row; every planted violation found, false leads under the stated bound;
a broken rule goes red; the data-folder check; leads pseudonymised; promoted leads are valid cases.

One Spark session (``local[1]``) serves the module; the whole library runs on it as one job.
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from yibao.core.schemas import SchemaSet
from yibao.generate.claims import PLANTERS, STOCK_RULE, generate_claims, policy_from_rules, read_catalogue
from yibao.screen.engines import DuckDBEngine, SparkEngine
from yibao.screen.leads import run_library
from yibao.screen.pseudonym import KeyError_, Pseudonymiser, load_key
from yibao.screen.rules import RuleError, load_rules, render
from yibao.screen.tables import check_folder

from conftest import PROJECT

REFERENCE = PROJECT / "schemas" / "reference"
HOSPITALS = [f"H650203{n:05d}" for n in range(1, 7)]
PHARMACIES = [f"P650203{n:05d}" for n in range(101, 106)]
#: the stated bound on false leads: at most one per 10,000 visits of the clean background
FALSE_LEADS_PER_10K_VISITS = 1
KEY = "test-key-0123456789abcdef0123456789"


@pytest.fixture(scope="module")
def rules():
    found, problems = load_rules(PROJECT, SchemaSet.load(PROJECT / "schemas"))
    assert not problems
    return found


def _generate(folder: Path, rules, fmt: str = "parquet", fee_lines: int = 2500) -> dict:
    policy = policy_from_rules(rules)
    return generate_claims(folder, HOSPITALS, PHARMACIES, read_catalogue(REFERENCE / "catalogue.csv"), policy,
                           fee_lines=fee_lines, seed=7, per_rule=2, fmt=fmt)


@pytest.fixture(scope="module")
def data(tmp_path_factory, rules):
    folder = tmp_path_factory.mktemp("claims")
    counts = _generate(folder, rules)
    return folder, counts


def _sources(folder: Path, rules):
    sources, problems = check_folder(folder, sorted({t for r in rules for t in r.tables}), REFERENCE)
    assert not problems, problems
    return sources


@pytest.fixture(scope="module")
def duck(data, rules):
    engine = DuckDBEngine(memory_limit="1GB", threads=1)
    engine.register(_sources(data[0], rules))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def duck_rows(duck, rules):
    return run_library(duck, rules)


@pytest.fixture(scope="module")
def spark_rows(data, rules):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("yibao-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "1").config("spark.default.parallelism", "1")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        engine = SparkEngine(session=session)
        engine.register(_sources(data[0], rules))
        yield run_library(engine, rules)
    finally:
        session.stop()


def planted(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "planted.jsonl").read_text(encoding="utf-8").splitlines()]


def outcome(rows_by_rule: dict, expected: list[dict]) -> tuple[list[dict], list[tuple]]:
    """(planted violations no lead names, leads that name no planted violation)."""
    missed = []
    matched = set()
    for item in expected:
        hits = [(item["rule"], i) for i, row in enumerate(rows_by_rule.get(item["rule"], []))
                if row[0] == item["institution"] and item["evidence"] in row[6]]
        if not hits:
            missed.append(item)
        matched.update(hits)
    false = [(rule, row) for rule, rows in rows_by_rule.items() for i, row in enumerate(rows) if (rule, i) not in matched]
    return missed, false


# -- the library and the generator agree on what exists -------------------------------------------------
def test_every_rule_has_a_planted_violation(rules):
    assert {r.id for r in rules} == set(PLANTERS) | {STOCK_RULE}


# -- golden: the same rows on both engines ----------------------------------------------------------------
@pytest.mark.parametrize("rule_id", [f"GZ-{n:03d}" for n in range(1, 17)])
def test_rule_gives_the_same_rows_on_duckdb_and_spark(rule_id, duck_rows, spark_rows):
    assert duck_rows[rule_id], f"{rule_id} found nothing: the golden comparison would be empty"
    assert spark_rows[rule_id] == duck_rows[rule_id]


# -- every planted violation found, false leads bounded ------------------------------------------------------
def test_every_planted_violation_is_found_and_false_leads_stay_under_the_bound(data, duck_rows):
    folder, counts = data
    expected = planted(folder)
    assert {item["rule"] for item in expected} == set(duck_rows)
    missed, false = outcome(duck_rows, expected)
    assert not missed
    assert len(false) <= counts["mdtrt"] * FALSE_LEADS_PER_10K_VISITS // 10_000, false


#: a plausible slip in each rule (an operator turned, a threshold moved, a key left out of a join)
BREAKS = {
    "GZ-001": ("sql", "HAVING COUNT(*) > 1", "HAVING COUNT(*) > 2"),
    "GZ-002": ("sql", "f.pric > c.price_cap", "f.pric > c.price_cap * 2"),
    "GZ-003": ("param", "min_components", 4),
    "GZ-004": ("sql", "c.lmt_gend <> m.gend", "c.lmt_gend = m.gend"),
    "GZ-005": ("sql", "< c.lmt_age_min", "< c.lmt_age_min - 10"),
    "GZ-006": ("param", "child_age", 60),
    "GZ-007": ("param", "max_days", 120),
    "GZ-008": ("sql", "LAG(", "LEAD("),
    "GZ-009": ("param", "readmit_days", 3),
    "GZ-010": ("param", "min_idle_days", 8),
    "GZ-011": ("sql", "a.fixmedins_code <> b.fixmedins_code", "a.fixmedins_code = b.fixmedins_code"),
    "GZ-012": ("sql", "r.qty > COALESCE", "r.qty < COALESCE"),
    "GZ-013": ("param", "window_days", 1),
    "GZ-014": ("param", "nondrug_categories", ["药品"]),
    "GZ-015": ("param", "tolerance", 500),
    "GZ-016": ("param", "cap", 1_000_000),
}


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_a_broken_rule_goes_red(rule_id, rules, duck, data):
    rule = next(r for r in rules if r.id == rule_id)
    how, what, to = BREAKS[rule_id]
    if how == "sql":
        assert what in rule.data["sql"]
        broken = dataclasses.replace(rule, data={**rule.data, "sql": rule.data["sql"].replace(what, to)})
    else:
        broken = dataclasses.replace(rule, parameters={**rule.parameters, what: to})
    expected = [item for item in planted(data[0]) if item["rule"] == rule_id]
    missed, false = outcome(run_library(duck, [broken]), expected)
    assert missed or false, f"{rule_id} broken ({what} -> {to}) still passes: its test could not see the slip"
    missed, false = outcome(run_library(duck, [rule]), expected)
    assert not missed and not false


# -- CSV data reads as Parquet does -----------------------------------------------------------------------------------
def test_csv_folder_gives_the_same_leads(tmp_path, rules, duck_rows):
    _generate(tmp_path, rules, fmt="csv")
    engine = DuckDBEngine(memory_limit="1GB", threads=1)
    try:
        engine.register(_sources(tmp_path, rules))
        assert run_library(engine, rules) == duck_rows
    finally:
        engine.close()


# -- the data-folder check: every problem at once -------------------------------------------------------------------
def test_data_folder_problems_are_reported_together(tmp_path, data, rules):
    import duckdb

    folder = tmp_path / "bad"
    shutil.copytree(data[0], folder)
    shutil.rmtree(folder / "diag")  # a missing table
    con = duckdb.connect()
    # fee without cnt, with the amount as text; stock's stat_month as text in a CSV with a bad date
    part = (folder / "fee" / "part-0000.parquet").as_posix()
    con.execute(f"COPY (SELECT * EXCLUDE (cnt) REPLACE (CAST(pric AS VARCHAR) AS pric) FROM read_parquet('{part}')) "
                f"TO '{(tmp_path / 'fee.parquet').as_posix()}' (FORMAT parquet)")
    shutil.rmtree(folder / "fee")
    shutil.move(tmp_path / "fee.parquet", folder / "fee.parquet")
    stock = (folder / "stock" / "part-0000.parquet").as_posix()
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 3 THEN '2024-13-01' ELSE CAST(stat_month AS VARCHAR) END AS stat_month) "
                f"FROM read_parquet('{stock}')) TO '{(tmp_path / 'stock.csv').as_posix()}' (FORMAT csv, HEADER true)")
    shutil.rmtree(folder / "stock")
    shutil.move(tmp_path / "stock.csv", folder / "stock.csv")
    _, problems = check_folder(folder, sorted({t for r in rules for t in r.tables}), REFERENCE)
    codes = sorted((p.code, Path(p.path).name) for p in problems)
    assert codes == [("column-missing", "fee.parquet"), ("column-type", "fee.parquet"), ("column-value", "stock.csv"),
                     ("table-missing", "diag.parquet")]
    bad_value = next(p for p in problems if p.code == "column-value")
    assert bad_value.line == 4 and "2024-13-01" in bad_value.message and "stat_month" in bad_value.message
    assert all(re.search(r"[\u4e00-\u9fff]", p.message) for p in problems)


# -- parameters ----------------------------------------------------------------------------------------------------
def test_parameters_render_as_exact_literals():
    sql = render("SELECT {{n}}, {{r}}, {{s}}, {{l}} FROM {{t}}", {
        "n": 15, "r": __import__("decimal").Decimal("0.08"), "s": "O'Brien", "l": ["药品", "医用耗材"],
        "t": [{"category": "特困人员", "rate": 1, "cap": None}]})
    assert sql == ("SELECT 15, CAST('0.08' AS DECIMAL(18,6)), 'O''Brien', ('药品', '医用耗材') FROM "
                   "(SELECT * FROM (VALUES ('特困人员', CAST('1' AS DECIMAL(18,6)), NULL)) AS t(category, rate, cap))")
    with pytest.raises(RuleError, match="没有定义的参数"):
        render("SELECT {{missing}}", {})
    with pytest.raises(RuleError, match="没有用到"):
        render("SELECT 1", {"spare": 1})


# -- pseudonyms -------------------------------------------------------------------------------------------------------
def test_pseudonyms_are_keyed_stable_and_fit_the_schema(tmp_path, monkeypatch):
    a, b = Pseudonymiser(KEY.encode()), Pseudonymiser(b"another-key-0123456789")
    code, key = a("PSN00000000001")
    assert re.fullmatch(r"CB-[0-9A-HJKMNP-TV-Z]{8}", code) and re.fullmatch(r"[0-9a-f]{32}", key)
    assert a("PSN00000000001") == (code, key) and b("PSN00000000001") != (code, key)
    monkeypatch.delenv("YIBAO_PSEUDONYM_KEY", raising=False)
    with pytest.raises(KeyError_, match="缺少化名密钥"):
        load_key(None)
    inside = tmp_path / "repo" / "key.txt"
    inside.parent.mkdir()
    inside.write_text(KEY)
    with pytest.raises(KeyError_, match="仓库之外"):
        load_key(str(inside), tmp_path / "repo")
    outside = tmp_path / "key.txt"
    outside.write_text("short")
    with pytest.raises(KeyError_, match="太短"):
        load_key(str(outside), tmp_path / "repo")


# -- the commands: generate, screen, promote; cases valid and free of personal data ------------------------------------
def test_screen_and_promote_end_to_end(tmp_path, yibao, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(PROJECT / "records", repo / "records")
    shutil.copytree(PROJECT / "schemas", repo / "schemas")
    data = tmp_path / "data"
    run = yibao("-C", str(repo), "generate-claims", "--data", str(data), "--contract", "HT-2024-KLMY", "--fee-lines", "1500")
    assert run.rc == 0, run.out + run.err
    monkeypatch.delenv("YIBAO_PSEUDONYM_KEY", raising=False)
    run = yibao("-C", str(repo), "screen", "--data", str(data))
    assert run.rc == 2 and "缺少化名密钥" in run.err and "Traceback" not in run.err
    monkeypatch.setenv("YIBAO_PSEUDONYM_KEY", KEY)
    run = yibao("-C", str(repo), "screen", "--data", str(data), "--period", "2024-01-01..2024-12-31")
    assert run.rc == 0, run.out + run.err
    (folder,) = (data / "leads").iterdir()
    leads = [json.loads(line) for line in (folder / "leads.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(leads) == len(planted(data))
    text = (folder / "leads.jsonl").read_text(encoding="utf-8") + (folder / "summary.json").read_text(encoding="utf-8")
    assert "PSN" not in text  # person numbers never leave the engine
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert "CB-" not in json.dumps(summary) and summary["leads"] == len(leads)
    chosen = [next(l for l in leads if l["rule"] == rule) for rule in ("GZ-009", "GZ-013")]
    run = yibao("-C", str(repo), "lead", "promote", "--data", str(data), "--date", "2024-10-08", *(l["lead_id"] for l in chosen))
    assert run.rc == 0, run.out + run.err
    written = re.findall(r"已写入 (records/case/\S+\.yaml)", run.out)
    assert len(written) == 2
    run = yibao("-C", str(repo), "validate", "--no-cache", *written)
    assert run.rc == 0, run.out
    for path, lead in zip(written, chosen):
        body = (repo / path).read_text(encoding="utf-8")
        assert "source: 数据筛查" in body and lead["lead_id"] in body and lead["violation_type"] in body
        import yaml

        assert yaml.safe_load(body)["screening"] == {"rule": lead["rule"], "run": folder.name, "lead": lead["lead_id"]}
        assert "PSN" not in body and "CB-" not in body and not any(e in body for e in lead["evidence"])
    promoted = (folder / "promoted.jsonl").read_text(encoding="utf-8")
    assert all(l["lead_id"] in promoted for l in chosen)
    run = yibao("-C", str(repo), "screen", "--data", str(tmp_path / "nowhere"))
    assert run.rc == 1 and "data-folder-missing" in run.out
