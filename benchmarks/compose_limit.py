#!/usr/bin/env python3
"""The floor for a cold ``yibao validate``: read every record file and compose it with libyaml's C
parser, nothing more (no strict construction, schema, rules, cache or report).

Spread like yibao's cold validate: serially below ``--threshold`` files, otherwise on ``--jobs``
forked worker processes taking ``--chunk`` files at a time. Files are listed with ``os.scandir``
(yibao asks git); it imports only PyYAML, so its start-up is the floor too. Prints the number of
files composed. Used by ``bench.py``; runnable alone::

    python3 benchmarks/compose_limit.py REPO [--jobs N] [--threshold N] [--chunk N]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import yaml


def record_paths(root: str) -> list[str]:
    """Every ``*.yaml`` file under ``root/records``, sorted."""
    found: list[str] = []
    stack = [os.path.join(root, "records")]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(".yaml") and entry.is_file(follow_symlinks=False):
                    found.append(entry.path)
    return sorted(found)


def compose_files(paths: list[str]) -> int:
    """Read, decode and compose each file; return how many were composed."""
    for path in paths:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
        yaml.compose(text, Loader=yaml.CSafeLoader)
    return len(paths)


def compose_all(paths: list[str], jobs: int, threshold: int, chunk: int) -> int:
    if jobs <= 1 or len(paths) < threshold or "fork" not in multiprocessing.get_all_start_methods():
        return compose_files(paths)
    chunks = [paths[i:i + chunk] for i in range(0, len(paths), chunk)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        return sum(pool.map(compose_files, chunks))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="冷校验的下限：读取并用 libyaml C 解析器 compose 每个记录文件")
    parser.add_argument("repo")
    default_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    parser.add_argument("--jobs", type=int, default=default_jobs, help="工作进程数（默认为可用核数）")
    parser.add_argument("--threshold", type=int, default=2000, help="少于这么多文件时不启动工作进程（默认 2000）")
    parser.add_argument("--chunk", type=int, default=250, help="每次交给工作进程的文件数（默认 250）")
    args = parser.parse_args(argv)
    print(compose_all(record_paths(args.repo), args.jobs, args.threshold, args.chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
