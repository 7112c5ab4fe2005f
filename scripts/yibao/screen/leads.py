"""Running a library of rules, and the leads it finds.

A run writes, into the data folder (never into the repository), ``leads/<run>/leads.jsonl``: one
lead per line (rule, institution, pseudonymous person code where the rule names a person,
period, amount at stake, the keys of the evidence rows) and ``leads/<run>/summary.json``: leads
and amounts per rule and per institution, without any personal data. Personal identifiers are
pseudonymised (:mod:`.pseudonym`) before anything is written.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable

from .pseudonym import CROCKFORD, Pseudonymiser
from .rules import Rule

LEADS_FOLDER = "leads"
LEADS_FILE = "leads.jsonl"
SUMMARY_FILE = "summary.json"
PROMOTED_FILE = "promoted.jsonl"


@dataclass
class Lead:
    lead_id: str
    rule: str
    rule_name: str
    violation_type: str
    institution: str
    person_code: str | None
    person_key: str | None
    begin: str | None
    end: str | None
    amount: str
    hits: int
    evidence: list[str]


def lead_id(rule_id: str, row: tuple) -> str:
    """A stable ID from the rule and the lead's row (the same data gives the same ID on both engines)."""
    digest = hashlib.sha256("\x1f".join(["v1", rule_id, *(str(v) for v in row)]).encode("utf-8")).digest()
    number = int.from_bytes(digest[:7], "big")
    return "XS-" + "".join(CROCKFORD[(number >> shift) & 31] for shift in range(45, -1, -5))


def to_leads(rule: Rule, rows: list[tuple], pseudonymise: Pseudonymiser | None) -> list[Lead]:
    out = []
    for row in rows:
        fixmedins, psn, begin, end, amount, hits, evidence = row
        code = key = None
        if psn is not None:
            if pseudonymise is None:
                raise ValueError("rule returned a person number but no pseudonymisation key was given")
            code, key = pseudonymise(psn)
        # the ID is computed over the pseudonymised row: a lead file never holds the person number
        out.append(Lead(lead_id(rule.id, (fixmedins, key, begin, end, amount, hits, evidence)), rule.id, rule.name,
                        rule.violation_type, fixmedins, code, key, begin, end, amount, hits,
                        [e for e in evidence.split(",") if e]))
    return out


def run_library(engine, rules: list[Rule], on_rule: Callable[[Rule, int, float], None] | None = None,
                overrides: dict | None = None) -> dict[str, list[tuple]]:
    """Each rule's normalised rows, sorted, by rule ID. An engine that can run several rules as one
    job (Spark: ``run_many``) gets them all at once."""
    results = {}
    if hasattr(engine, "run_many") and len(rules) > 1 and on_rule is None:
        found = engine.run_many({rule.id: rule.sql((overrides or {}).get(rule.id)) for rule in rules})
        return {rule.id: sorted(found[rule.id], key=_order) for rule in rules}
    for rule in rules:
        started = time.perf_counter()
        rows = sorted(engine.run(rule.sql((overrides or {}).get(rule.id))), key=_order)
        results[rule.id] = rows
        if on_rule:
            on_rule(rule, len(rows), time.perf_counter() - started)
    return results


def _order(row: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in row)


def summary(run_id: str, engine: str, period, rules: list[Rule], leads: list[Lead], seconds: float) -> dict:
    per_rule = []
    for rule in rules:
        mine = [l for l in leads if l.rule == rule.id]
        institutions: dict[str, dict] = {}
        for lead in mine:
            entry = institutions.setdefault(lead.institution, {"leads": 0, "amount": Decimal(0)})
            entry["leads"] += 1
            entry["amount"] += Decimal(lead.amount)
        per_rule.append({
            "rule": rule.id, "name": rule.name, "violation_type": rule.violation_type, "leads": len(mine),
            "amount": str(sum((Decimal(l.amount) for l in mine), Decimal("0.00"))),
            "institutions": {k: {"leads": v["leads"], "amount": str(v["amount"])} for k, v in sorted(institutions.items())},
        })
    return {"run": run_id, "engine": engine, "period": [str(p) for p in period] if period else None,
            "seconds": round(seconds, 3), "rules": per_rule, "leads": len(leads),
            "amount": str(sum((Decimal(l.amount) for l in leads), Decimal("0.00")))}


def new_run_id(engine: str, now: _dt.datetime | None = None) -> str:
    now = now or _dt.datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{engine}"


def write_run(data: Path, run_id: str, leads: list[Lead], info: dict) -> Path:
    folder = data / LEADS_FOLDER / run_id
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LEADS_FILE).open("w", encoding="utf-8") as out:
        for lead in leads:
            out.write(json.dumps(asdict(lead), ensure_ascii=False) + "\n")
    (folder / SUMMARY_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folder


def runs(data: Path) -> list[Path]:
    folder = data / LEADS_FOLDER
    return sorted(p for p in folder.iterdir() if (p / LEADS_FILE).is_file()) if folder.is_dir() else []


def read_leads(run_folder: Path) -> dict[str, Lead]:
    out = {}
    with (run_folder / LEADS_FILE).open(encoding="utf-8") as src:
        for line in src:
            lead = Lead(**json.loads(line))
            out[lead.lead_id] = lead
    return out


def record_promotion(run_folder: Path, lead: Lead, case_id: str, case_path: str) -> None:
    with (run_folder / PROMOTED_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps({"lead": lead.lead_id, "rule": lead.rule, "case": case_id, "path": case_path}, ensure_ascii=False) + "\n")
