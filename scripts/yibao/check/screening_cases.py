"""Cases made from screening leads, bound to the rule that found them.

A case's ``screening`` names the rule (``records/rule/``), the screening run and the lead it came
from (``yibao lead promote`` writes it). Checked against the rule record:

- ``screening-source-mismatch`` (error): the case names a screening rule but its source is not the
  vocabulary's screening source (``x-screening`` of ``case_source``), or the other way round is left
  to the portal (a hand-written screening case without ``screening`` is counted by the rule its text
  names);
- ``screening-violation-mismatch`` (warning): the rule looks for a violation type the case does not
  list — investigation may find a different violation than the rule suspected, so it is shown, not
  refused.
"""
from __future__ import annotations

from ..core.record import Record
from ..core.schemas import SchemaSet


def case_fits_screening_rule(record: Record, index, schemas: SchemaSet, report) -> None:
    rule_id = record.get("screening.rule")
    if not isinstance(rule_id, str):
        return
    sources = schemas.vocab("case_source").get("x-screening", [])
    if record.get("source") not in sources:
        report(record, "screening-source-mismatch",
               f"写了数据筛查来源（规则 {rule_id}），但线索来源是“{record.get('source')}”；数据筛查发现的线索来源应为“{'、'.join(sources)}”",
               ("source",))
    rule = index.get("rule", rule_id)
    if rule is None:
        return  # the unresolved reference is reported on its own
    wanted = rule.get("violation_type")
    listed = record.get("violation_types")
    if isinstance(wanted, str) and isinstance(listed, list) and wanted not in listed:
        report(record, "screening-violation-mismatch",
               f"筛查规则 {rule_id} 查找的是“{wanted}”，本案件的违规类型（{'、'.join(map(str, listed))}）中没有它；"
               "核查后认定的违规类型不同时请在摘要中说明", ("violation_types",), True)
