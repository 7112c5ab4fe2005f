"""What the generator reads from a contract, regions, and the generic contract."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any

from . import phrases as P
from ..core.schemas import SchemaSet
from .common import AGENCY, DAY, HOSPITAL, INSTITUTION_TYPES, MIX, PHARMACY, REGION_SIZE


@dataclass
class Terms:
    """The parts of a contract that shape the records: period, scope, deadlines, targets, team."""

    id: str
    contractor: str
    bureau: str
    region_code: str
    start: dt.date
    end: dt.date
    expected: dict[str, int]
    report_rules: dict[str, tuple[int, str, bool]]    # institution type -> (days, day type, rolls past rest days)
    sampling: dict[str, tuple[str, str, int]]         # institution type -> (basis, volume field, years)
    roles: list[dict]
    flight: int
    min_total: int
    min_education: str | None
    offline: tuple[int, tuple[str, ...]]              # (sessions, required topics)
    trips: list[tuple[str, int, int]]                 # (place scope, trips, bureau staff per trip)

    @property
    def as_of(self) -> dt.date:
        """The day the data describes: ten days after the contract period."""
        return self.end + 10 * DAY


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def contract_terms(contract: dict, schemas: SchemaSet) -> Terms:
    """Read a contract record (as loaded, or as generated) into :class:`Terms`."""
    volume_fields = schemas.vocab("sampling_basis").get("x-volume-field", {})
    report_rules: dict[str, tuple[int, str, bool]] = {}
    for rule in contract.get("deadlines") or []:
        if rule.get("applies_to") == "inspection" and rule.get("ends") == "report.submitted_on":
            for itype in rule.get("institution_types") or INSTITUTION_TYPES:
                report_rules.setdefault(itype, (rule["days"], rule["day_type"], rule.get("roll") is not False))
    sampling: dict[str, tuple[str, str, int]] = {}
    offline_count, topics, trips = 0, (), []
    for target in contract.get("targets") or []:
        metric, basis = target.get("metric"), target.get("sampling_basis")
        if basis in volume_fields and target.get("lookback_years"):
            for itype in target.get("institution_types") or ():
                sampling.setdefault(itype, (basis, volume_fields[basis], target["lookback_years"]))
        if metric == "trainings_held":
            offline_count = int(target["target"])
        elif metric == "training_topics_covered":
            topics = tuple(target.get("topics") or ())
        elif metric == "study_trips":
            trips.append((target.get("place_scope", "省内"), int(target["target"]), target.get("min_bureau_staff", 2)))
    team = contract.get("team_requirements") or {}
    expected = contract.get("scope", {}).get("expected_counts") or {}
    return Terms(
        id=contract["id"], contractor=contract["contractor"], bureau=contract["bureau"],
        region_code=contract["region_code"], start=_date(contract["period"]["start"]), end=_date(contract["period"]["end"]),
        expected={k: v for k, v in expected.items() if k in INSTITUTION_TYPES},
        report_rules=report_rules, sampling=sampling, roles=list(team.get("roles") or []),
        flight=team.get("flight_inspection_experience", 0), min_total=team.get("min_total", 0),
        min_education=team.get("min_education"), offline=(offline_count, topics), trips=trips,
    )


# -- regions ----------------------------------------------------------------------------------------
PROVINCES = ("65", "64", "63", "62", "61", "54", "53", "52", "51", "50", "45", "44", "43", "42", "41", "37",
             "36", "35", "34", "33", "32", "23", "22", "21", "15", "14", "13")
CITIES_PER_PROVINCE, DISTRICTS_PER_CITY = 15, 28
MAX_REGIONS = len(PROVINCES) * CITIES_PER_PROVINCE * DISTRICTS_PER_CITY  # distinct region codes


@dataclass
class Region:
    """One contract's area: its code and names, and how many institutions of each type."""

    index: int
    code: str
    city: str          # 克拉玛依市
    district: str      # 克拉玛依区
    counts: dict[str, int]
    levels: tuple[str, ...] = ("一级", "二级", "三级", "未定级")
    townships: bool | None = None  # has 乡镇卫生院; by default a county (县) has

    @property
    def has_townships(self) -> bool:
        return self.district.endswith("县") if self.townships is None else self.townships

    @property
    def doc_prefix(self) -> str:
        return self.city[0]

    @property
    def city_short(self) -> str:
        return self.city[:-1] if self.city.endswith("市") else self.city

    @property
    def xinjiang(self) -> bool:
        return self.code.startswith("65")


def plan_regions(institutions: int) -> list[Region]:
    """Split ``institutions`` into regions of about :data:`REGION_SIZE` with the 克拉玛依区 mix."""
    count = max(1, round(institutions / REGION_SIZE))
    base, extra = divmod(institutions, count)
    regions = []
    for index in range(count):
        size = base + (index < extra)
        hospitals = max(1, round((size - 1) * MIX[HOSPITAL] / sum(MIX.values())))
        counts = {HOSPITAL: hospitals, PHARMACY: size - 1 - hospitals, AGENCY: 1}
        regions.append(_region(index, counts))
    return regions


