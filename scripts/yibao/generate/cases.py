"""Cases across every source, subject and status, with timelines, money and actions."""
from __future__ import annotations

import datetime as dt
from typing import Any

from . import phrases as P
from .inspections import INPATIENT_WORDS
from .common import (AGENCY, DAY, DOCTOR, HOSPITAL, INSTITUTION_TYPES, INSURED, PHARMACY, from_cents, random_yuan, to_cents,
                     weighted_choice)


CASE_AMOUNTS = {HOSPITAL: (2000, 180000), PHARMACY: (500, 30000), DOCTOR: (1000, 50000), INSURED: (300, 20000), AGENCY: (5000, 90000)}
CASE_STATUS_WEIGHTS = {"已结案": 40, "已决定": 8, "已告知": 8, "调查中": 12, "已立案": 8, "已登记": 6, "不予立案": 10}
CASE_SOURCE_WEIGHTS = {"检查发现": 35, "举报投诉": 25, "数据筛查": 20, "上级交办": 10, "部门移交": 10}
CASE_SUBJECT_WEIGHTS = {HOSPITAL: 35, PHARMACY: 33, DOCTOR: 12, INSURED: 15, AGENCY: 5}
#: Timeline steps after registration, the gap before each (days), and how far each status goes.
CASE_STEPS = (("filed_on", 2, 10), ("investigation_ended_on", 10, 35), ("notified_on", 2, 8),
              ("decided_on", 8, 20), ("closed_on", 3, 15))
CASE_STEPS_BY_STATUS = {"已登记": 0, "已立案": 1, "调查中": 1, "已告知": 3, "已决定": 4, "已结案": 5}


