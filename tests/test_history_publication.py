"""What git history can publish: nothing that HEAD would not be allowed to hold.

A real repository whose history holds personal data in an intermediate version, in an unreadable
version's parse error, in a commit message and in an author name, a confidential value that a
later version removed, and a number no loader can convert. HEAD is clean and valid, so CI (which
checks HEAD) would pass; the portal built from it must show none of it, and the build's own final
scan must refuse output that does.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CASE, CASE_ID, PROJECT, RECORDS, make_repo
from yibao.check.publishable import UNREADABLE, Gate, mask_data, mask_text
from yibao.cli import main as run_main
from yibao.publish import portal
from yibao.publish.portal import PortalError, check_no_leak

CASE_PATH = f"records/case/2024/{CASE_ID}.yaml"
MOBILE = "13812345678"  # in an intermediate version's value
MOBILE_IN_ERROR = "13987654321"  # only in a version that fails to parse (the error would quote it)
MOBILE_IN_MESSAGE = "13712345678"
MOBILE_IN_AUTHOR = "13612345678"
SECRET = "举报人称该院药房主任夜间私下倒卖药品甲乙丙"  # confidential field, removed later


def git(root: Path, *args: str, author: str = "Clerk") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "clerk@example.invalid",
           "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "clerk@example.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit(root: Path, message: str, author: str = "Clerk") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, author=author)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory) -> Path:
    """A repository whose HEAD is clean while its history is not."""
    root = make_repo(tmp_path_factory.mktemp("leaky"), RECORDS).root
    shutil.copytree(PROJECT / "site", root / "site")
    shutil.copy2(PROJECT / "mkdocs.yml", root / "mkdocs.yml")
    git(root, "init", "-q", "-b", "main")
    commit(root, "base records")
    case = root / CASE_PATH
    clean = case.read_text(encoding="utf-8")
    case.write_text(clean + f"summary: 患者家属联系电话 {MOBILE}，已电话核实\nlead_text: {SECRET}\n", encoding="utf-8")
    commit(root, f"补充案情（举报人手机 {MOBILE_IN_MESSAGE}）")
    case.write_text(clean + f"summary: +86{MOBILE_IN_ERROR}\n", encoding="utf-8")  # ambiguous-value quotes it
    commit(root, "wip", author=f"张三 {MOBILE_IN_AUTHOR}")
    case.write_text(clean + "notes: " + "9" * 5001 + "\n", encoding="utf-8")  # beyond Python's int limit
    commit(root, "wip 2")
    case.write_text(clean + "summary: 已电话核实\n", encoding="utf-8")
    commit(root, "删除个人信息")
    return root


@pytest.fixture(scope="module")
def built(leaky: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "public"
    result = portal.build_portal(leaky, out, as_of=None)
    assert result.output == out
    return out


NEEDLES = (MOBILE, MOBILE_IN_ERROR, MOBILE_IN_MESSAGE, MOBILE_IN_AUTHOR, SECRET)


def _texts(place: Path):
    for path in place.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            yield path, {text, html.unescape(text), text.replace("\u200b", ""), html.unescape(text).replace("\u200b", "")}


def test_history_values_never_reach_any_output_file(leaky: Path, built: Path):
    checked = 0
    for place in (built, leaky / "build"):
        for path, variants in _texts(place):
            for needle in NEEDLES:
                assert not any(needle in v for v in variants), f"{needle} leaked into {path}"
            checked += 1
    assert checked > 20


def test_the_record_page_shows_masked_values_and_a_neutral_notice(built: Path):
    page = html.unescape((built / "cases" / f"{CASE_ID}.html").read_text(encoding="utf-8"))
    assert "138******78" in page  # the field is shown, masked
    assert UNREADABLE in page  # the unreadable versions say so, without their error text
    assert "未加引号" not in page and "数值位数过多" not in page
    assert "张三 136******78" in page  # the author's name, masked
    changes = html.unescape((built / "changes.html").read_text(encoding="utf-8"))
    assert "137******78" in changes


def test_without_the_gate_the_final_scan_refuses_the_build(leaky: Path, tmp_path: Path, monkeypatch):
    """The second line of defence: the build's scan of its own output catches what slipped through."""
    class NoGate(Gate):
        def text(self, value):
            return value

        def version(self, text, data, problems):
            return data, problems

    monkeypatch.setattr(portal, "Gate", NoGate)
    with pytest.raises(PortalError) as caught:
        portal.build_portal(leaky, tmp_path / "public")
    assert caught.value.code == "personal-data-leak"


def test_cli_build_of_a_leaky_history_exits_0(leaky: Path, tmp_path: Path):
    assert run_main(["-C", str(leaky), "build", "--output", str(tmp_path / "p"), "--no-cache"]) == 0


def test_final_scan_finds_personal_data_and_history_secrets(tmp_path: Path):
    docs = tmp_path / "docs"
    (docs / "cases").mkdir(parents=True)
    page = docs / "cases" / "AJ-1.md"
    page.write_text("<table><tr><td>2022</td><td>2926</td><td>2023</td><td>3109</td></tr></table>\n", encoding="utf-8")
    check_no_leak(tmp_path, set(), docs)  # cells apart: a year and a count, twice
    page.write_text("<p>联系电话 139 8765 4321</p>\n", encoding="utf-8")
    with pytest.raises(PortalError) as caught:
        check_no_leak(tmp_path, set(), docs)
    assert caught.value.code == "personal-data-leak"
    index = tmp_path / "search" / "search_index.json"
    index.parent.mkdir(parents=True)
    index.write_text(json.dumps({"docs": [{"title": "案件", "text": SECRET}]}), encoding="utf-8")
    with pytest.raises(PortalError) as caught:
        check_no_leak(tmp_path, {SECRET})
    assert caught.value.code == "confidential-leak"
    index.write_text(json.dumps({"docs": [{"title": "案件", "text": "已电话核实"}]}), encoding="utf-8")
    check_no_leak(tmp_path, {SECRET})


