"""Output hygiene and the smaller crashes: what a record or a file name holds never acts where
yibao's output lands (a spreadsheet, a terminal, a GitHub workflow log), and odd files, huge
amounts, bad output paths and yesterday's date give clean answers.

- spreadsheet formulas: ``report --format xlsx`` / ``csv`` never write a cell that runs;
- terminal escapes: ``validate``, ``report`` and ``diff`` show control characters as escapes;
- workflow commands: ``--format github`` keeps one command per line, whatever the data holds;
- a non-UTF-8 file name, a named pipe / socket / device, a huge amount, an output path that
  cannot be written, and a cached verdict that compared with another day's date.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import socket
import subprocess
import sys
from decimal import Decimal

import openpyxl
import pytest

from yibao.speed import cache, pool
from yibao.core import clock
from yibao.core.codes import make_resident_id18
from yibao.core.textsafe import spreadsheet_text, visible

from conftest import CONTRACT, HOSPITAL, RECORDS, make_repo
from git_fixtures import CLOSED_CASE, CONTRACT_PATH, GIT_ENV, GitRepo

H = f"records/institution/{HOSPITAL}.yaml"
CT = "records/contract/HT-2024-TEST.yaml"
I = "records/inspection/2024/JC-2024-000001.yaml"
FORMULAS = ['=HYPERLINK("http://x","点我")', "+1+1", "@SUM(A1)", "-2+3"]
RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _yaml_text(value: str) -> str:
    """A double-quoted YAML scalar holding ``value``: control characters as YAML escapes (a file
    may not hold them raw, a quoted ``\\x1b`` yields one)."""
    def escape(char: str) -> str:
        if char in '"\\':
            return "\\" + char
        if RAW_CONTROLS.match(char) or char in "\n\r":
            return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        return char
    return '"' + "".join(escape(c) for c in value) + '"'


def _no_raw_controls(text: str) -> None:
    assert RAW_CONTROLS.search(text) is None, repr(RAW_CONTROLS.search(text))


# -- spreadsheet formula injection ----------------------------------------------------------------
@pytest.fixture
def formula_repo(tmp_path):
    """The hospital is named like a formula, and so are three KPI targets (names from the contract)."""
    contract = CONTRACT.replace("""targets:
  - metric: onsite_coverage
    target: 1
""", f"""targets:
  - metric: onsite_coverage
    name: {_yaml_text(FORMULAS[1])}
    target: 1
  - metric: record_sampling_rate
    name: {_yaml_text(FORMULAS[2])}
    target: 0.025
    institution_types: [定点医疗机构]
  - metric: trainings_held
    name: {_yaml_text(FORMULAS[3])}
    target: 2
