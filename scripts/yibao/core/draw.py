"""双随机 draws that anyone can re-verify with a shell.

Method ``sha256-rank-v1``: each candidate ID is ranked by the SHA-256 of ``seed + "\\n" + ID``
(UTF-8, lower-case hex, ascending; equal hashes, impossible in practice, by ID) and the first
``k`` are chosen. The same ranking in a shell::

    printf '%s\\n%s' "$seed" "$id" | sha256sum

Stratified draws take ``k`` per stratum (e.g. per institution type). Inspectors for a target are
ranked the same way over the pool with the derived seed ``seed + "\\n" + "inspectors" + "\\n" +
target``, after leaving out the inspectors in conflict for that target (who declared a conflict
with it, and who inspected it last time when the draw says so). When the draw requires roles
(e.g. at least one of the bureau's 执法人员 per target), the first ``n`` of each required role in
that order are taken first (roles in the order the draw lists them), then the rest of the places
from the top of the same order; the chosen are listed in draw order. The frame and the pool are
fixed by the SHA-256 of their sorted IDs joined by ``"\\n"``; the frame may be filtered first
(institution levels; risk tiers; not inspected in the last N months), as :func:`frame_of` does,
and stratified by institution type or by risk tier.

Pure functions, no I/O: the check rule (``check.draws``) and ``yibao draw`` both call
:func:`run_draw`, so what CI verifies is what the command wrote.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping

ALGORITHM = "sha256-rank-v1"
INSPECTORS = "inspectors"


class DrawError(ValueError):
    """The draw cannot be made (a stratum or a pool too small); the message is Chinese."""


def rank_key(seed: str, ident: str) -> str:
    return hashlib.sha256(f"{seed}\n{ident}".encode("utf-8")).hexdigest()


def rank(seed: str, ids: Iterable[str]) -> list[str]:
    """The IDs (each once) in draw order."""
    return sorted(set(ids), key=lambda i: (rank_key(seed, i), i))


def pick(seed: str, ids: Iterable[str], k: int) -> list[str]:
    return rank(seed, ids)[:max(k, 0)]


def ids_sha256(ids: Iterable[str]) -> str:
    """SHA-256 of the sorted IDs joined by newlines (``sort | ... | sha256sum`` without the last newline)."""
    return hashlib.sha256("\n".join(sorted(set(ids))).encode("utf-8")).hexdigest()


def inspector_seed(seed: str, target: str) -> str:
    return f"{seed}\n{INSPECTORS}\n{target}"


@dataclass
class Draw:
    """What a draw fixes and what it chose."""

    frame_sha256: str
    frame_size: int
    strata: dict[str, int]  # stratum -> frame size in it
    pool_sha256: str
    pool_size: int
    result: list[dict] = field(default_factory=list)  # [{"institution": ID, "inspectors": [IDs]}]


def pick_inspectors(seed: str, target: str, eligible: Iterable[str], k: int,
                    roles: Mapping[str, str] | None = None, required: Iterable[tuple[str, int]] = ()) -> list[str]:
    """``k`` inspectors for ``target`` (at least; more when the required roles add up to more):
    the eligible ranked with :func:`inspector_seed`; for each (role, n) of ``required`` the first
    ``n`` not yet chosen with that role (``roles``: {ID: role}), then the first of the rest until
    ``k`` are chosen; listed in draw order."""
    order = rank(inspector_seed(seed, target), eligible)
    chosen: list[str] = []
    for role, n in required:
        members = [p for p in order if (roles or {}).get(p) == role and p not in chosen]
        if len(members) < n:
            raise DrawError(f"{target} 可抽取的{role}只有 {len(members)} 人，少于每家 {n} 人")
        chosen += members[:n]
    chosen += [p for p in order if p not in chosen][:max(k - len(chosen), 0)]
    return sorted(chosen, key=order.index)


def run_draw(seed: str, frame: Mapping[str, str], pool: Iterable[str], counts: Mapping[str, int] | int,
             min_per_target: int, conflicts: Mapping[str, Iterable[str]] | None = None,
             roles: Mapping[str, str] | None = None, required: Iterable[tuple[str, int]] = ()) -> Draw:
    """Draw targets from ``frame`` ({ID: stratum}) and inspectors from ``pool``.

    ``counts`` is a total (one draw over the whole frame) or {stratum: k}; strata are taken in
    sorted order and targets in draw order within each. ``conflicts`` maps a target to the
    inspectors who may not inspect it; ``roles`` ({ID: role}) and ``required`` ([(role, n)])
    are the roles each target's inspectors must include (:func:`pick_inspectors`).
    """
    pool, required = sorted(set(pool)), list(required)
    strata: dict[str, list[str]] = {}
    for ident, stratum in frame.items():
        strata.setdefault(stratum, []).append(ident)
    targets: list[str] = []
    if isinstance(counts, int):
        if counts > len(frame):
            raise DrawError(f"抽取数 {counts} 超过抽取范围内的机构数 {len(frame)}")
        targets = pick(seed, frame, counts)
    else:
        for stratum in sorted(counts):
            members = strata.get(stratum, [])
            if counts[stratum] > len(members):
                raise DrawError(f"{stratum}抽取 {counts[stratum]} 家，超过抽取范围内的 {len(members)} 家")
            targets += pick(seed, members, counts[stratum])
    result = []
    for target in targets:
        excluded = set((conflicts or {}).get(target, ()))
        eligible = [p for p in pool if p not in excluded]
        if len(eligible) < min_per_target:
            raise DrawError(f"{target} 可抽取的检查人员只有 {len(eligible)} 人（已回避 {len(excluded & set(pool))} 人），"
                            f"少于每家 {min_per_target} 人")
        result.append({"institution": target, "inspectors": pick_inspectors(seed, target, eligible, min_per_target, roles, required)})
    return Draw(ids_sha256(frame), len(set(frame)), {s: len(m) for s, m in sorted(strata.items())},
                ids_sha256(pool), len(pool), result)


# -- the frame, the pool and the conflicts from the repository's records ------------------------------------
def _date(value):
    from .calendar import to_date

    return to_date(value)


def frame_of(contract, institutions, day, types: Iterable[str], terms, *, levels: Iterable[str] | None = None,
             not_inspected_months: int | None = None, inspections=(), skip_statuses: Iterable[str] = (),
             risk_tiers: Iterable[str] | None = None, by_risk_tier: bool = False) -> dict[str, str]:
    """{ID: institution type, or risk tier when ``by_risk_tier``}: the contract's scope institutions
    on ``day`` of the given types (``terms``: the vocabulary's terms for scope,
    :class:`~yibao.core.scope.ScopeTerms`), filtered as the draw's frame says:

    - ``levels``: only institutions whose ``level`` is one of them (an institution without a level
      is left out);
    - ``risk_tiers``: only institutions whose risk tier on ``day`` (:func:`risk_tier_on`) is one of
      them; stratified ``by_risk_tier``, an institution without a tier on ``day`` is left out too;
    - ``not_inspected_months``: institutions with an inspection (``skip_statuses`` left out: the
      withdrawn and planned ones) that started on or after :func:`months_before` ``day`` and
      before ``day`` are left out, whatever the contract of the inspection.
    """
    from .scope import institutions_in_scope

    wanted = {t for t in types if isinstance(t, str)}
    graded = None if levels is None else {v for v in levels if isinstance(v, str)}
    tiers = None if risk_tiers is None else {v for v in risk_tiers if isinstance(v, str)}
    recent = set() if not_inspected_months is None else recently_inspected(inspections, day, not_inspected_months, skip_statuses)
    out = {}
    for i in institutions_in_scope(contract, institutions, day, terms):
        if not (isinstance(i.get("type"), str) and i.get("type") in wanted
                and (graded is None or i.get("level") in graded) and i.id not in recent):
            continue
        tier = risk_tier_on(i, day) if tiers is not None or by_risk_tier else None
        if (tiers is not None and tier not in tiers) or (by_risk_tier and tier is None):
            continue
        out[i.id] = tier if by_risk_tier else i.get("type")
    return out


def risk_tier_on(institution, day) -> str | None:
    """The institution's risk tier on ``day``: the tier of its latest ``risk_assessments`` entry
    assessed on or before ``day`` (None without one)."""
    tier, since = None, None
    entries = institution.get("risk_assessments")
    for entry in entries if isinstance(entries, list) else []:
        start = _date(entry.get("since")) if isinstance(entry, dict) else None
        if start is not None and start <= day and (since is None or start >= since) and isinstance(entry.get("tier"), str):
            tier, since = entry.get("tier"), start
    return tier


def months_before(day, months: int):
    """The same day ``months`` calendar months before ``day`` (the month's last day when it has no such day)."""
    import calendar
    import datetime as _dt

    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return _dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def recently_inspected(inspections, day, months: int, skip_statuses: Iterable[str] = ()) -> set[str]:
    """Institutions with an inspection (``skip_statuses`` left out) started in [``months`` before ``day``, ``day``)."""
    skip, since = set(skip_statuses), months_before(day, months)
    out = set()
    for record in inspections:
        start, status, institution = _date(record.get("start_date")), record.get("status"), record.get("institution")
        if (start is not None and since <= start < day and isinstance(institution, str)
                and not (isinstance(status, str) and status in skip)):
            out.add(institution)
    return out


def pool_of(contract_id: str, staff, day, withdrawn: Iterable[str] = ()) -> list[str]:
    """Team members on the contract on ``day`` (joined on or before it, not yet left; not withdrawn)."""
    out, gone = [], set(withdrawn)
    for person in staff:
        contracts = person.get("contracts")
        status = person.get("status")
        if not isinstance(contracts, list) or contract_id not in contracts or (isinstance(status, str) and status in gone):
            continue
        joined, left = _date(person.get("joined_on")), _date(person.get("left_on"))
        if (joined is None or joined <= day) and (left is None or left > day) and person.id:
            out.append(person.id)
    return sorted(out)


def declared_conflicts(staff, day) -> dict[str, list[str]]:
    """{institution: staff IDs who declared a conflict (回避) with it on or before ``day``}."""
    out: dict[str, list[str]] = {}
    for person in staff:
        entries = person.get("conflicts")
        for entry in entries if isinstance(entries, list) else []:
            declared = _date(entry.get("declared_on")) if isinstance(entry, dict) else None
            institution = entry.get("institution") if isinstance(entry, dict) else None
            if declared is not None and declared <= day and isinstance(institution, str) and person.id:
                out.setdefault(institution, []).append(person.id)
    return out


def merge_conflicts(*tables: Mapping[str, Iterable[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table in tables:
        for institution, people in (table or {}).items():
            out.setdefault(institution, [])
            out[institution] += [p for p in people if p not in out[institution]]
    return out


def last_inspectors(inspections, day, skip_statuses: Iterable[str] = ()) -> dict[str, list[str]]:
    """{institution: inspectors of its latest inspection that started before ``day``} (withdrawn
    and planned inspections left out)."""
    skip = set(skip_statuses)
    latest: dict[str, tuple] = {}
    for record in inspections:
        start = _date(record.get("start_date"))
        institution, inspectors = record.get("institution"), record.get("inspectors")
        status = record.get("status")
        if start is None or start >= day or (isinstance(status, str) and status in skip) or not isinstance(institution, str):
            continue
        key = (start, record.id or "")
        if institution not in latest or key > latest[institution][0]:
            latest[institution] = (key, [p for p in inspectors if isinstance(p, str)] if isinstance(inspectors, list) else [])
    return {k: v[1] for k, v in latest.items()}


def whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def counts_of(frame_spec: Mapping) -> Mapping[str, int] | int | None:
    """{type or risk tier: k} when the draw is stratified, else the total; None when a count is not a whole number."""
    per_type = frame_spec.get("per_risk_tier") if frame_spec.get("per_risk_tier") is not None else frame_spec.get("per_type")
    if isinstance(per_type, dict) and per_type:
        return dict(per_type) if all(whole_number(v) for v in per_type.values()) else None
    count = frame_spec.get("count")
    return count if whole_number(count) else None
