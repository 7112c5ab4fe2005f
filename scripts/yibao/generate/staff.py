"""The contractor team: a roster that meets the contract's team requirements."""
from __future__ import annotations

import datetime as dt

from .common import AGENCY, DAY, HOSPITAL, PHARMACY


class StaffMixin:
    """The contractor team: a roster that meets the contract's team requirements."""

    STAFF_PROFILES = {
        "项目负责人": (("高级", "中级"), ("硕士研究生", "本科"), (("执业医师",), (), ("会计师",)), 1.0, (10, 25)),
        "医学": (("中级", "初级", "高级"), ("本科", "硕士研究生", "大专"), (("执业医师",), ("护士",), ("执业医师",)), 0.3, (3, 20)),
        "药学": (("中级", "初级"), ("本科",), (("执业药师",),), 0.2, (3, 15)),
        "信息": (("中级", "初级"), ("本科", "硕士研究生"), (("信息系统项目管理师",), ()), 0.1, (3, 12)),
        "财务审计": (("中级", "初级", "高级"), ("本科",), (("会计师",), ("审计师",), ("注册会计师",), ("会计师", "注册会计师")), 0.1, (3, 18)),
        "法律": (("中级",), ("本科", "硕士研究生"), (("律师",),), 0.0, (3, 12)),
    }

    def build_staff(self) -> None:
        rng, total = self.rng, sum(self.region.counts.values())
        plan = {"项目负责人": 1, "医学": max(2, 1 + total // 60), "药学": 1, "信息": 1 + (total > 240),
                "财务审计": 1 + (rng.random() < 0.5), "法律": int(rng.random() < 0.4)}
        for requirement in self.terms.roles:
            plan[requirement["role"]] = max(plan.get(requirement["role"], 0), requirement["min"])
        while sum(plan.values()) < self.terms.min_total:
            plan["医学"] += 1
        for role, count in plan.items():
            for _ in range(count):
                self.staff.append(self._member(role, self.terms.start - rng.randint(0, 12) * DAY))
        self._meet_requirements()
        self._replace_one_member()

    def _member(self, role: str, joined: dt.date) -> dict:
        rng = self.rng
        titles, educations, qualifications, flight, years = self.STAFF_PROFILES.get(role, self.STAFF_PROFILES["医学"])
        record = {"id": self.ids.next("RY"), "contractor": self.terms.contractor, "contracts": [self.terms.id], "role": role,
                  "title": rng.choice(titles), "education": rng.choice(educations),
                  "qualifications": list(rng.choice(qualifications)) or None,
                  "flight_inspection_experience": rng.random() < flight, "years_experience": rng.randint(*years),
                  "joined_on": joined}
        if record["qualifications"] == ["护士"] and record["education"] == "硕士研究生":
            record["education"] = "本科"
        return record

    def _meet_requirements(self) -> None:
        ranks = self.schemas.vocab("staff_title").get("x-rank", {})
        edu_ranks = self.schemas.vocab("education").get("x-rank", {})
        for req in self.terms.roles:
            members = [s for s in self.staff if s["role"] == req["role"]]
            wanted = req.get("qualifications")
            if wanted:
                holders = [s for s in members if set(s["qualifications"] or ()) & set(wanted)]
                for member in [s for s in members if s not in holders][: max(0, req["min"] - len(holders))]:
                    member["qualifications"] = [wanted[0]] + (member["qualifications"] or [])
            if req.get("min_title"):
                need = req.get("min_with_title", req["min"])
                titled = [s for s in members if ranks.get(s["title"], 0) >= ranks[req["min_title"]]]
                for member in [s for s in members if s not in titled][: max(0, need - len(titled))]:
                    member["title"] = req["min_title"]
        if self.terms.min_education:
            for member in self.staff:
                if edu_ranks.get(member["education"], 0) < edu_ranks[self.terms.min_education]:
                    member["education"] = self.terms.min_education
        experienced = sum(s["flight_inspection_experience"] for s in self.staff)
        for member in [s for s in self.staff if not s["flight_inspection_experience"]][: max(0, self.terms.flight - experienced)]:
            member["flight_inspection_experience"] = True

    def _replace_one_member(self) -> None:
        """Now and then a medical member leaves mid-contract and a successor joins the next day."""
        medical = [s for s in self.staff if s["role"] == "医学"]
        if len(medical) < 2 or self.rng.random() < 0.4:
            return
        leaver = self.rng.choice(medical)
        span = (self.terms.end - self.terms.start).days
        left = self.terms.start + self.rng.randint(span // 3, 2 * span // 3) * DAY
        successor = self._member("医学", left + DAY)
        successor["qualifications"] = leaver["qualifications"]
        leaver["left_on"] = left
        leaver["notes"] = f"因工作调动离项，由 {successor['id']} 接替。"
        successor["notes"] = f"接替 {leaver['id']} 入项。"
        self.staff.append(successor)

    def _team(self, first: dt.date, last: dt.date, itype: str, size: int) -> list[str]:
        active = [s for s in self.staff if s["joined_on"] <= first and (s.get("left_on") is None or s["left_on"] >= last)]
        lead_roles = {HOSPITAL: ("医学",), PHARMACY: ("药学", "医学"), AGENCY: ("财务审计",)}[itype]
        leads = [s for s in active if s["role"] in lead_roles] or active
        lead = self.rng.choice(leads)
        others = [s for s in active if s is not lead and s["role"] != "项目负责人"]
        team = [lead] + self.rng.sample(others, min(size - 1, len(others)))
        return [s["id"] for s in team]
