"""Inspections: schedule, sampling, findings, reports, follow-ups, a withdrawn duplicate."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from string import Formatter
from typing import Any

from . import phrases as P
from .common import AGENCY, DAY, HOSPITAL, PHARMACY, random_yuan, weighted_choice


MAIN_INSPECTIONS = {
    HOSPITAL: {"日常巡查": 45, "双随机抽查": 20, "专项检查": 20, "专项整治": 10, "交叉检查": 5},
    PHARMACY: {"日常巡查": 60, "双随机抽查": 20, "专项检查": 10, "进销存核查": 10},
    AGENCY: {"内部审核": 1},
}
FINDING_AMOUNTS = {HOSPITAL: (300, 40000), PHARMACY: (80, 6000), AGENCY: (1000, 30000)}
#: Words that make a template about in-patients: only for a hospital with wards.
INPATIENT_WORDS = ("住院", "病房", "在院", "入院")


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
        kind = weighted_choice(self.rng, {k: w for k, w in MAIN_INSPECTIONS[itype].items() if itype in self.inspection_types.get(k, ())
                                          and not (k in self.requires_draw and day >= self.requires_draw[k])})
        length = {HOSPITAL: self.rng.choice((1, 2, 2, 3)), PHARMACY: self.rng.choice((1,) * 9 + (2,)), AGENCY: self.rng.randint(3, 5)}[itype]
        while self.days.add(day, length - 1) > self.terms.end:  # the work ends within the service period
            day = self.days.previous(day - DAY)
        record = self._new_inspection(institution, itype, kind, day, self.days.add(day, length - 1))
        if self.rng.random() < 0.2:
            record["bureau_staff"] = self.rng.randint(1, 2)
        sampling = None
        if itype in self.terms.sampling and (itype == AGENCY or self.rng.random() < 0.9):
            sampling = self._sampling(institution)
        if sampling:
            record["sampling"] = sampling
        count = self._finding_count(itype, sampling)
        record["findings"] = self._findings(institution, count, sampling) or None
        record["summary"] = self._summary(institution, kind, record)
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

    def _findings(self, institution: dict, count: int, sampling: dict | None = None, prefer: tuple[str, ...] = ()) -> list[dict]:
        """Findings of violation types that fit the institution, each told with a template whose
        services the institution offers (no TCM technique billed as a blood test, no in-patient
        story at a clinic without wards)."""
        rng, itype = self.rng, institution["type"]
        amounts = [random_yuan(rng, *FINDING_AMOUNTS[itype]) for _ in range(count)]
        limit = sampling["problem_records"] if sampling and sampling["problem_records"] else 30
        slots = self._slots(institution, limit)
        usable = {term: [t for t in self._templates(term, itype) if self._fits(t, institution, slots)]
                  for term in self.violations[itype] if term in P.FINDINGS}
        pool = {v: w for v, w in self.violations[itype].items() if usable.get(v)}
        chosen: list[str] = [v for v in prefer if v in pool][:count]
        while len(chosen) < min(count, len(pool)):
            term = weighted_choice(rng, pool)
            if term not in chosen:
                chosen.append(term)
        findings = []
        for term, amount in zip(chosen, amounts):
            template = rng.choice(usable[term])
            sales = max(1, round(amount / Decimal(rng.randint(60, 400))))  # purchases of daily goods, tens to hundreds of yuan each
            finding = {"violation_type": term, "description": template.format(**slots, amount=format(amount, "f"), sales=sales)}
            if "{amount}" in template:
                finding["amount"] = amount
            if rng.random() < 0.4:
                finding["evidence"] = rng.choice(P.EVIDENCE).format(doc=rng.choice(self._evidence_docs(institution)))
            findings.append(finding)
            slots = self._slots(institution, limit)  # fresh numbers and services for the next finding
        return findings

    def fitting_violations(self, institution: dict, subject_type: str | None = None) -> dict[str, float]:
        """Violation types (with weights) that can be told of this institution (for cases too)."""
        pool = self.violations[subject_type or institution["type"]]
        slots = self._slots(institution, 30)
        itype = institution["type"]
        return {v: w for v, w in pool.items()
                if v not in P.FINDINGS or any(self._fits(t, institution, slots) for t in self._templates(v, itype))}

    @staticmethod
    def _templates(term: str, itype: str) -> tuple[str, ...]:
        return P.FINDINGS_FOR.get((term, itype), P.FINDINGS[term])

    @staticmethod
    def _fits(template: str, institution: dict, slots: dict[str, Any]) -> bool:
        if institution["type"] == HOSPITAL and not institution.get("inpatient_service") \
                and any(word in template for word in INPATIENT_WORDS):
            return False
        return all(slots.get(name) is not None for _, name, _, _ in Formatter().parse(template) if name and name not in ("amount", "sales"))

    @staticmethod
    def offered(institution: dict) -> tuple[str, ...]:
        """The service groups a hospital offers (:data:`~.phrases.SERVICES_BY_CATEGORY`)."""
        if institution["type"] != HOSPITAL:
            return ()
        return P.SERVICES_BY_CATEGORY.get(institution.get("category"), tuple(P.SERVICES))

    def _slots(self, institution: dict, limit: int) -> dict[str, Any]:
        rng, itype = self.rng, institution["type"]
        groups = self.offered(institution)

        def services(*names: str) -> list[str]:
            return [s for g in names if g in groups for s in P.SERVICES[g]]

        tests, treatments, labs = services("lab", "exam"), services("treatment", "tcm", "rehab"), services("lab")
        test, test2 = rng.sample(tests, 2) if len(tests) >= 2 else (None, None)
        swaps = [s for s in P.SWAPS if s[2] in groups]
        swap = rng.choice(swaps) if swaps else (None, None, None)
        included = [s for s in P.INCLUDED if s[2] in groups]
        pair = rng.choice(included) if included else (None, None, None)
        splits = [s for s, group in P.SPLITS if group in groups]
        pharmacy, agency = itype == PHARMACY, itype == AGENCY
        high = max(1, min(limit, 40))
        return {"n": rng.randint(min(3, high), high), "m": rng.randint(2, 8), "times": rng.randint(5, 80),
                "days": rng.randint(5, 15), "year": self.year - 1,
                "item": rng.choice(tests + treatments) if tests + treatments else None,
                "test": test, "test2": test2, "lab": rng.choice(labs) if labs else None,
                "treatment": rng.choice(treatments) if treatments else None,
                "swap_done": swap[0], "swap_billed": swap[1],
                "not_covered": rng.choice(sorted(set(P.NOT_COVERED.values()))) if agency else P.NOT_COVERED.get(swap[2]),
                "included_in": pair[0], "included": pair[1], "split": rng.choice(splits) if splits else None,
                "drug": None if agency else rng.choice(P.PHARMACY_DRUGS if pharmacy else P.DRUGS),
                "cons": None if agency else rng.choice(P.PHARMACY_CONSUMABLES if pharmacy else P.CONSUMABLES),
                "goods": rng.choice(P.DAILY_GOODS) if pharmacy else None}

    def _evidence_docs(self, institution: dict) -> tuple[str, ...]:
        itype = institution["type"]
        if itype != HOSPITAL:
            return P.EVIDENCE_DOCS[itype]
        docs = P.EVIDENCE_DOCS[itype if institution.get("inpatient_service") else "门诊"]
        return docs if "lab" in self.offered(institution) else tuple(d for d in docs if "检验" not in d)

    def _summary(self, institution: dict, kind: str, record: dict) -> str:
        rng, itype = self.rng, institution["type"]
        key = kind if kind in P.SUMMARY else {HOSPITAL: "hospital", PHARMACY: "pharmacy", AGENCY: "agency"}[itype]
        sampling = record.get("sampling")
        phrase = ""
        if sampling:
            phrase = P.SAMPLING_PHRASE.format(start=sampling["period_start"].year, end=sampling["period_end"].year,
                                              basis=sampling["basis"], sampled=sampling["sampled"],
                                              problems=sampling["problem_records"])
        records = "住院和门诊病历" if institution.get("inpatient_service") else "门诊病历和处方"
        text = rng.choice(P.SUMMARY[key]).format(inspectors=len(record["inspectors"]), type=kind, sampling=phrase,
                                                 n=rng.randint(8, 40), m=rng.randint(3, 10), records=records)
        findings = record.get("findings") or []
        result = rng.choice(P.RESULT_FOUND).format(k=len(findings)) if findings else rng.choice(P.RESULT_CLEAN)
        return text + result

    def _report(self, record: dict, itype: str) -> None:
        """Report date from the contract's deadline (mostly on time), acceptance, or no report yet.

        The due date is the one ``yibao report`` computes: a natural-day period whose last day is
        a rest day runs to the next working day (《民法典》第二百零三条) unless the rule says
        ``roll: false``; a late report is late against that date, so its note tells the truth."""
        rng, end, as_of = self.rng, record["end_date"], self.terms.as_of
        days, day_type, rolls = self.terms.report_rules.get(itype, (5, "工作日", True))
        if day_type == "工作日":
            due = self.days.add(end, days)
        else:
            due = end + days * DAY
            due = self.days.next(due) if rolls else due
        late = rng.random() < 0.08
        if late:
            submitted = self.days.next(due + rng.randint(1, 4) * DAY)
        else:
            window = self.days.between(end, due) or [due]
            submitted = rng.choice(window)
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
                record["findings"] = self._findings(hospital, int(rng.random() < 0.35), prefer=("挂床住院",)) or None
                record["summary"] = self._summary(hospital, "夜间查房", record)
                self._report(record, HOSPITAL)
        for main in mains:
            if main.get("findings") and rng.random() < 0.12:
                start = self.days.next(main["end_date"] + rng.randint(25, 60) * DAY)
                if start <= terms.end - 3 * DAY:
                    institution = self._institution_by_id(main["institution"])
                    record = self._new_inspection(institution, institution["type"], "回头看", start, start)
                    record["findings"] = self._findings(institution, int(rng.random() < 0.15)) or None
                    record["summary"] = self._summary(institution, "回头看", record)
                    self._report(record, institution["type"])
        for pharmacy in self.by_type[PHARMACY]:
            if rng.random() < 0.04:
                day = self.days.next(terms.start + rng.randint(20, (terms.end - terms.start).days - 5) * DAY)
                record = self._new_inspection(pharmacy, PHARMACY, "明察暗访", day, day)
                record["findings"] = self._findings(pharmacy, int(rng.random() < 0.6), prefer=("诱导参保人员购买生活用品及化妆品",)) or None
                record["summary"] = self._summary(pharmacy, "明察暗访", record)
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
        record["findings"] = self._findings(hospital, rng.randint(1, 3))
        record["summary"] = self._summary(hospital, "交叉检查", record)
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
            record["findings"] = self._findings(institution, self._finding_count(HOSPITAL, sampling), sampling) or None
            record["summary"] = self._summary(institution, "病历审核", record)
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