class CasesMixin:
    """Cases across every source, subject and status, with timelines, money and actions."""

    def build_cases(self) -> None:
        rng = self.rng
        total = max(3, round(len(self.institutions) * rng.uniform(0.19, 0.25)))
        regular = total - 1
        statuses = self._spread(regular, CASE_STATUS_WEIGHTS, guaranteed=regular >= 10)
        sources = self._spread(regular, CASE_SOURCE_WEIGHTS, guaranteed=regular >= 5)
        subjects = self._spread(regular, CASE_SUBJECT_WEIGHTS, guaranteed=regular >= 5)
        for status, source, subject in zip(statuses, sources, subjects):
            self._case(status, source, subject)
        self._ensure_suspension()
        self._withdrawn_case()
        self._amend_one_case()

    def _spread(self, count: int, weights: dict[str, float], guaranteed: bool) -> list[str]:
        values = list(weights) if guaranteed else []
        values += [weighted_choice(self.rng, weights) for _ in range(count - len(values))]
        self.rng.shuffle(values)
        return values[:count]

    def _case(self, status: str, source: str, subject_type: str) -> None:
        rng, as_of = self.rng, self.terms.as_of
        steps = self._timeline_steps(status)
        duration = sum(gap for _, gap in steps)
        # registered within the service period; the later steps may run past it
        latest = min(as_of - (duration + rng.randint(0, 5)) * DAY, self.terms.end)
        inspection = self._inspection_for(subject_type, latest) if source == "检查发现" else None
        if source == "检查发现" and inspection is None:
            source = "数据筛查"
        institution = self._case_institution(subject_type, inspection)
        if inspection is not None:
            registered = inspection["end_date"] + rng.randint(1, 7) * DAY
        else:
            earliest = self.terms.start + 10 * DAY
            if status in ("已登记", "已立案", "调查中"):
                earliest = max(earliest, latest - 60 * DAY)
            registered = earliest + rng.randint(0, max(0, (latest - earliest).days)) * DAY
        timeline = {"registered_on": registered}
        day = registered
        for name, gap in steps:
            day = min(day + gap * DAY, as_of)
            timeline[name] = day
        lead = self._lead(subject_type, institution) if source == "举报投诉" else None
        violations = self._case_violations(subject_type, inspection, institution, lead[0] if lead else None)
        record: dict[str, Any] = {"id": self.ids.next(f"AJ-{registered.year}"), "contract": self.terms.id, "source": source,
                                  "subject": {"type": subject_type}, "violation_types": violations,
                                  "timeline": timeline, "status": status, "disclosed": False}
        if institution is not None:
            record["subject"]["institution"] = institution["id"]
        if subject_type in (DOCTOR, INSURED):
            record["subject"]["person_code"] = self.ids.next("YS" if subject_type == DOCTOR else "CB", chars=8)
        if inspection is not None:
            record["related_inspections"] = [inspection["id"]]
        self.cases.append(record)
        self._case_money(record, subject_type, inspection, institution)
        record["summary"] = self._case_summary(record, institution)
        if lead is not None:
            self._complaint(record, lead[1], institution)
        if status == "不予立案":
            record["notes"] = rng.choice(P.NOT_FILED_NOTES)

    def _timeline_steps(self, status: str) -> list[tuple[str, int]]:
        rng = self.rng
        if status == "不予立案":
            return [("closed_on", rng.randint(5, 20))]
        count = CASE_STEPS_BY_STATUS[status]
        return [(name, rng.randint(low, high)) for name, low, high in CASE_STEPS[:count]]

    def _inspection_for(self, subject_type: str, latest: dt.date) -> dict | None:
        itype = {DOCTOR: HOSPITAL, INSURED: PHARMACY}.get(subject_type, subject_type)
        types = {i["id"]: i["type"] for i in self.institutions}
        candidates = [i for i in self.inspections if i.get("findings") and types[i["institution"]] == itype
                      and i.get("status") != "已撤回" and i["end_date"] + 7 * DAY <= latest]
        return self.rng.choice(candidates) if candidates else None

    def _case_institution(self, subject_type: str, inspection: dict | None) -> dict | None:
        if inspection is not None:
            return self._institution_by_id(inspection["institution"])
        if subject_type in INSTITUTION_TYPES:
            return self.rng.choice(self.by_type[subject_type])
        if subject_type == DOCTOR:
            return self.rng.choice(self.by_type[HOSPITAL])
        return self.rng.choice(self.by_type[PHARMACY]) if self.rng.random() < 0.5 else None

    def _lead(self, subject_type: str, institution: dict | None) -> tuple[str, str]:
        """A whistle-blower's text that fits the institution (no empty wards at a clinic without any)."""
        leads = P.LEAD_TEXTS[subject_type]
        if institution is not None and institution["type"] == HOSPITAL and not institution.get("inpatient_service"):
            leads = tuple(lead for lead in leads if not any(word in lead[1] for word in INPATIENT_WORDS)) or leads
        return self.rng.choice(leads)

    def _case_violations(self, subject_type: str, inspection: dict | None, institution: dict | None,
                         first: str | None = None) -> list[str]:
        if inspection is not None and subject_type in INSTITUTION_TYPES:
            found = list(dict.fromkeys(f["violation_type"] for f in inspection["findings"]))
            return found[: self.rng.randint(1, 2)]
        pool = self.violations[subject_type]
        if institution is not None and subject_type in INSTITUTION_TYPES:
            pool = self.fitting_violations(institution)
        first = first or weighted_choice(self.rng, pool)
        second = weighted_choice(self.rng, pool) if self.rng.random() < 0.35 else first
        return list(dict.fromkeys((first, second)))

    def _case_money(self, record: dict, subject_type: str, inspection: dict | None, institution: dict | None) -> None:
        rng, status = self.rng, record["status"]
        if status in ("不予立案", "已撤回", "已登记"):
            if status == "不予立案":
                record["actions"] = ["不予处理"]
            return
        if inspection is not None and subject_type in INSTITUTION_TYPES:
            involved = sum(to_cents(f["amount"]) for f in inspection["findings"] if "amount" in f)
        else:
            involved = 0
        if not involved:
            involved = to_cents(random_yuan(rng, *CASE_AMOUNTS[subject_type]))
        money = {"involved": from_cents(involved)}
        refused = 0  # refused (not paid out) and recovered (paid, then taken back) are parts of the money involved
        if status in ("已告知", "已决定", "已结案") and subject_type in (HOSPITAL, PHARMACY) and rng.random() < 0.5:
            refused = int(involved * rng.uniform(0.1, 0.4))
            money["refused"] = from_cents(refused)
        if status in ("已决定", "已结案"):
            recovered = int((involved - refused) * rng.uniform(0.6, 1.0))
            money["recovered"] = from_cents(recovered)
            fraud = any(v in P.FRAUD_TYPES for v in record["violation_types"])
            actions = self._actions(subject_type, fraud, institution)
            if "罚款" in actions:  # an individual is fined only for the aim of fraud: 2-5 times (Art. 41 para. 2)
                multiples = (2, 2.5, 3, 4, 5) if fraud else (2, 3, 5) if subject_type == INSURED else (1, 1.5, 2)
                money["fined"] = from_cents(int(recovered * rng.choice(multiples)))
            record["actions"] = actions
            record["legal_basis"] = self._legal_basis(subject_type, fraud)
            record["provisions"] = self._provisions(subject_type, fraud, "罚款" in actions)
            if status == "已结案" and "fined" in money and rng.random() < 0.6:
                record["disclosed"] = True
        elif status == "已告知":
            fraud = any(v in P.FRAUD_TYPES for v in record["violation_types"])
            record["legal_basis"] = self._legal_basis(subject_type, fraud)
            record["provisions"] = self._provisions(subject_type, fraud, False)
        record["money"] = money
        if "暂停定点协议" in record.get("actions", ()) and institution is not None:
            self._suspend(institution, record)

    def _actions(self, subject_type: str, fraud: bool, institution: dict | None = None) -> list[str]:
        """The penalty ladder of seed 003 (沙坪坝区2020年通知), heavier for fraud."""
        rng = self.rng
        if subject_type == DOCTOR:
            chosen = {"暂停医（药）师服务资格" if fraud or rng.random() < 0.4 else "警示约谈", "通报批评"}
            if fraud and rng.random() < 0.3:  # on the bureau's proposal, by the authority that licensed the doctor
                chosen.add("吊销医（药）师执业资格")
        elif subject_type == INSURED:
            chosen = {"责令退回", "中止联网结算"} | ({"罚款"} if fraud or rng.random() < 0.3 else set())
        elif subject_type == AGENCY:  # Art. 36 and order No. 2 Art. 39(2) order no return of money
            chosen = {"限期整改"} | ({"通报批评"} if rng.random() < 0.5 else set())
        else:
            chosen = {"责令退回", rng.choice(("限期整改", "警示约谈", "通报批评"))}
            if rng.random() < (0.7 if fraud else 0.3):
                chosen.add("罚款")
            if fraud and not self._suspended and rng.random() < 0.5:
                chosen.add("暂停定点协议")
            public = institution is not None and institution["type"] == HOSPITAL and institution["uscc"].startswith("12")
            if fraud and public and rng.random() < 0.5:  # “对存在欺诈骗保行为的公立医疗机构，追究其主要负责人领导责任、分管负责人直接责任”
                chosen |= {"追究主要负责人领导责任", "追究分管负责人直接责任"}
        if subject_type in (INSURED, HOSPITAL, PHARMACY) and fraud and not self._referred and rng.random() < 0.2:
            chosen.add("移送司法机关")
            self._referred = True
        return [a for a in self.schemas.terms("case_action") if a in chosen]

    _suspended = False
    _referred = False

    def _ensure_suspension(self) -> None:
        """The demo shows one suspended agreement and its restoration: when chance gave none, the
        latest decided institution case that allows a restoration before the data's day gets it
        (a fraud case if there is one)."""
        if self._suspended:
            return
        candidates = [c for c in self.cases if c["status"] in ("已决定", "已结案") and c["subject"]["type"] in (HOSPITAL, PHARMACY)
                      and c["subject"].get("institution") and c["timeline"]["decided_on"] + 92 * DAY <= self.terms.as_of]
        fraud = [c for c in candidates if any(v in P.FRAUD_TYPES for v in c["violation_types"])]
        if not candidates:
            return
        case = max(fraud or candidates, key=lambda c: (c["timeline"]["decided_on"], c["id"]))
        case["actions"] = [a for a in self.schemas.terms("case_action") if a in {*case["actions"], "暂停定点协议"}]
        self._suspend(self._institution_by_id(case["subject"]["institution"]), case)

    def _suspend(self, institution: dict, case: dict) -> None:
        """A suspension decided in a case shows in the institution's protocol history."""
        self._suspended = True
        decided = case["timeline"]["decided_on"]
        history = institution["protocol_history"]
        history.append({"status": "暂停", "since": decided, "document": f"{self.region.doc_prefix}医保协〔{decided.year}〕{self.rng.randint(20, 200)}号",
                        "note": f"依据案件 {case['id']} 的处理决定暂停定点协议三个月"})
        resumed = decided + 92 * DAY
        if resumed <= self.terms.as_of:
            history.append({"status": "正常", "since": resumed, "note": "整改验收合格，恢复定点协议"})

    def _legal_basis(self, subject_type: str, fraud: bool) -> list[str]:
        if subject_type == DOCTOR:
            return [P.LEGAL_BASIS["doctor"], P.LEGAL_BASIS["agreement"]]
        if subject_type == INSURED:
            return [P.LEGAL_BASIS["person"]]
        if subject_type == AGENCY:
            return [P.LEGAL_BASIS["agency"]]
        return [P.LEGAL_BASIS["fraud" if fraud else "violation"], P.LEGAL_BASIS[subject_type], P.LEGAL_BASIS["agreement"]]

    def _provisions(self, subject_type: str, fraud: bool, fined: bool) -> list[str]:
        """The provision records (records/provision/) the decision applies: what its actions and fine are checked against."""
        if subject_type == INSURED:
            return [P.PROVISIONS["person_fraud" if fraud or fined else "person"]]
        if subject_type in (DOCTOR, AGENCY):
            return list(P.PROVISIONS[subject_type])
        return [P.PROVISIONS["fraud" if fraud else "violation"], P.PROVISIONS["agreement"]]

    def _case_summary(self, record: dict, institution: dict | None) -> str:
        rng, subject_type = self.rng, record["subject"]["type"]
        related = record.get("related_inspections")
        kind = self._inspection_type(related[0]) if related else "现场检查"
        source = rng.choice(P.SOURCE_PHRASES[record["source"]]).format(inspection=kind)
        money = record.get("money", {})
        if "involved" in money:
            amount = f"{format(money['involved'], 'f')}元"
        else:
            amount = f"约{round(to_cents(random_yuan(rng, *CASE_AMOUNTS[subject_type])), -4) // 100 or 100}元（待核实）"
        key = subject_type if subject_type in (DOCTOR, INSURED, AGENCY) else "institution"
        name = institution["name"] if institution is not None else "相关定点医药机构"
        templates = P.CASE_SUMMARY[key]
        if subject_type == INSURED and not set(record["violation_types"]) <= P.INSURED_PURCHASES:
            templates = tuple(t for t in templates if "购药" not in t)
        documents = P.CASE_DOCUMENTS.get(institution["type"] if institution is not None else "", "病历")
        return rng.choice(templates).format(
            source=source, name=name, violations="、".join(record["violation_types"]), amount=amount, documents=documents,
            code=record["subject"].get("person_code", ""), n=rng.randint(6, 60), m=rng.randint(2, 6), days=rng.randint(10, 60))

    def _complaint(self, record: dict, lead_text: str, institution: dict | None) -> None:
        rng = self.rng
        if rng.random() < 0.85:
            record["lead_text"] = lead_text
        recovered = record.get("money", {}).get("recovered")
        if record["status"] == "已结案" and recovered and rng.random() < 0.6:
            record["whistleblower_reward"] = from_cents(min(10_000_000, max(20_000, int(to_cents(recovered) * 0.02))))
            record["reward_policy"] = P.REWARD_POLICY
        target = institution if institution is not None and institution["type"] != AGENCY else None
        filed = record["timeline"].get("filed_on")
        ended = record["timeline"].get("investigation_ended_on")
        if target is None or filed is None or rng.random() < 0.3:
            return
        start = self.days.next(filed + rng.randint(1, 5) * DAY)
        if start > (ended or self.terms.as_of) or start > self.terms.end:
            return
        itype = target["type"]
        check = self._new_inspection(target, itype, "举报核查", start, start)
        check["findings"] = self._findings(target, 1, prefer=tuple(record["violation_types"])) or None
        check["summary"] = self._summary(target, "举报核查", check)
        self._report(check, itype)
        record["related_inspections"] = [check["id"]]

    def _withdrawn_case(self) -> None:
        """A lead registered twice: the second entry is withdrawn, with date, reason and who asked."""
        rng = self.rng
        original = rng.choice([c for c in self.cases if c["timeline"]["registered_on"] + 5 * DAY <= self.terms.as_of])
        registered = min(original["timeline"]["registered_on"] + rng.randint(0, 2) * DAY,
                         max(original["timeline"]["registered_on"], self.terms.end))
        record = {"id": self.ids.next(f"AJ-{registered.year}"), "contract": self.terms.id, "source": original["source"],
                  "subject": dict(original["subject"]), "related_inspections": original.get("related_inspections"),
                  "violation_types": list(original["violation_types"]),
                  "summary": original.get("summary"), "timeline": {"registered_on": registered}, "status": "已撤回",
                  "disclosed": False,
                  "withdrawal": {"date": registered + rng.randint(1, 3) * DAY,
                                 "reason": P.CASE_WITHDRAWAL.format(other=original["id"]), "requested_by": "医保局基金监管科"}}
        self.cases.append(record)

    def _amend_one_case(self) -> None:
        closed = [c for c in self.cases if c["status"] == "已结案" and c.get("money", {}).get("recovered")
                  and c["timeline"]["closed_on"] + 20 * DAY <= self.terms.as_of]
        if not closed:
            return
        case = self.rng.choice(closed)
        case["amendments"] = [{"date": case["timeline"]["closed_on"] + self.rng.randint(3, 20) * DAY,
                               "reason": P.AMENDMENT_REASON, "requested_by": "受托方项目负责人", "fields": ["money.recovered"]}]
