"""Institutions of a region: names, codes, levels, volumes, protocol history."""
from __future__ import annotations

import datetime as dt
from typing import Any

from . import phrases as P
from ..core.codes import USCC_CHARSET, make_uscc
from .common import AGENCY, DAY, HOSPITAL, PHARMACY

#: The start of the organisation code in a 统一社会信用代码 given since 2015 by the registering
#: authority: 市场监管 for firms and shops (91, 92), 民政 for private non-profit hospitals (52).
#: Public institutions (12) keep their older, numeric-looking codes.
ORG_CODE_START = {"91": "MA", "92": "MA", "52": "MJ"}


class InstitutionsMixin:
    """Institutions of a region: names, codes, levels, volumes, protocol history."""

    def build_institutions(self, agency_sequence: int = 1, first_sequence: int = 2) -> None:
        """Institutions of the region's counts; codes numbered from ``first_sequence`` (the agency's
        from ``agency_sequence``)."""
        for itype, prefix in ((HOSPITAL, "H"), (PHARMACY, "P"), (AGENCY, "J")):
            count = self.region.counts.get(itype, 0)
            if itype == AGENCY:
                sequences = [agency_sequence + i for i in range(count)]
            else:
                sequences = sorted(self.rng.sample(range(first_sequence, max(1000, first_sequence + 8 * count)), count))
            for sequence in sequences:
                record = self._institution(itype, f"{prefix}{self.region.code}{sequence:05d}")
                self.institutions.append(record)
                self.by_type[itype].append(record)

    def _institution(self, itype: str, ident: str) -> dict:
        rng = self.rng
        record: dict[str, Any] = {"id": ident, "type": itype}
        if itype == HOSPITAL:
            level = rng.choices(self.region.levels, (70, 20, 4, 6)[:len(self.region.levels)])[0]
            kind = self._hospital_kind(level)
            category, pattern, inpatient_share, records_range, stays_range, uscc_prefix, _ = kind
            inpatient = rng.random() < inpatient_share
            record.update(name=self._name(pattern), level=level, category=category, inpatient_service=inpatient)
            scale = 2.5 if level == "三级" else 1.0
            records, stays = rng.randint(*records_range) * scale, rng.randint(*stays_range) * scale
            volumes = []
            for year in (self.year - 2, self.year - 1):
                volume: dict[str, Any] = {"year": year, "medical_records": int(records)}
                if inpatient:
                    volume["inpatient_stays"] = int(stays)
                volumes.append(volume)
                records, stays = records * rng.uniform(0.9, 1.15), stays * rng.uniform(0.9, 1.15)
            record["volumes"] = volumes
        elif itype == PHARMACY:
            chain = rng.random() < 0.55
            record.update(name=self._name(P.PHARMACY_CHAIN if chain else P.PHARMACY_SINGLE),
                          category="连锁药店" if chain else "单体药店")
            uscc_prefix = "91" if chain else "92"
        else:
            record.update(name=self._name(P.AGENCY_NAME), category="医保经办机构")
            claims = rng.randint(900, 3200)
            record["volumes"] = [{"year": self.year - 2, "manual_claims": claims},
                                 {"year": self.year - 1, "manual_claims": int(claims * rng.uniform(0.85, 1.15))}]
            uscc_prefix = "12"
        record["region_code"] = self.region.code
        start = ORG_CODE_START.get(uscc_prefix, "")
        body = uscc_prefix + self.region.code + start + "".join(rng.choice(USCC_CHARSET) for _ in range(9 - len(start)))
        record["uscc"] = make_uscc(body)
        record["protocol_history"] = [self._first_protocol(itype)]
        return record

    def _hospital_kind(self, level: str) -> tuple:
        if level in ("二级", "三级"):
            return P.GENERAL_KIND
        kinds = [k for k in P.HOSPITAL_KINDS if level == "未定级" or k[0] != "门诊部"]
        if level == "未定级":
            kinds = [k for k in kinds if not k[2]]
        if self.region.has_townships:
            kinds.append(P.TOWNSHIP_KIND)
        return self.rng.choices(kinds, [k[-1] for k in kinds])[0]

    def _name(self, pattern: str) -> str:
        rng, region = self.rng, self.region
        # no “…社区社区卫生服务站”, and a town's health centre is named after the town alone
        suffixes = [s for s in P.STREET_SUFFIXES if s not in pattern] if "镇" not in pattern else [""]
        for attempt in range(50):
            name = pattern.format(
                district=region.district, city=region.city_short, brand=rng.choice(P.BRANDS if "药" in pattern else P.HOSPITAL_BRANDS),
                street=rng.choice(P.STREETS) + rng.choice(suffixes),
            )
            if name not in self.names:
                break
        else:  # pragma: no cover - only for very large regions
            name = name.replace("（虚构）", f"第{len(self.names)}分部（虚构）")
        self.names.add(name)
        return name

    def _first_protocol(self, itype: str) -> dict:
        rng = self.rng
        if itype == AGENCY:
            since = dt.date(self.year - rng.randint(4, 6), 1, 1)
            return {"status": "正常", "since": since, "note": "医保经办机构，纳入本项目内部审核范围"}
        since = dt.date(2012, 1, 1) + rng.randint(0, (dt.date(self.year - 1, 9, 30) - dt.date(2012, 1, 1)).days) * DAY
        return {"status": "正常", "since": since,
                "document": f"{self.region.doc_prefix}医保协〔{since.year}〕{rng.randint(3, 180)}号"}
