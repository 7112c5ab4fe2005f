"""`yibao bench` runs end to end on a tiny repository (figures are not asserted: this is not a
timed test, only proof that the README's benchmark command works and reports every measure)."""
from __future__ import annotations

import json
import subprocess
import sys


def test_bench_reports_every_measure_on_a_tiny_repository(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "yibao", "bench", "--sizes", "40", "--portal-sizes", "40,60",
                           "--runs", "1", "--no-peers", "--keep", str(tmp_path / "work"), "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    small, portal_only = report["sizes"]["40"]["results"], report["sizes"]["60"]["results"]
    for name in ("validate_cold", "validate_warm", "validate_changed", "report_first", "report", "audit_trail", "portal_build"):
        assert small[name]["median_s"] > 0 and small[name]["runs_s"], name
    assert small["portal_build"]["pages"] > 0 and small["portal_build"]["ms_per_page"] > 0
    assert set(portal_only) == {"portal_build"}  # a portal-only size measures the portal alone
    assert "| 冷校验 validate |" in done.stdout and "ms/页" in done.stdout


def test_a_measured_command_may_have_a_long_argument_list(tmp_path):
    """check-jsonschema gets thousands of file names at once; no single argument may hold them all."""
    from yibao.bench import run_measured

    names = [f"records/inspection/2024/JC-2024-{i:06d}.yaml" for i in range(4000)]  # ~180 KB
    seconds, peak, code, _ = run_measured([sys.executable, "-c", "import sys; assert len(sys.argv) == 4001", *names], tmp_path)
    assert code == 0 and seconds > 0 and peak > 0
