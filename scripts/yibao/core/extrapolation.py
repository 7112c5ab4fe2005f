"""Projecting audited overpayments from a sample to the population (variable appraisal).

A supervisor audits a random sample of claims (or stays, or prescriptions), finds the overpayment of
each sampled unit, and projects it to every unit the sample was drawn from. The projection is the
estimator of a total under simple random sampling without replacement, unrestricted (one stratum) or
stratified, as audit practice reports it (the variable appraisal of RAT-STATS, the U.S. HHS-OIG's
statistical package; repayment demanded at the lower limit of the two-sided 90% confidence interval):

- stratum h with N_h units, n_h sampled, audited overpayments y_hi (zero for a correct unit):
  mean ȳ_h = Σ y_hi / n_h, sample variance s_h² = Σ (y_hi − ȳ_h)² / (n_h − 1);
- point estimate of the total  T̂ = Σ N_h ȳ_h;
- its standard error  SE = √ Σ N_h² (1 − n_h/N_h) s_h² / n_h  (with the finite-population correction);
- two-sided confidence limits  T̂ ± t · SE, t the Student quantile of (1 + c)/2 with n − 1 degrees
  of freedom unrestricted and n − L stratified (n units in L strata: the design degrees of freedom).

Amounts are yuan with two decimals. Limits are rounded outward to the fen (the lower limit down, the
upper limit up), so a demand based on the lower limit never exceeds what the sample supports; the
point estimate and the standard error are rounded half up. A stratum sampled whole (n_h = N_h)
contributes its exact total and no error; any other stratum needs at least two sampled units.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Sequence


CONFIDENCE_LEVELS = (80, 90, 95)
DEMAND_LEVEL = 90  # repayment is demanded at the lower limit of the two-sided 90% interval
FEN = Decimal("0.01")
METHOD = "sample-total-v1"


class ExtrapolationError(ValueError):
    """The design cannot support an estimate; the message says why, in Chinese."""


@dataclass(frozen=True)
class Stratum:
    name: str
    population_size: int  # N_h: sampling units in the stratum
    overpayments: tuple[Decimal, ...]  # audited overpayment of every sampled unit (0 for a correct one)
    population_amount: Decimal | None = None  # what the N_h units were paid, when known

    @property
    def sample_size(self) -> int:
        return len(self.overpayments)


@dataclass(frozen=True)
class StratumEstimate:
    name: str
    population_size: int
    sample_size: int
    sample_total: Decimal
    mean: float
    std_dev: float  # sample standard deviation (n_h − 1)
    point: float
    variance: float  # of this stratum's contribution to the total


@dataclass(frozen=True)
class Limits:
    confidence: int  # percent, two-sided
    t_value: float
    lower: Decimal
    upper: Decimal


@dataclass(frozen=True)
class Estimate:
    method: str
    strata: tuple[StratumEstimate, ...]
    sample_size: int
    population_size: int
    degrees_of_freedom: int
    point: Decimal
    standard_error: Decimal
    limits: tuple[Limits, ...]
    precision: float | None  # half-width of the 90% interval relative to the point estimate

    def at(self, confidence: int) -> Limits:
        for limits in self.limits:
            if limits.confidence == confidence:
                return limits
        raise KeyError(confidence)

    @property
    def demand(self) -> Decimal:
        """What may be demanded: the lower 90% limit, never below zero."""
        return max(self.at(DEMAND_LEVEL).lower, Decimal("0.00"))


def _fen(value: float, rounding: str) -> Decimal:
    # repr() gives the shortest decimal that round-trips, so 1234.565 stays 1234.565 before rounding
    return Decimal(repr(value)).quantize(FEN, rounding=rounding)


def _validate(strata: Sequence[Stratum]) -> None:
    if not strata:
        raise ExtrapolationError("没有分层：至少需要一个抽样总体")
    names = [s.name for s in strata]
    if len(set(names)) != len(names):
        raise ExtrapolationError("分层名称重复：" + "、".join(sorted({n for n in names if names.count(n) > 1})))
    for s in strata:
        where = f"分层“{s.name}”" if len(strata) > 1 else "抽样总体"
        if s.population_size < 1:
            raise ExtrapolationError(f"{where}的总体单位数必须是正整数，现为 {s.population_size}")
        if s.sample_size < 1:
            raise ExtrapolationError(f"{where}没有样本单位")
        if s.sample_size > s.population_size:
            raise ExtrapolationError(f"{where}的样本单位数 {s.sample_size} 大于总体单位数 {s.population_size}")
        if s.sample_size == 1 and s.population_size > 1:
            raise ExtrapolationError(f"{where}只抽取了 1 个单位，无法估计标准误；每层至少抽取 2 个单位（或全部抽取）")
        for value in s.overpayments:
            if not isinstance(value, Decimal) or not value.is_finite() or value != value.quantize(FEN):
                raise ExtrapolationError(f"{where}的样本金额 {value} 不是精确到分的金额")


def _stratum(s: Stratum) -> StratumEstimate:
    n, big_n = s.sample_size, s.population_size
    total = sum(s.overpayments, Decimal("0"))
    values = [float(v) for v in s.overpayments]
    mean = float(total) / n
    if n > 1:
        squares = math.fsum((v - mean) ** 2 for v in values)
        variance_units = squares / (n - 1)
    else:
        variance_units = 0.0
    fpc = 1.0 - n / big_n
    variance = big_n * big_n * fpc * variance_units / n
    return StratumEstimate(name=s.name, population_size=big_n, sample_size=n, sample_total=total, mean=mean,
                           std_dev=math.sqrt(variance_units), point=big_n * float(total) / n, variance=variance)


def appraise(strata: Sequence[Stratum]) -> Estimate:
    """The projected total overpayment, its standard error and 80/90/95% limits (see the module)."""
    from scipy.stats import t as student_t  # imported when needed: loading scipy.stats costs ~0.7 s

    _validate(strata)
    parts = tuple(_stratum(s) for s in strata)
    n = sum(p.sample_size for p in parts)
    exact = sum((Decimal(p.population_size) * p.sample_total / Decimal(p.sample_size) for p in parts), Decimal("0"))
    point = float(exact)
    se = math.sqrt(math.fsum(p.variance for p in parts))
    df = n - len(parts)
    limits = []
    for level in CONFIDENCE_LEVELS:
        t_value = float(student_t.ppf((1 + level / 100) / 2, df)) if df > 0 and se > 0 else 0.0
        half = Decimal(repr(t_value * se))
        limits.append(Limits(level, t_value, (exact - half).quantize(FEN, rounding=ROUND_FLOOR),
                             (exact + half).quantize(FEN, rounding=ROUND_CEILING)))
    ninety = next(lim for lim in limits if lim.confidence == DEMAND_LEVEL)
    precision = (ninety.t_value * se / point) if point else None
    return Estimate(method=METHOD, strata=parts, sample_size=n, population_size=sum(p.population_size for p in parts),
                    degrees_of_freedom=df, point=exact.quantize(FEN, rounding=ROUND_HALF_UP), standard_error=_fen(se, ROUND_HALF_UP),
                    limits=tuple(limits), precision=precision)
