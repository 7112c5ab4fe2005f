"""The gates cannot be steered by the change they judge (real git repositories in temp dirs).

* a tag named like the base branch does not move the base (the ref is refused as ambiguous);
* a record replaced by a symlink or a submodule entry is a deletion;
* whose a record is comes from its base version, so editing it into one's scope claims nothing;
* the rules (schemas) of the base judge a contractor's change, even one that edits them;
* every commit of the change is scanned for personal data: files, messages, author names.
"""
from __future__ import annotations

import pytest

from conftest import USCC, institution
from git_fixtures import (
    BUREAU, INSPECTION, NEW_INSPECTION, NEW_INSPECTION_TEXT, OTHER_SUBMITTER, SUBMITTER, GitRepo,
)
from yibao.check.changes import check_changes as run_gates
from yibao.speed.run import check_repository
from yibao.core.codes import make_uscc
from yibao.cli import main as run_main
from yibao.load.git_tree import GitError


def check_changes(*args, **kwargs):
    """The gates, validating with the repository check (as ``yibao check-changes`` does)."""
    return run_gates(*args, validate=check_repository, **kwargs)


LOOSE = "H65029900001"  # an institution in no contract's scope
USCC[LOOSE] = make_uscc("12650299MB0000007")
LOOSE_PATH = f"records/institution/{LOOSE}.yaml"


@pytest.fixture
def gitrepo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path, extra={
        LOOSE_PATH: institution(LOOSE, "定点医疗机构", "无项目卫生院").replace('"650203"', '"650299"')})
    repo.branch("pr")
    return repo


def errors(repo: GitRepo, *actors: str, base: str = "main") -> list:
    report = check_changes(repo.root, base, "HEAD", actors)
    return [d for d in report.diagnostics if d.severity == "error"]


# -- the base is what the event says, not what a pushed ref shadows --------------------------------
def test_a_tag_shadowing_the_base_branch_is_refused(gitrepo, capsys):
    gitrepo.git("update-ref", "refs/remotes/origin/main", "main")
    gitrepo.remove(INSPECTION)
    gitrepo.commit("delete a record")
    # the attacker's tag points at their own commit: judged against itself, every gate would pass
    gitrepo.git("tag", "origin/main", "HEAD")
    assert run_main(["-C", str(gitrepo.root), "check-changes", "--base", "origin/main", "--actor", SUBMITTER]) == 2
    assert "有歧义" in capsys.readouterr().err
    with pytest.raises(GitError):
        check_changes(gitrepo.root, "origin/main", "HEAD", [SUBMITTER])
    # the full name or the exact commit id still work, and the deletion is caught
    assert "record-deleted" in [d.code for d in errors(gitrepo, SUBMITTER, base="refs/remotes/origin/main")]
    sha = gitrepo.git("rev-parse", "main").strip()
    assert "record-deleted" in [d.code for d in errors(gitrepo, SUBMITTER, base=sha)]


# -- a record path that stops being a file ---------------------------------------------------------
def test_a_record_replaced_by_a_symlink_is_a_deletion(gitrepo):
    target = gitrepo.root / INSPECTION
    text = target.read_text(encoding="utf-8")
    (gitrepo.root / "records" / "inspection" / "copy.txt").write_text(text, encoding="utf-8")
    target.unlink()
    target.symlink_to("../copy.txt")
    gitrepo.commit("symlink")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "record-type-changed"]
    assert [d.path for d in found] == [INSPECTION] and "符号链接" in found[0].message


def test_a_record_replaced_by_a_submodule_is_a_deletion(gitrepo):
    sha = gitrepo.git("rev-parse", "HEAD").strip()
    gitrepo.git("rm", "-q", "--cached", INSPECTION)
    (gitrepo.root / INSPECTION).unlink()
    gitrepo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{INSPECTION}")
    gitrepo.git("commit", "-q", "-m", "submodule")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code in ("record-type-changed", "record-deleted")]
    assert [d.path for d in found] == [INSPECTION] and "子模块" in found[0].message


def test_a_new_record_path_that_is_a_symlink_is_refused(gitrepo):
    (gitrepo.root / NEW_INSPECTION).symlink_to("/etc/hostname")
    gitrepo.commit("symlink in")
    assert "not-a-regular-file" in [d.code for d in errors(gitrepo, SUBMITTER)]


# -- ownership by the base version -----------------------------------------------------------------
def test_editing_a_record_into_ones_own_scope_claims_nothing(gitrepo):
    gitrepo.edit(LOOSE_PATH, '"650299"', '"650204"')  # into the other contractor's region scope
    gitrepo.commit("claim")
    refused = [d.code for d in errors(gitrepo, OTHER_SUBMITTER)]
    assert "actor-not-bureau" in refused
    assert [d.code for d in errors(gitrepo, BUREAU) if d.code.startswith("actor")] == []


