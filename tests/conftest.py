"""Shared fixtures: throw-away record repositories written as text, and the CLI run in-process.

``make_repo(tmp_path)`` copies the real ``schemas/`` and writes a small valid repository: one
contract, a hospital, a pharmacy and a handling agency (经办机构), and two staff members. Tests
add or overwrite records with ``repo.write(relpath, text)`` so they control every line.

The records below are minimal valid examples of every kind; ``RECORDS`` maps each to its path
so other tests can reuse them. Numbers that look like identity codes are synthetic: the USCCs
are computed with :func:`yibao.core.codes.make_uscc`.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from yibao import cli
from yibao.core.codes import make_uscc

PROJECT = Path(__file__).resolve().parents[1]
SCHEMAS = PROJECT / "schemas"

CONTRACT_ID = "HT-2024-TEST"
HOSPITAL = "H65020300001"
PHARMACY = "P65020300002"
AGENCY = "J65020300003"
STAFF_A = "RY-A00001"
STAFF_B = "RY-A00002"
INSPECTION_ID = "JC-2024-000001"
CASE_ID = "AJ-2024-000001"
TRAINING_ID = "PX-2024-000001"

#: Synthetic 统一社会信用代码 (valid check character), one per institution.
USCC = {
    HOSPITAL: make_uscc("12650203MB0000001"),
    PHARMACY: make_uscc("92650203MA0000002"),
    AGENCY: make_uscc("11650203MB0000003"),
}

CONTRACT = f"""\
id: {CONTRACT_ID}
name: 测试区医疗保障基金监管服务项目
bureau: 测试区医疗保障局
contractor: 测试医保咨询有限公司
region_code: "650203"
period:
  start: 2024-01-01
  end: 2024-12-31
scope:
  institutions: [{HOSPITAL}, {PHARMACY}, {AGENCY}]
targets:
  - metric: onsite_coverage
    target: 1
submitters: [test-user]
"""


def institution(ident: str, type_: str, name: str) -> str:
    return f"""\
id: {ident}
name: {name}
type: {type_}
region_code: "650203"
uscc: "{USCC[ident]}"
protocol_history:
  - status: 正常
    since: 2020-01-01
"""


def staff(ident: str, role: str = "医学") -> str:
    return f"""\
id: {ident}
contractor: 测试医保咨询有限公司
contracts: [{CONTRACT_ID}]
role: {role}
title: 中级
education: 本科
"""


INSPECTION = f"""\
id: {INSPECTION_ID}
contract: {CONTRACT_ID}
institution: {HOSPITAL}
type: 日常巡查
on_site: true
start_date: 2024-05-06
end_date: 2024-05-07
inspectors: [{STAFF_A}, {STAFF_B}]
sampling:
  basis: 病历
  period_start: 2022-01-01
  period_end: 2023-12-31
  population: 1000
  sampled: 30
  problem_records: 12
status: 已提交报告
report:
  submitted_on: 2024-05-08
  document: 测医保查〔2024〕1号
"""

CASE = f"""\
id: {CASE_ID}
contract: {CONTRACT_ID}
source: 检查发现
subject:
  type: 定点医疗机构
  institution: {HOSPITAL}
related_inspections: [{INSPECTION_ID}]
violation_types: [重复收费]
timeline:
  registered_on: 2024-05-10
  filed_on: 2024-05-15
status: 已立案
disclosed: false
"""

TRAINING = f"""\
id: {TRAINING_ID}
contract: {CONTRACT_ID}
kind: 线下培训
title: 医疗保障基金合规使用培训
start_date: 2024-06-03
end_date: 2024-06-03
topics: [常见违规行为]
place:
  name: 测试区医保局会议室
  scope: 本地
trainers: [{STAFF_A}]
status: 有效
"""

CALENDAR = """\
id: RL-2024
year: 2024
source: 国务院办公厅关于2024年部分节假日安排的通知
holidays:
  - {name: 春节, start: 2024-02-10, end: 2024-02-17}
  - {name: 劳动节, start: 2024-05-01, end: 2024-05-05}
makeup_workdays:
  - {date: 2024-02-04, name: 春节}
  - {date: 2024-02-18, name: 春节}
