"""The demo repository with a realistic history (yibao generate --demo-history): records arrive as
pull requests by the contractor's account, approved and merged by the bureau's; the portal's audit
trail shows each version with its author, reviewer, merger, pull request and merge commit."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from portal_demo import PROJECT, run_cli


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("history") / "demo"
    rc, out, err = run_cli("-C", str(PROJECT), "generate", "--demo-history", str(target))
    assert rc == 0, out + err
    return target


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def test_final_tree_is_the_repository_and_every_merge_is_reviewed(replayed):
    for path in (PROJECT / "records").rglob("*.yaml"):
        assert (replayed / path.relative_to(PROJECT)).read_bytes() == path.read_bytes(), path
    assert _git(replayed, "status", "--porcelain") == ""
    merges = _git(replayed, "log", "--merges", "--format=%an%x1f%B%x1e").split("\x1e")
    merges = [m.strip() for m in merges if m.strip()]
    assert len(merges) > 100
    for merge in merges:
        author, message = merge.split("\x1f", 1)
        assert re.match(r"Merge pull request #\d+ from ", message), message
        reviewer = re.search(r"^Reviewed-by: (\S+)$", message, re.M)
        assert reviewer and reviewer.group(1) == author  # the bureau's reviewer approves and merges
    contractors = set(_git(replayed, "log", "--no-merges", "--format=%an").split())
    assert {"tianshan-consult", "fuxian-yb"} <= contractors  # the contracts' submitter accounts
    rc, out, err = run_cli("-C", str(replayed), "validate")
    assert rc == 0, out + err


def test_audit_trail_shows_versions_reviewer_merger_and_links(replayed):
    config = (replayed / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("extra:\n", "extra:\n  yibao:\n    pull_request_url: https://git.example.org/ybj/yibao/pulls/{number}\n"
                                        "    commit_url: https://git.example.org/ybj/yibao/commit/{sha}\n", 1)
    (replayed / "mkdocs.yml").write_text(config, encoding="utf-8")
    rc, out, err = run_cli("-C", str(replayed), "build", "--as-of", "2024-12-31", "--no-cache")
    assert rc == 0, out + err
    page = (replayed / "public" / "cases" / "AJ-2024-43TGWJ.html").read_text(encoding="utf-8")
    versions = re.findall(r"第 (\d+) 版", page)
    assert len(versions) >= 3, versions  # registered, filed … closed: one version per step
    assert re.search(r'合并请求 <span class="yb-pr"><a href="https://git\.example\.org/ybj/yibao/pulls/\d+">#\d+</a>', page)
    assert re.search(r'提交 <span class="yb-sha"><a href="https://git\.example\.org/ybj/yibao/commit/[0-9a-f]{40}">', page)
    assert '审核：<span class="yb-reviewer">cj-ybj-review</span>' in page
    assert '合并：<span class="yb-merger">cj-ybj-review</span>' in page
    assert '作者 <span class="yb-author">fuxian-yb</span>' in page
    assert re.search(r"<th>字段</th><th>修改前</th><th>修改后</th>", page)
    assert "原值" not in page and "新值" not in page  # one set of headers everywhere