""")
    assert contract != CONTRACT
    repo = make_repo(tmp_path, {**RECORDS, CT: contract})
    text = RECORDS[H].replace("name: 测试区人民医院", f"name: {_yaml_text(FORMULAS[0] + chr(27) + '[31m')}")
    repo.write(H, text)
    return repo


def test_xlsx_never_holds_a_formula(formula_repo, yibao, tmp_path):
    out = tmp_path / "考核.xlsx"
    run = yibao("report", "--as-of", "2024-10-15", "--format", "xlsx", "-o", str(out), cwd=formula_repo.root)
    assert run.rc == 0, run.out + run.err
    book = openpyxl.load_workbook(out)
    texts, numbers = [], 0
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.data_type == "n" and cell.value is not None:
                    numbers += 1
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert cell.value[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell.value
    for formula in FORMULAS:  # each is there, neutralised with a leading quote
        assert any(t.startswith("'" + formula) for t in texts), formula
    assert any(t.startswith("'=HYPERLINK") and "\\x1b[31m" in t for t in texts)  # ESC shown, not refused
    assert numbers > 0  # numbers stay number cells


def test_csv_never_starts_a_formula(formula_repo, yibao):
    run = yibao("report", "--as-of", "2024-10-15", "--format", "csv", cwd=formula_repo.root)
    assert run.rc == 0, run.err
    rows = list(csv.DictReader(io.StringIO(run.out)))
    names = [row["name"] for row in rows]
    for formula in FORMULAS:
        assert any(n.startswith("'" + formula) for n in names), (formula, names)
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    assert any(row["value"] and float(row["value"]) >= 0 for row in rows)  # numbers as numbers


def test_spreadsheet_text_leaves_numbers_alone():
    assert spreadsheet_text("-12.50") == "-12.50" and spreadsheet_text("-1,234.00") == "-1,234.00"
    assert spreadsheet_text("+2.50%") == "+2.50%"
    assert spreadsheet_text("-2+3") == "'-2+3" and spreadsheet_text("\t=1") == "'\t=1"
    assert spreadsheet_text("\r=1") == "'\r=1" and spreadsheet_text("测试") == "测试"


# -- terminal escapes -----------------------------------------------------------------------------------
EVIL = "\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\x9b\u2066"


def test_visible_escapes():
    assert visible("a\x1bb\u202ec\x85d\ne") == "a\\x1bb\\u202ec\\x85d\\ne"
    assert visible("a\nb\x1b", newlines=True) == "a\nb\\x1b"
    assert visible(os.fsdecode(b"\xff.yaml")) == "\\xff.yaml"
    assert visible("普通文字，没有控制字符") == "普通文字，没有控制字符"


def test_validate_text_shows_escapes(repo, validate):
    repo.write(H, RECORDS[H].replace(f"id: {HOSPITAL}", f"id: {_yaml_text(HOSPITAL + EVIL)}"))
    repo.write("records/institution/H65020300009\x1b[31m.yaml", RECORDS[H])
    run = validate()
    assert run.rc == 1
    _no_raw_controls(run.out + run.err)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202egnp.exe\\x9b\\u2066" in run.out
    assert "records/institution/H65020300009\\x1b[31m.yaml:" in run.out


def test_report_table_shows_escapes(formula_repo, yibao):
    text = formula_repo.root.joinpath(CT).read_text(encoding="utf-8")
    formula_repo.write(CT, text.replace("name: 测试区医疗保障基金监管服务项目", f"name: {_yaml_text('项目' + EVIL)}"))
    run = yibao("report", "--as-of", "2024-10-15", cwd=formula_repo.root)
    assert run.rc == 0, run.err
    _no_raw_controls(run.out + run.err)
    assert "项目\\x1b]0;pwned" in run.out and '=HYPERLINK("http://x","点我")\\x1b[31m' in run.out


def test_usage_messages_show_escapes(full_repo, yibao):
    run = yibao("report", "--contract", "HT-\x1b[2J\u202e", cwd=full_repo.root)
    assert run.rc == 2 and "HT-\\x1b[2J\\u202e" in run.err
    _no_raw_controls(run.err)


@pytest.fixture
def gitrepo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    return repo


def test_diff_shows_escapes(gitrepo, yibao):
    gitrepo.edit(I, "status: 已提交报告", "status: 已撤回")
    gitrepo.append(I, f"withdrawal:\n  date: 2024-06-01\n  reason: {_yaml_text('重复' + EVIL)}\n  requested_by: 项目负责人\n")
    gitrepo.commit("withdraw")
    for fmt in ("markdown", "github"):
        run = yibao("diff", "main", "--as-of", "2024-06-20", "--format", fmt, cwd=gitrepo.root)
        assert run.rc == 0, run.err
        _no_raw_controls(run.out)
    run = yibao("diff", "main", "--as-of", "2024-06-20", cwd=gitrepo.root)
    assert "重复\\x1b\\]0;pwned\\x07" in run.out  # escaped, then Markdown-escaped


# -- GitHub workflow commands ------------------------------------------------------------------------
FORGED = "\n::error::forged\r\n::set-output name=x::y"


def _commands(out: str) -> list[str]:
    """The lines GitHub would run as workflow commands (it ignores leading blanks)."""
    return [line for line in out.splitlines() if line.lstrip().startswith("::")]


def test_validate_github_one_command_per_diagnostic(repo, yibao):
    repo.write(H, RECORDS[H].replace(f"id: {HOSPITAL}", f"id: {_yaml_text(HOSPITAL + FORGED)}"))
    repo.write(CT, CONTRACT.replace('region_code: "650203"', f"region_code: {_yaml_text('650203' + FORGED)}"))
    repo.write("records/institution/H65020300009" + FORGED.replace("/", "") + ".yaml", RECORDS[H])
    run = yibao("validate", "--format", "github", cwd=repo.root)
    assert run.rc == 1
    commands = _commands(run.out)
    pattern = re.compile(r"^::error file=[^:,\r\n]+,line=\d+,col=\d+,title=[a-z0-9-]+::[^\r\n]+$")
    assert all(pattern.match(line) for line in commands), commands
    assert len(commands) == int(re.search(r"共 (\d+) 个错误", run.out)[1]) >= 3
    assert not any(line.startswith(("::error::forged", "::set-output")) for line in run.out.splitlines())
    assert any("%0A::error::forged%0D%0A::set-output" in line for line in commands)
    assert any("file=records/institution/H65020300009%0A%3A%3Aerror%3A%3Aforged" in line for line in commands)


def _only_commands(out: str, kinds: str) -> list[str]:
    """Every line GitHub would run is one whole command of ours; none was forged."""
    commands = _commands(out)
    assert all(re.match(rf"^::({kinds}) [^\r\n]*::[^\r\n]+$", c) for c in commands), commands
    assert not any(line.lstrip().startswith(("::error::", "::set-output")) for line in out.splitlines()), out
    return commands


def test_diff_github_one_command_per_warning(gitrepo, yibao):
    text = (gitrepo.root / CONTRACT_PATH).read_text(encoding="utf-8")
    gitrepo.write(CONTRACT_PATH, text.replace("  - metric: onsite_coverage\n", f"  - metric: onsite_coverage\n    name: {_yaml_text('::error::forged' + FORGED)}\n")
                  + f"""\
