"""The audit trail from git: real repositories in temporary folders, real git commands.

Each test builds a small history with known authors, dates and messages (branches, merges with
pull-request subjects, a squash merge, a rename, a conflicting merge) and checks what
:func:`yibao.load.history.read_history` makes of it.
"""
from __future__ import annotations

import datetime
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.load.git_tree import blob_id
from yibao.load.history import MISSING, HistoryError, field_changes, pr_reference, read_history

CASE = "records/case/2024/AJ-2024-000001.yaml"


class Git:
    """A git work tree in a temporary folder; commits with chosen authors and dates."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "schemas").mkdir(exist_ok=True)
        (root / "schemas" / "vocabulary.schema.json").write_text("{}", encoding="utf-8")
        self.run("init", "-q", "-b", "main")
        self.run("config", "user.name", "Maintainer")
        self.run("config", "user.email", "maintainer@example.invalid")
        self.run("config", "commit.gpgsign", "false")
        self.clock = 0

    def run(self, *args: str, author: str | None = None) -> str:
        env = dict(os.environ)
        self.clock = getattr(self, "clock", 0) + 1
        stamp = (datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
                 + datetime.timedelta(hours=self.clock)).isoformat()
        env.update({"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        if author:
            env.update({"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.invalid"})
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def write(self, relpath: str, text: str) -> None:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def commit(self, message: str, author: str = "Alice") -> str:
        self.run("add", "-A")
        self.run("commit", "-q", "-m", message, author=author)
        return self.run("rev-parse", "HEAD").strip()


def case_text(status: str = "调查中", recovered: str | None = None, extra: str = "") -> str:
    money = f"money:\n  recovered: {recovered}\n" if recovered is not None else ""
    return (f"id: AJ-2024-000001\ncontract: HT-2024-TEST\nsource: 检查发现\nstatus: {status}\n"
            f"timeline:\n  registered_on: 2024-05-10\n{money}{extra}")


@pytest.fixture
def git(tmp_path: Path) -> Git:
    return Git(tmp_path / "repo")


def test_versions_carry_author_date_message_in_order(git: Git):
    git.write(CASE, case_text())
    git.commit("Register case AJ-2024-000001", author="Alice")
    git.write(CASE, case_text(recovered="0"))
    git.commit("Record money", author="Bob")
    git.write(CASE, case_text(status="已结案", recovered="12480.00", extra="notes: 已退回\n"))
    git.commit("Close case\n\nBureau decision 2024-06-01.", author="Carol")

    history = read_history(git.root)
    versions = history.of(CASE)
    assert [v.commit.author for v in versions] == ["Alice", "Bob", "Carol"]
    assert [v.commit.subject for v in versions] == ["Register case AJ-2024-000001", "Record money", "Close case"]
    assert versions[2].commit.message == "Close case\n\nBureau decision 2024-06-01."
    assert versions[0].commit.date < versions[1].commit.date < versions[2].commit.date
    assert [v.status for v in versions] == ["A", "M", "M"]
    assert all(v.pr is None for v in versions)
    # the work tree matches the last version
    assert blob_id((git.root / CASE).read_bytes()) == versions[-1].blob


def test_field_level_changes_between_consecutive_versions(git: Git):
    git.write(CASE, case_text(recovered="0"))
    git.commit("Register")
    git.write(CASE, case_text(status="已结案", recovered="12480.00", extra="notes: 已退回\n"))
    git.commit("Close")

    first, second = read_history(git.root).of(CASE)
    created = {c.path: (c.old, c.new) for c in first.changes()}
    assert created[("status",)] == (MISSING, "调查中")
    assert created[("money", "recovered")] == (MISSING, 0)
    changes = {c.path: (c.old, c.new) for c in second.changes()}
    assert changes == {
        ("status",): ("调查中", "已结案"),
        ("money", "recovered"): (0, Decimal("12480.00")),
        ("notes",): (MISSING, "已退回"),
    }


def test_field_changes_index_lists_of_mappings_and_report_removals():
    old = {"findings": [{"violation_type": "重复收费", "amount": Decimal("100.00")}], "notes": "x", "tags": ["a"]}
    new = {"findings": [{"violation_type": "重复收费", "amount": Decimal("120.00")}, {"violation_type": "超标准收费"}],
           "tags": ["a", "b"]}
    changes = {c.path: (c.old, c.new) for c in field_changes(old, new)}
    assert changes == {
        ("findings", 0, "amount"): (Decimal("100.00"), Decimal("120.00")),
        ("findings", 1, "violation_type"): (MISSING, "超标准收费"),
        ("tags",): (["a"], ["a", "b"]),
        ("notes",): ("x", MISSING),
    }
    # a number written differently (0 → 0.00) is a change, not silently equal
    assert field_changes({"a": 0}, {"a": Decimal("0.00")})


def test_pull_request_reference_from_merge_commit(git: Git):
    git.write(CASE, case_text())
    git.commit("Register", author="Alice")
    git.run("checkout", "-q", "-b", "close-case")
    git.write(CASE, case_text(status="已结案", recovered="12480.00"))
    branch_commit = git.commit("Close case", author="Bob")
    git.run("checkout", "-q", "main")
    git.write("README.md", "unrelated\n")
    git.commit("Docs", author="Alice")
    git.run("merge", "-q", "--no-ff", "close-case", "-m", "Merge pull request #12 from tianshan/close-case", author="Reviewer")

    versions = read_history(git.root).of(CASE)
    assert [v.commit.author for v in versions] == ["Alice", "Bob"]
    closed = versions[1]
    assert closed.commit.sha == branch_commit
    assert closed.pr == "#12"
    assert closed.merge is not None and closed.merge.subject.startswith("Merge pull request #12")
    assert closed.merge.author == "Reviewer"
    assert versions[0].pr is None  # committed straight to main


def test_squash_and_gitlab_references():
    assert pr_reference("Close case AJ-2024-000001 (#13)") == "#13"
    assert pr_reference("Merge branch 'fix' into 'main'\n\nSee merge request bureau/records!7") == "!7"
    assert pr_reference("Merge pull request '结案' (#5) from fix into main") == "#5"
    assert pr_reference("Fix typo in #12 description") is None


def test_squash_merged_commit_names_its_pull_request(git: Git):
    git.write(CASE, case_text())
    git.commit("Register case (#3)")
    (version,) = read_history(git.root).of(CASE)
    assert version.pr == "#3"


def test_renames_are_followed(git: Git):
    old = "records/case/AJ-2024-000001.yaml"
    git.write(old, case_text())
    git.commit("Register")
    (git.root / CASE).parent.mkdir(parents=True)
    git.run("mv", old, CASE)
    git.write(CASE, case_text(status="已结案", recovered="1.00"))
    git.commit("Move into year folder and close")

    history = read_history(git.root)
    versions = history.of(CASE)
    assert len(versions) == 2 and history.of(old) == []
    assert versions[1].status == "R" and versions[1].before_path == old and versions[1].path == CASE
    assert {c.path for c in versions[1].changes()} == {("status",), ("money", "recovered")}


def test_conflict_resolved_in_merge_is_a_version(git: Git):
    git.write(CASE, case_text())
    git.commit("Register")
    git.run("checkout", "-q", "-b", "other")
    git.write(CASE, case_text(status="已立案"))
    git.commit("File case", author="Bob")
    git.run("checkout", "-q", "main")
    git.write(CASE, case_text(status="不予立案"))
    git.commit("Refuse case", author="Carol")
    subprocess.run(["git", "merge", "-q", "other", "-m", "x"], cwd=git.root, capture_output=True)
    git.write(CASE, case_text(status="已立案", extra="notes: 经复核立案\n"))
    git.run("add", "-A")
    git.run("commit", "-q", "-m", "Merge pull request #9 from bob/other", author="Dave")

    versions = read_history(git.root).of(CASE)
    merge = versions[-1]
    assert merge.commit.is_merge and merge.commit.author == "Dave"
    assert merge.pr == "#9"
    # compared with the first parent's version (main's 不予立案)
    assert {c.path: (c.old, c.new) for c in merge.changes()} == {("status",): ("不予立案", "已立案"),
                                                                 ("notes",): (MISSING, "经复核立案")}


def test_unreadable_version_is_reported_not_fatal(git: Git):
    git.write(CASE, case_text())
    git.commit("Register")
    git.write(CASE, "id: [broken\n")
    git.commit("Oops")
    git.write(CASE, case_text(status="已立案"))
    git.commit("Fix")

    versions = read_history(git.root).of(CASE)
    assert versions[1].parsed.data is None and versions[1].parsed.problems
    assert versions[2].parsed.data["status"] == "已立案"


def test_records_repository_inside_a_larger_work_tree(tmp_path: Path):
    outer = Git(tmp_path / "outer")
    inner = outer.root / "bureau"
    (inner / "schemas").mkdir(parents=True)
    (inner / "schemas" / "vocabulary.schema.json").write_text("{}", encoding="utf-8")
    outer.write(f"bureau/{CASE}", case_text())
    outer.write(CASE, case_text(status="已结案"))  # outside the records repository: not its history
    outer.commit("Add")
    history = read_history(inner)
    assert list(history.versions) == [CASE]
    assert history.of(CASE)[0].parsed.data["status"] == "调查中"


def test_one_git_log_however_many_files(git: Git, monkeypatch):
    import git as gitpython

    for n in range(40):
        git.write(f"records/case/2024/AJ-2024-{n:06d}.yaml", case_text().replace("000001", f"{n:06d}"))
    git.commit("Many")
    for n in range(0, 40, 2):
        git.write(f"records/case/2024/AJ-2024-{n:06d}.yaml", case_text(status="已立案").replace("000001", f"{n:06d}"))
    git.commit("Half")

    calls: list[tuple] = []
    original = gitpython.cmd.Git.execute

    def counting(self, command, *args, **kwargs):
        calls.append(tuple(command))
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(gitpython.cmd.Git, "execute", counting)
    history = read_history(git.root)
    assert len(history.versions) == 40
    assert sum(len(v) for v in history.versions.values()) == 60
    assert all(v.parsed.data for vs in history.versions.values() for v in vs)
    logs = [c for c in calls if "log" in c]
    assert len(logs) == 1, calls
    assert len(calls) <= 4, calls  # rev-parse checks and the one log; blobs come from one cat-file --batch process


def test_shallow_clone_is_refused_with_a_clear_error(git: Git, tmp_path: Path):
    git.write(CASE, case_text())
    git.commit("Register")
    git.write(CASE, case_text(status="已立案"))
    git.commit("File")
    shallow = tmp_path / "shallow"
    done = subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{git.root}", str(shallow)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pytest.raises(HistoryError) as caught:
        read_history(shallow)
    assert caught.value.code == "shallow-clone"
    assert "fetch-depth: 0" in caught.value.message and "git fetch --unshallow" in caught.value.message
    assert str(caught.value).startswith("error[shallow-clone] ")


def test_not_a_git_repository(tmp_path: Path):
    (tmp_path / "plain" / "schemas").mkdir(parents=True)
    with pytest.raises(HistoryError) as caught:
        read_history(tmp_path / "plain")
    assert caught.value.code == "not-a-git-repo"


def test_repository_without_commits_has_empty_history(git: Git):
    history = read_history(git.root)
    assert history.versions == {} and history.commits == []
