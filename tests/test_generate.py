"""Tests for the synthetic-data generator (yibao.generate) and the committed demo dataset.

Generated repositories are written to temporary directories and checked with the real
``yibao validate``; the demo is regenerated and compared byte for byte with what is committed.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from yibao import cli
from yibao.core.codes import is_valid_uscc
from yibao.check.personal_data import find_personal_data
from yibao.generate import (
    CALENDARS,
    DEMO_CONTRACT,
    HOSPITAL,
    PHARMACY,
    AGENCY,
    REGION_SIZE,
    Ids,
    RecordWriter,
    demo_files,
    demo_records,
    generate_demo,
    generate_repository,
    iter_records,
    yaml_scalar,
)
from yibao.load import strict_yaml
from yibao.core.schemas import SchemaSet

PROJECT = Path(__file__).resolve().parents[1]
SCHEMAS = SchemaSet.load(PROJECT / "schemas")
N = 500  # institutions in the shared generated repository (3 regions)


def load_all(root: Path) -> dict[str, dict]:
    """relpath -> data of every record file under root/records (strict loader)."""
    out = {}
    for path in sorted((root / "records").rglob("*.yaml")):
        data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
        assert not problems, (path, problems)
        out[path.relative_to(root).as_posix()] = data
    return out


def by_kind(records: dict[str, dict]) -> dict[str, list[dict]]:
    kinds = defaultdict(list)
    for relpath, data in records.items():
        kinds[relpath.split("/")[1]].append(data)
    return kinds


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def run_cli(*args: str) -> tuple[int, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(list(args))
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("gen") / "repo"
    counts = generate_repository(root, N, seed=42)
    return root, counts


@pytest.fixture(scope="module")
def records(generated) -> dict[str, dict]:
    return load_all(generated[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo") / "repo"
    counts = generate_demo(root, PROJECT)
    return root, counts


# -- determinism -------------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, generated):
    again = tmp_path / "again"
    generate_repository(again, N, seed=42)
    first = {p.relative_to(generated[0]): p.read_bytes() for p in generated[0].rglob("*.yaml")}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*.yaml")}
    assert first == second
    other = tmp_path / "other"
    generate_repository(other, N, seed=43)
    third = {p.relative_to(other): p.read_bytes() for p in other.rglob("*.yaml")}
    assert third != first
    shared = set(first) & set(third)
    assert sum(first[p] != third[p] for p in shared) > len(shared) // 2


def test_ids_are_unique_and_well_formed():
    ids = Ids(7)
    made = [ids.next("JC-2024") for _ in range(100_000)]
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"JC-2024-[0-9A-HJKMNP-TV-Z]{6}", i) for i in made[:1000])
    people = [ids.next("CB", chars=8) for _ in range(1000)]
    assert len(set(people)) == 1000 and all(re.fullmatch(r"CB-[0-9A-HJKMNP-TV-Z]{8}", p) for p in people)
    assert Ids(7).next("JC-2024") == made[0] and Ids(8).next("JC-2024") != made[0]


# -- the generated repository is valid ---------------------------------------------------------
def test_generated_repository_passes_validate(generated):
    rc, output = run_cli("-C", str(generated[0]), "validate")
    assert rc == 0, output
    assert "error[" not in output


def test_counts_by_kind_match_files(generated, records):
    root, counts = generated
    on_disk = Counter(relpath.split("/")[1] for relpath in records)
    assert counts == dict(on_disk)
    assert counts["institution"] == N
    assert set(counts) == {"calendar", "contract", "institution", "staff", "training", "inspection", "case",
                           "provision", "reward_policy"}  # the law is copied from the source repository
    assert sorted(p.name for p in (root / "schemas").glob("*.json")) == sorted(p.name for p in (PROJECT / "schemas").glob("*.json"))


def test_proportions_follow_the_karamay_mix(records):
    kinds = by_kind(records)
    types = Counter(i["type"] for i in kinds["institution"])
    regions = round(N / REGION_SIZE)
    assert types[AGENCY] == regions == len(kinds["contract"])
    assert 0.09 <= types[HOSPITAL] / N <= 0.12
    assert 0.87 <= types[PHARMACY] / N <= 0.90
    for contract in kinds["contract"]:
        region = contract["scope"]["rule"]["region_codes"]
        assert region == [contract["region_code"]] and re.fullmatch(r"[1-8][0-9]{5}", region[0])
        mine = Counter(i["type"] for i in kinds["institution"] if i["region_code"] == contract["region_code"])
        expected = contract["scope"]["expected_counts"]
        assert {t: expected[t] for t in mine} == dict(mine) and expected["合计"] == sum(mine.values())
    cases_per_region = len(kinds["case"]) / regions
    assert 25 <= cases_per_region <= 45


def test_institutions_have_valid_codes_and_fictional_names(records):
    for data in by_kind(records)["institution"]:
        assert re.fullmatch(r"[HPJ][1-8][0-9]{5}[0-9]{5}", data["id"])
        assert data["id"][0] == {HOSPITAL: "H", PHARMACY: "P", AGENCY: "J"}[data["type"]]
        assert data["id"][1:7] == data["region_code"]
        assert is_valid_uscc(data["uscc"])
        assert data["name"].endswith("（虚构）")
        if data["type"] != PHARMACY:
            assert [v["year"] for v in data["volumes"]] == [2022, 2023]


def test_no_personal_data_anywhere(generated):
    for path in generated[0].rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        # the scanner must not flag anything, USCCs aside (they are validated as USCC instead)
        lines = [line for line in text.splitlines() if not line.startswith("uscc:")]
        assert not find_personal_data("\n".join(lines)), path


def test_inspections_look_like_the_work(records):
    kinds = by_kind(records)
    types = {i["id"]: i for i in kinds["institution"]}
    live = [i for i in kinds["inspection"] if i["status"] != "已撤回"]
    covered = {i["institution"] for i in live if i["on_site"]}
    assert 0.85 * N <= len(covered) < N  # most, not all
    sampled = [i["sampling"] for i in live if "sampling" in i and types[i["institution"]]["type"] == HOSPITAL]
    shares = [s["sampled"] / s["population"] for s in sampled]
    assert all(0.015 <= share <= 0.041 for share in shares)
    assert sum(share < 0.025 for share in shares) < len(shares) / 3
    problems = [s["problem_records"] / s["sampled"] for s in sampled if s["sampled"] >= 20]
    assert all(0.28 <= p <= 0.57 for p in problems)
    late = no_report = 0
    deadline = {HOSPITAL: 3, PHARMACY: 1}
    for record in live:
        itype = types[record["institution"]]["type"]
        for finding in record.get("findings") or []:
            applies = SCHEMAS.vocab("violation_type")["x-applies-to"][finding["violation_type"]]
            assert itype in applies
        if "report" not in record:
            no_report += 1
            assert record["status"] == "待报告"
        elif itype in deadline:
            late += (day(record["report"]["submitted_on"]) - day(record["end_date"])).days > deadline[itype]
    assert 0 < no_report < 0.1 * len(live)
    assert 0.02 * len(live) < late < 0.2 * len(live)
    statuses = Counter(i["status"] for i in kinds["inspection"])
    assert statuses["报告已采纳"] > statuses["已提交报告"] > 0 and statuses["已撤回"] >= 1


def test_sampling_population_is_the_last_two_years(records):
    kinds = by_kind(records)
    institutions = {i["id"]: i for i in kinds["institution"]}
    for record in kinds["inspection"]:
        sampling = record.get("sampling")
        if sampling:
            field = {"病历": "medical_records", "手工报销申报材料": "manual_claims"}[sampling["basis"]]
            volumes = institutions[record["institution"]]["volumes"]
            assert sampling["population"] == sum(v[field] for v in volumes if v["year"] in (2022, 2023))
            assert (sampling["period_start"], sampling["period_end"]) == ("2022-01-01", "2023-12-31")


def test_cases_cover_sources_subjects_and_statuses(records):
    kinds = by_kind(records)
    for contract in kinds["contract"]:
        cases = [c for c in kinds["case"] if c["contract"] == contract["id"]]
        assert {c["source"] for c in cases} == set(SCHEMAS.terms("case_source"))
        assert {c["subject"]["type"] for c in cases} == set(SCHEMAS.terms("subject_type"))
        assert {c["status"] for c in cases} == set(SCHEMAS.terms("case_status"))
    for case in kinds["case"]:
        timeline = [day(case["timeline"][k]) for k in ("registered_on", "filed_on", "investigation_ended_on",
                                                         "notified_on", "decided_on", "closed_on") if k in case["timeline"]]
        assert timeline == sorted(timeline)
        for amount in (case.get("money") or {}).values():
            assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
        if case["subject"]["type"] in ("医保医师", "参保人员"):
            assert re.fullmatch(r"(YS|CB)-[0-9A-HJKMNP-TV-Z]{8}", case["subject"]["person_code"])
        if case["status"] == "已撤回":
            assert set(case["withdrawal"]) == {"date", "reason", "requested_by"}


def test_trainings_and_study_trips_per_contract(records):
    kinds = by_kind(records)
    required = {"常见违规行为", "合规收费", "现场巡查方法", "贯彻执行条例"}
    for contract in kinds["contract"]:
        mine = [t for t in kinds["training"] if t["contract"] == contract["id"]]
        offline = [t for t in mine if t["kind"] == "线下培训"]
        trips = [t for t in mine if t["kind"] == "以干代训"]
        assert len(offline) == 4 and required <= {topic for t in offline for topic in t["topics"]}
        assert Counter(t["place"]["scope"] for t in trips) == {"省内": 4, "省外": 2}
        assert all(t["bureau_staff"] == 2 for t in trips)


def test_staff_roster_meets_team_requirements(records):
    kinds = by_kind(records)
    for contract in kinds["contract"]:
        team = [s for s in kinds["staff"] if contract["id"] in s["contracts"]]
        requirements = contract["team_requirements"]
        assert sum(s["flight_inspection_experience"] for s in team) >= requirements["flight_inspection_experience"]
        for req in requirements["roles"]:
            members = [s for s in team if s["role"] == req["role"]]
            if "qualifications" in req:
                members = [s for s in members if set(s.get("qualifications", ())) & set(req["qualifications"])]
            assert len(members) >= req["min"], req


def test_calendar_records_for_the_years_used(records):
    kinds = by_kind(records)
    years = {day(r["start_date"]).year for r in kinds["inspection"]} | {day(c["timeline"]["registered_on"]).year for c in kinds["case"]}
    assert {c["year"] for c in kinds["calendar"]} >= years


# -- the YAML writer -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["650203", "no", "On", "yes", "null", "1e3", "0x1F", "12:30", "2024-01-01", "- a",
                                   "a: b", "#x", "[x]", "x, y", " lead", "trail ", "", "'q'", "line\nbreak", "a\u2028b"])
def test_ambiguous_strings_are_quoted_and_read_back_as_text(value):
    text = yaml_scalar(value)
    assert text != value or value == ""
    data, problems = strict_yaml.parse(f"k: {text}\nl: [{text}]\n")
    assert not problems and data == {"k": value, "l": [value]}


def test_plain_values_stay_readable():
    assert yaml_scalar("克拉玛依区石榴小区社区卫生服务站（虚构）") == "克拉玛依区石榴小区社区卫生服务站（虚构）"
    assert yaml_scalar("H65020300052") == "H65020300052"
    assert yaml_scalar(Decimal("12480.50")) == "12480.50"
    assert yaml_scalar(Decimal("0.025")) == "0.025"
    assert yaml_scalar(dt.date(2024, 3, 1)) == "2024-03-01"
    assert yaml_scalar(True) == "true" and yaml_scalar(17) == "17"


def test_writer_round_trips_every_record_in_schema_order(generated):
    writer = RecordWriter(SCHEMAS)
    records = iter_records(200, 3, SCHEMAS)
    for record in records:
        text = writer.text(record.kind, record.relpath, record.data)
        depth = record.relpath.count("/")
        assert text.startswith(f"# yaml-language-server: $schema={'../' * depth}schemas/{record.kind}.schema.json\n")
        data, problems = strict_yaml.parse(text)
        assert not problems
        assert data == _as_loaded(record.data)
        order = list(SCHEMAS.schemas[record.kind]["properties"])
        assert list(data) == sorted(data, key=order.index)


def _as_loaded(value):
    if isinstance(value, dict):
        return {k: _as_loaded(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_as_loaded(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_records_come_in_chronological_order():
    records = iter_records(300, 5, SCHEMAS)
    dates = [r.date for r in records]
    assert dates == sorted(dates)
    assert records[0].kind in ("calendar", "contract")
    assert all(r.created <= r.date for r in records)


def test_calendars_are_the_state_council_notices():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    for year, (_, holidays, makeups) in CALENDARS.items():
        off = set()
        for _, first, last in holidays:
            d = day(first)
            while d <= day(last):
                off.add(d)
                d += dt.timedelta(days=1)
        expected_off = {d for d, name in chinese_calendar.holidays.items() if d.year == year and name}
        expected_on = {d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5}
        assert off == expected_off, year
        assert {day(d) for d, _ in makeups} == expected_on, year


def test_committed_calendar_2024_agrees():
    data, _, _ = strict_yaml.load_bytes((PROJECT / "records/calendar/RL-2024.yaml").read_bytes())
    source, holidays, makeups = CALENDARS[2024]
    assert data["source"] == source
    assert [(h["name"], h["start"], h["end"]) for h in data["holidays"]] == list(holidays)
    assert [(m["date"], m["name"]) for m in data["makeup_workdays"]] == list(makeups)


# -- the command -----------------------------------------------------------------------------------
def test_cli_generates_a_repository(tmp_path):
    out = tmp_path / "cli"
    rc, output = run_cli("generate", "--institutions", "170", "--seed", "9", "--output", str(out),
                         "--contract-id", "HT-2025-DEMO", "--year", "2025")
    assert rc == 0, output
    assert "已生成" in output
    assert (out / "records/contract/HT-2025-DEMO.yaml").is_file()
    assert (out / "records/calendar/RL-2025.yaml").is_file()
    assert any((out / "records/inspection/2025").iterdir())
    rc, output = run_cli("-C", str(out), "validate")
    assert rc == 0, output


@pytest.mark.parametrize("args, message", [
    (["--institutions", "2", "--seed", "1"], "至少为 3"),
    (["--institutions", "10", "--seed", "1", "--year", "2019"], "2019"),
    (["--institutions", "10", "--seed", "1", "--contract-id", "klmy"], "项目编号"),
    (["--institutions", "10"], "--seed"),
])
def test_cli_usage_errors(tmp_path, args, message):
    rc, output = run_cli("generate", *args, "--output", str(tmp_path / "x"))
    assert rc == 2
    assert message in output
    assert "Traceback" not in output


def test_cli_refuses_to_write_over_records(tmp_path):
    (tmp_path / "records" / "case").mkdir(parents=True)
    (tmp_path / "records" / "case" / "keep.yaml").write_text("id: x\n", encoding="utf-8")
    rc, output = run_cli("generate", "--institutions", "10", "--seed", "1", "--output", str(tmp_path))
    assert rc == 2 and "已有内容" in output
    assert (tmp_path / "records" / "case" / "keep.yaml").read_text(encoding="utf-8") == "id: x\n"


def test_cli_demo_refuses_a_seed():
    rc, output = run_cli("-C", str(PROJECT), "generate", "--demo", "--seed", "3")
    assert rc == 2 and "--seed" in output


# -- the demo ----------------------------------------------------------------------------------------
def test_demo_counts_match_the_contract(demo):
    root, counts = demo
    kinds = by_kind(load_all(root))
    filled = [i for i in kinds["institution"] if i["region_code"] == "530481"]
    institutions = [i for i in kinds["institution"] if i not in filled]
    assert Counter(i["type"] for i in institutions) == {HOSPITAL: 17, PHARMACY: 143, AGENCY: 1}
    hospitals = [i for i in institutions if i["type"] == HOSPITAL]
    assert all(h["level"] == "一级" for h in hospitals) and any(h["inpatient_service"] for h in hospitals)
    assert {i["id"] for i in institutions if i["type"] == AGENCY} == {"J65020300001"}
    assert {i["region_code"] for i in institutions} == {"650203"}
    trainings = kinds["training"]
    assert Counter(t["kind"] for t in trainings) == {"线下培训": 4, "以干代训": 6}
    assert Counter(t["place"]["scope"] for t in trainings if t["kind"] == "以干代训") == {"省内": 4, "省外": 2}
    assert {t["host"] for t in trainings if t["kind"] == "以干代训"} <= {"某地州市医疗保障局", "某省医疗保障局飞行检查组"}
    assert {"常见违规行为", "合规收费", "现场巡查方法", "贯彻执行条例"} <= {x for t in trainings if t["kind"] == "线下培训" for x in t["topics"]}
    assert counts == {k: len(kinds[k]) for k in ("institution", "staff", "training", "inspection", "case")}


def test_demo_fills_the_chengjiang_scope_to_the_113_its_contract_states():
    """澄江 2024: “完成113家医药机构进行检查稽核”. Its hand-written demo names 10 institutions; the
    generator adds the rest (numbered from 00101) in the 克拉玛依区 mix of hospitals and pharmacies."""
    mine = [p for p in (PROJECT / "records/institution").glob("*530481*.yaml")]
    hand_written = [p for p in mine if int(p.stem[-5:]) < 101]
    generated = [r for r in demo_records(PROJECT, SCHEMAS) if r.data.get("region_code") == "530481"]
    assert len(hand_written) + len(generated) == 113 and len(generated) == 113 - len(hand_written)
    assert {r.relpath for r in generated} == {f"records/institution/{p.name}" for p in mine if p not in hand_written}
    assert Counter(r.data["type"] for r in generated) == {HOSPITAL: 11, PHARMACY: 92}
    assert all(r.data["name"].endswith("（虚构）") and int(r.data["id"][-5:]) >= 101 for r in generated)


def test_demo_work_fits_the_contract(demo):
    root, _ = demo
    kinds = by_kind(load_all(root))
    types = {i["id"]: i["type"] for i in kinds["institution"]}
    start, end = dt.date(2024, 3, 1), dt.date(2024, 11, 20)
    inspections = [i for i in kinds["inspection"] if i["status"] != "已撤回"]
    assert all(start <= day(i["start_date"]) <= day(i["end_date"]) <= end for i in kinds["inspection"])
    covered = {i["institution"] for i in inspections if i["on_site"]}
    assert 140 <= len(covered) <= 158
    sampled = {i["institution"] for i in inspections if "sampling" in i and types[i["institution"]] == HOSPITAL}
    assert len(sampled) >= 12
    assert any("sampling" in i and types[i["institution"]] == AGENCY for i in inspections)
    late = [i for i in inspections if "report" in i and types[i["institution"]] in (HOSPITAL, PHARMACY)
            and (day(i["report"]["submitted_on"]) - day(i["end_date"])).days > {HOSPITAL: 3, PHARMACY: 1}[types[i["institution"]]]]
    assert late
    assert 1 <= sum("report" not in i for i in inspections) <= 8
    assert any(i["status"] == "报告已采纳" for i in inspections)
    cases = kinds["case"]
    assert 30 <= len(cases) <= 40
    assert {c["source"] for c in cases} == set(SCHEMAS.terms("case_source"))
    assert {c["subject"]["type"] for c in cases} == set(SCHEMAS.terms("subject_type"))
    assert {c["status"] for c in cases} == set(SCHEMAS.terms("case_status"))
    assert sum(c["status"] == "已撤回" for c in cases) == 1
    assert len({v for c in cases for v in c["violation_types"]}) >= 8
    assert sum("lead_text" in c for c in cases) >= 3
    assert {c["disclosed"] for c in cases} == {True, False}
    staff = kinds["staff"]
    assert {"项目负责人", "医学", "信息", "财务审计"} <= {s["role"] for s in staff}
    assert any(s["flight_inspection_experience"] for s in staff)


def test_demo_passes_validate(demo):
    rc, output = run_cli("-C", str(demo[0]), "validate")
    assert rc == 0, output


def test_committed_demo_is_what_the_generator_makes(demo):
    """Regenerating the demo gives the committed files byte for byte, and nothing else is there."""
    root, _ = demo
    produced = {r.relpath for r in demo_records(PROJECT, SCHEMAS)}
    committed = set(demo_files(PROJECT))
    assert committed == produced, (sorted(committed - produced)[:5], sorted(produced - committed)[:5])
    different = [p for p in sorted(produced) if (root / p).read_bytes() != (PROJECT / p).read_bytes()]
    assert not different, f"{len(different)} 个演示文件与生成结果不同（请运行 yibao generate --demo）：{different[:5]}"
    assert (root / DEMO_CONTRACT).read_bytes() == (PROJECT / DEMO_CONTRACT).read_bytes()


# -- speed (measured, printed, not asserted) -------------------------------------------------------------
def test_generation_speed(tmp_path, capsys):
    started, cpu = time.perf_counter(), time.process_time()
    counts = generate_repository(tmp_path / "speed", 4100, seed=1)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    total = sum(counts.values())
    assert total > 9000
    with capsys.disabled():
        print(f"\n[generate] {total} records in {elapsed:.2f} s wall / {cpu:.2f} s CPU: {total / elapsed:,.0f} records/s")
