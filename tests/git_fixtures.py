"""Real git repositories of records in temp dirs, for the gates (check-changes) and the PR workflow.

``GitRepo.create(tmp_path)`` writes the conftest records plus what the gates need — a bureau
reviewer on the test contract, a second contract of another contractor, a closed case and an
inspection whose report was accepted — and commits them on ``main``. A test then works on a
branch, as a contractor would, and commits its change.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import CONTRACT, CONTRACT_ID, HOSPITAL, RECORDS, STAFF_A, STAFF_B, USCC, Repo, institution, make_repo
from yibao.core.codes import make_uscc

SUBMITTER = "test-user"
BUREAU = "bureau-rev"
OTHER_SUBMITTER = "other-co"
OTHER_CONTRACT_ID = "HT-2024-OTHR"
OTHER_HOSPITAL = "H65020400001"
CLOSED_CASE_ID = "AJ-2024-0000C1"
CLOSED_CASE = f"records/case/2024/{CLOSED_CASE_ID}.yaml"
ACCEPTED_ID = "JC-2024-0000A1"
ACCEPTED = f"records/inspection/2024/{ACCEPTED_ID}.yaml"
INSPECTION = "records/inspection/2024/JC-2024-000001.yaml"
CONTRACT_PATH = f"records/contract/{CONTRACT_ID}.yaml"
OTHER_CONTRACT_PATH = f"records/contract/{OTHER_CONTRACT_ID}.yaml"

USCC[OTHER_HOSPITAL] = make_uscc("12650204MB0000009")

OTHER_CONTRACT = f"""\
id: {OTHER_CONTRACT_ID}
name: 另一区医疗保障基金监管服务项目
bureau: 另一区医疗保障局
contractor: 另一家咨询有限公司
region_code: "650204"
period:
  start: 2024-01-01
  end: 2024-12-31
scope:
  rule:
    region_codes: ["650204"]
targets:
  - metric: onsite_coverage
    target: 1
submitters: [{OTHER_SUBMITTER}]
reviewers: [other-bureau]
"""

CLOSED_CASE_TEXT = f"""\
id: {CLOSED_CASE_ID}
contract: {CONTRACT_ID}
source: 举报投诉
subject:
  type: 定点医疗机构
  institution: {HOSPITAL}
violation_types: [分解收费]
money:
  involved: 1200.00
  recovered: 1200.00
timeline:
  registered_on: 2024-03-01
  filed_on: 2024-03-05
  decided_on: 2024-04-01
  closed_on: 2024-04-10
status: 已结案
disclosed: false
"""

ACCEPTED_TEXT = f"""\
id: {ACCEPTED_ID}
contract: {CONTRACT_ID}
institution: {HOSPITAL}
type: 专项检查
on_site: true
start_date: 2024-04-01
end_date: 2024-04-02
inspectors: [{STAFF_A}, {STAFF_B}]
status: 报告已采纳
report:
  submitted_on: 2024-04-03
  document: 测医保查〔2024〕2号
  accepted_on: 2024-04-10
"""

NEW_INSPECTION_ID = "JC-2024-0000N1"
NEW_INSPECTION = f"records/inspection/2024/{NEW_INSPECTION_ID}.yaml"
NEW_INSPECTION_TEXT = f"""\
id: {NEW_INSPECTION_ID}
contract: {CONTRACT_ID}
institution: {HOSPITAL}
type: 日常巡查
on_site: true
start_date: 2024-06-11
end_date: 2024-06-11
inspectors: [{STAFF_A}, {STAFF_B}]
status: 待报告
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def base_records() -> dict[str, str]:
    contract = CONTRACT.replace(f"submitters: [{SUBMITTER}]\n", f"submitters: [{SUBMITTER}]\nreviewers: [{BUREAU}]\n")
    assert contract != CONTRACT
    return {
        **RECORDS,
        CONTRACT_PATH: contract,
        OTHER_CONTRACT_PATH: OTHER_CONTRACT,
        f"records/institution/{OTHER_HOSPITAL}.yaml": institution(OTHER_HOSPITAL, "定点医疗机构", "另一区人民医院").replace('"650203"', '"650204"'),
        CLOSED_CASE: CLOSED_CASE_TEXT,
        ACCEPTED: ACCEPTED_TEXT,
    }


class GitRepo(Repo):
    """A record repository under git, with ``main`` holding the base records."""

    @classmethod
    def create(cls, tmp_path: Path, records: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> "GitRepo":
        repo = make_repo(tmp_path, records or base_records())
        self = cls(repo.root)
        for relpath, text in (extra or {}).items():
            self.write(relpath, text)
        self.git("init", "-q", "-b", "main")
        self.commit("base records")
        return self

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
        return done.stdout

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def branch(self, name: str = "pr") -> None:
        self.git("checkout", "-q", "-b", name)

    def edit(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, relpath: str, text: str) -> None:
        path = self.root / relpath
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
