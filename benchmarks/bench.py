#!/usr/bin/env python3
"""The benchmark: yibao against its floors and the tools a user would otherwise pick, at 1k, 10k and 100k records.

Run from a checkout (``python3 -m pip install -e '.[bench]'`` first)::

    python3 benchmarks/bench.py [--sizes 1000,10000,100000] [--portal-sizes 1000,10000,20000] [--runs 3] ...

For each size a repository is generated with ``yibao.generate`` and given a realistic git history
(records created in daily batches per contract, then edited when a report is submitted or a case
moves on, each commit named like a squash-merged pull request) written with one ``git
fast-import`` stream. Every figure is the median of several runs of the real command line in a
child process; peak memory is the child's maximum resident set (``wait4``; with worker processes
it is the largest single process).

References, the floor each figure is measured against (same run, same files):

* compose limit: read every record file and compose it with libyaml's C parser
  (``yaml.compose(text, Loader=yaml.CSafeLoader)``) on as many worker processes as a cold
  ``yibao validate`` uses (``compose_limit.py``) -- the floor for a cold validate;
* ``git status --porcelain`` on the repository, warm -- the floor for a warm validate;
* a plain ``mkdocs build`` with the same Material theme of as many simple Markdown pages as the
  portal generates -- the floor for the portal's time per page.

Peers:

* ``check-jsonschema`` with the same schema files (schema checks only, no strict loading, no
  cross-record rules, no personal-data scan), one call per kind and batch of files;
* a naive audit trail: one ``git log --follow`` per record file. At 10k and more files it is
  timed on a random sample and scaled linearly (said so in the output).

The table shows each yibao figure as a multiple of its reference, with the target and whether it
is met (see :data:`RATIO_TARGETS`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
try:  # an installed yibao (pip install -e .), else the checkout's own package
    import yibao  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(CHECKOUT / "scripts"))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT / "scripts"), os.environ.get("PYTHONPATH")]))

NAIVE_SAMPLE = 300
GIB = 1024**3
# (figure, reference, at most this multiple of the reference, label)
RATIO_TARGETS = (
    ("validate_cold", "ref_compose_limit", 1.7, "冷校验 ÷ libyaml 组合下限"),
    ("validate_warm", "ref_git_status", 2.0, "热校验 ÷ git status"),
    ("validate_changed", "validate_warm", 1.3, "改动 10 个文件后校验 ÷ 热校验"),
    ("portal_build", "ref_plain_material", 1.0, "门户每页耗时 ÷ 纯 Material 每页耗时"),
)
PORTAL_PEAK_TARGET_BYTES = int(1.5 * GIB)
PER_PAGE = {"portal_build", "ref_plain_material"}  # compared per generated page, not per run


@dataclass
class Measure:
    name: str
    seconds: list[float] = field(default_factory=list)
    peak_bytes: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def peak(self) -> int:
        return max(self.peak_bytes) if self.peak_bytes else 0

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "median_s": round(self.median, 4), "runs_s": [round(s, 4) for s in self.seconds],
                "peak_rss_mib": round(self.peak / 2**20, 1), "note": self.note}


# A child's peak RSS counts what it had before exec: a child forked straight from this (large)
# process would report our size. A small launcher forks the real command from itself and reports
# that grandchild's peak (and of its own children, e.g. worker processes) on its last stderr line.
_LAUNCHER = (
    "import json, os, sys, time\n"
    "cmd = sys.argv[1:]\n"
    "t = time.perf_counter(); pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(cmd[0], cmd)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write('\\n@@bench %f %d\\n' % (time.perf_counter() - t, usage.ru_maxrss * 1024))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_measured(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> tuple[float, int, int, str]:
    """Run a command; return (seconds, peak RSS bytes, exit code, stderr tail)."""
    # the command's words as separate arguments: a single argument may not exceed 128 KiB
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    text = proc.stderr.decode("utf-8", "replace")
    head, _, last = text.rstrip().rpartition("\n@@bench ")
    try:
        seconds, peak = float(last.split()[0]), int(last.split()[1])
    except (IndexError, ValueError):
        raise RuntimeError(f"{' '.join(cmd)} 无法测量：{text[-2000:]}") from None
    tail = head[-2000:]
    if check and proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} 失败（退出码 {proc.returncode}）：{tail}")
    return seconds, peak, proc.returncode, tail


# -- a repository with history ----------------------------------------------------------------------
def _early_version(kind: str, data: dict) -> dict | None:
    """The state a record was first committed in, before it reached its final state."""
    if kind == "inspection" and "report" in data:
        early = {k: v for k, v in data.items() if k not in ("report", "amendments")}
        early["status"] = "待报告"
        return early
    if kind == "case" and data.get("status") not in ("已登记",):
        early = {k: v for k, v in data.items() if k not in ("money", "actions", "amendments", "withdrawal", "legal_basis")}
        early["timeline"] = {"registered_on": data["timeline"]["registered_on"]}
        early["status"] = "已登记"
        return early
    return None


def build_repository(target: Path, institutions: int, seed: int = 7) -> dict[str, Any]:
    """Generate records and commit them as a history; returns facts about the repository."""
    from yibao.core.schemas import SchemaSet
    from yibao.generate import default_schemas_dir, iter_records
    from yibao.generate.writer import RecordWriter

    schemas_dir = default_schemas_dir()
    schemas = SchemaSet.load(schemas_dir)
    records = iter_records(institutions, seed, schemas)
    writer = RecordWriter(schemas)
    events: list[tuple[dt.date, str, str, str]] = []  # (date, contract, relpath, text)
    for record in records:
        contract = record.data.get("contract") or (record.data.get("contracts") or [record.data.get("id")])[0]
        early = _early_version(record.kind, record.data)
        if early is not None and record.created < record.date:
            events.append((record.created, str(contract), record.relpath, writer.text(record.kind, record.relpath, early)))
        events.append((record.date, str(contract), record.relpath, writer.text(record.kind, record.relpath, record.data)))
    events.sort(key=lambda e: (e[0], e[1]))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    shutil.copytree(schemas_dir, target / "schemas")
    commits = _fast_import(target, events, schemas_dir)
    subprocess.run(["git", "-C", str(target), "reset", "-q", "--hard", "main"], check=True)
    project = schemas_dir.parent  # the portal's configuration and hand-written pages come along
    if (project / "mkdocs.yml").is_file():
        shutil.copyfile(project / "mkdocs.yml", target / "mkdocs.yml")
    if (project / "site").is_dir():
        shutil.copytree(project / "site", target / "site")
    return {"records": len(records), "versions": len(events), "commits": commits}


def _fast_import(target: Path, events: list[tuple[dt.date, str, str, str]], schemas_dir: Path) -> int:
    proc = subprocess.Popen(["git", "-C", str(target), "-c", "core.compression=1", "-c", "pack.compression=1",
                             "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE)
    out = proc.stdin
    authors = ["天山医保咨询 <clerk1@example.invalid>", "天山医保咨询 <clerk2@example.invalid>", "区医保局审核 <review@example.invalid>"]
    rng = random.Random(1)

    def data_block(payload: bytes) -> bytes:
        return b"data %d\n" % len(payload) + payload + b"\n"

    number = 0
    first = True
    batch: list[tuple[str, str]] = []

    def commit(day: dt.date, label: str) -> None:
        nonlocal number, first
        number += 1
        when = int(dt.datetime(day.year, day.month, day.day, 10, 0).timestamp()) + number % 3600
        message = f"{label}：{len(batch)} 条记录 (#{number})".encode()
        author = authors[rng.randrange(len(authors))].encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"author " + author + b" %d +0800\n" % when)
        out.write(b"committer " + author + b" %d +0800\n" % when)
        out.write(data_block(message))
        if first:
            for path in sorted(schemas_dir.glob("*.json")):
                out.write(b"M 100644 inline schemas/" + path.name.encode() + b"\n" + data_block(path.read_bytes()))
            first = False
        for relpath, text in batch:
            out.write(b"M 100644 inline " + relpath.encode() + b"\n" + data_block(text.encode()))
        out.write(b"\n")
        batch.clear()

    # One commit per contract and day, at most `size` files; at province scale contracts share
    # commits (a daily batch of a city's contractors) so the history stays a few thousand commits.
    size = max(25, len(events) // 3000)
    per_contract = size == 25
    key = None
    for day, contract, relpath, text in events:
        this = (day, contract) if per_contract else (day,)
        if key is not None and (key != this or len(batch) >= size or any(p == relpath for p, _ in batch)):
            commit(key[0], f"{key[1]} 提交记录" if per_contract else "提交检查、案件和培训记录")
        key = this
        batch.append((relpath, text))
    if batch:
        commit(key[0], f"{key[1]} 提交记录" if per_contract else "提交检查、案件和培训记录")
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import 失败")
    return number


# -- the measurements -------------------------------------------------------------------------------
def _yibao(*args: str) -> list[str]:
    return [sys.executable, "-m", "yibao", *args]


def _env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["YIBAO_CACHE_DIR"] = str(cache_dir)
    return env


def _record_files(repo: Path) -> list[str]:
    from yibao.load.repository import record_files

    return record_files(repo)[0]


def validate_workers() -> tuple[int, int, int]:
    """How a cold ``yibao validate`` spreads its files: (workers, fewest files for workers, files per chunk).

    The compose limit uses the same split, so the two differ only in the work done per file."""
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threshold, chunk = 2000, 250
    for module in ("yibao.speed.pool", "yibao.check.runner"):  # the worker pool (in check.runner before yibao.speed)
        try:
            runner = __import__(module, fromlist=["PARALLEL_THRESHOLD"])
        except ImportError:
            continue
        threshold, chunk = getattr(runner, "PARALLEL_THRESHOLD", threshold), getattr(runner, "CHUNK", chunk)
        if hasattr(runner, "default_jobs"):
            jobs = runner.default_jobs()
        break
    return jobs, threshold, chunk


def _warm_page_cache(repo: Path, files: list[str]) -> None:
    """Read every record file once, so the compose limit and the cold validate after it both find
    the files in the page cache (a cold validate measures the cache's absence, not the disk's)."""
    for rel in files:
        with open(repo / rel, "rb") as handle:
            handle.read()


def compose_limit_cmd(repo: Path) -> list[str]:
    jobs, threshold, chunk = validate_workers()
    return [sys.executable, str(HERE / "compose_limit.py"), str(repo), "--jobs", str(jobs),
            "--threshold", str(threshold), "--chunk", str(chunk)]


def measure_size(repo: Path, runs: int, work: Path, portal: bool, log, peers: bool = True,
                 peer_runs: int | None = None, only_portal: bool = False) -> dict[str, Any]:
    results: dict[str, Measure] = {}

    def add(name: str, seconds: float, peak: int, note: str = "") -> None:
        m = results.setdefault(name, Measure(name))
        m.seconds.append(seconds)
        m.peak_bytes.append(peak)
        if note:
            m.note = note

    files = _record_files(repo)
    jobs = validate_workers()[0]
    time.sleep(2.1)  # files just written are "racy" for the cache's stat check; a real checkout is older
    for i in range(0 if only_portal else runs):
        cache = work / f"cache-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        env = _env(cache)
        _warm_page_cache(repo, files)
        s, p, _, _ = run_measured(compose_limit_cmd(repo), repo)
        add("ref_compose_limit", s, p, f"参照：读取并用 libyaml C 解析器 compose 每个记录文件，{jobs} 个进程，与冷校验相同")
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "validate"), repo, env)
        add("validate_cold", s, p)
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "validate"), repo, env)
        add("validate_warm", s, p)
        subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], stdout=subprocess.DEVNULL, check=True)
        s, p, _, _ = run_measured(["git", "-C", str(repo), "status", "--porcelain"], repo)
        add("ref_git_status", s, p, "参照：git status --porcelain，索引为热")
        changed = random.Random(i).sample(files, min(10, len(files)))
        originals = {rel: (repo / rel).read_bytes() for rel in changed}
        for rel in changed:
            with open(repo / rel, "ab") as handle:
                handle.write(f"# 基准测试修改 {i}\n".encode())
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "validate"), repo, env)
        add("validate_changed", s, p, "10 个文件改动后（缓存为热）")
        for rel, data in originals.items():
            (repo / rel).write_bytes(data)
        report_cmd = _yibao("-C", str(repo), "report", "--as-of", "2024-12-31", "--format", "json", "-o", str(work / "report.json"))
        if i == 0:
            s, p, _, _ = run_measured(report_cmd, repo, env)
            add("report_first", s, p, "首次：缓存中还没有记录内容，全部重新读取")
        run_measured(report_cmd, repo, env)  # fills the record-data cache of this run's cache folder
        s, p, _, _ = run_measured(report_cmd, repo, env)
        add("report", s, p, "JSON，缓存为热")
        code = "import sys; from pathlib import Path; from yibao.load.history import read_history; read_history(Path(sys.argv[1]))"
        s, p, _, _ = run_measured([sys.executable, "-c", code, str(repo)], repo, env)
        add("audit_trail", s, p, "一次 git log + 批量读取 blob + 解析全部版本")
        # the handover manifest: every record version of the history and every document checksum
        # (the documents' own files are not generated: their recorded checksums are taken)
        store = work / "empty-store"
        store.mkdir(exist_ok=True)
        manifest = work / "manifest.json"
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "manifest", "--store", str(store), "--date", "2024-12-31",
                                         "--output", str(manifest)), repo, env)
        add("manifest", s, p, "移交清单：全部记录版本和文书校验和，Merkle 根")
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "manifest", "--store", str(store), "verify", str(manifest)), repo, env,
                                  check=False)
        add("manifest_verify", s, p, "复核清单（文书文件不在，只复核记录版本；退出码不计）")
        log(f"  第 {i + 1}/{runs} 轮：冷校验 {results['validate_cold'].seconds[-1]:.2f}s"
            f"（组合下限 {results['ref_compose_limit'].seconds[-1]:.2f}s），热校验 {results['validate_warm'].seconds[-1]:.2f}s"
            f"（git status {results['ref_git_status'].seconds[-1]:.2f}s）")
    # peers
    peers = peers and not only_portal
    peer_runs = runs if peer_runs is None else peer_runs
    for i in range(peer_runs if peers else 0):
        s, p = _check_jsonschema(repo, files)
        add("peer_check_jsonschema", s, p, "check-jsonschema，同一批文件、同一 schema，只做 schema 校验")
    # one git log per file costs seconds each on a long history: time a sample and scale it
    sample_size = NAIVE_SAMPLE if len(files) <= 2000 else (60 if len(files) <= 20000 else 15)
    sample = files if len(files) <= sample_size else random.Random(3).sample(files, sample_size)
    for i in range(peer_runs if peers else 0):
        s = _naive_git_log(repo, sample) * (len(files) / len(sample))
        add("peer_naive_audit_trail", s, 0, "每个文件一次 git log --follow" + ("" if len(sample) == len(files) else f"（抽样 {len(sample)} 个文件，按比例推算）"))
    pages: dict[str, int] = {}
    sizes: dict[str, int] = {}
    if portal:
        for i in range(runs):
            out = work / f"site-{i}"
            shutil.rmtree(out, ignore_errors=True)
            s, p, rc, tail = run_measured(_yibao("-C", str(repo), "build", "--as-of", "2024-12-31", "--output", str(out)), repo, _env(work / "cache-0"))
            if rc != 0:
                raise RuntimeError(f"门户构建失败（退出码 {rc}）：{tail}")
            pages["portal_build"] = _html_pages(out)
            sizes["portal_build"] = _tree_bytes(out)
            add("portal_build", s, p, f"{pages['portal_build']} 个页面，{sizes['portal_build'] / 2**20:.1f} MiB")
        config = plain_material_project(work / "plain-material", pages["portal_build"], repo)
        for i in range(runs):
            out = work / "plain-material" / "public"
            shutil.rmtree(out, ignore_errors=True)
            s, p, rc, tail = run_measured([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(out)],
                                          config.parent, check=False)
            if rc != 0:
                raise RuntimeError(f"纯 Material 构建失败（退出码 {rc}）：{tail}")
            pages["ref_plain_material"] = _html_pages(out)
            sizes["ref_plain_material"] = _tree_bytes(out)
            add("ref_plain_material", s, p, f"参照：mkdocs build，同一主题，{pages['ref_plain_material']} 个简单 Markdown 页面")
    out = {name: m.as_dict() for name, m in results.items()}
    for name, count in pages.items():
        out[name]["pages"] = count
        out[name]["site_bytes"] = sizes[name]
        out[name]["ms_per_page"] = round(1000 * results[name].median / count, 3) if count else None
    out["targets"] = targets(out)
    if peers:
        out["ratios"] = {
            "validate_cold_vs_check_jsonschema": round(results["validate_cold"].median / results["peer_check_jsonschema"].median, 3),
            "audit_trail_vs_naive_git_log": round(results["audit_trail"].median / results["peer_naive_audit_trail"].median, 5),
        }
    if "validate_cold" in results:
        out["records_per_second_cold"] = round(len(files) / results["validate_cold"].median)
    return out


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target that this size's results can be judged on: its value, its bound and whether it is met."""
    found = []
    for name, reference, bound, label in RATIO_TARGETS:
        a, b = results.get(name), results.get(reference)
        if not a or not b:
            continue
        key = "ms_per_page" if name in PER_PAGE else "median_s"
        if not a.get(key) or not b.get(key):
            continue
        value = a[key] / b[key]
        found.append({"name": f"{name}/{reference}", "label": label, "value": round(value, 3), "target": bound,
                      "unit": "×", "met": value <= bound})
    if "portal_build" in results:
        peak = results["portal_build"]["peak_rss_mib"] * 2**20
        found.append({"name": "portal_build_peak", "label": "门户构建峰值内存", "value": round(peak / GIB, 3),
                      "target": PORTAL_PEAK_TARGET_BYTES / GIB, "unit": "GiB", "met": peak <= PORTAL_PEAK_TARGET_BYTES})
    return found


