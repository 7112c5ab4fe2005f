"""Synthetic settlement data of a district's year, with violations planted at known rows.

``generate_claims(output, hospitals, pharmacies, catalogue, policy, fee_lines=…, seed=…)`` writes
the tables of :mod:`yibao.screen.tables` (visits, settlements, fee lines, diagnoses, monthly
inventory) as Parquet (or CSV) into ``output`` and ``planted.jsonl``: one line per planted
violation with the rule it breaks, the institution, and an evidence key a lead must name.

The clean background keeps every rule by construction: prices at or under the cap, sex and age
limits respected, one line per item a visit-day, outpatient prescriptions of at most 14 days'
supply and a patient's visits at least 20 days apart (so no overlapping prescriptions, no
readmission within 15 days, no card used twice in a week), a treatment every inpatient day,
inventory that covers what was settled, medical assistance and secondary assistance (二次救助)
computed exactly by the policy.
Each planted violation gets its own invented patient(s), so planting one never makes another
rule fire. Deterministic for a seed (one ``random.Random``, no clock, no set iteration).

Everything is invented: names are drawn from a list of common surnames and given-name characters
and marked nowhere else; ID numbers have a valid check character so that a leak would be caught
by the personal-data scan. The data folder is never committed (``.gitignore``, pre-commit, CI).
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ..core.codes import make_resident_id18

CENT = Decimal("0.01")
DAY = _dt.timedelta(days=1)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
DIAGNOSES = ("J18.900", "I10.x00", "E11.900", "K29.700", "N39.000", "I63.900", "J44.100", "M54.500")
GOODS_NONDRUG = (("SP-HZP001", "化妆品"), ("SP-RYP001", "日用品"), ("SP-BJSP01", "保健食品"))
PHARMACY, OUTPATIENT, INPATIENT = "41", "11", "21"
STOCKED = ("药品", "医用耗材")  # catalogue kinds kept in inventory (the goods categories of the stock table)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Item:
    code: str
    name: str
    list_type: str
    price_cap: Decimal
    lmt_gend: str | None
    age_min: int | None
    age_max: int | None
    child: bool
    daily_dose: Decimal | None
    drug_class: str | None
    bundle: str | None
    treatment: bool


def read_catalogue(path: Path) -> dict[str, Item]:
    out = {}
    with path.open(encoding="utf-8", newline="") as src:
        for row in csv.DictReader(src):
            def num(key, kind=int):
                return kind(row[key]) if row.get(key) else None
            out[row["hilist_code"]] = Item(row["hilist_code"], row["hilist_name"], row["list_type"], Decimal(row["price_cap"]),
                                           row["lmt_gend"] or None, num("lmt_age_min"), num("lmt_age_max"), row.get("lmt_child") == "1",
                                           num("daily_dose", Decimal), row["drug_class"] or None, row["bundle_code"] or None,
                                           row["treatment"] == "1")
    return out


def age_on(birth: _dt.date, day: _dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Policy:
    """Medical-assistance recomputation, the same arithmetic as rule GZ-015's SQL; with
    ``secondary`` (rule GZ-016's parameters), the secondary assistance (二次救助) as GZ-016's SQL."""

    def __init__(self, income, categories: list[dict], secondary: dict | None = None) -> None:
        self.income = Decimal(str(income))
        self.by = {c["category"]: c for c in categories}
        self.secondary = secondary
        self.groups = {g["category"]: g for g in (secondary or {}).get("groups", [])}

    def categories(self) -> list[str]:
        return list(self.by)

    def pay(self, category: str, cum_before: Decimal, elig: Decimal) -> Decimal:
        c = self.by[category]
        rate = Decimal(str(c["rate"]))
        threshold = Decimal(str(c["threshold_ratio"])) * self.income
        cap = None if c.get("cap_multiple") is None else Decimal(str(c["cap_multiple"])) * self.income
        after = rate * max(cum_before + elig - threshold, Decimal(0))
        before = rate * max(cum_before - threshold, Decimal(0))
        value = after - before if cap is None else min(cap, after) - min(cap, before)
        return money(value)

    def counts_for_secondary(self, med_type: str) -> bool:
        return bool(self.secondary) and med_type in self.secondary["med_types"]

    def secondary_pay(self, category: str, cum_before: Decimal, burden: Decimal) -> Decimal:
        """The secondary assistance of one settlement: the rate of the year's burden above the
        group's threshold, the year's total capped, as the increment this settlement adds."""
        g = self.groups.get(category)
        if g is None:
            return Decimal("0.00")
        rate, cap = Decimal(str(self.secondary["rate"])), Decimal(str(self.secondary["cap"]))
        threshold = Decimal(str(g["threshold"]))
        after = min(cap, rate * max(cum_before + burden - threshold, Decimal(0)))
        before = min(cap, rate * max(cum_before - threshold, Decimal(0)))
        return money(after - before)


def policy_from_rules(rules) -> Policy | None:
    """The policy of the assistance rules among ``rules`` (GZ-015: ``income`` and ``categories``;
    GZ-016: ``groups``); None without the first."""
    main = next((r for r in rules if "categories" in r.parameters and "income" in r.parameters), None)
    if main is None:
        return None
    secondary = next((r for r in rules if "groups" in r.parameters), None)
    return Policy(main.parameters["income"], main.parameters["categories"], secondary.parameters if secondary else None)


class Claims:
    def __init__(self, rng: random.Random, catalogue: dict[str, Item], policy: Policy, year: int) -> None:
        self.rng = rng
        self.cat = catalogue
        self.policy = policy
        self.year = year
        self.start = _dt.date(year, 1, 1)
        self.end = _dt.date(year, 12, 31)
        self.n_person = self.n_visit = self.n_setl = self.n_fee = 0
        self.mdtrt: list[tuple] = []
        self.setl: list[tuple] = []
        self.fee: list[tuple] = []
        self.diag: list[tuple] = []
        self.sold: dict[tuple, Decimal] = defaultdict(Decimal)  # (inst, hilist, month) -> qty
        self.amount: dict[tuple, Decimal] = defaultdict(Decimal)  # (inst, hilist) -> settled amount
        self.goods: dict[tuple, str] = {}  # (inst, hilist) -> the institution's goods code
        self.assist_cum: dict[str, Decimal] = defaultdict(Decimal)
        self.burden_cum: dict[str, Decimal] = defaultdict(Decimal)  # personal burden of the year (二次救助)
        self.drugs = [i for i in catalogue.values() if i.list_type == "药品"]
        self.services = [i for i in catalogue.values() if i.list_type != "药品" and not i.bundle]

    # -- people ---------------------------------------------------------------------------------
    def person(self, gend: str | None = None, birth: _dt.date | None = None, category: str | None = None) -> dict:
        self.n_person += 1
        rng = self.rng
        gend = gend or rng.choice("12")
        birth = birth or _dt.date(rng.randint(1940, 2021), rng.randint(1, 12), rng.randint(1, 28))
        region = "650203"
        body = f"{region}{birth:%Y%m%d}{self.n_person % 1000:03d}"
        return {"psn_no": f"PSN{self.n_person:011d}", "certno": make_resident_id18(body), "gend": gend, "brdy": birth,
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "category": category}

    # -- one visit ------------------------------------------------------------------------------
    def visit(self, p: dict, inst: str, med_type: str, begin: _dt.date, end: _dt.date, lines: list[tuple],
              diag: str, maf_extra: Decimal = Decimal(0), self_pay: Decimal = Decimal(0),
              sec_paid=None) -> tuple[str, str, list[str]]:
        """Write one visit with its lines ``(day, item_code, cnt, pric[, goods_code])``; returns
        (mdtrt_id, setl_id, fee line numbers). ``self_pay``: costs outside the policy scope (自费),
        in the settlement's total only; ``sec_paid(correct, burden)``: the secondary assistance
        paid instead of the correct one (a planted wrong payout)."""
        self.n_visit += 1
        self.n_setl += 1
        mdtrt_id = f"MD{self.n_visit:010d}"
        setl_id = f"ST{self.n_setl:010d}"
        self.mdtrt.append((mdtrt_id, p["psn_no"], p["certno"], p["name"], p["gend"], p["brdy"], inst, med_type, begin, end, "D01"))
        self.diag.append((mdtrt_id, diag, "1"))
        total = Decimal(0)
        sns = []
        for line in lines:
            day, code, cnt, pric = line[:4]
            goods = line[4] if len(line) > 4 else self.goods.setdefault((inst, code), f"G{code}")
            self.n_fee += 1
            sn = f"FD{self.n_fee:012d}"
            amt = money(cnt * pric)
            total += amt
            self.fee.append((sn, mdtrt_id, setl_id, p["psn_no"], inst, day, code, goods, cnt, pric, amt, "D01"))
            self.sold[(inst, code, day.replace(day=1))] += cnt
            self.amount[(inst, code)] += amt
            sns.append(sn)
        setl_day = end
        inscp = total
        hifp = money(inscp * Decimal("0.6"))
        hifmi = Decimal("0.00")
        maf = Decimal("0.00")
        sec = Decimal("0.00")
        if p["category"]:
            key = f"{p['psn_no']}/{setl_day.year}"
            elig = max(inscp - hifp - hifmi, Decimal(0))
            maf = self.policy.pay(p["category"], self.assist_cum[key], elig)
            self.assist_cum[key] += elig
            if self.policy.counts_for_secondary(med_type):
                burden = max(total + self_pay - hifp - hifmi - (maf + maf_extra), Decimal(0))
                sec = self.policy.secondary_pay(p["category"], self.burden_cum[key], burden)
                self.burden_cum[key] += burden
                if sec_paid:
                    sec = sec_paid(sec, burden)
        self.setl.append((setl_id, mdtrt_id, p["psn_no"], inst, setl_day, total + self_pay, inscp, hifp, hifmi, maf + maf_extra,
                          p["category"], sec))
        return mdtrt_id, setl_id, sns

    def price(self, item: Item) -> Decimal:
        return money(item.price_cap * Decimal(self.rng.choice(("1", "1", "0.95", "0.9"))))

    def fits(self, item: Item, p: dict, day: _dt.date) -> bool:
        age = age_on(p["brdy"], day)
        if item.lmt_gend and item.lmt_gend != p["gend"]:
            return False
        if item.age_min is not None and age < item.age_min or item.age_max is not None and age > item.age_max:
            return False
        return not (item.child and age >= 18)

    def outpatient_lines(self, p: dict, day: _dt.date) -> list[tuple]:
        rng = self.rng
        lines = [(day, "ZL0001", Decimal(1), self.price(self.cat["ZL0001"]))]
        classes = set()
        for item in rng.sample(self.drugs, 3):
            if item.drug_class in classes or not self.fits(item, p, day) or item.code == "YP0007":
                continue  # YP0007 is kept for planted prescriptions
            classes.add(item.drug_class)
            days = rng.randint(3, 14)
            lines.append((day, item.code, item.daily_dose * days, self.price(item)))
        for item in rng.sample(self.services, 2):
            if item.code in ("ZL0001", "ZL0002", "ZL0003", "ZL0004") or not self.fits(item, p, day):
                continue
            lines.append((day, item.code, Decimal(1), self.price(item)))
        return lines

    def inpatient_lines(self, p: dict, begin: _dt.date, end: _dt.date, idle: set[int] = frozenset()) -> list[tuple]:
        rng = self.rng
        lines = []
        treat = [i for i in self.services if i.treatment and i.code not in ("ZL0001",)] + [
            i for i in self.drugs if i.code != "YP0007"]
        day, n = begin, 0
        while day < end:
            for code in ("ZL0002", "ZL0003", "ZL0004"):
                lines.append((day, code, Decimal(1), self.cat[code].price_cap))
            if n not in idle:
                picked = [i for i in rng.sample(treat, 3) if self.fits(i, p, day)] or [self.cat["ZL0005"]]
                for item in picked:
                    lines.append((day, item.code, item.daily_dose or Decimal(1), self.price(item)))
            day += DAY
            n += 1
        return lines

    def pharmacy_lines(self, p: dict, day: _dt.date) -> list[tuple]:
        items = [i for i in self.drugs if not i.lmt_gend and i.age_min is None and not i.child and i.code != "YP0007"]
        return [(day, i.code, i.daily_dose * self.rng.randint(3, 14), self.price(i)) for i in self.rng.sample(items, self.rng.randint(1, 2))]

    def background_person(self, hospitals: list[str], pharmacies: list[str]) -> None:
        rng = self.rng
        category = rng.choice(self.policy.categories()) if rng.random() < 0.05 else None
        p = self.person(category=category)
        home = rng.choice(hospitals)
        shop = rng.choice(pharmacies)
        day = self.start + rng.randint(0, 30) * DAY
        while True:
            kind = rng.random()
            if kind < 0.12:
                los = rng.randint(2, 12)
                end = day + los * DAY
                if end > self.end:
                    break
                self.visit(p, home, INPATIENT, day, end, self.inpatient_lines(p, day, end), rng.choice(DIAGNOSES))
                day = end
            elif kind < 0.35:
                self.visit(p, shop, PHARMACY, day, day, self.pharmacy_lines(p, day), "Z76.000")
            else:
                self.visit(p, home, OUTPATIENT, day, day, self.outpatient_lines(p, day), rng.choice(DIAGNOSES))
            day += rng.randint(20, 75) * DAY
            if day > self.end:
                break


# -- planted violations: rule ID -> planter(claims, hospitals, pharmacies, k) -> [(institution, evidence key), …]
def _day(c: Claims, k: int) -> _dt.date:
    return c.start + (40 + 23 * k) * DAY


def plant_duplicate(c, hs, ps, k):
    p, h, d = c.person(), hs[k % len(hs)], _day(c, k)
    item = c.cat["ZL0010"]
    line = (d, item.code, Decimal(1), item.price_cap)
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, "ZL0001", Decimal(1), c.cat["ZL0001"].price_cap), line, line], "K29.700")
    return [(h, sns[2])]


def plant_price(c, hs, ps, k):
    p, h, d = c.person(), hs[(k + 1) % len(hs)], _day(c, k)
    item = c.cat["HC0002"]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, item.code, Decimal(1), money(item.price_cap * Decimal("1.6")))], "M54.500")
    return [(h, sns[0])]


def plant_split(c, hs, ps, k):
    p, h, d = c.person(), hs[(k + 2) % len(hs)], _day(c, k)
    lines = [(d, code, Decimal(1), c.cat[code].price_cap) for code in ("ZL0007", "ZL0008", "ZL0009")]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, lines, "J18.900")
    return [(h, sns[0])]


def plant_sex(c, hs, ps, k):
    p, h, d = c.person(gend="1", birth=_dt.date(1970, 5, 5)), hs[(k + 3) % len(hs)], _day(c, k)
    item = c.cat["YP0009"]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, item.code, Decimal(3), item.price_cap)], "N39.000")
    return [(h, sns[0])]


def plant_age(c, hs, ps, k):
    d = _day(c, k)
    p, h = c.person(birth=d.replace(year=d.year - 10)), hs[(k + 4) % len(hs)]
    item = c.cat["YP0012"]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, item.code, Decimal(5), item.price_cap)], "J18.900")
    return [(h, sns[0])]


def plant_child(c, hs, ps, k):
    p, h, d = c.person(birth=_dt.date(1980, 2, 2)), hs[(k + 5) % len(hs)], _day(c, k)
    item = c.cat["YP0008"]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, item.code, Decimal(2), item.price_cap)], "J18.900")
    return [(h, sns[0])]


def plant_quantity(c, hs, ps, k):
    p, h, d = c.person(), hs[(k + 6) % len(hs)], _day(c, k)
    item = c.cat["YP0007"]
    _, _, sns = c.visit(p, h, OUTPATIENT, d, d, [(d, item.code, item.daily_dose * 90, item.price_cap)], "I10.x00")
    return [(h, sns[0])]


def plant_overlap_drugs(c, hs, ps, k):
    p, h, d = c.person(birth=_dt.date(1960, 1, 1)), hs[(k + 7) % len(hs)], _day(c, k)
    a, b = c.cat["YP0002"], c.cat["YP0003"]
    c.visit(p, h, OUTPATIENT, d, d, [(d, a.code, a.daily_dose * 14, a.price_cap)], "J18.900")
    d2 = d + 5 * DAY
    _, _, sns = c.visit(p, h, OUTPATIENT, d2, d2, [(d2, b.code, b.daily_dose * 7, b.price_cap)], "J18.900")
    return [(h, sns[0])]


def plant_readmission(c, hs, ps, k):
    p, h, d = c.person(birth=_dt.date(1950, 3, 3)), hs[(k + 8) % len(hs)], _day(c, k)
    first, _, _ = c.visit(p, h, INPATIENT, d, d + 6 * DAY, c.inpatient_lines(p, d, d + 6 * DAY), "I63.900")
    d2 = d + 11 * DAY
    second, _, _ = c.visit(p, h, INPATIENT, d2, d2 + 5 * DAY, c.inpatient_lines(p, d2, d2 + 5 * DAY), "I63.900")
    return [(h, second)]


def plant_idle_stay(c, hs, ps, k):
    p, h, d = c.person(birth=_dt.date(1945, 4, 4)), hs[(k + 9) % len(hs)], _day(c, k)
    end = d + 9 * DAY
    mdtrt, _, _ = c.visit(p, h, INPATIENT, d, end, c.inpatient_lines(p, d, end, idle={2, 3, 4, 5, 6}), "J44.100")
    return [(h, _idle_key(c, mdtrt))]


def _idle_key(c: Claims, mdtrt: str) -> str:
    # the bed fee of the first idle day (day 2 of the stay) is in the lead's evidence
    lines = [f for f in c.fee if f[1] == mdtrt]
    first_day = lines[0][5]
    return next(f[0] for f in lines if f[5] == first_day + 2 * DAY)


def plant_two_stays(c, hs, ps, k):
    p, d = c.person(birth=_dt.date(1955, 6, 6)), _day(c, k)
    h1, h2 = hs[(k + 10) % len(hs)], hs[(k + 11) % len(hs)]
    a, _, _ = c.visit(p, h1, INPATIENT, d, d + 8 * DAY, c.inpatient_lines(p, d, d + 8 * DAY), "I10.x00")
    b, _, _ = c.visit(p, h2, INPATIENT, d + 3 * DAY, d + 7 * DAY, c.inpatient_lines(p, d + 3 * DAY, d + 7 * DAY), "K29.700")
    return [(h1, a), (h2, b)]


def plant_card(c, hs, ps, k):
    p = c.person()
    monday = _dt.date(2000, 1, 3)
    d = _day(c, k)
    d -= ((d - monday).days % 7) * DAY  # a Monday: the 7-day windows start on Mondays
    shops = [ps[(k + i) % len(ps)] for i in range(3)]
    out = []
    for i in range(5):
        shop = shops[i % 3]
        day = d + i * DAY
        _, setl, _ = c.visit(p, shop, PHARMACY, day, day, c.pharmacy_lines(p, day), "Z76.000")
        out.append((shop, setl))
    return out[:3]


def plant_nondrug(c, hs, ps, k):
    p, shop, d = c.person(), ps[(k + 3) % len(ps)], _day(c, k)
    goods, _ = GOODS_NONDRUG[k % len(GOODS_NONDRUG)]
    _, _, sns = c.visit(p, shop, PHARMACY, d, d, [(d, "YP0014", Decimal(2), Decimal("0.05"), goods)], "Z76.000")
    return [(shop, sns[0])]


def plant_assistance(c, hs, ps, k):
    category = c.policy.categories()[k % len(c.policy.categories())]
    p, h, d = c.person(category=category), hs[(k + 12) % len(hs)], _day(c, k)
    _, setl, _ = c.visit(p, h, OUTPATIENT, d, d, c.outpatient_lines(p, d) + [(d, "ZL0010", Decimal(1), Decimal("60.00"))],
                         "E11.900", maf_extra=Decimal("300.00"))
    return [(h, setl)]


def plant_secondary(c, hs, ps, k):
    """Three stays of a beneficiary with large costs outside the policy scope: the first crosses
    the secondary-assistance threshold, the second reaches the yearly cap, the third is past it.
    Even k: the third is paid at the rate as if there were no cap; odd k: the first is paid at
    100% instead of the rate. The other stays are paid correctly (so a rule without the rate or
    without the cap raises false leads)."""
    groups = list(c.policy.groups)
    category = groups[0] if k % 2 == 0 else groups[-1]  # an income-type and an expenditure-type group
    p, h, d = c.person(category=category, birth=_dt.date(1958, 8, 8)), hs[(k + 13) % len(hs)], _day(c, k)
    rate = Decimal(str(c.policy.secondary["rate"]))
    wrong = 2 if k % 2 == 0 else 0
    out = []
    for i, (self_pay, diag) in enumerate(((Decimal(30000), "I63.900"), (Decimal(60000), "J44.100"), (Decimal(20000), "K29.700"))):
        b = d + 35 * i * DAY
        e = b + 6 * DAY
        if i == wrong:
            paid = (lambda correct, burden: money(rate * burden)) if k % 2 == 0 else (lambda correct, burden: money(correct / rate))
        else:
            paid = None
        _, setl, _ = c.visit(p, h, INPATIENT, b, e, c.inpatient_lines(p, b, e), diag, self_pay=self_pay, sec_paid=paid)
        if i == wrong:
            out.append((h, setl))
    return out


PLANTERS = {
    "GZ-001": plant_duplicate, "GZ-002": plant_price, "GZ-003": plant_split, "GZ-004": plant_sex, "GZ-005": plant_age,
    "GZ-006": plant_child, "GZ-007": plant_quantity, "GZ-008": plant_overlap_drugs, "GZ-009": plant_readmission,
    "GZ-010": plant_idle_stay, "GZ-011": plant_two_stays, "GZ-013": plant_card, "GZ-014": plant_nondrug,
    "GZ-015": plant_assistance, "GZ-016": plant_secondary,
}
STOCK_RULE = "GZ-012"  # planted in the inventory, after the settlements are known

SCHEMA = {
    "mdtrt": ("mdtrt_id VARCHAR, psn_no VARCHAR, certno VARCHAR, psn_name VARCHAR, gend VARCHAR, brdy DATE, fixmedins_code VARCHAR, "
              "med_type VARCHAR, begndate DATE, enddate DATE, dept_code VARCHAR"),
    "setl": ("setl_id VARCHAR, mdtrt_id VARCHAR, psn_no VARCHAR, fixmedins_code VARCHAR, setl_date DATE, medfee_sumamt DECIMAL(18,2), "
             "inscp_scp_amt DECIMAL(18,2), hifp_pay DECIMAL(18,2), hifmi_pay DECIMAL(18,2), maf_pay DECIMAL(18,2), mdcl_asst_type VARCHAR, "
             "sec_asst_pay DECIMAL(18,2)"),
    "fee": ("feedetl_sn VARCHAR, mdtrt_id VARCHAR, setl_id VARCHAR, psn_no VARCHAR, fixmedins_code VARCHAR, fee_ocur_date DATE, "
            "hilist_code VARCHAR, medins_list_code VARCHAR, cnt DECIMAL(18,3), pric DECIMAL(18,2), det_item_fee_sumamt DECIMAL(18,2), dept_code VARCHAR"),
    "diag": "mdtrt_id VARCHAR, diag_code VARCHAR, maindiag_flag VARCHAR",
    "stock": ("fixmedins_code VARCHAR, medins_list_code VARCHAR, hilist_code VARCHAR, goods_cat VARCHAR, stat_month DATE, "
              "begn_cnt DECIMAL(18,3), purc_cnt DECIMAL(18,3), sale_cnt DECIMAL(18,3), end_cnt DECIMAL(18,3)"),
}


class Writer:
    """Appends rows to one Parquet (or CSV) part per table and flush."""

    def __init__(self, output: Path, fmt: str) -> None:
        import duckdb

        self.output = output
        self.fmt = fmt
        self.parts: dict[str, int] = defaultdict(int)
        self.con = duckdb.connect(config={"memory_limit": "2GB", "threads": "2"})

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows and self.parts[table]:
            return
        import pandas as pd

        folder = self.output / table
        folder.mkdir(parents=True, exist_ok=True)
        names = [c.split()[0] for c in SCHEMA[table].split(", ")]
        frame = pd.DataFrame.from_records(rows, columns=names)
        for col in names:  # decimals and dates go in as text and are cast by DuckDB (exact)
            if frame[col].dtype == object:
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
        self.con.register("batch", frame)
        casts = ", ".join(f"CAST({c.split()[0]} AS {' '.join(c.split()[1:])}) AS {c.split()[0]}" for c in SCHEMA[table].split(", "))
        n = self.parts[table]
        self.parts[table] += 1
        target = folder / f"part-{n:04d}.{self.fmt}"
        option = "(FORMAT parquet, COMPRESSION zstd)" if self.fmt == "parquet" else "(FORMAT csv, HEADER true)"
        self.con.execute(f"COPY (SELECT {casts} FROM batch) TO '{target.as_posix()}' {option}")
        self.con.unregister("batch")

    def close(self) -> None:
        self.con.close()


def generate_claims(output: Path, hospitals: list[str], pharmacies: list[str], catalogue: dict[str, Item], policy: Policy,
                    fee_lines: int = 20000, seed: int = 1, year: int = 2024, per_rule: int = 2, fmt: str = "parquet",
                    chunk_lines: int = 1_000_000, progress=None) -> dict:
    """Write the tables and ``planted.jsonl``; returns counts."""
    if len(hospitals) < 2 or len(pharmacies) < 3:
        raise ValueError("need at least 2 hospitals and 3 pharmacies")
    output.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    c = Claims(rng, catalogue, policy, year)
    writer = Writer(output, fmt)
    planted = []
    totals = defaultdict(int)

    def flush():
        for name in ("mdtrt", "setl", "fee", "diag"):
            rows = getattr(c, name)
            totals[name] += len(rows)
            writer.write(name, rows)
            rows.clear()

    for rule_id, planter in PLANTERS.items():
        for k in range(per_rule):
            for inst, key in planter(c, hospitals, pharmacies, k):
                planted.append({"rule": rule_id, "institution": inst, "evidence": key})
    while c.n_fee < fee_lines:
        c.background_person(hospitals, pharmacies)
        if len(c.fee) >= chunk_lines:
            flush()
            if progress:
                progress(c.n_fee)
    flush()
    planted += _stock(c, writer, rng, pharmacies, per_rule)
    writer.close()
    with (output / "planted.jsonl").open("w", encoding="utf-8") as out:
        for item in planted:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return {**totals, "planted": len(planted), "persons": c.n_person}


def _stock(c: Claims, writer: Writer, rng: random.Random, pharmacies: list[str], per_rule: int) -> list[dict]:
    months = [_dt.date(c.year, m, 1) for m in range(1, 13)]
    by_pair: dict[tuple, dict] = defaultdict(dict)
    for (inst, code, month), qty in c.sold.items():
        by_pair[(inst, code)][month] = qty
    # the stock violation: for some institutions, the drug with the largest settled amount was
    # bought in a smaller quantity than settled (opening stock included)
    institutions = sorted({inst for inst, _ in by_pair})
    short = {}
    for k in range(per_rule):
        inst = institutions[(7 * k + 3) % len(institutions)]
        if inst in short:
            continue
        top = max((code for i, code in by_pair if i == inst and c.cat[code].list_type in STOCKED),
                  key=lambda code: (c.amount[(inst, code)], code))
        short[inst] = top
    planted = [{"rule": STOCK_RULE, "institution": inst, "evidence": code} for inst, code in sorted(short.items())]
    rows = []
    for (inst, code), sales in sorted(by_pair.items()):
        if c.cat[code].list_type not in STOCKED:
            continue  # services have no inventory
        goods = c.goods.get((inst, code), f"G{code}")
        opening = Decimal(rng.randint(20, 200))
        if short.get(inst) == code:
            opening = Decimal(0)
        stock = opening
        for month in months:
            sale = sales.get(month, Decimal(0))
            buy = sale + Decimal(rng.randint(0, 30)) if short.get(inst) != code else (sale * Decimal("0.7")).quantize(Decimal(1))
            rows.append((inst, goods, code, c.cat[code].list_type, month, stock, buy, sale, stock + buy - sale))
            stock = stock + buy - sale
    for shop in pharmacies:
        for goods, category in GOODS_NONDRUG:
            stock = Decimal(rng.randint(10, 50))
            for month in months:
                sale = Decimal(rng.randint(0, 10))
                buy = sale
                rows.append((shop, goods, None, category, month, stock, buy, sale, stock))
    writer.write("stock", rows)
    return planted