# -- the base's rules judge the change -------------------------------------------------------------
def test_a_contractor_cannot_loosen_the_schema_it_is_judged_by(gitrepo):
    schema = gitrepo.root / "schemas" / "inspection.schema.json"
    text = schema.read_text(encoding="utf-8")
    loosened = text.replace('"inspectors", "status"]', '"status"]', 1)
    assert loosened != text
    schema.write_text(loosened, encoding="utf-8")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT.replace("inspectors: [RY-A00001, RY-A00002]\n", ""))
    gitrepo.commit("loosen and use")
    found = errors(gitrepo, SUBMITTER)
    assert "protected-path" in [d.code for d in found]
    assert any(d.path == NEW_INSPECTION and "inspectors" in d.message for d in found), found
    # the bureau may change the rules: its change is judged by the schemas it brings
    assert not any(d.path == NEW_INSPECTION for d in errors(gitrepo, BUREAU))


# -- every commit, not just the last tree ------------------------------------------------------------
def test_personal_data_in_an_intermediate_commit_fails_and_names_the_commit(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT + "notes: 院方联系人 13812345678\n")
    first = gitrepo.commit("add with phone")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("remove phone")
    assert run_main(["-C", str(gitrepo.root), "validate"]) == 0  # the last tree is clean
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "pii-in-history"]
    assert len(found) == 1
    d = found[0]
    assert (d.path, d.line) == (NEW_INSPECTION, NEW_INSPECTION_TEXT.count("\n") + 1)
    assert first[:10] in d.message and "138******78" in d.message and "13812345678" not in d.message
    assert "git rebase -i" in d.message and "--force-with-lease" in d.message


def test_personal_data_in_a_comment_of_an_intermediate_commit_fails(gitrepo):
    gitrepo.write(NEW_INSPECTION, "# 联系 11010519491231002X\n" + NEW_INSPECTION_TEXT)
    gitrepo.commit("comment")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("clean")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "pii-in-history"]
    assert [(d.path, d.line) for d in found] == [(NEW_INSPECTION, 1)]


def test_personal_data_in_a_commit_message_or_author_fails(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("患者电话 13912345678，已核实")
    gitrepo.git("-c", "user.name=张三 13712345678", "commit", "-q", "--allow-empty", "--author",
                "张三 13712345678 <x@example.invalid>", "-m", "empty")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "pii-in-commit"]
    messages = " ".join(d.message for d in found)
    assert "提交说明" in messages and "139******78" in messages
    assert "作者" in messages and "137******78" in messages
    assert "13912345678" not in messages and "13712345678" not in messages


def test_a_clean_change_has_no_history_findings(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("新增检查记录 JC-2024-0000N1（H65020300001）")
    assert errors(gitrepo, SUBMITTER) == []


# -- review findings: what only the parsed YAML shows, odd files, files that came and went -----------
def test_a_number_folded_over_two_lines_in_an_intermediate_commit_fails(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT + "notes: 院方联系人 138 1234\n  5678\n")
    gitrepo.commit("folded")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("clean")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "pii-in-history"]
    assert [(d.path, d.line) for d in found] == [(NEW_INSPECTION, NEW_INSPECTION_TEXT.count("\n") + 1)], found
    assert "notes" in found[0].message and "138" in found[0].message and "5678" not in found[0].message


def test_a_number_spelled_with_escapes_in_an_intermediate_commit_fails(gitrepo):
    escaped = "".join(f"\\u{ord(c):04x}" for c in "13812345678")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT + f'notes: "{escaped}"\n')
    gitrepo.commit("escaped")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("clean")
    assert "pii-in-history" in [d.code for d in errors(gitrepo, SUBMITTER)]


def test_a_file_that_is_not_utf8_text_in_an_intermediate_commit_is_refused(gitrepo):
    (gitrepo.root / NEW_INSPECTION).write_bytes(NEW_INSPECTION_TEXT.encode("utf-16"))
    gitrepo.commit("utf-16")
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("clean")
    assert "unscannable-in-history" in [d.code for d in errors(gitrepo, SUBMITTER)]


def test_a_protected_file_added_and_removed_again_is_refused_to_a_contractor(gitrepo):
    gitrepo.write("scripts/evil.py", "print('x')\n")
    gitrepo.commit("add")
    gitrepo.remove("scripts/evil.py")
    gitrepo.commit("remove")
    found = [d for d in errors(gitrepo, SUBMITTER) if d.code == "protected-path"]
    assert [d.path for d in found] == ["scripts/evil.py"]
    assert [d for d in errors(gitrepo, BUREAU) if d.code == "protected-path"] == []


def test_control_bytes_in_a_commit_message_do_not_break_the_scan(gitrepo, tmp_path):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.git("add", "-A")
    gitrepo.git("commit", "-q", "-m", "hello\x1eworld\x1d\x1f 13812345678")
    found = errors(gitrepo, SUBMITTER)
    assert [d.code for d in found] == ["pii-in-commit"], found