def _html_pages(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.html")) if site.exists() else 0


def _tree_bytes(site: Path) -> int:
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) if site.exists() else 0


_PLAIN_TEXT = ("本页是基准测试用的简单 Markdown 页面，与门户的记录页面数量相同、主题相同，只有标题、一段文字和一张表，"
               "不含审计记录、图表和宏。检查发现重复收费、超标准收费、串换项目等问题，已按规定处理。")


def plain_material_project(target: Path, pages: int, repo: Path) -> Path:
    """A plain MkDocs project with the portal's theme and search settings and ``pages`` simple
    pages (a title, a paragraph, a table), the navigation listing a handful as the portal does;
    returns its configuration file."""
    import yaml

    docs = target / "docs"
    shutil.rmtree(target, ignore_errors=True)
    (docs / "records").mkdir(parents=True)
    theme: dict[str, Any] = {"name": "material", "language": "zh", "font": False}
    search: dict[str, Any] = {}
    extensions: list[Any] = ["toc", "attr_list", "admonition", "tables"]
    portal_config = repo / "mkdocs.yml"
    if portal_config.is_file():
        portal = yaml.safe_load(portal_config.read_text(encoding="utf-8")) or {}
        theme = {k: v for k, v in (portal.get("theme") or theme).items() if k != "custom_dir"}  # the portal's own templates are not Material's
        extensions = portal.get("markdown_extensions") or extensions
        for plugin in portal.get("plugins") or []:
            if isinstance(plugin, dict) and "search" in plugin:
                search = {k: v for k, v in (plugin["search"] or {}).items() if k == "separator"}
    records = max(0, pages - 2)  # Material adds a 404 page to the index and the records
    listed = min(records, 8)
    (docs / "index.md").write_text("# 基准测试\n\n" + _PLAIN_TEXT + "\n", encoding="utf-8")
    for n in range(1, records + 1):
        rows = "\n".join(f"| 字段 {k} | 值 {n}-{k} |" for k in range(8))
        (docs / "records" / f"R{n:06d}.md").write_text(
            f"# 记录 R{n:06d}\n\n{_PLAIN_TEXT}\n\n| 字段 | 值 |\n| --- | --- |\n{rows}\n", encoding="utf-8")
    config = {
        "site_name": "基准测试（纯 Material）", "docs_dir": "docs", "use_directory_urls": False,
        "theme": theme, "markdown_extensions": extensions, "plugins": [{"search": search}],
        "validation": {"nav": {"omitted_files": "ignore"}},
        "nav": [{"首页": "index.md"}, *({f"记录 {n}": f"records/R{n:06d}.md"} for n in range(1, listed + 1))],
    }
    path = target / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _check_jsonschema(repo: Path, files: list[str]) -> tuple[float, int]:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        raise RuntimeError("没有找到 check-jsonschema；请先 pip install -e '.[bench]'")
    by_kind: dict[str, list[str]] = {}
    for rel in files:
        by_kind.setdefault(rel.split("/")[1], []).append(rel)
    total, peak = 0.0, 0
    for kind, paths in by_kind.items():
        for start in range(0, len(paths), 4000):
            cmd = [exe, "--schemafile", str(repo / "schemas" / f"{kind}.schema.json"), *paths[start:start + 4000]]
            s, p, _, _ = run_measured(cmd, repo, None, check=False)
            total += s
            peak = max(peak, p)
    return total, peak