deadlines:
  - id: report-inspection
    name: {_yaml_text('调查结束后次日形成报告' + FORGED)}
    applies_to: inspection
    starts: end_date
    ends: report.submitted_on
    days: 1
    day_type: 自然日
""")
    gitrepo.git("checkout", "-q", "main")
    gitrepo.commit("a named target and a deadline rule")
    gitrepo.git("checkout", "-q", "pr")
    gitrepo.git("merge", "-q", "main")
    # the pharmacy is now inspected: the coverage KPI moves, and the headline starts with its name
    gitrepo.edit(I, f"institution: {HOSPITAL}", "institution: P65020300002")
    gitrepo.commit("the inspection was the pharmacy's")
    run = yibao("diff", "main", "--as-of", "2024-06-20", "--format", "github", cwd=gitrepo.root)
    assert run.rc == 0, run.err
    assert _only_commands(run.out, "warning|notice") == []
    headline = run.out.splitlines()[-1]
    assert headline.startswith("%3A:error::forged\\n::error::forged\\r\\n::set-output"), headline
    gitrepo.write("records/inspection/2024/JC-2024-0000N1.yaml", f"""\
id: JC-2024-0000N1
contract: HT-2024-TEST
institution: {HOSPITAL}
type: 日常巡查
on_site: true
start_date: 2024-06-11
end_date: 2024-06-11
inspectors: [RY-A00001, RY-A00002]
status: 待报告
""")
    gitrepo.commit("an overdue inspection")
    run = yibao("diff", "main", "--as-of", "2024-06-20", "--format", "github", cwd=gitrepo.root)
    assert run.rc == 0, run.err
    commands = _only_commands(run.out, "warning|notice")
    assert len(commands) == 1 and "调查结束后次日形成报告%0A::error::forged%0D%0A::set-output" in commands[0]


# -- a non-UTF-8 file name --------------------------------------------------------------------------------
BAD_NAME = b"records/institution/\xff.yaml"


def _bad_name(root) -> None:
    with open(os.fsencode(root) + b"/" + BAD_NAME, "wb") as handle:
        handle.write(RECORDS[H].encode())


def _non_utf8(run) -> None:
    assert run.rc == 1, run.out + run.err
    assert "Traceback" not in run.err and "内部错误" not in run.err
    hit = run.only("non-utf8-filename")
    assert hit.path == "records/institution/\\xff.yaml" and "UTF-8" in hit.message


def test_non_utf8_file_name_in_a_folder(repo, validate, yibao, tmp_path):
    _bad_name(repo.root)
    _non_utf8(validate())
    _non_utf8(validate())  # cached
    data = json.loads(validate("--format", "json").out)
    assert [(d["path"], d["code"]) for d in data["diagnostics"]] == [("records/institution/\\xff.yaml", "non-utf8-filename")]
    _non_utf8(yibao("build", "--as-of", "2024-06-20", "--output", str(tmp_path / "site"), cwd=repo.root))


def test_non_utf8_file_name_in_git(gitrepo, yibao, tmp_path):
    _bad_name(gitrepo.root)
    gitrepo.commit("a bad name")
    _non_utf8(yibao("validate", cwd=gitrepo.root))
    _non_utf8(yibao("check-changes", "--base", "main", cwd=gitrepo.root))
    _non_utf8(yibao("build", "--as-of", "2024-06-20", "--output", str(tmp_path / "site"), cwd=gitrepo.root))


# -- a very large amount -------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["999999999999999999", "9999999999999999.99"])
def test_diff_and_report_with_the_largest_amounts(gitrepo, yibao, amount):
    """18 digits pass the loader; in fen (and summed) they outgrow a 64-bit integer."""
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", f"recovered: {amount}")
    gitrepo.write("records/case/2024/AJ-2024-0000C2.yaml", (gitrepo.root / CLOSED_CASE).read_text(encoding="utf-8")
                  .replace("AJ-2024-0000C1", "AJ-2024-0000C2"))  # two of them: the sum is larger still
    gitrepo.commit("large amounts")
    run = yibao("diff", "main", "--as-of", "2024-06-20", cwd=gitrepo.root)
    assert run.rc == 0, run.err
    row = next(line for line in run.out.splitlines() if "追回金额" in line)
    assert [cell.strip() for cell in row.split("|")[3:6]] == [
        "1,200.00", f"{2 * Decimal(amount):,.2f}", f"+{2 * Decimal(amount) - 1200:,.2f}"]
    assert yibao("diff", "main", "--as-of", "2024-06-20", "--format", "json", cwd=gitrepo.root).rc == 0
    for fmt in ("json", "table"):
        report = yibao("report", "--as-of", "2024-06-20", "--format", fmt, cwd=gitrepo.root)
        assert report.rc == 0 and "Traceback" not in report.err and "内部错误" not in report.err, report.err


# -- output paths that cannot be written ----------------------------------------------------------------------
def _usage(run, *words: str) -> None:
    assert run.rc == 2, run.out + run.err
    assert "Traceback" not in run.err and "内部错误" not in run.err
    assert re.search(r"[\u4e00-\u9fff]", run.err)
    for word in words:
        assert word in run.err, run.err


def test_bad_output_paths_are_usage_errors(repo, yibao, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    _usage(yibao("build", "--output", str(a_file), cwd=repo.root), "不是目录")
    _usage(yibao("build", "--output", str(a_file / "site"), cwd=repo.root), "不是目录")
    _usage(yibao("report", "--format", "xlsx", "-o", str(tmp_path / "missing" / "x.xlsx"), cwd=repo.root), "不存在")
    _usage(yibao("report", "--format", "csv", "-o", str(tmp_path / "missing" / "x.csv"), cwd=repo.root), "不存在")
    _usage(yibao("report", "--format", "csv", "-o", str(tmp_path), cwd=repo.root), "是一个目录")
    _usage(yibao("report", "--format", "csv", "-o", str(a_file / "x.csv"), cwd=repo.root), "不是目录")
    if os.path.exists("/dev/full"):  # a file that passes every check above, and writing it fails (disk full)
        _usage(yibao("report", "--format", "csv", "-o", "/dev/full", cwd=repo.root), "无法写入输出文件 /dev/full")


# -- verdicts that read today's date expire --------------------------------------------------------------------
def _age(repo) -> None:
    """Files older than the cache's racy window, so the cache trusts their stat."""
    for path in (repo.root / "records").rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))


