"""The check cache can never make an invalid record pass; the parallel path equals the serial one.

Both are exercised in a plain folder (the cache's own stat manifest) and in a git work tree (blob
ids from git), because the two find out what changed in different ways.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import HOSPITAL, INSPECTION_ID, RECORDS, make_repo

from yibao.speed import pool, run as runner
from yibao.speed.cache import Cache
from yibao.core.schemas import SchemaSet

I = f"records/inspection/2024/{INSPECTION_ID}.yaml"
H = f"records/institution/{HOSPITAL}.yaml"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture(params=["folder", "git"])
def cached_repo(request, tmp_path):
    repo = make_repo(tmp_path, RECORDS)
    if request.param == "git":
        _git(repo.root, "init", "-q", "-b", "main")
        _git(repo.root, "add", "-A")
        _git(repo.root, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "records")
    return repo


def _validate(root: Path, cache_dir: Path, jobs: int | None = None):
    schemas = SchemaSet.load(root / "schemas")
    return runner.check_repository(root, schemas, cache=Cache(root, schemas.fingerprint, cache_dir), jobs=jobs, want_data=False)


def _age(root: Path) -> None:
    """Make every file look older than the racy window, as files of a real checkout are."""
    old = 1_600_000_000
    for path in (root / "records").rglob("*.yaml"):
        os.utime(path, (old, old))


def test_an_edit_after_caching_is_seen_even_with_same_size_and_time(cached_repo, tmp_path):
    cache = tmp_path / "cache"
    _age(cached_repo.root)
    assert _validate(cached_repo.root, cache).ok
    assert _validate(cached_repo.root, cache).ok  # now served from the cache
    path = cached_repo.root / I
    text = path.read_text(encoding="utf-8")
    stat = path.stat()
    bad = text.replace("population: 1000", "population: 0010")  # same length, now invalid
    assert len(bad) == len(text)
    path.write_text(bad, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and same mtime
    result = _validate(cached_repo.root, cache)
    assert not result.ok
    assert [d.code for d in result.errors] == ["ambiguous-value"]


def test_an_edit_is_seen_by_a_warm_cache(cached_repo, tmp_path):
    cache = tmp_path / "cache"
    _age(cached_repo.root)
    assert _validate(cached_repo.root, cache).ok
    cached_repo.write(I, (cached_repo.root / I).read_text(encoding="utf-8").replace("type: 日常巡查", "type: 日常巡"))
    result = _validate(cached_repo.root, cache)
    assert [d.code for d in result.errors] == ["unknown-term"]


def test_a_schema_change_after_caching_is_applied(cached_repo, tmp_path):
    cache = tmp_path / "cache"
    _age(cached_repo.root)
    assert _validate(cached_repo.root, cache).ok
    schema_path = cached_repo.root / "schemas" / "institution.schema.json"
    schema = schema_path.read_text(encoding="utf-8")
    schema_path.write_text(schema.replace('"required": ["id", "name", "type",', '"required": ["id", "name", "level", "type",'), encoding="utf-8")
    result = _validate(cached_repo.root, cache)
    assert "missing-field" in [d.code for d in result.errors]


def test_a_deleted_or_damaged_cache_only_costs_time(cached_repo, tmp_path):
    cache = tmp_path / "cache"
    cached_repo.write(H, (cached_repo.root / H).read_text(encoding="utf-8") + "extra: 1\n")
    first = _validate(cached_repo.root, cache)
    assert [d.code for d in first.errors] == ["unknown-field"]
    shutil.rmtree(cache)
    assert _validate(cached_repo.root, cache).diagnostics == first.diagnostics
    for path in cache.rglob("*.*"):
        path.write_bytes(b"\x00garbage")
    assert _validate(cached_repo.root, cache).diagnostics == first.diagnostics


def test_a_new_file_and_a_removed_file_are_seen(cached_repo, tmp_path):
    cache = tmp_path / "cache"
    _age(cached_repo.root)
    assert _validate(cached_repo.root, cache).ok
    cached_repo.remove(H)  # the inspection and the case now refer to nothing
    result = _validate(cached_repo.root, cache)
    assert "unresolved-reference" in [d.code for d in result.errors]


def test_parallel_run_equals_serial_run(monkeypatch, tmp_path):
    """Same errors, same order, same counts, whatever the number of workers."""
    repo = make_repo(tmp_path, RECORDS)
    base = (repo.root / I).read_text(encoding="utf-8")
    for n in range(60):
        ident = f"JC-2024-{n:06d}"
        text = base.replace(INSPECTION_ID, ident)
        if n % 7 == 0:
            text = text.replace("type: 日常巡查", "type: 日常巡")
        if n % 11 == 0:
            text = text.replace("population: 1000", "population: 10")
        repo.write(f"records/inspection/2024/{ident}.yaml", text)
    schemas = SchemaSet.load(repo.root / "schemas")
    monkeypatch.setattr(pool, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(pool, "CHUNK", 7)
    serial = runner.check_repository(repo.root, schemas, jobs=1)
    parallel = runner.check_repository(repo.root, schemas, jobs=2)
    assert serial.diagnostics == parallel.diagnostics
    assert len(serial.errors) > 10
    assert [(r.path, r.valid, r.data) for r in serial.records] == [(r.path, r.valid, r.data) for r in parallel.records]
    assert serial.counts == parallel.counts


def test_cached_run_equals_fresh_run_on_the_demo(tmp_path):
    root = Path(__file__).resolve().parents[1]
    schemas = SchemaSet.load(root / "schemas")
    fresh = runner.check_repository(root, schemas, want_data=False)
    cache = Cache(root, schemas.fingerprint, tmp_path / "cache")
    first = runner.check_repository(root, schemas, cache=cache, want_data=False)
    again = runner.check_repository(root, schemas, cache=Cache(root, schemas.fingerprint, tmp_path / "cache"), want_data=False)
    assert fresh.diagnostics == first.diagnostics == again.diagnostics
    assert fresh.counts == first.counts == again.counts
