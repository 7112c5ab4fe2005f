"""All records of one region, built in dependency order."""
from __future__ import annotations

import datetime as dt
from random import Random
from typing import Iterator

from . import phrases as P
from ..core.schemas import SchemaSet
from .calendars import Workdays
from .cases import CasesMixin
from .common import DAY, DOCTOR, GeneratedRecord, INSTITUTION_TYPES, INSURED, dates_in
from .ids import Ids
from .inspections import InspectionsMixin
from .institutions import InstitutionsMixin
from .staff import StaffMixin
from .terms import Region, Terms
from .trainings import TrainingsMixin


class RegionBuilder(InstitutionsMixin, StaffMixin, InspectionsMixin, CasesMixin, TrainingsMixin):
    """Builds every record of one region, in dependency order."""

    def __init__(self, region: Region, terms: Terms, schemas: SchemaSet, ids: Ids, workdays: Workdays, rng: Random,
                 firm_abbr: str) -> None:
        self.region, self.terms, self.schemas, self.ids, self.days, self.rng = region, terms, schemas, ids, workdays, rng
        self.firm_abbr = firm_abbr
        self.year = terms.start.year
        self.institutions: list[dict] = []
        self.by_type: dict[str, list[dict]] = {t: [] for t in INSTITUTION_TYPES}
        self.staff: list[dict] = []
        self.inspections: list[dict] = []
        self.cases: list[dict] = []
        self.trainings: list[dict] = []
        self.names: set[str] = set()
        self.created_on = terms.start - 10 * DAY
        applies = schemas.vocab("violation_type").get("x-applies-to", {})
        self.violations = {
            subject: {v: P.VIOLATION_WEIGHTS.get(v, 1) for v, types in applies.items()
                      if subject in types and P.VIOLATION_WEIGHTS.get(v, 1) > 0}
            for subject in (*INSTITUTION_TYPES, DOCTOR, INSURED)
        }
        self.inspection_types = schemas.vocab("inspection_type").get("x-applies-to", {})
        # the generator makes no draws: it leaves out the kinds that need one from the day they do
        self.requires_draw = {k: dt.date.fromisoformat(v) for k, v in schemas.vocab("inspection_type").get("x-requires-draw", {}).items()}

    # -- output -------------------------------------------------------------------------------------------
    def records(self) -> Iterator[GeneratedRecord]:
        for institution in self.institutions:
            last = max(h["since"] for h in institution["protocol_history"])
            yield GeneratedRecord("institution", f"records/institution/{institution['id']}.yaml", self.created_on,
                                  max(self.created_on, last), institution)
        for member in self.staff:
            yield GeneratedRecord("staff", f"records/staff/{member['id']}.yaml", member["joined_on"],
                                  member.get("left_on") or member["joined_on"], member)
        for kind, items, first in (("inspection", self.inspections, "start_date"), ("case", self.cases, None),
                                   ("training", self.trainings, "start_date")):
            for item in items:
                created = item[first] if first else item["timeline"]["registered_on"]
                yield GeneratedRecord(kind, f"records/{kind}/{item['id'].split('-')[1]}/{item['id']}.yaml", created,
                                      max(dates_in(item)), item)


def build_region(region: Region, terms: Terms, schemas: SchemaSet, ids: Ids, workdays: Workdays, rng: Random,
                  firm_abbr: str) -> RegionBuilder:
    builder = RegionBuilder(region, terms, schemas, ids, workdays, rng, firm_abbr)
    builder.build_institutions()
    builder.build_staff()
    builder.build_inspections()
    builder.build_cases()
    builder.build_trainings()
    builder.number_reports()
    return builder