def _naive_git_log(repo: Path, sample: list[str]) -> float:
    started = time.perf_counter()
    for rel in sample:
        subprocess.run(["git", "-C", str(repo), "log", "--follow", "--format=%H%x1f%an%x1f%aI%x1f%s", "-p", "--", rel],
                       stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


# -- the run and its table --------------------------------------------------------------------------
def run_benchmark(sizes: list[int], runs: int, portal_sizes: set[int], output: Path, keep: Path | None, log=print,
                  peers: bool = True, peer_runs: int | None = None) -> dict[str, Any]:
    work_root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    work_root.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "validate_workers": validate_workers()[0], "python": sys.version.split()[0],
                    "platform": sys.platform},
        "runs": runs, "sizes": {},
    }
    try:
        for size in sorted(set(sizes) | set(portal_sizes)):
            # the generator's unit is institutions; it writes about 2.43 records per institution
            institutions = max(3, round(size / 2.43))
            repo = work_root / f"repo-{size}"
            if (repo / ".git").is_dir() and (repo / "records").is_dir() and keep is not None:
                log(f"沿用已生成的仓库 {repo}")
                facts = {"records": len(_record_files(repo)), "reused": True}
            else:
                log(f"生成约 {size} 条记录的仓库（{institutions} 家机构）及其 git 历史……")
                started = time.perf_counter()
                facts = build_repository(repo, institutions)
                facts["generate_s"] = round(time.perf_counter() - started, 2)
            if not facts.get("reused"):
                log(f"  {facts['records']} 条记录，{facts['versions']} 个版本，{facts['commits']} 次提交（{facts['generate_s']}s）")
            measured = measure_size(repo, runs, work_root / f"work-{size}", size in portal_sizes, log, peers, peer_runs,
                                    only_portal=size not in sizes)
            report["sizes"][str(size)] = {"repository": facts, "results": measured}
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    finally:
        if keep is None:
            shutil.rmtree(work_root, ignore_errors=True)
    return report


