#!/usr/bin/env python3
"""Benchmark of ``yibao archive verify``: a generated repository of N records whose inspections and
cases list D small documents in a document store, against plain ``sha256sum`` over the same files.

Run from a checkout (``python3 -m pip install -e .`` first)::

    python3 benchmarks/archive_bench.py [--records 100000] [--documents 500000] [--runs 2] [--workdir DIR]

The repository comes from ``yibao.generate`` (about 2.45 records per institution); the documents
are the generator's synthetic files (1-3 KB of text each), spread evenly over the inspections and
cases and appended to their records as ``documents`` entries. Each figure is the median of
``--runs`` runs of the real command line in a child process, with the files in the page cache
(both tools read the same warm files); peak memory is the child's maximum resident set (``wait4``).

* ``yibao validate``: loading and checking the records alone (what verify does before hashing);
* ``yibao archive verify --no-cache``: the whole check (records, then every document's SHA-256
  and size, read by a few threads, then the store walked for unreferenced files); ``verify_warm``
  the same with the check cache filled (the records unchanged since the last validate);
* ``sha256sum``: ``find STORE -type f -print0 | xargs -0 sha256sum`` — the floor for the hashing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))

from yibao.core.archive import bytes_digest  # noqa: E402
from yibao.generate import generate_repository  # noqa: E402
from yibao.generate.archive_store import synthetic_bytes  # noqa: E402

RECORDS_PER_INSTITUTION = 2.45
#: the first documents of each record are of the types its stage may require (so the case files are complete)
REQUIRED = {"inspection": ("调查报告",), "case": ("告知书", "处理决定书")}


def timed(command: list[str] | str, shell: bool = False) -> tuple[float, float, int]:
    """(seconds, peak MiB of the child, exit status) of one run."""
    start = time.perf_counter()
    child = subprocess.Popen(command, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def add_documents(root: Path, store: Path, total: int) -> tuple[int, int, int]:
    """Give the inspections and cases ``total`` documents between them; write the files."""
    files = sorted(p for kind in ("inspection", "case") for p in (root / "records" / kind).rglob("*.yaml"))
    per, extra = divmod(total, len(files))
    written = size = 0
    for i, path in enumerate(files):
        text = path.read_text(encoding="utf-8")
        ident = path.stem
        contract = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("contract: "))
        lines = ["documents:"]
        for n in range(per + (i < extra)):
            kind = path.parent.parent.name if path.parent.name.isdigit() else path.parent.name
            doc_type = (REQUIRED.get(kind, ()) + ("病历复印件",) * per)[n] if n < per else "病历复印件"
            entry = {"type": doc_type, "title": f"{doc_type}第{n + 1}份", "date": "2024-06-01",
                     "path": f"{contract}/{ident}/{n + 1:03d}-medical-records.txt"}
            data = synthetic_bytes(ident, entry)
            sha, length = bytes_digest(data)
            target = store / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
            size += length
            lines += [f"  - type: {entry['type']}", f"    title: {entry['title']}", f"    date: {entry['date']}",
                      f'    sha256: "{sha}"', f"    size: {length}", f"    path: {entry['path']}"]
        path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    return len(files), written, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--workdir", default=None, help="where to build (default: a temp dir, removed afterwards)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="yibao-archive-bench-"))
    root, store = work / "repo", work / "store"
    if root.exists():
        shutil.rmtree(root)
    if store.exists():
        shutil.rmtree(store)
    started = time.perf_counter()
    counts = generate_repository(root, max(1, round(args.records / RECORDS_PER_INSTITUTION)), seed=16)
    listing, documents, size = add_documents(root, store, args.documents)
    setup = time.perf_counter() - started
    records = sum(counts.values())
    yibao = [sys.executable, "-m", "yibao", "-C", str(root)]
    plain = f"find {store} -type f -print0 | xargs -0 sha256sum"
    results: dict[str, list[tuple[float, float, int]]] = {"validate": [], "verify": [], "verify_warm": [], "sha256sum": []}
    timed(yibao + ["validate"])  # fills the check cache for the warm runs
    timed(plain, shell=True)  # the files into the page cache, once
    for _ in range(args.runs):
        results["sha256sum"].append(timed(plain, shell=True))
        results["validate"].append(timed(yibao + ["validate", "--no-cache"]))
        results["verify"].append(timed(yibao + ["archive", "verify", "--store", str(store), "--no-cache"]))
        results["verify_warm"].append(timed(yibao + ["archive", "verify", "--store", str(store)]))
    summary = {"records": records, "records_listing_documents": listing, "documents": documents, "bytes": size,
               "setup_seconds": round(setup, 1), "cpus": os.cpu_count()}
    for name, runs in results.items():
        summary[name] = {"seconds": round(statistics.median(r[0] for r in runs), 2),
                         "peak_mib": round(max(r[1] for r in runs)), "exit": sorted({r[2] for r in runs})}
    summary["verify_over_sha256sum"] = round(summary["verify"]["seconds"] / summary["sha256sum"]["seconds"], 2)
    summary["verify_warm_over_sha256sum"] = round(summary["verify_warm"]["seconds"] / summary["sha256sum"]["seconds"], 2)
    hashing = summary["verify"]["seconds"] - summary["validate"]["seconds"]
    summary["hashing_part_over_sha256sum"] = round(hashing / summary["sha256sum"]["seconds"], 2)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
