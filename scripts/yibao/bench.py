"""The benchmark: yibao against the tools a user would otherwise pick, at 1k, 10k and 100k records.

For each size a repository is generated with ``yibao.generate`` and given a realistic git history
(records created in daily batches per contract, then edited when a report is submitted or a case
moves on, each commit named like a squash-merged pull request) written with one ``git
fast-import`` stream. Every figure is the median of several runs of the real command line in a
child process; peak memory is the child's maximum resident set (``wait4``; with worker processes
it is the largest single process).

Peers, in the same run and on the same files:

* ``check-jsonschema`` with the same schema files (schema checks only, no strict loading, no
  cross-record rules, no personal-data scan), one call per kind and batch of files;
* a naive audit trail: one ``git log --follow`` per record file. At 10k and more files it is
  timed on a random sample and scaled linearly (said so in the output).
"""
from __future__ import annotations

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

NAIVE_SAMPLE = 300
TARGETS = {  # seconds at 100k records on 2 cores (issue 6)
    "validate_cold": 10.0, "validate_warm": 1.0, "validate_changed": 1.0, "report": 5.0,
}
PEAK_TARGET_BYTES = int(1.5 * 1024**3)
PAGE_TARGET_MS = 3.5


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
    from .generate import default_schemas_dir, iter_records
    from .generate.writer import RecordWriter
    from .core.schemas import SchemaSet

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
    from .load.repository import record_files

    return record_files(repo)[0]


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
    time.sleep(2.1)  # files just written are "racy" for the cache's stat check; a real checkout is older
    for i in range(0 if only_portal else runs):
        cache = work / f"cache-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        env = _env(cache)
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "validate"), repo, env)
        add("validate_cold", s, p)
        s, p, _, _ = run_measured(_yibao("-C", str(repo), "validate"), repo, env)
        add("validate_warm", s, p)
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
        log(f"  第 {i + 1}/{runs} 轮：冷校验 {results['validate_cold'].seconds[-1]:.2f}s，热校验 {results['validate_warm'].seconds[-1]:.2f}s")
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
    if portal:
        for i in range(runs):
            out = work / f"site-{i}"
            shutil.rmtree(out, ignore_errors=True)
            s, p, rc, tail = run_measured(_yibao("-C", str(repo), "build", "--as-of", "2024-12-31", "--output", str(out)), repo, _env(work / "cache-0"))
            if rc != 0:
                raise RuntimeError(f"门户构建失败（退出码 {rc}）：{tail}")
            pages = sum(1 for _ in out.rglob("*.html")) if out.exists() else 0
            size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.exists() else 0
            add("portal_build", s, p, f"{pages} 个页面，{size / 2**20:.1f} MiB")
            results["portal_build"].pages = pages  # type: ignore[attr-defined]
            results["portal_build"].size = size  # type: ignore[attr-defined]
    out = {name: m.as_dict() for name, m in results.items()}
    if "portal_build" in results:
        m = results["portal_build"]
        pages = getattr(m, "pages", 0)
        out["portal_build"]["pages"] = pages
        out["portal_build"]["site_bytes"] = getattr(m, "size", 0)
        out["portal_build"]["ms_per_page"] = round(1000 * m.median / pages, 3) if pages else None
    if peers:
        out["ratios"] = {
            "validate_cold_vs_check_jsonschema": round(results["validate_cold"].median / results["peer_check_jsonschema"].median, 3),
            "audit_trail_vs_naive_git_log": round(results["audit_trail"].median / results["peer_naive_audit_trail"].median, 5),
        }
    if "validate_cold" in results:
        out["records_per_second_cold"] = round(len(files) / results["validate_cold"].median)
    return out


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


# -- the command ------------------------------------------------------------------------------------
def run_benchmark(sizes: list[int], runs: int, portal_sizes: set[int], output: Path, keep: Path | None, log=print,
                  peers: bool = True, peer_runs: int | None = None) -> dict[str, Any]:
    work_root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    work_root.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform},
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
    "report_first": "考核报告（首次，缓存无记录内容）", "validate_warm": "热校验（无改动）", "validate_changed": "改动 10 个文件后校验",
    "report": "考核报告 report", "audit_trail": "审计记录提取", "portal_build": "门户构建",
    "peer_check_jsonschema": "对照：check-jsonschema", "peer_naive_audit_trail": "对照：逐文件 git log",
}


def render_table(report: dict[str, Any]) -> str:
    lines = ["| 项目 | " + " | ".join(f"{int(s):,} 条" for s in report["sizes"]) + " |",
             "| --- |" + " --- |" * len(report["sizes"])]
    names = list(LABELS)
    for name in names:
        cells = []
        for size in report["sizes"].values():
            m = size["results"].get(name)
            if not m:
                cells.append("—")
                continue
            peak = f"，峰值 {m['peak_rss_mib']:.0f} MiB" if m["peak_rss_mib"] else ""
            extra = f"，{m['ms_per_page']} ms/页" if m.get("ms_per_page") else ""
            cells.append(f"{m['median_s']:.2f} s{peak}{extra}")
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    ratio_rows = (("validate_cold_vs_check_jsonschema", "冷校验 / check-jsonschema"), ("audit_trail_vs_naive_git_log", "审计记录 / 逐文件 git log"))
    for key, label in ratio_rows:
        lines.append(f"| {label} | " + " | ".join(f"{s['results']['ratios'][key]:.4f}" if "ratios" in s["results"] else "—"
                                                   for s in report["sizes"].values()) + " |")
    lines.append("| 冷校验吞吐 | " + " | ".join(f"{s['results']['records_per_second_cold']:,} 条/秒" if "records_per_second_cold" in s["results"] else "—"
                                              for s in report["sizes"].values()) + " |")
    return "\n".join(lines)