def test_a_verdict_that_read_the_date_expires(full_repo, yibao, monkeypatch):
    # a resident ID number born on 2024-06-01: on 2024-01-01 it is no real number yet, later it is
    future_id = make_resident_id18("110101" + "20240601" + "123")
    full_repo.write(H, RECORDS[H] + f"notes: 编号 {future_id}\n")
    _age(full_repo)
    monkeypatch.setattr(cache, "_RACY_NS", 0)  # the stat of a file aged just now is trusted
    day = {"today": dt.date(2024, 1, 1)}
    monkeypatch.setattr(clock, "_system_today", lambda: day["today"])
    checked: list[str] = []
    real_check_text = pool.check_text

    def counting(relpath, *args, **kwargs):
        checked.append(relpath)
        return real_check_text(relpath, *args, **kwargs)

    monkeypatch.setattr(pool, "check_text", counting)

    first = yibao("validate", cwd=full_repo.root)
    assert "pii-resident-id" not in first.codes, first.out
    assert len(checked) == 10
    checked.clear()
    assert yibao("validate", cwd=full_repo.root).out == first.out and checked == []  # warm: nothing rechecked

    day["today"] = dt.date(2024, 7, 1)  # a new day: the date-dependent verdict is checked again, only it
    later = yibao("validate", cwd=full_repo.root)
    assert later.rc == 1 and "pii-resident-id" in later.codes, later.out
    assert checked == [H]
    checked.clear()
    assert yibao("validate", cwd=full_repo.root).out == later.out and checked == []
    assert yibao("validate", "--no-cache", cwd=full_repo.root).out == later.out

    # report: verdicts with full record data from the cache (the first report reads every file once)
    assert yibao("report", "--as-of", "2024-06-30", "--format", "json", cwd=full_repo.root).rc == 0
    day["today"] = dt.date(2024, 7, 2)
    checked.clear()
    report = yibao("report", "--as-of", "2024-06-30", "--format", "json", cwd=full_repo.root)
    assert report.rc == 0 and "1 个错误" in report.err and checked == [H]
    day["today"] = dt.date(2024, 1, 3)  # (a clock set back counts as another day too)
    checked.clear()
    report = yibao("report", "--as-of", "2024-06-30", "--format", "json", cwd=full_repo.root)
    assert report.rc == 0 and report.err == "" and checked == [H]
    day["today"] = dt.date(2024, 7, 3)  # PATH mode
    assert "pii-resident-id" in yibao("validate", H, cwd=full_repo.root).codes


