"""Settlement data never enters git: the one pattern, and the pre-commit hook that uses it."""
from __future__ import annotations

import re

import pytest
import yaml

from yibao.core.data_files import PATTERN, is_data_file

from conftest import PROJECT


@pytest.mark.parametrize("path, refused", [
    ("fee.parquet", True), ("data/fee/part-0000.parquet", True), ("exports/setl.CSV", True), ("x/stock.tsv", True),
    ("leads/20240101-duckdb/leads.jsonl", True), ("data/README.md", True), ("records/case/2024/AJ-2024-000001.yaml", False),
    ("schemas/reference/catalogue.csv", False), ("schemas/reference/README.md", False), ("README.md", False),
    ("scripts/yibao/screen/leads.py", False), ("tests/test_screen.py", False),
])
def test_data_files_are_recognised(path, refused):
    assert is_data_file(path) is refused


def test_pre_commit_hook_uses_the_same_pattern():
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = next(h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "no-settlement-data")
    assert hook["language"] == "fail"
    hook_pattern = re.compile(hook["files"])
    for path in ("fee.parquet", "data/x.md", "a/b.csv", "schemas/reference/catalogue.csv", "leads/r/leads.jsonl", "README.md"):
        assert bool(hook_pattern.search(path)) == is_data_file(path), path
    assert PATTERN.flags & re.IGNORECASE


def test_committed_files_hold_no_settlement_data():
    import subprocess

    listed = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert [p for p in listed if p and is_data_file(p)] == []