def _region(index: int, counts: dict[str, int]) -> Region:
    per_province = CITIES_PER_PROVINCE * DISTRICTS_PER_CITY
    province = PROVINCES[(index // per_province) % len(PROVINCES)]
    city = (index // DISTRICTS_PER_CITY) % CITIES_PER_PROVINCE + 1
    district = index % DISTRICTS_PER_CITY + 2
    first = P.REGION_FIRST[index % len(P.REGION_FIRST)]
    second = P.REGION_SECOND[(index // len(P.REGION_FIRST)) % len(P.REGION_SECOND)]
    suffix = "县" if district % 3 == 0 else "区"
    return Region(index, f"{province}{city:02d}{district:02d}", P.CITY_NAMES[city - 1] + "市", first + second + suffix, counts)


def generic_contract(region: Region, year: int, contract_id: str, rng: Random) -> dict:
    """A contract modelled on the 克拉玛依区 2024 procurement (targets, deadlines, team)."""
    total = sum(region.counts.values())
    firm = rng.choice(P.CONTRACTORS)
    types = list(INSTITUTION_TYPES)
    in_or_out = ("疆内（地市级）", "疆外") if region.xinjiang else ("省内（地市级）", "省外")
    return {
        "id": contract_id,
        "name": f"{year}年{region.district}医疗保障基金监管服务项目（合成数据）",
        "bureau": f"{region.city}{region.district}医疗保障局（虚构）",
        "contractor": f"{firm}医保管理咨询有限公司（虚构）",
        "region_code": region.code,
        "source_document": "合成数据，条款结构参照《2024年克拉玛依区医疗保障基金监管服务项目采购需求方案》",
        "period": {"start": dt.date(year, 3, 1), "end": dt.date(year, 11, 20)},
        "budget": Decimal(round(350000 * total / REGION_SIZE, -3)).quantize(Decimal("0.01")),
        "scope": {"rule": {"region_codes": [region.code], "institution_types": types},
                  "expected_counts": {**region.counts, "合计": total}},
        "targets": [
            {"metric": "onsite_coverage", "name": "现场检查率", "target": 1, "institution_types": types},
            {"metric": "record_sampling_rate", "name": "医院病历抽审比例（近两年病历总数）", "target": Decimal("0.025"),
             "institution_types": [HOSPITAL], "sampling_basis": "病历", "lookback_years": 2},
            {"metric": "claim_sampling_rate", "name": "经办机构手工报销申报材料抽审比例（近两年）", "target": Decimal("0.025"),
             "institution_types": [AGENCY], "sampling_basis": "手工报销申报材料", "lookback_years": 2},
            {"metric": "problem_discovery_rate", "name": "医院问题病历发现率", "target": Decimal("0.4"),
             "institution_types": [HOSPITAL], "sampling_basis": "病历"},
            {"metric": "reports_on_time", "name": "医疗机构调查报告三日内提交", "target": 1,
             "institution_types": [HOSPITAL], "deadline": "report-medical"},
            {"metric": "reports_on_time", "name": "定点零售药店调查报告次日提交", "target": 1,
             "institution_types": [PHARMACY], "deadline": "report-pharmacy"},
            {"metric": "trainings_held", "name": "《医疗保障基金合规使用》线下培训", "target": 4, "training_kind": "线下培训"},
            {"metric": "training_topics_covered", "name": "培训内容覆盖四项必训主题", "target": 4, "training_kind": "线下培训",
             "topics": ["常见违规行为", "合规收费", "现场巡查方法", "贯彻执行条例"]},
            {"metric": "study_trips", "name": f"{in_or_out[0]}飞行检查以干代训", "target": 4, "training_kind": "以干代训",
             "place_scope": "省内", "min_bureau_staff": 2},
            {"metric": "study_trips", "name": f"{in_or_out[1]}飞行检查以干代训", "target": 2, "training_kind": "以干代训",
             "place_scope": "省外", "min_bureau_staff": 2},
            {"metric": "team_composition", "name": "项目团队配备", "target": 1},
        ],
        "deadlines": [
            {"id": "report-medical", "name": "医疗机构调查结束后三日内形成调查报告", "applies_to": "inspection",
             "starts": "end_date", "ends": "report.submitted_on", "days": 3, "day_type": "自然日",
             "institution_types": [HOSPITAL], "source": "采购需求方案 二（一）1（3）"},
            {"id": "report-pharmacy", "name": "定点零售药店调查结束后次日形成调查报告", "applies_to": "inspection",
             "starts": "end_date", "ends": "report.submitted_on", "days": 1, "day_type": "自然日",
             "institution_types": [PHARMACY], "source": "采购需求方案 二（一）1（3）"},
        ],
        "team_requirements": {
            "flight_inspection_experience": 1,
            "roles": [
                {"role": "项目负责人", "min": 1},
                {"role": "医学", "min": 1, "qualifications": ["执业医师", "执业药师", "护士"]},
                {"role": "信息", "min": 1},
                {"role": "财务审计", "min": 1, "qualifications": ["会计师", "审计师", "注册会计师"]},
            ],
        },
        "submitters": [f"firm-{region.code}"],
        "reviewers": [f"ybj-{region.code}-review"],
        "notes": "合成数据：由 yibao generate 生成，机构、人员和案件均为虚构。",
    }
