"""Sampling plans (core.sampling_plan): contract counts, statistical sizes, and a selection that a
reviewer holding the hospital's list re-verifies with sort and sha256sum alone."""
from __future__ import annotations

import subprocess
from fractions import Fraction

import pytest

from yibao.core.sampling_plan import (
    PlanError,
    amount_sample_size,
    proportion_sample_size,
    required_count,
    select_records,
)


@pytest.mark.parametrize("rate, volume, count", [
    (0.025, 40_000, 1000),  # exactly 2.5%
    (0.025, 40_001, 1001),  # rounded up, never down
    (0.05, 3_219, 161),  # 5% of the previous year's inpatient stays: 160.95 → 161
    ("0.025", 0, 0),
    (Fraction(1, 3), 10, 4),
])
def test_the_contract_share_rounded_up_exactly(rate, volume, count):
    assert required_count(rate, volume) == count


def test_float_rates_do_not_drift():
    # 0.07 × 100 is 7.000000000000001 in floats, which a naive ceil turns into 8
    assert required_count(0.07, 100) == 7


@pytest.mark.parametrize("population, margin, confidence, size", [
    # the textbook figures: ±5% at 95%, p = 0.5 → 385 for a large population, 278 of 1,000
    (10**9, 0.05, 0.95, 385),
    (1000, 0.05, 0.95, 278),
    (100, 0.05, 0.95, 80),
    (10**9, 0.03, 0.95, 1068),
    (200, 0.10, 0.95, 66),  # n0 = 96.04; 96.04 / (1 + 95.04 / 200) = 65.10 → 66 (the (n0 − 1) correction matters here)
])
def test_proportion_sample_sizes(population, margin, confidence, size):
    assert proportion_sample_size(population, margin, confidence) == size


def test_amount_sample_size():
    # S = 200 yuan, ±20 yuan at 95%: n0 = (1.959964 × 200 / 20)² = 384.15 → 385; of 2,000: 322.2 → 323
    assert amount_sample_size(10**9, 200, 20) == 385
    assert amount_sample_size(2000, 200, 20) == 323
    assert amount_sample_size(50, 10_000, 1) == 50  # never more than the population


def test_selection_reverifies_with_a_shell(tmp_path):
    numbers = [f"ZY{2023_000000 + i}" for i in range(1, 501)]
    seed = "2024-06-03 上证综指收盘 3078.49"
    chosen = select_records(seed, numbers, 13)
    listing = tmp_path / "病历号.txt"
    listing.write_text("\n".join(reversed(numbers)) + "\n", encoding="utf-8")  # the hospital's order: any
    script = r"""
        set -eu
        digest=$(LC_ALL=C sort -u "$1" | head -c -1 | sha256sum | cut -d' ' -f1)
        echo "$digest"
        while IFS= read -r id; do
          printf '%s %s\n' "$(printf '%s\n%s' "$2" "$id" | sha256sum | cut -d' ' -f1)" "$id"
        done < "$1" | LC_ALL=C sort | head -n "$3" | cut -d' ' -f2
    """
    out = subprocess.run(["bash", "-c", script, "verify", str(listing), seed, "13"], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == chosen.list_sha256 and chosen.list_size == 500
    assert tuple(out[1:14]) == chosen.selected


@pytest.mark.parametrize("numbers, count, message", [
    (["A1", "A2", "A1"], 1, "重复"),
    (["A1", " A2"], 1, "空格"),
    (["A1", ""], 1, "为空"),
    (["A1", "A2"], 3, "清单只有 2 份"),
])
def test_a_bad_list_is_refused_not_fixed(numbers, count, message):
    with pytest.raises(PlanError, match=message):
        select_records("seed", numbers, count)


def test_refusals():
    with pytest.raises(PlanError):
        required_count(1.5, 10)
    with pytest.raises(PlanError):
        proportion_sample_size(100, 0, 0.95)
    with pytest.raises(PlanError):
        amount_sample_size(100, 10, 1, confidence=1.2)
