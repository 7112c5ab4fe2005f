"""Projection of sampled overpayments (core.extrapolation) against figures computed independently.

Sources of the expected figures:
- the worked example below is done by hand (the arithmetic is in the comments); the t quantiles are
  the table values t(0.90; 3) = 1.637744, t(0.95; 3) = 2.353363, t(0.975; 3) = 3.182446;
- the random designs are recomputed here with numpy's variance and scipy.stats.t.interval, a second
  path through the formulas (Cochran, Sampling Techniques, 3rd ed., 5.6–5.7: the stratified total,
  its variance with the finite-population correction), and compared to the fen.
"""
from __future__ import annotations

import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import pytest
from scipy import stats

from yibao.core.extrapolation import ExtrapolationError, Stratum, appraise

FEN = Decimal("0.01")


def amounts(*values) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(v)).quantize(FEN) for v in values)


def test_the_worked_example_by_hand():
    # N = 100 claims, n = 4 audited: overpayments 0, 10, 20, 30 yuan.
    # mean 15; s² = (225 + 25 + 25 + 225) / 3 = 166.67; point = 100 × 15 = 1,500.00
    # SE = 100 × √(166.67 / 4 × (1 − 4/100)) = 100 × √40 = 632.455532
    # 90%: 1,500 ∓ 2.353363 × 632.455532 = 1,500 ∓ 1,488.3975 → [11.60, 2,988.40]
    estimate = appraise([Stratum("全部", 100, amounts(0, 10, 20, 30))])
    assert estimate.point == Decimal("1500.00")
    assert estimate.standard_error == Decimal("632.46")
    assert estimate.degrees_of_freedom == 3
    assert (estimate.at(90).lower, estimate.at(90).upper) == (Decimal("11.60"), Decimal("2988.40"))
    assert (estimate.at(80).lower, estimate.at(80).upper) == (Decimal("464.19"), Decimal("2535.81"))
    assert (estimate.at(95).lower, estimate.at(95).upper) == (Decimal("-512.76"), Decimal("3512.76"))
    assert estimate.demand == Decimal("11.60")
    assert round(estimate.at(90).t_value, 6) == 2.353363


def independent(strata: list[tuple[int, list[float]]], level: float) -> tuple[Decimal, Decimal, Decimal]:
    """Point and two-sided limits by numpy + scipy.stats.t.interval."""
    point = sum(big_n * np.mean(ys) for big_n, ys in strata)
    variance = sum(big_n ** 2 * (1 - len(ys) / big_n) * np.var(ys, ddof=1) / len(ys) for big_n, ys in strata)
    df = sum(len(ys) for _, ys in strata) - len(strata)
    low, high = stats.t.interval(level, df, loc=point, scale=np.sqrt(variance))
    return (Decimal(repr(float(point))).quantize(FEN), Decimal(repr(float(low))).quantize(FEN, ROUND_FLOOR),
            Decimal(repr(float(high))).quantize(FEN, ROUND_CEILING))


@pytest.mark.parametrize("seed", range(20))
def test_random_unrestricted_and_stratified_designs_match_to_the_fen(seed):
    rng = random.Random(seed)
    strata = []
    for h in range(rng.choice([1, 1, 2, 3, 4])):
        big_n = rng.randint(30, 5000)
        n = rng.randint(2, min(big_n - 1, 120))
        errors = [rng.choice([0, 0, 0, rng.randint(1, 500_000) / 100]) for _ in range(n)]
        if not any(errors):
            errors[0] = 12.34
        strata.append((big_n, errors))
    estimate = appraise([Stratum(f"第{h + 1}层", big_n, amounts(*ys)) for h, (big_n, ys) in enumerate(strata)])
    for level in (80, 90, 95):
        point, low, high = independent(strata, level / 100)
        assert abs(estimate.point - point) <= FEN  # numpy's float mean may sit a rounding step away
        assert (estimate.at(level).lower, estimate.at(level).upper) == (low, high), (seed, level)


def test_a_stratified_design_uses_n_minus_strata_degrees_of_freedom():
    high = Stratum("高额", 50, amounts(1200, 0, 800.5, 0, 950))
    low = Stratum("低额", 2000, amounts(*([0] * 25 + [35.2, 18, 0, 41.75, 12.3])))
    estimate = appraise([high, low])
    assert estimate.degrees_of_freedom == 5 + 30 - 2
    assert estimate.sample_size == 35 and estimate.population_size == 2050
    point, lower, upper = independent([(50, [1200, 0, 800.5, 0, 950]), (2000, [0] * 25 + [35.2, 18, 0, 41.75, 12.3])], 0.90)
    assert (estimate.point, estimate.at(90).lower, estimate.at(90).upper) == (point, lower, upper)


def test_all_zero_projects_zero():
    estimate = appraise([Stratum("全部", 1000, amounts(*([0] * 30)))])
    assert estimate.point == estimate.standard_error == Decimal("0.00")
    assert all(lim.lower == lim.upper == Decimal("0.00") for lim in estimate.limits)
    assert estimate.demand == Decimal("0.00") and estimate.precision is None


def test_every_unit_in_error_projects_the_mean_error():
    estimate = appraise([Stratum("全部", 400, amounts(*([250] * 40)))])  # every sampled claim overpaid 250 yuan
    assert estimate.point == Decimal("100000.00") and estimate.standard_error == Decimal("0.00")
    assert estimate.at(90).lower == estimate.at(90).upper == Decimal("100000.00")


def test_a_census_has_no_sampling_error():
    values = amounts(10, 0, 35.5, 7)
    estimate = appraise([Stratum("全部", 4, values)])  # n = N: the total is known exactly
    assert estimate.point == Decimal("52.50") and estimate.standard_error == Decimal("0.00")
    assert estimate.at(95).lower == estimate.at(95).upper == Decimal("52.50")
    # a census stratum next to a sampled one adds its exact total and no variance
    mixed = appraise([Stratum("全查", 4, values), Stratum("抽查", 100, amounts(0, 10, 20, 30))])
    assert mixed.point == Decimal("1552.50") and mixed.standard_error == Decimal("632.46")


def test_a_negative_lower_limit_demands_nothing():
    estimate = appraise([Stratum("全部", 10_000, amounts(*([0] * 58 + [3000, 0])))])
    assert estimate.at(90).lower < 0 and estimate.demand == Decimal("0.00")


@pytest.mark.parametrize("strata, message", [
    ([], "至少需要一个"),
    ([Stratum("全部", 10, amounts(5))], "只抽取了 1 个单位"),
    ([Stratum("全部", 3, amounts(1, 2, 3, 4))], "大于总体单位数"),
    ([Stratum("全部", 0, ())], "正整数"),
    ([Stratum("甲", 10, amounts(1, 2)), Stratum("甲", 10, amounts(1, 2))], "分层名称重复"),
    ([Stratum("全部", 10, (Decimal("1.005"), Decimal("2")))], "精确到分"),
])
def test_designs_that_cannot_support_an_estimate_are_refused(strata, message):
    with pytest.raises(ExtrapolationError, match=message):
        appraise(strata)