"""

#: Where each record of the base repository lives, and its text.
BASE_RECORDS = {
    f"records/contract/{CONTRACT_ID}.yaml": CONTRACT,
    f"records/institution/{HOSPITAL}.yaml": institution(HOSPITAL, "定点医疗机构", "测试区人民医院"),
    f"records/institution/{PHARMACY}.yaml": institution(PHARMACY, "定点零售药店", "测试大药房"),
    f"records/institution/{AGENCY}.yaml": institution(AGENCY, "医保经办机构", "测试区医疗保障事务中心"),
    f"records/staff/{STAFF_A}.yaml": staff(STAFF_A, "项目负责人"),
    f"records/staff/{STAFF_B}.yaml": staff(STAFF_B, "医学"),
}

#: One valid record of every kind (the base ones plus those that refer to them).
RECORDS = {
    **BASE_RECORDS,
    f"records/inspection/2024/{INSPECTION_ID}.yaml": INSPECTION,
    f"records/case/2024/{CASE_ID}.yaml": CASE,
    f"records/training/2024/{TRAINING_ID}.yaml": TRAINING,
    "records/calendar/RL-2024.yaml": CALENDAR,
}

DIAGNOSTIC = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<code>[a-z0-9-]+)\] (?P<message>.+)$")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Diag:
    path: str
    line: int
    col: int
    code: str
    message: str


@dataclass
class Run:
    """Outcome of one ``yibao`` run."""

    rc: int
    out: str
    err: str

    @property
    def diagnostics(self) -> list[Diag]:
        found = []
        for line in self.out.splitlines():
            m = DIAGNOSTIC.match(line)
            if m:
                found.append(Diag(m["path"], int(m["line"]), int(m["col"]), m["code"], m["message"]))
        return found

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def only(self, code: str) -> Diag:
        """The single diagnostic with this code (fails when there are none or several)."""
        hits = [d for d in self.diagnostics if d.code == code]
        assert len(hits) == 1, f"expected one {code}, got {hits}\n{self.out}"
        return hits[0]


class Repo:
    """A record repository in a temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relpath: str, content: str | bytes) -> Path:
        """Write a file exactly: bytes as given, text dedented and UTF-8 encoded."""
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else textwrap.dedent(content).encode("utf-8")
        path.write_bytes(data)
        return path

    def remove(self, relpath: str) -> None:
        (self.root / relpath).unlink()

    def line_of(self, relpath: str, needle: str) -> int:
        """1-based number of the first line of a file that contains ``needle``."""
        text = (self.root / relpath).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if needle in line:
                return number
        raise AssertionError(f"{needle!r} not in {relpath}")


def make_repo(tmp_path: Path, records: dict[str, str] | None = None) -> Repo:
    """A repository with the real schemas and the base records (or the ``records`` given)."""
    root = tmp_path / "repo"
    shutil.copytree(SCHEMAS, root / "schemas")
    repo = Repo(root)
    for relpath, text in (BASE_RECORDS if records is None else records).items():
        repo.write(relpath, text)
    return repo


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch) -> None:
    """Every test gets its own check cache: never the user's, never shared between tests."""
    monkeypatch.setenv("YIBAO_CACHE_DIR", str(tmp_path_factory.mktemp("yibao-cache")))


@pytest.fixture(scope="session")
def schemas():
    """The project's schemas, loaded once."""
    from yibao.core.schemas import SchemaSet

    return SchemaSet.load(SCHEMAS)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path)


@pytest.fixture
def full_repo(tmp_path: Path) -> Repo:
    """A repository with a valid record of every kind."""
    return make_repo(tmp_path, RECORDS)


@pytest.fixture
def yibao(capsys):
    """Run ``yibao ARGS`` in-process from directory ``cwd``; returns a :class:`Run`."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        capsys.readouterr()
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            try:
                rc = cli.main(list(args))
            except SystemExit as exc:  # argparse usage errors and --help
                rc = exc.code if isinstance(exc.code, int) else 2
        captured = capsys.readouterr()
        return Run(rc, captured.out, captured.err)

    return run


@pytest.fixture
def validate(yibao, repo):
    """``yibao validate ARGS`` in the default repository (cwd = its root)."""

    def run(*args: str) -> Run:
        return yibao("validate", *args, cwd=repo.root)

    return run
