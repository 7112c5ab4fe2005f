"""Inspections: schedule, sampling, findings, reports, follow-ups, a withdrawn duplicate."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from . import phrases as P
from .common import AGENCY, DAY, HOSPITAL, PHARMACY, random_yuan, weighted_choice


MAIN_INSPECTIONS = {
    HOSPITAL: {"日常巡查": 45, "双随机抽查": 20, "专项检查": 20, "专项整治": 10, "交叉检查": 5},
    PHARMACY: {"日常巡查": 60, "双随机抽查": 20, "专项检查": 10, "进销存核查": 10},
    AGENCY: {"内部审核": 1},
}
FINDING_AMOUNTS = {HOSPITAL: (300, 40000), PHARMACY: (80, 6000), AGENCY: (1000, 30000)}


class InspectionsMixin:
    """Inspections: schedule, sampling, findings, reports, follow-ups, a withdrawn duplicate."""

    def build_inspections(self) -> None:
        covered = self._covered()
        slots = self.days.between(self.terms.start + 7 * DAY, self.terms.end - 2 * DAY)
        order = covered[:]
        self.rng.shuffle(order)
        for i, institution in enumerate(order):
            day = slots[min(len(slots) - 1, int((i + self.rng.random()) * len(slots) / len(order)))]
            self._main_inspection(institution, day)
        self._extra_inspections()
        self._duplicate_entry()

    def _covered(self) -> list[dict]:
        rng = self.rng
        hospitals, pharmacies = self.by_type[HOSPITAL], self.by_type[PHARMACY]
        missing = round(len(self.institutions) * rng.uniform(0.04, 0.09))
        skip_hospital = int(len(hospitals) >= 5 and rng.random() < 0.6)
        skipped = set(i["id"] for i in rng.sample(hospitals, skip_hospital))
        skipped |= set(i["id"] for i in rng.sample(pharmacies, min(len(pharmacies), max(0, missing - skip_hospital))))
        return [i for i in self.institutions if i["id"] not in skipped]

    def _new_inspection(self, institution: dict, itype: str, kind: str, start: dt.date, end: dt.date, on_site: bool = True,
                        size: int | None = None) -> dict:
        size = size or (3 if itype == HOSPITAL and self.rng.random() < 0.4 else 2)
        record = {"id": self.ids.next(f"JC-{start.year}"), "contract": self.terms.id, "institution": institution["id"],
                  "type": kind, "on_site": on_site, "start_date": start, "end_date": end,
                  "inspectors": self._team(start, end, itype, size)}
        self.inspections.append(record)
        return record

    def _main_inspection(self, institution: dict, day: dt.date) -> None:
        itype = institution["type"]
        kind = weighted_choice(self.rng, {k: w for k, w in MAIN_INSPECTIONS[itype].items() if itype in self.inspection_types.get(k, ())})
        length = {HOSPITAL: self.rng.choice((1, 2, 2, 3)), PHARMACY: self.rng.choice((1,) * 9 + (2,)), AGENCY: self.rng.randint(3, 5)}[itype]
        record = self._new_inspection(institution, itype, kind, day, self.days.add(day, length - 1))
        if self.rng.random() < 0.2:
            record["bureau_staff"] = self.rng.randint(1, 2)
        sampling = None
        if itype in self.terms.sampling and (itype == AGENCY or self.rng.random() < 0.9):
            sampling = self._sampling(institution)
        if sampling:
            record["sampling"] = sampling
        count = self._finding_count(itype, sampling)
        record["findings"] = self._findings(itype, count, sampling) or None
        record["summary"] = self._summary(itype, kind, record)
        self._report(record, itype)

    def _sampling(self, institution: dict) -> dict | None:
        basis, volume_field, years = self.terms.sampling[institution["type"]]
        window = range(self.year - years, self.year)
        population = sum(v.get(volume_field, 0) for v in institution.get("volumes") or () if v["year"] in window)
        if not population:
            return None
        rng = self.rng
        share = rng.uniform(0.025, 0.04) if rng.random() < 0.85 else rng.uniform(0.018, 0.025)
        sampled = max(1, round(population * share))
        problem_share = rng.uniform(0.30, 0.55) if institution["type"] == HOSPITAL else rng.uniform(0.05, 0.2)
        return {"basis": basis, "period_start": dt.date(self.year - years, 1, 1), "period_end": dt.date(self.year - 1, 12, 31),
                "population": population, "sampled": sampled, "problem_records": round(sampled * problem_share)}

    def _finding_count(self, itype: str, sampling: dict | None) -> int:
        rng = self.rng
        if itype == AGENCY:
            return rng.randint(1, 2)
        if itype == HOSPITAL:
            if sampling and sampling["problem_records"]:
                return rng.choices((1, 2, 3), (40, 40, 20))[0]
            return rng.choices((0, 1, 2), (30, 50, 20))[0]
        return rng.choices((0, 1, 2), (55, 35, 10))[0]

    def _findings(self, itype: str, count: int, sampling: dict | None = None, prefer: tuple[str, ...] = ()) -> list[dict]:
        rng = self.rng
        pool = {v: w for v, w in self.violations[itype].items() if v in P.FINDINGS}
        chosen: list[str] = [v for v in prefer if v in pool][:count]
        while len(chosen) < min(count, len(pool)):
            term = weighted_choice(rng, pool)
            if term not in chosen:
                chosen.append(term)
        findings = []
        for term in chosen:
            amount = random_yuan(rng, *FINDING_AMOUNTS[itype])
            limit = sampling["problem_records"] if sampling and sampling["problem_records"] else 30
            template = rng.choice(P.FINDINGS[term])
            finding = {"violation_type": term, "description": template.format(**self._slots(amount, limit))}
            if "{amount}" in template:
                finding["amount"] = amount
            if rng.random() < 0.4:
                finding["evidence"] = rng.choice(P.EVIDENCE).format(doc=rng.choice(P.EVIDENCE_DOCS[itype]))
            findings.append(finding)
        return findings

    def _slots(self, amount: Decimal, limit: int) -> dict[str, Any]:
        rng = self.rng
        item, item2 = rng.sample(P.ITEMS, 2)
        high = max(1, min(limit, 40))
        return {"n": rng.randint(min(3, high), high), "m": rng.randint(2, 8), "times": rng.randint(5, 80),
                "days": rng.randint(5, 15), "item": item, "item2": item2, "drug": rng.choice(P.DRUGS),
                "cons": rng.choice(P.CONSUMABLES), "goods": rng.choice(P.DAILY_GOODS), "amount": format(amount, "f"),
                "year": self.year - 1}

    def _summary(self, itype: str, kind: str, record: dict) -> str:
        rng = self.rng
        key = kind if kind in P.SUMMARY else {HOSPITAL: "hospital", PHARMACY: "pharmacy", AGENCY: "agency"}[itype]
        sampling = record.get("sampling")
        phrase = ""
        if sampling:
            phrase = P.SAMPLING_PHRASE.format(start=sampling["period_start"].year, end=sampling["period_end"].year,
                                              basis=sampling["basis"], sampled=sampling["sampled"],
                                              problems=sampling["problem_records"])
        text = rng.choice(P.SUMMARY[key]).format(inspectors=len(record["inspectors"]), type=kind, sampling=phrase,
                                                 n=rng.randint(8, 40), m=rng.randint(3, 10))
        findings = record.get("findings") or []
        result = rng.choice(P.RESULT_FOUND).format(k=len(findings)) if findings else rng.choice(P.RESULT_CLEAN)
        return text + result

    def _report(self, record: dict, itype: str) -> None:
        """Report date from the contract's deadline (mostly on time), acceptance, or no report yet."""
        rng, end, as_of = self.rng, record["end_date"], self.terms.as_of
        days, day_type = self.terms.report_rules.get(itype, (5, "工作日"))
        due = self.days.add(end, days) if day_type == "工作日" else end + days * DAY
        late = rng.random() < 0.08
        submitted = due + rng.randint(1, 4) * DAY if late else end + rng.randint(0, days) * DAY
        if submitted > as_of or (end >= self.terms.end - 12 * DAY and rng.random() < 0.5):
            record["status"] = "待报告"
            record["notes"] = rng.choice(P.PENDING_NOTES)
            return
        record["report"] = {"submitted_on": submitted, "document": ""}
        accepted = submitted + rng.randint(1, 12) * DAY
        if accepted <= as_of and rng.random() < 0.7:
            record["report"]["accepted_on"] = accepted
            record["status"] = "报告已采纳"
        else:
            record["status"] = "已提交报告"
        if submitted > due and rng.random() < 0.6:
            record["notes"] = rng.choice(P.LATE_NOTES)

    def _extra_inspections(self) -> None:
        rng, terms = self.rng, self.terms
        mains = list(self.inspections)
        for hospital in self.by_type[HOSPITAL]:
            if hospital.get("inpatient_service") and rng.random() < 0.5:
                day = terms.start + rng.randint(14, (terms.end - terms.start).days - 3) * DAY
                record = self._new_inspection(hospital, HOSPITAL, "夜间查房", day, day, size=2)
                record["bureau_staff"] = rng.randint(0, 1) or None
                record["findings"] = self._findings(HOSPITAL, int(rng.random() < 0.35), prefer=("挂床住院",)) or None
                record["summary"] = self._summary(HOSPITAL, "夜间查房", record)
                self._report(record, HOSPITAL)
        for main in mains:
            if main.get("findings") and rng.random() < 0.12:
                start = self.days.next(main["end_date"] + rng.randint(25, 60) * DAY)
                if start <= terms.end - 3 * DAY:
                    institution = self._institution_by_id(main["institution"])
                    record = self._new_inspection(institution, institution["type"], "回头看", start, start)
                    record["findings"] = self._findings(institution["type"], int(rng.random() < 0.15)) or None
                    record["summary"] = self._summary(institution["type"], "回头看", record)
                    self._report(record, institution["type"])
        for pharmacy in self.by_type[PHARMACY]:
            if rng.random() < 0.04:
                day = self.days.next(terms.start + rng.randint(20, (terms.end - terms.start).days - 5) * DAY)
                record = self._new_inspection(pharmacy, PHARMACY, "明察暗访", day, day)
                record["findings"] = self._findings(PHARMACY, int(rng.random() < 0.6), prefer=("诱导参保人员购买生活用品及化妆品",)) or None
                record["summary"] = self._summary(PHARMACY, "明察暗访", record)
                self._report(record, PHARMACY)
        self._cross_inspection()
        self._record_reviews(mains)

    def _cross_inspection(self) -> None:
        hospitals = self.by_type[HOSPITAL]
        if len(hospitals) < 3:
            return
        rng = self.rng
        hospital = rng.choice(hospitals)
        start = self.days.next(self.terms.start + rng.randint(60, 150) * DAY)
        record = self._new_inspection(hospital, HOSPITAL, "交叉检查", start, self.days.add(start, 1), size=3)
        record["bureau_staff"] = 2
        record["findings"] = self._findings(HOSPITAL, rng.randint(1, 3))
        record["summary"] = self._summary(HOSPITAL, "交叉检查", record)
        self._report(record, HOSPITAL)

    def _record_reviews(self, mains: list[dict]) -> None:
        """Hospitals whose on-site inspection took no sample get an off-site record review instead."""
        for main in mains:
            institution = self._institution_by_id(main["institution"])
            if institution["type"] != HOSPITAL or main.get("sampling") or self.rng.random() < 0.4:
                continue
            sampling = self._sampling(institution)
            start = self.days.next(main["end_date"] + self.rng.randint(5, 20) * DAY)
            if sampling is None or start > self.terms.end - 5 * DAY:
                continue
            record = self._new_inspection(institution, HOSPITAL, "病历审核", start, self.days.add(start, 2), on_site=False)
            record["sampling"] = sampling
            record["findings"] = self._findings(HOSPITAL, self._finding_count(HOSPITAL, sampling), sampling) or None
            record["summary"] = self._summary(HOSPITAL, "病历审核", record)
            self._report(record, HOSPITAL)

    def _duplicate_entry(self) -> None:
        """One inspection entered twice; the copy is withdrawn, never deleted."""
        originals = [i for i in self.inspections if i["type"] == "日常巡查" and i.get("report")]
        if not originals:
            return
        original = self.rng.choice(originals)
        institution = self._institution_by_id(original["institution"])
        copy = self._new_inspection(institution, institution["type"], original["type"], original["start_date"], original["end_date"])
        copy["inspectors"] = list(original["inspectors"])
        copy["status"] = "已撤回"
        copy["withdrawal"] = {"date": original["end_date"] + self.rng.randint(1, 3) * DAY,
                              "reason": P.INSPECTION_WITHDRAWAL.format(other=original["id"]), "requested_by": "受托方项目负责人"}

    def _inspection_type(self, ident: str) -> str:
        return next(i["type"] for i in self.inspections if i["id"] == ident)

    def _institution_by_id(self, ident: str) -> dict:
        return self._index()[ident]

    def _index(self) -> dict[str, dict]:
        if len(getattr(self, "_by_id", ())) != len(self.institutions):
            self._by_id = {i["id"]: i for i in self.institutions}
        return self._by_id

    def number_reports(self) -> None:
        """Report numbers follow the order reports were submitted."""
        reported = sorted((i for i in self.inspections if i.get("report")), key=lambda i: (i["report"]["submitted_on"], i["id"]))
        for number, record in enumerate(reported, 1):
            record["report"]["document"] = f"{self.firm_abbr}检报〔{record['report']['submitted_on'].year}〕{number}号"
