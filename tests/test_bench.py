"""The benchmark (``benchmarks/bench.py``, outside the package) runs end to end on a tiny
repository. Figures are not asserted: this is not a timed test, only proof that the README's
benchmark command works, reports every measure and reference, and judges each target."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench_repository import BENCHMARKS, load_bench as _bench


def test_bench_reports_every_measure_reference_and_target_on_a_tiny_repository(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench.py"), "--sizes", "40", "--portal-sizes", "40,60",
                           "--runs", "1", "--no-peers", "--keep", str(tmp_path / "work"), "-o", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    small, portal_only = report["sizes"]["40"]["results"], report["sizes"]["60"]["results"]
    for name in ("validate_cold", "validate_warm", "validate_changed", "report_first", "report", "audit_trail", "portal_build",
                 "ref_compose_limit", "ref_git_status", "ref_plain_material"):
        assert small[name]["median_s"] > 0 and small[name]["runs_s"], name
    assert small["portal_build"]["pages"] > 0 and small["portal_build"]["ms_per_page"] > 0
    # the plain Material reference builds as many pages as the portal did
    assert small["ref_plain_material"]["pages"] == small["portal_build"]["pages"]
    assert set(portal_only) == {"portal_build", "ref_plain_material", "targets"}  # a portal-only size measures the portal alone
    judged = {t["name"]: t for t in small["targets"]}
    assert set(judged) == {"validate_cold/ref_compose_limit", "validate_warm/ref_git_status", "validate_changed/validate_warm",
                           "portal_build/ref_plain_material", "portal_build_peak"}
    cold = judged["validate_cold/ref_compose_limit"]
    assert cold["value"] == round(small["validate_cold"]["median_s"] / small["ref_compose_limit"]["median_s"], 3)
    assert cold["met"] == (cold["value"] <= 1.7)
    pages = judged["portal_build/ref_plain_material"]
    assert pages["value"] == round(small["portal_build"]["ms_per_page"] / small["ref_plain_material"]["ms_per_page"], 3)
    assert "| 冷校验 validate |" in done.stdout and "ms/页" in done.stdout
    assert "| 参照：libyaml 组合下限（同样的进程数） |" in done.stdout and "| 参照：git status --porcelain（热） |" in done.stdout
    assert "| 冷校验 ÷ libyaml 组合下限 |" in done.stdout and "≤ 1.7×" in done.stdout and "≤ 1.5 GiB" in done.stdout
    assert ("全部 " in done.stdout) or ("未达标" in done.stdout)


def test_the_table_judges_each_target_against_its_bound():
    bench = _bench()
    results = {
        "validate_cold": {"median_s": 3.0}, "ref_compose_limit": {"median_s": 2.0},  # 1.5× ≤ 1.7×: met
        "validate_warm": {"median_s": 0.5}, "ref_git_status": {"median_s": 0.2},  # 2.5× > 2×: missed
        "validate_changed": {"median_s": 0.6},  # 1.2× of warm ≤ 1.3×: met
        "portal_build": {"median_s": 10.0, "ms_per_page": 3.0, "peak_rss_mib": 1600},  # 1.56 GiB > 1.5 GiB: missed
        "ref_plain_material": {"median_s": 20.0, "ms_per_page": 4.0},  # per page 0.75× ≤ 1×: met though slower per run
    }
    found = {t["name"]: t for t in bench.targets(results)}
    assert found["validate_cold/ref_compose_limit"]["met"] and found["validate_cold/ref_compose_limit"]["value"] == 1.5
    assert not found["validate_warm/ref_git_status"]["met"] and found["validate_warm/ref_git_status"]["value"] == 2.5
    assert found["validate_changed/validate_warm"]["met"]
    assert found["portal_build/ref_plain_material"]["met"] and found["portal_build/ref_plain_material"]["value"] == 0.75
    assert not found["portal_build_peak"]["met"]
    table = bench.render_table({"sizes": {"100": {"results": {**{k: {"peak_rss_mib": 0, **v, "runs_s": [v["median_s"]]} for k, v in results.items()},
                                                              "targets": list(found.values())}}}})
    assert "| 热校验 ÷ git status | 2.50×（未达标） | ≤ 2.0× |" in table
    assert "| 冷校验 ÷ libyaml 组合下限 | 1.50×（达标） | ≤ 1.7× |" in table
    assert "未达标 2 项（共 5 项）" in table


def test_compose_limit_composes_every_record_file_serially_and_on_workers(tmp_path):
    for n in range(30):
        (tmp_path / "records" / "case").mkdir(parents=True, exist_ok=True)
        (tmp_path / "records" / "case" / f"A{n}.yaml").write_text(f"id: A{n}\nlist: [1, 2]\n", encoding="utf-8")
    (tmp_path / "records" / "notes.txt").write_text("not a record", encoding="utf-8")
    for extra in ([], ["--jobs", "2", "--threshold", "10", "--chunk", "4"]):
        done = subprocess.run([sys.executable, str(BENCHMARKS / "compose_limit.py"), str(tmp_path), *extra],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "30", (extra, done.stdout, done.stderr)
    (tmp_path / "records" / "case" / "A3.yaml").write_text("a: [1, 2\n", encoding="utf-8")  # it really parses
    done = subprocess.run([sys.executable, str(BENCHMARKS / "compose_limit.py"), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0 and "yaml" in done.stderr.lower()


def test_a_measured_command_may_have_a_long_argument_list(tmp_path):
    """check-jsonschema gets thousands of file names at once; no single argument may hold them all."""
    bench = _bench()
    names = [f"records/inspection/2024/JC-2024-{i:06d}.yaml" for i in range(4000)]  # ~180 KB
    seconds, peak, code, _ = bench.run_measured([sys.executable, "-c", "import sys; assert len(sys.argv) == 4001", *names], tmp_path)
    assert code == 0 and seconds > 0 and peak > 0


def test_bench_is_no_longer_a_yibao_command():
    done = subprocess.run([sys.executable, "-m", "yibao", "bench"], capture_output=True, text=True)
    assert done.returncode == 2 and "bench" in done.stderr
