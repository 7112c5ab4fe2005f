"""Shared constants and small helpers of the generator."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any, Iterator


HOSPITAL, PHARMACY, AGENCY = "定点医疗机构", "定点零售药店", "医保经办机构"
DOCTOR, INSURED = "医保医师", "参保人员"
INSTITUTION_TYPES = (HOSPITAL, PHARMACY, AGENCY)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Institutions per region and the 克拉玛依区 mix of the other 160 (one agency per region).
REGION_SIZE = 161
MIX = {HOSPITAL: 17, PHARMACY: 143}
DEFAULT_YEAR = 2024
#: Generated kinds in the order a repository is built up (used to order records of one day).
KIND_ORDER = ("calendar", "provision", "reward_policy", "contract", "institution", "staff", "training", "inspection", "case")
DEMO_SEED = 20240301
DEMO_CONTRACT = "records/contract/HT-2024-KLMY.yaml"
DEMO_KINDS = ("institution", "staff", "inspection", "case", "training")
DAY = dt.timedelta(days=1)


class GenerateError(ValueError):
    """The generator cannot do what was asked (message in Chinese, for the user)."""


@dataclass(slots=True)
class GeneratedRecord:
    """One record: where it goes, when it was first written and when it reached its final state."""

    kind: str
    relpath: str
    created: dt.date
    date: dt.date
    data: dict


def random_yuan(rng: Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 100), int(high * 100))).scaleb(-2)


def to_cents(value: Decimal) -> int:
    return int(value * 100)


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def weighted_choice(rng: Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def dates_in(value: Any) -> Iterator[dt.date]:
    if type(value) is dt.date:
        yield value
    elif type(value) is dict:
        for item in value.values():
            yield from dates_in(item)
    elif type(value) is list:
        for item in value:
            yield from dates_in(item)
