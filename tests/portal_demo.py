"""The demo portal, built once per test session for test_portal.py and test_portal_browser.py.

A temporary copy of this repository's ``schemas/``, ``records/`` (the demo data), ``site/`` and
``mkdocs.yml`` becomes a real git repository with a short history:

1. all demo records, plus a planted inspection and case (commit by "Demo");
2. on a branch, the case is closed — status 调查中 → 已结案, 追回金额 0 → 12,480.00 (by "Bob");
3. the branch is merged as "Merge pull request #12 from tianshan/close-case" (by "Reviewer").

The planted records carry confidential values that must never reach the output, and text that
a template engine would run (``{{ 7*7 }}``, ``{% … %}``) or a browser would execute.
Then ``yibao build`` runs in-process, as a user would run it.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from yibao import cli
from yibao.core.schemas import SchemaSet
from yibao.core.scope import ScopeTerms, institutions_in_scope
from yibao.load import strict_yaml
from yibao.core.record import Record

PROJECT = Path(__file__).resolve().parents[1]
AS_OF = "2024-10-15"
CASE_ID = "AJ-2024-TEST01"
INSPECTION_ID = "JC-2024-TEST02"
PAYLOAD = "{{ 7*7 }} {% raw %}原样{% endraw %} {# 注释 #} <script>alert(1)</script> **粗体** [链接](javascript:alert(1))"
#: confidential values planted in fixtures: none may appear anywhere in the output
SECRET_LEAD = "举报原文机密标记QX7K9：举报人电话见附件"
SECRET_EVIDENCE = "证据材料机密标记ZP4M2：收费明细截图"
SECRET_REWARD = "98765.43"
SECRETS = (SECRET_LEAD, SECRET_EVIDENCE, SECRET_REWARD, "98,765.43", "QX7K9", "ZP4M2")


@dataclass
class Demo:
    root: Path
    output: Path
    rc: int
    stdout: str
    stderr: str
    seconds: float
    contract: str
    institution: str


def _load(path: Path, kind: str) -> Record:
    value, problems, _ = strict_yaml.load_bytes(path.read_bytes())
    assert not problems, (path, problems)
    return Record(kind, path.relative_to(path.parents[2]).as_posix(), value)


def _pick(root: Path) -> tuple[str, str, list[str]]:
    """A contract with a medical institution in scope on AS_OF and two staff on its team."""
    institutions = [_load(p, "institution") for p in sorted((root / "records/institution").glob("*.yaml"))]
    staff = [_load(p, "staff") for p in sorted((root / "records/staff").glob("*.yaml"))]
    terms = ScopeTerms.of(SchemaSet.load(root / "schemas"))
    for path in sorted((root / "records/contract").glob("*.yaml")):
        contract = _load(path, "contract")
        scoped = [i for i in institutions_in_scope(contract, institutions, date.fromisoformat(AS_OF), terms)
                  if i.get("type") == "定点医疗机构" and i.get("status") != "已撤回"]
        team = [s.id for s in staff if contract.id in (s.get("contracts") or [])]
        period = contract.get("period") or {}
        if scoped and len(team) >= 2 and period.get("start", "") <= "2024-05-20" <= period.get("end", ""):
            return contract.id, scoped[0].id, team[:2]
    raise AssertionError("demo records have no contract with a medical institution in scope and two staff")


def inspection_text(contract: str, institution: str, team: list[str]) -> str:
    return f"""\
id: {INSPECTION_ID}
contract: {contract}
institution: {institution}
type: 日常巡查
on_site: true
start_date: 2024-05-20
end_date: 2024-05-21
inspectors: [{team[0]}, {team[1]}]
findings:
  - violation_type: 重复收费
    description: "同一住院日重复收取护理费；原文：{PAYLOAD.replace('"', "'")}"
    amount: 1200.00
    evidence: "{SECRET_EVIDENCE}"
status: 已提交报告
report:
  submitted_on: 2024-05-22
  document: 测试医保查〔2024〕12号
summary: "{PAYLOAD.replace('"', "'")}"
"""


def case_text(contract: str, institution: str, closed: bool) -> str:
    later = """\
  investigation_ended_on: 2024-07-01
  decided_on: 2024-07-10
  closed_on: 2024-07-15
