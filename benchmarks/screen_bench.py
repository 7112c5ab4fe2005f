"""Benchmark of claims screening: the whole rule library on generated settlement data.

For each size (fee lines) it generates a district's year once (``yibao generate-claims`` logic,
Parquet), then, each step in a child process (median of ``--runs``), measures wall time and
peak memory (the child's maximum RSS):

* ``scan`` — the reference: one plain DuckDB aggregate scan of every table's Parquet files;
* ``duckdb`` — the whole library on DuckDB under ``--memory-limit`` (2 threads);
* ``spark`` — the whole library on Spark ``local[2]`` (only up to ``--spark-max``; session start
  reported separately).

It prints a table and writes JSON (``--output``). Run:

    python3 benchmarks/screen_bench.py --sizes 1000000 10000000 --runs 3 --output bench-results/screen.json
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "scripts"))
HOSPITALS = [f"H650203{n:05d}" for n in range(1, 18)]  # the 克拉玛依区 mix: 17 hospitals, 143 pharmacies
PHARMACIES = [f"P650203{n:05d}" for n in range(101, 244)]


def _rules():
    from yibao.core.schemas import SchemaSet
    from yibao.screen.rules import load_rules

    rules, problems = load_rules(PROJECT, SchemaSet.load(PROJECT / "schemas"))
    assert not problems, problems
    return rules


def generate(folder: Path, lines: int) -> float:
    from yibao.generate.claims import generate_claims, policy_from_rules, read_catalogue

    rules = _rules()
    started = time.perf_counter()
    generate_claims(folder, HOSPITALS, PHARMACIES, read_catalogue(PROJECT / "schemas/reference/catalogue.csv"),
                    policy_from_rules(rules), fee_lines=lines, seed=1)
    return time.perf_counter() - started


def _sources(folder: Path):
    from yibao.screen.tables import check_folder

    rules = _rules()
    sources, problems = check_folder(folder, sorted({t for r in rules for t in r.tables}), PROJECT / "schemas/reference")
    assert not problems, problems
    return rules, sources


def step_scan(folder: str, memory_limit: str) -> dict:
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": "2"})
    started = time.perf_counter()
    rows = 0
    for table in ("mdtrt", "setl", "fee", "diag", "stock"):
        first = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{folder}/{table}/*.parquet')").fetchall()[0][0]
        rows += con.execute(f"SELECT COUNT(*), COUNT(DISTINCT {first}) FROM read_parquet('{folder}/{table}/*.parquet')").fetchone()[0]
    return {"seconds": time.perf_counter() - started, "rows": rows}


def step_duckdb(folder: str, memory_limit: str) -> dict:
    from yibao.screen.engines import DuckDBEngine
    from yibao.screen.leads import run_library

    rules, sources = _sources(Path(folder))
    started = time.perf_counter()
    engine = DuckDBEngine(memory_limit=memory_limit, threads=2, temp_directory=tempfile.mkdtemp(prefix="yibao-duck-"))
    engine.register(sources)
    per_rule = {}
    found = run_library(engine, rules, on_rule=lambda r, n, s: per_rule.__setitem__(r.id, round(s, 3)))
    seconds = time.perf_counter() - started
    missed, unmatched = against_planted(Path(folder), found)
    return {"seconds": seconds, "leads": sum(map(len, found.values())), "per_rule": per_rule,
            "planted": sum(1 for _ in (Path(folder) / "planted.jsonl").open(encoding="utf-8")),
            "planted_missed": missed, "leads_not_planted": unmatched}


def against_planted(folder: Path, found: dict) -> tuple[int, int]:
    """(planted violations no lead names, leads that name no planted violation): a lead names a planted
    violation when it is of the same rule and institution and its evidence holds the planted key (as
    the golden test in tests/test_screen.py matches them)."""
    planted = [json.loads(line) for line in (folder / "planted.jsonl").read_text(encoding="utf-8").splitlines()]
    matched, missed = set(), 0
    for item in planted:
        hits = {(item["rule"], i) for i, row in enumerate(found.get(item["rule"], []))
                if row[0] == item["institution"] and item["evidence"] in row[6]}
        missed += not hits
        matched |= hits
    return missed, sum(len(rows) for rows in found.values()) - len(matched)


def step_spark(folder: str, memory_limit: str) -> dict:
    from yibao.screen.engines import SparkEngine
    from yibao.screen.leads import run_library

    rules, sources = _sources(Path(folder))
    started = time.perf_counter()
    engine = SparkEngine("local[2]", driver_memory="3g")
    session = time.perf_counter() - started
    engine.register(sources)
    found = run_library(engine, rules)
    seconds = time.perf_counter() - started
    jvm = engine.spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    jvm_peak = vm_hwm_mib(jvm)
    engine.close()
    return {"seconds": seconds, "session_start": session, "leads": sum(map(len, found.values())), "peak_jvm_mib": jvm_peak}


STEPS = {"scan": step_scan, "duckdb": step_duckdb, "spark": step_spark}


def vm_hwm_mib(pid: int | str = "self") -> float:
    """Peak resident memory of a process (VmHWM; unlike getrusage's ru_maxrss it starts afresh at exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _child(step: str, folder: str, memory_limit: str, queue) -> None:
    result = STEPS[step](folder, memory_limit)
    result["peak_python_mib"] = vm_hwm_mib()
    result["peak_mib"] = round(result["peak_python_mib"] + result.get("peak_jvm_mib", 0), 1)
    queue.put(result)


def measure(step: str, folder: Path, memory_limit: str, runs: int) -> dict:
    results = []
    for _ in range(runs):
        queue = mp.get_context("spawn").Queue()
        proc = mp.get_context("spawn").Process(target=_child, args=(step, str(folder), memory_limit, queue))
        proc.start()
        while True:
            try:
                results.append(queue.get(timeout=5))
                break
            except Exception:  # queue.Empty: is the child still there?
                if not proc.is_alive():
                    raise SystemExit(f"{step}: the child process ended with exit code {proc.exitcode} and no result")
        proc.join()
    best = dict(results[0])
    best["seconds"] = statistics.median(r["seconds"] for r in results)
    best["peak_mib"] = max(r["peak_mib"] for r in results)
    best["runs"] = [round(r["seconds"], 3) for r in results]
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--spark-max", type=int, default=1_000_000, help="run Spark only up to this size")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the generated data here")
    parser.add_argument("--output", metavar="FILE")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="yibao-screen-bench-"))
    report = {"memory_limit": args.memory_limit, "cpus": os.cpu_count(), "sizes": {}}
    for size in args.sizes:
        folder = base / f"fee-{size}"
        entry = {}
        if not (folder / "planted.jsonl").is_file():
            entry["generate_seconds"] = round(generate(folder, size), 1)
        entry["bytes"] = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
        for step in ("scan", "duckdb", "spark"):
            if step == "spark" and size > args.spark_max:
                continue
            entry[step] = measure(step, folder, args.memory_limit, 1 if step == "spark" else args.runs)
            print(f"{size:>11,} {step:<7} {entry[step]['seconds']:8.2f} s  peak {entry[step]['peak_mib']:8.1f} MiB", flush=True)
        entry["ratio_duckdb_to_scan"] = round(entry["duckdb"]["seconds"] / entry["scan"]["seconds"], 2)
        duck = entry["duckdb"]
        print(f"{size:>11,} planted {duck['planted']}, missed {duck['planted_missed']}, leads not planted {duck['leads_not_planted']}", flush=True)
        report["sizes"][str(size)] = entry
        print(f"{size:>11,} library/scan = {entry['ratio_duckdb_to_scan']}", flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