LABELS = {
    "validate_cold": "冷校验 validate",
    "ref_compose_limit": "参照：libyaml 组合下限（同样的进程数）",
    "validate_warm": "热校验（无改动）",
    "ref_git_status": "参照：git status --porcelain（热）",
    "validate_changed": "改动 10 个文件后校验",
    "report_first": "考核报告（首次，缓存无记录内容）",
    "report": "考核报告 report", "audit_trail": "审计记录提取", "manifest": "移交清单 manifest",
    "manifest_verify": "复核移交清单 manifest verify", "portal_build": "门户构建",
    "ref_plain_material": "参照：纯 mkdocs-material 构建（同样页数）",
    "peer_check_jsonschema": "对照：check-jsonschema", "peer_naive_audit_trail": "对照：逐文件 git log",
}


def _verdict(target: dict[str, Any]) -> str:
    value = f"{target['value']:.2f}{target['unit']}" if target["unit"] == "×" else f"{target['value']:.2f} {target['unit']}"
    return f"{value}（{'达标' if target['met'] else '未达标'}）"


def render_table(report: dict[str, Any]) -> str:
    sizes = report["sizes"]
    lines = ["| 项目 | " + " | ".join(f"{int(s):,} 条" for s in sizes) + " |",
             "| --- |" + " --- |" * len(sizes)]
    for name, label in LABELS.items():
        cells = []
        for size in sizes.values():
            m = size["results"].get(name)
            if not m:
                cells.append("—")
                continue
            peak = f"，峰值 {m['peak_rss_mib']:.0f} MiB" if m["peak_rss_mib"] else ""
            extra = f"，{m['ms_per_page']} ms/页" if m.get("ms_per_page") else ""
            cells.append(f"{m['median_s']:.2f} s{peak}{extra}")
        if any(cell != "—" for cell in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ratio_rows = (("validate_cold_vs_check_jsonschema", "冷校验 / check-jsonschema"), ("audit_trail_vs_naive_git_log", "审计记录 / 逐文件 git log"))
    for key, label in ratio_rows:
        if any("ratios" in s["results"] for s in sizes.values()):
            lines.append(f"| {label} | " + " | ".join(f"{s['results']['ratios'][key]:.4f}" if "ratios" in s["results"] else "—"
                                                       for s in sizes.values()) + " |")
    lines.append("| 冷校验吞吐 | " + " | ".join(f"{s['results']['records_per_second_cold']:,} 条/秒" if "records_per_second_cold" in s["results"] else "—"
                                              for s in sizes.values()) + " |")
    # the targets: each figure as a multiple of its reference
    lines += ["", "| 目标 | " + " | ".join(f"{int(s):,} 条" for s in sizes) + " | 目标值 |",
              "| --- |" + " --- |" * (len(sizes) + 1)]
    summary: list[str] = []
    rows = [(f"{n}/{r}", label, f"≤ {bound}×") for n, r, bound, label in RATIO_TARGETS]
    rows.append(("portal_build_peak", "门户构建峰值内存", f"≤ {PORTAL_PEAK_TARGET_BYTES / GIB} GiB"))
    for key, label, bound in rows:
        cells = []
        for size_name, size in sizes.items():
            found = next((t for t in size["results"].get("targets", []) if t["name"] == key), None)
            cells.append(_verdict(found) if found else "—")
            if found and not found["met"]:
                summary.append(f"{int(size_name):,} 条：{label} {_verdict(found)}，目标 {bound}")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {bound} |")
    judged = sum(len(s["results"].get("targets", [])) for s in sizes.values())
    lines.append("")
    if summary:
        lines.append(f"未达标 {len(summary)} 项（共 {judged} 项）：")
        lines += [f"- {line}" for line in summary]
    else:
        lines.append(f"全部 {judged} 项目标达标。")
    return "\n".join(lines)


# -- the command line -------------------------------------------------------------------------------
def _sizes(parser: argparse.ArgumentParser, option: str, raw: str) -> list[int]:
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        parser.error(f"{option} 应为逗号分隔的整数，例如 1000,10000：{raw}")
    if not values or min(values) < 10:
        parser.error(f"{option} 的规模至少为 10 条记录：{raw}")
    return values


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 benchmarks/bench.py",
        description="性能基准：生成带 git 历史的合成仓库（默认 1k/10k/100k 条记录），测量校验、报告、审计记录和门户构建，"
                    "与参照下限（libyaml 组合、git status、纯 mkdocs-material）和同类工具对比；多次运行取中位数，"
                    "结果打印为表格并写入 JSON。")
    p.add_argument("--sizes", default="1000,10000,100000", help="记录条数，逗号分隔（默认 1000,10000,100000）")
    p.add_argument("--portal-sizes", default="1000,10000,20000",
                   help="测量门户构建的规模（默认 1000,10000,20000；不在 --sizes 中的规模只测门户）")
    p.add_argument("--runs", type=int, default=3, help="每项运行次数，取中位数（默认 3）")
    p.add_argument("--output", "-o", default="bench-results/bench.json", help="JSON 结果文件（默认 bench-results/bench.json）")
    p.add_argument("--keep", metavar="DIR", default=None, help="把生成的仓库保留在这个目录（默认用完即删）；目录中已有的仓库直接沿用")
    p.add_argument("--no-peers", action="store_true", help="不运行对照工具（check-jsonschema、逐文件 git log）；参照下限照常测量")
    p.add_argument("--peer-runs", type=int, default=None, metavar="N",
                   help="对照工具的运行次数（默认同 --runs；check-jsonschema 在 10 万条时一次约 10 分钟）")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.runs < 1 or (args.peer_runs is not None and args.peer_runs < 1):
        parser.error("--runs 和 --peer-runs 至少为 1")
    sizes = _sizes(parser, "--sizes", args.sizes)
    portal = set(_sizes(parser, "--portal-sizes", args.portal_sizes)) if args.portal_sizes else set()
    output = Path(args.output)
    report = run_benchmark(sizes, args.runs, portal, output, Path(args.keep) if args.keep else None,
                           log=lambda m: sys.stderr.write(m + "\n"), peers=not args.no_peers, peer_runs=args.peer_runs)
    print(render_table(report))
    print(f"\nJSON：{output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