""" if closed else ""
    return f"""\
id: {CASE_ID}
contract: {contract}
source: 举报投诉
subject:
  type: 定点医疗机构
  institution: {institution}
related_inspections: [{INSPECTION_ID}]
violation_types: [重复收费]
summary: "举报称重复收取护理费。{PAYLOAD.replace('"', "'")}"
lead_text: "{SECRET_LEAD}"
whistleblower_reward: {SECRET_REWARD}
money:
  involved: 12480.00
  recovered: {"12480.00" if closed else "0"}
{"actions: [责令退回]" + chr(10) if closed else ""}timeline:
  registered_on: 2024-06-03
  filed_on: 2024-06-05
{later}status: {"已结案" if closed else "调查中"}
disclosed: false
"""


def _git(root: Path, *args: str, author: str = "Demo", when: str = "2024-10-01T09:00:00+08:00") -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME=author, GIT_AUTHOR_EMAIL=f"{author.lower()}@example.invalid",
               GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL=f"{author.lower()}@example.invalid",
               GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def make_demo_repo(base: Path) -> tuple[Path, str, str]:
    root = base / "repo"
    for name in ("schemas", "records", "site"):
        shutil.copytree(PROJECT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    contract, institution, team = _pick(root)
    case_path = root / "records/case/2024" / f"{CASE_ID}.yaml"
    inspection_path = root / "records/inspection/2024" / f"{INSPECTION_ID}.yaml"
    case_path.parent.mkdir(parents=True, exist_ok=True)
    inspection_path.parent.mkdir(parents=True, exist_ok=True)
    inspection_path.write_text(inspection_text(contract, institution, team), encoding="utf-8")
    case_path.write_text(case_text(contract, institution, closed=False), encoding="utf-8")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Add demo records")
    _git(root, "checkout", "-q", "-b", "close-case")
    case_path.write_text(case_text(contract, institution, closed=True), encoding="utf-8")
    _git(root, "commit", "-q", "-am", f"Close case {CASE_ID}", author="Bob", when="2024-10-08T16:30:00+08:00")
    _git(root, "checkout", "-q", "main")
    _git(root, "merge", "-q", "--no-ff", "close-case", "-m", "Merge pull request #12 from tianshan/close-case",
         author="Reviewer", when="2024-10-09T10:00:00+08:00")
    return root, contract, institution


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(list(args))
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


_BUILT: dict[str, Demo] = {}


def built_demo(tmp_path_factory) -> Demo:
    """Build once per session (per xdist worker) and share."""
    if "demo" not in _BUILT:
        base = tmp_path_factory.mktemp("demo-portal")
        root, contract, institution = make_demo_repo(base)
        output = root / "public"
        start = time.perf_counter()
        rc, out, err = run_cli("-C", str(root), "build", "--as-of", AS_OF, "--output", str(output), "--no-cache")
        _BUILT["demo"] = Demo(root, output, rc, out, err, time.perf_counter() - start, contract, institution)
    return _BUILT["demo"]


def generated_pages(root: Path) -> list[Path]:
    """The Markdown pages the build generated from records (not the hand-written ones in site/)."""
    docs = root / "build" / "portal" / "docs"
    hand_written = {p.relative_to(PROJECT / "site").as_posix() for p in (PROJECT / "site").rglob("*.md")}
    return [p for p in docs.rglob("*.md") if p.relative_to(docs).as_posix() not in hand_written]


def project_records() -> tuple[SchemaSet, list[Record]]:
    """The repository's own schemas and records, loaded as the portal loads them (no errors allowed)."""
    from yibao.speed.run import check_repository

    schemas = SchemaSet.load(PROJECT / "schemas")
    result = check_repository(PROJECT, schemas, want_data=True)
    assert not result.errors, [d.text() for d in result.errors[:5]]
    return schemas, result.records


def site_as_of(schemas: SchemaSet, records: list[Record], day: str):
    """The portal's page model of those records as of ``day`` (ISO date)."""
    from yibao.compute.report import build_report
    from yibao.publish import pages

    as_of = date.fromisoformat(day)
    return pages.Site(schemas, records, build_report(records, schemas, as_of), as_of)