# -- special files: named pipes, sockets, devices -----------------------------------------------------------
def _validate_subprocess(root, *args: str) -> subprocess.CompletedProcess:
    """In a child process with a timeout: a regression hangs the child, not the test run."""
    return subprocess.run([sys.executable, "-m", "yibao", "validate", "--no-cache", *args], cwd=root, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **GIT_ENV})


def _refused(done: subprocess.CompletedProcess, *paths: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for path in paths:
        assert re.search(rf"^{re.escape(path)}:1:1: error\[not-a-regular-file\] .*[\u4e00-\u9fff]", done.stdout, re.M), done.stdout


def test_special_files_are_refused_without_reading(repo, monkeypatch):
    folder = repo.root / "records" / "institution"
    os.mkfifo(folder / "H65020300009.yaml")
    monkeypatch.chdir(folder)  # a socket's path must be short
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("H65020300008.yaml")
        os.symlink("/dev/zero", folder / "H65020300007.yaml")  # a device: reading it never ends
        os.symlink("H65020300009.yaml", folder / "H65020300006.yaml")  # a link to the pipe
        done = _validate_subprocess(repo.root)
        _refused(done, *(f"records/institution/H6502030000{n}.yaml" for n in (9, 8, 7, 6)))
        done = _validate_subprocess(repo.root, "records/institution/H65020300009.yaml")
        _refused(done, "records/institution/H65020300009.yaml")
    assert "not-a-record-file" not in done.stdout


def test_a_tracked_record_turned_pipe_is_refused(gitrepo):
    (gitrepo.root / H).unlink()
    os.mkfifo(gitrepo.root / H)
    _refused(_validate_subprocess(gitrepo.root), H)


def test_a_symlinked_record_is_still_read(repo, yibao):
    """Symlinks to plain files keep working as before: the record behind the link is checked."""
    target = repo.root / "elsewhere.yaml"
    target.write_text(RECORDS[H].replace("name: 测试区人民医院", "name: 链接的医院"), encoding="utf-8")
    (repo.root / H).unlink()
    os.symlink(target, repo.root / H)
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 0, run.out
