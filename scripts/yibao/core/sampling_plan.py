"""Medical-record sampling plans: how many records a hospital's review needs, and which ones.

Two ways to size a sample:
- the contract's rule: a share of a volume (2.5% of the last two years' records, 5% of the previous
  year's inpatient stays) or a fixed count — the count is the share rounded up, exactly (fractions,
  never floats);
- a statistical size for a wanted precision (Cochran, *Sampling Techniques*, 3rd ed., ch. 4): for a
  proportion (the share of problem records) n₀ = z²·p(1−p)/d² and n = n₀ / (1 + (n₀ − 1)/N); for an
  amount per record n₀ = (z·S/d)² and n = n₀ / (1 + n₀/N); z the two-sided normal quantile; rounded up.

Selection uses the draws' method (``core.draw``, ``sha256-rank-v1``): every record number is ranked by
SHA-256(seed + newline + number) and the first k are taken. The hospital's list of record numbers is
the hospital's data and stays outside git: the plan keeps only the list's SHA-256 (sorted, one per
line, as ``sort -u | sha256sum`` without the last newline), its size, the seed and the count, so whoever
holds the list can re-verify the selection.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable


from .draw import ids_sha256, pick


class PlanError(ValueError):
    """The plan cannot be made; the message is Chinese."""


def exact(value) -> Fraction:
    """A rate as written in a record (0.025, "0.025", 1/40) as an exact fraction."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def required_count(rate, volume: int) -> int:
    """Records to sample so that sampled ÷ volume reaches ``rate``: ⌈rate × volume⌉."""
    if volume < 0:
        raise PlanError(f"业务量不能为负数：{volume}")
    share = exact(rate)
    if not 0 <= share <= 1:
        raise PlanError(f"抽审比例应在 0 到 1 之间：{rate}")
    return math.ceil(share * volume)


def _z(confidence: float) -> float:
    from scipy.stats import norm  # imported when needed: loading scipy.stats costs ~0.7 s

    if not 0 < confidence < 1:
        raise PlanError(f"置信水平应在 0 到 1 之间：{confidence}")
    return float(norm.ppf((1 + confidence) / 2))


def proportion_sample_size(population: int, margin: float, confidence: float = 0.95, expected: float = 0.5) -> int:
    """Records to estimate a share (e.g. of problem records) within ± ``margin``."""
    if population < 1:
        raise PlanError(f"总体数量必须是正整数：{population}")
    if not 0 < margin < 1:
        raise PlanError(f"允许误差应在 0 到 1 之间：{margin}")
    if not 0 <= expected <= 1:
        raise PlanError(f"预期比例应在 0 到 1 之间：{expected}")
    n0 = _z(confidence) ** 2 * expected * (1 - expected) / margin ** 2
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population) - 1e-9))


def amount_sample_size(population: int, std_dev: float, margin: float, confidence: float = 0.95) -> int:
    """Records to estimate the mean amount per record within ± ``margin`` yuan, given its standard deviation."""
    if population < 1:
        raise PlanError(f"总体数量必须是正整数：{population}")
    if std_dev < 0 or margin <= 0:
        raise PlanError("标准差不能为负，允许误差必须大于 0")
    n0 = (_z(confidence) * std_dev / margin) ** 2
    return min(population, math.ceil(n0 / (1 + n0 / population) - 1e-9))


@dataclass(frozen=True)
class Selection:
    seed: str
    list_sha256: str  # SHA-256 of the hospital's sorted record numbers (the list itself stays outside git)
    list_size: int
    selected: tuple[str, ...]  # in draw order


def select_records(seed: str, record_numbers: Iterable[str], count: int) -> Selection:
    """The first ``count`` record numbers in draw order; refused when the list is shorter or has blanks."""
    numbers = list(record_numbers)
    blank = sum(1 for n in numbers if not n.strip() or n != n.strip())
    if blank:
        raise PlanError(f"病历号清单中有 {blank} 行为空或首尾带空格；请先整理清单（每行一个病历号）")
    unique = set(numbers)
    if len(unique) != len(numbers):
        raise PlanError(f"病历号清单中有 {len(numbers) - len(unique)} 个重复的病历号；请先去重")
    if not seed.strip():
        raise PlanError("种子不能为空")
    if count > len(unique):
        raise PlanError(f"要抽取 {count} 份病历，但清单只有 {len(unique)} 份")
    return Selection(seed=seed, list_sha256=ids_sha256(unique), list_size=len(unique),
                     selected=tuple(pick(seed, unique, count)))


# -- a plan's counts from its contract target and the institutions' volumes ----------------------------------
SHARE = "share"  # x-plan-rule: a share of the institution's volume
COUNT = "count"  # x-plan-rule: the contract's fixed count, allocated by the institutions' volumes


def volume_years(target: dict, start_year: int) -> list[int]:
    """Years whose volumes a target's sampling share is taken of, counted back from the contract's
    start year: ``lookback_years: 2`` in 2024 is 2022–2023 (近两年), ``denominator_year_offset: 1``
    in 2020 is 2019; a target that names neither: the year before the contract starts."""
    lookback, offset = target.get("lookback_years"), target.get("denominator_year_offset")
    last = start_year - (offset if isinstance(offset, int) else 1)
    return list(range(last - (lookback if isinstance(lookback, int) and lookback > 0 else 1) + 1, last + 1))


def volume_of(volumes, field: str, years: list[int]) -> int | None:
    """Sum of one volume over the given years (an institution record's ``volumes``); None when a year is missing."""
    by_year = {v.get("year"): v for v in volumes or [] if isinstance(v, dict)}
    values = [by_year.get(y, {}).get(field) for y in years]
    return None if any(not isinstance(v, int) or isinstance(v, bool) for v in values) else sum(values)


def allocated_count(target_count: int, volume: int, scope_volume: int) -> int:
    """A fixed count shared by volume: ⌈target × volume ÷ scope volume⌉ (exact)."""
    if scope_volume <= 0:
        raise PlanError("范围内机构的业务量合计为 0，无法按业务量分配固定份数")
    return math.ceil(Fraction(target_count) * volume / scope_volume)


def planned_count(required: int, statistical: int | None) -> int:
    """What the plan samples: the contract's count, or the statistical size when that is larger."""
    return max(required, statistical or 0)