def test_secret_values_include_every_version_in_history(leaky: Path):
    from yibao.publish import pages as P

    site, *_ = portal.generate_docs(leaky, with_history=True)
    assert SECRET in portal.secret_values(site)
    assert isinstance(site, P.Site)


def test_mask_data_masks_every_kind_of_value():
    data = {"a": f"电话{MOBILE}", "b": [int(MOBILE), {"c": "无"}], "d": True}
    shown, count = mask_data(data)
    assert count == 2
    assert shown == {"a": "电话138******78", "b": ["138******78", {"c": "无"}], "d": True}
    assert mask_text("无个人信息") == "无个人信息"


def test_a_huge_integer_at_head_is_an_error_not_a_crash(tmp_path: Path, capsys):
    root = make_repo(tmp_path, RECORDS).root
    case = root / CASE_PATH
    case.write_text(case.read_text(encoding="utf-8") + "notes: " + "9" * 5001 + "\n", encoding="utf-8")
    assert run_main(["-C", str(root), "validate", "--no-cache"]) == 1
    out = capsys.readouterr().out
    assert f"{CASE_PATH}:" in out and "error[number-too-large]" in out and "Traceback" not in out


def test_diff_output_never_shows_personal_data_of_either_side(tmp_path: Path, capsys):
    """A base that reached main unchecked: a file named by a mobile number and PII in a record."""
    root = make_repo(tmp_path, RECORDS).root
    git(root, "init", "-q", "-b", "main")
    stray = root / "records" / "case" / "2024" / f"{MOBILE}.yaml"
    stray.write_text(CASE.replace(f"id: {CASE_ID}", f"id: {MOBILE}") + f"summary: 联系 {MOBILE}\nlead_text: {SECRET}\n",
                     encoding="utf-8")
    commit(root, "base with a leak")
    git(root, "checkout", "-q", "-b", "pr")
    stray.write_text(stray.read_text(encoding="utf-8").replace("status: 已立案", "status: 已结案"), encoding="utf-8")
    (root / CASE_PATH).unlink()
    commit(root, "change both")
    for fmt in ("markdown", "github", "json"):
        capsys.readouterr()
        assert run_main(["-C", str(root), "diff", "main", "HEAD", "--format", fmt, "--as-of", "2024-10-15"]) == 0
        out = capsys.readouterr().out
        assert MOBILE not in out and SECRET not in out, (fmt, out)
        assert "138******78" in out, (fmt, out)


def test_control_bytes_in_commit_messages_never_stop_the_audit_trail(tmp_path: Path):
    from yibao.load.history import read_history

    root = make_repo(tmp_path, RECORDS).root
    git(root, "init", "-q", "-b", "main")
    commit(root, "base\x1e\x1f\x1dfake header")
    case = root / CASE_PATH
    case.write_text(case.read_text(encoding="utf-8") + "summary: 已核实\n", encoding="utf-8")
    commit(root, "second \x1e one")
    history = read_history(root)
    assert [c.subject for c in history.record_commits()] == ["second \x1e one", "base\x1e\x1f\x1dfake header"]
    assert len(history.of(CASE_PATH)) == 2


@pytest.mark.parametrize("separator", ["\\t", "\\u200e", "\\u202a"])
def test_diff_masks_a_number_before_escaping_its_separators(tmp_path: Path, capsys, separator):
    """A withdrawal reason quoted in the job summary: the tab or mark between the digit groups is
    shown escaped, and the number is masked first (escaped, it would no longer look like one)."""
    root = make_repo(tmp_path, RECORDS).root
    git(root, "init", "-q", "-b", "main")
    commit(root, "base")
    git(root, "checkout", "-q", "-b", "pr")
    case = root / CASE_PATH
    reason = f"联系 139{separator}8765{separator}4321"
    text = case.read_text(encoding="utf-8").replace("status: 已立案", "status: 已撤回")
    case.write_text(text + f'withdrawal:\n  date: 2024-06-01\n  reason: "{reason}"\n  requested_by: 项目负责人\n', encoding="utf-8")
    commit(root, "withdraw")
    for fmt in ("markdown", "github", "json"):
        capsys.readouterr()
        assert run_main(["-C", str(root), "diff", "main", "HEAD", "--format", fmt, "--as-of", "2024-10-15"]) == 0
        out = capsys.readouterr().out
        assert "8765" not in out and "4321" not in out.replace("139******21", ""), (fmt, out)  # the middle groups masked


def test_the_leak_check_reads_the_pages_the_search_index_leaves_out(tmp_path: Path):
    """The KPI drill-down pages are not in the search index (search.NOT_INDEXED): the final scan reads
    them from their own files, so a confidential value on one of them still stops the build."""
    from yibao.publish import search

    page = tmp_path / search.NOT_INDEXED[0] / "HT-2024-KLMY" / "kpi-cases_total.html"
    page.parent.mkdir(parents=True)
    page.write_text("<table><tr><td>AJ-2024-000001</td><td>已电话核实</td></tr></table>", encoding="utf-8")
    check_no_leak(tmp_path, {SECRET})
    page.write_text(f"<table><tr><td>AJ-2024-000001</td><td>{html.escape(SECRET)}</td></tr></table>", encoding="utf-8")
    with pytest.raises(PortalError) as caught:
        check_no_leak(tmp_path, {SECRET})
    assert caught.value.code == "confidential-leak"
    assert search.indexed(["kpis/HT-2024-KLMY/kpi-cases_total.html", "cases/AJ-2024-000001.html"]) == ["cases/AJ-2024-000001.html"]
