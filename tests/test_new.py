"""``yibao new``: free unique IDs, templates derived from the schemas, flags and prompts."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONTRACT_ID, HOSPITAL, PHARMACY, SCHEMAS, STAFF_A, STAFF_B, USCC
from yibao import new
from yibao.speed.run import check_repository
from yibao.load import strict_yaml
from yibao.core.schemas import SchemaSet

SCHEMA_SET = SchemaSet.load(SCHEMAS)
RANDOM_KINDS = ("inspection", "case", "training", "staff", "contract")


def ids_pattern(kind: str) -> re.Pattern:
    return re.compile(new.id_pattern(SCHEMA_SET, kind))


# -- IDs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_ids_match_the_schema_and_use_crockford_base32(kind):
    for _ in range(200):
        ident = new.new_id(SCHEMA_SET, kind, 2024, lambda _: False)
        assert ids_pattern(kind).match(ident), ident
        assert set(ident.rsplit("-", 1)[1]) <= set(new.CROCKFORD)
    assert new.new_id(SCHEMA_SET, "staff", 2024, lambda _: False).count("-") == 1  # RY-XXXXXX, no year


def test_ids_are_unique_across_many_draws():
    drawn = {new.new_id(SCHEMA_SET, "inspection", 2024, lambda _: False) for _ in range(5000)}
    assert len(drawn) == 5000
    assert len(new.CROCKFORD) == 32 and not set("ILOU") & set(new.CROCKFORD)


def test_a_taken_id_is_drawn_again():
    letters = iter("AAAAAA" + "AAAAAA" + "BBBBBB")
    taken = {"JC-2024-AAAAAA"}
    ident = new.new_id(SCHEMA_SET, "inspection", 2024, taken.__contains__, draw=lambda _: next(letters))
    assert ident == "JC-2024-BBBBBB"


def test_drawing_gives_up_instead_of_looping_forever():
    with pytest.raises(new.NewRecordError):
        new.new_id(SCHEMA_SET, "case", 2024, lambda _: True, tries=5)


def test_ids_avoid_files_already_in_the_repository(full_repo):
    repo = new.Repository.scan(full_repo.root, SCHEMA_SET)
    letters = iter("000001" + "000002")  # JC-2024-000001 is in the conftest repository
    draft = new.start(repo, "inspection", year=2024, draw=lambda _: next(letters))
    assert draft.ident == "JC-2024-000002"


def test_paths_follow_the_repository_layout():
    assert new.record_path("inspection", "JC-2024-ABCDEF") == "records/inspection/2024/JC-2024-ABCDEF.yaml"
    assert new.record_path("staff", "RY-ABCDEF") == "records/staff/RY-ABCDEF.yaml"
    assert new.record_path("institution", HOSPITAL) == f"records/institution/{HOSPITAL}.yaml"
    assert new.schema_path_from("records/inspection/2024/X.yaml", "inspection") == "../../../schemas/inspection.schema.json"


# -- the template --------------------------------------------------------------------------------
def required_paths(kind: str) -> list[tuple]:
    out = []

    def walk(node, parent):
        for fld in new.fields_of(SCHEMA_SET, node, parent):
            if fld.required:
                out.append(fld.path)
                if fld.is_object():
                    walk(fld.schema, fld.path)

    walk(SCHEMA_SET.schemas[kind], ())
    return out


@pytest.mark.parametrize("kind", SCHEMA_SET.kinds)
def test_the_template_has_every_required_field(full_repo, kind):
    repo = new.Repository.scan(full_repo.root, SCHEMA_SET)
    ident = {"institution": "H65020300009", "calendar": None, "contract": None}.get(kind)
    draft = new.start(repo, kind, ident=ident, year=2031)
    text = draft.text(SCHEMA_SET)
    data, problems = strict_yaml.parse(text)
    assert problems == []
    for path in required_paths(kind):
        node = data
        for part in path[:-1]:
            node = node[part]
        assert path[-1] in node, f"{kind}: {'.'.join(path)} missing from\n{text}"
    first = text.splitlines()[0]
    assert first == f"# yaml-language-server: $schema={new.schema_path_from(draft.relpath, kind)}"
    assert (full_repo.root / draft.relpath).parent.joinpath(first.split("=", 1)[1]).resolve() == (full_repo.root / "schemas" / f"{kind}.schema.json").resolve()


def test_unfilled_fields_fail_validation_with_a_clear_message(full_repo):
    repo = new.Repository.scan(full_repo.root, SCHEMA_SET)
    draft = new.start(repo, "inspection", year=2024)
    problems = draft.problems(SCHEMA_SET)
    assert {d.code for d in problems} == {"not-filled"}
    assert {d.field for d in problems} == {"institution", "type", "on_site", "start_date", "end_date"}
    text = draft.text(SCHEMA_SET)
    on_site = next(d for d in problems if d.field == "on_site")
    assert text.splitlines()[on_site.line - 1] == "on_site:"
    assert "【请填写】" in text.splitlines()[on_site.line - 2] and "true" in text.splitlines()[on_site.line - 2]


def test_comments_come_from_the_schema(full_repo):
    repo = new.Repository.scan(full_repo.root, SCHEMA_SET)
    text = new.start(repo, "case", year=2024).text(SCHEMA_SET)
    for term in SCHEMA_SET.terms("case_source"):
        assert term in text  # the vocabulary's choices are listed
    assert SCHEMA_SET.title("case", ("timeline", "registered_on")) in text
    assert "lead_text（举报原文，保密，不公开）" in text


@pytest.mark.parametrize("value", ["650203", "true", "no", "2024-05-01", "a: b", "#x", " lead", "[x]", "是", "1e3", "12.50", "null", "~"])
def test_scalars_round_trip_through_the_strict_loader(value):
    data, problems = strict_yaml.parse(f"k: {new.yaml_scalar(value)}\nl: {new._flow([value, value])}\n")
    assert problems == [] and data == {"k": value, "l": [value, value]}


# -- filled in by flags: the record validates ----------------------------------------------------
FILLED = {
    "inspection": [f"institution={HOSPITAL}", "type=日常巡查", "on_site=true", "start_date=2024-05-08",
                   "end_date=2024-05-08", f"inspectors={STAFF_A},{STAFF_B}", "sampling.basis=病历",
                   "sampling.period_start=2022-01-01", "sampling.period_end=2023-12-31",
                   "sampling.population=1200", "sampling.sampled=30", "sampling.problem_records=3"],
    "case": ["source=举报投诉", "subject.type=定点零售药店", f"subject.institution={PHARMACY}", "violation_types=聚敛倒刷医保卡",
             "timeline.registered_on=2024-07-01", "disclosed=false", "money.involved=12480.50"],
    "training": ["kind=线下培训", "title=医疗保障基金合规使用培训", "start_date=2024-06-03", "end_date=2024-06-03",
                 "topics=常见违规行为、合规收费", "place.name=区医保局会议室", "place.scope=本地"],
    "staff": ["role=财务审计", "title=中级", "education=本科", "qualifications=会计师"],
    "institution": ["name=测试区第二人民医院", "uscc=" + USCC[HOSPITAL], "protocol_history=ignored"],
}


@pytest.mark.parametrize("kind", ["inspection", "case", "training", "staff"])
def test_a_template_filled_by_flags_validates(full_repo, yibao, kind):
    args = ["new", kind, "--contract", CONTRACT_ID, "--no-input"] + [a for v in FILLED[kind] for a in ("--set", v)]
    run = yibao(*args, cwd=full_repo.root)
    assert run.rc == 0, run.err
    relpath = re.search(r"已生成 (\S+)", run.err)[1]
    assert "可以通过校验" in run.err
    result = check_repository(full_repo.root, SCHEMA_SET, [relpath])
    assert result.diagnostics == [], result.diagnostics
    if kind in ("inspection", "case", "training"):
        year = "2024"
        assert relpath.startswith(f"records/{kind}/{year}/") and Path(relpath).stem.split("-")[1] == year
    if kind == "staff":
        data = strict_yaml.parse((full_repo.root / relpath).read_text(encoding="utf-8"))[0]
        assert data["contractor"] == "测试医保咨询有限公司"  # from the contract record
        assert data["contracts"] == [CONTRACT_ID]


def test_an_institution_takes_type_and_region_from_its_national_code(full_repo, yibao):
    run = yibao("new", "institution", "--id", "P65020300007", "--no-input", "--set", "name=测试第二大药房",
                "--set", "uscc=" + USCC[PHARMACY], cwd=full_repo.root)
    assert run.rc == 0, run.err
    text = (full_repo.root / "records/institution/P65020300007.yaml").read_text(encoding="utf-8")
    data = strict_yaml.parse(text)[0]
    assert data["type"] == "定点零售药店" and data["region_code"] == "650203"
    assert "protocol_history" in data and "【请填写】" in text  # the one remaining list to fill by hand


def test_dry_run_writes_nothing(full_repo, yibao):
    before = sorted(p for p in full_repo.root.rglob("*.yaml"))
    run = yibao("new", "case", "--no-input", "--dry-run", "--set", "source=数据筛查", cwd=full_repo.root)
    assert run.rc == 0 and run.out.startswith("# yaml-language-server:") and "source: 数据筛查" in run.out
    assert sorted(p for p in full_repo.root.rglob("*.yaml")) == before


@pytest.mark.parametrize("args, message", [
    (["new", "inspection", "--set", "tpye=日常巡查"], "是不是 type"),
    (["new", "inspection", "--id", "JC-2024-AAAAAA"], "随机生成"),
    (["new", "institution"], "--id"),
    (["new", "institution", "--id", HOSPITAL], "已经存在"),
    (["new", "inspection", "--contract", "HT-2099-NONE"], "不存在"),
    (["new", "inspection", "--set", "on_site=也许"], "true"),
    (["new", "widget"], "不认识的记录种类"),
    (["new", "inspection", "--set", "type"], "字段=值"),
])
def test_bad_input_is_a_usage_error_in_chinese(full_repo, yibao, args, message):
    run = yibao(*args, "--no-input", cwd=full_repo.root)
    assert run.rc == 2 and message in run.err and "Traceback" not in run.err


# -- interactive: prompts on a terminal (stdin simulated) -------------------------------------------
def test_interactive_prompts_fill_and_check_each_answer(full_repo):
    answers = "\n".join([
        "医院",          # institution by a fragment of its name: 测试区人民医院 (the only hospital)
        "双随机",        # not a term: refused with a hint, asked again
        "5",            # 双随机抽查 by its number
        "是",
        "2024-05-40",   # not a date: refused by the schema check, asked again
        "2024-05-08",
        "2024-05-09",
        "1 2",          # inspectors by number from the contract's staff list
    ]) + "\n"
    done = subprocess.run([sys.executable, "-m", "yibao", "new", "inspection", "-i"], input=answers, cwd=full_repo.root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "“双随机”不是可选项；是不是“双随机抽查”？" in done.stderr
    assert "不是有效日期" in done.stderr
    relpath = re.search(r"已生成 (\S+)", done.stderr)[1]
    assert relpath.startswith("records/inspection/2024/JC-2024-")  # the ID follows the inspection's year (in the contract's period)
    data = strict_yaml.parse((full_repo.root / relpath).read_text(encoding="utf-8"))[0]
    assert data["institution"] == HOSPITAL and data["type"] == "双随机抽查" and data["on_site"] is True
    assert data["start_date"] == "2024-05-08" and data["inspectors"] == [STAFF_A, STAFF_B]
    assert check_repository(full_repo.root, SCHEMA_SET, [relpath]).diagnostics == []


def test_end_of_input_leaves_the_rest_to_fill_in(full_repo):
    done = subprocess.run([sys.executable, "-m", "yibao", "new", "case", "-i"], input="1\n", cwd=full_repo.root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "还有" in done.stderr and "not-filled" in done.stderr
    relpath = re.search(r"已生成 (\S+)", done.stderr)[1]
    assert "source: 举报投诉" in (full_repo.root / relpath).read_text(encoding="utf-8")


def test_without_a_terminal_nothing_is_asked(full_repo):
    done = subprocess.run([sys.executable, "-m", "yibao", "new", "training", "--dry-run"], input="1\n",
                          cwd=full_repo.root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "（直接回车跳过" not in done.stderr and "kind:\n" in done.stdout


def test_a_case_takes_the_subject_type_from_the_institution_record(full_repo, yibao):
    run = yibao("new", "case", "--institution", PHARMACY, "--no-input", "--dry-run", cwd=full_repo.root)
    data = strict_yaml.parse(run.out)[0]
    assert data["subject"] == {"type": "定点零售药店", "institution": PHARMACY}
