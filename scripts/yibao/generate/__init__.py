"""Synthetic records: a complete, valid, realistic records repository from a seed.

``generate_repository(output, institutions=N, seed=S)`` writes ``output/schemas/`` (a copy of the
repository's schemas) and ``output/records/…``: institutions grouped into regions of about 161
(the 克拉玛依区 mix: 17 hospitals, 143 pharmacies, 1 agency), one contract per region modelled on
the 克拉玛依区 2024 contract, a staff roster that meets the contract's team requirements,
inspections with medical-record sampling and findings, cases across every source, subject and
status, the trainings and study trips, and the calendar records of the years used.

``generate_demo(output, source_root)`` writes the demo dataset of the 克拉玛依区 contract
(``records/contract/HT-2024-KLMY.yaml``) with a fixed seed, and the institutions the hand-written
澄江 demo lacks to make up the 113 its contract states (:data:`DEMO_FILLED`); the demo is
committed and a test checks that regenerating it gives the same bytes.

Everything is deterministic for a seed: each region draws from its own ``random.Random`` seeded
with ``"<seed>/<region>"``; IDs come from a keyed permutation of a counter (unique without a
lookup table); no clock, no global random state, no iteration over sets. Every name is invented
and marked “（虚构）”; no text carries a personal name, telephone, identity or bank number.

Records are plain dicts (dates as :class:`datetime.date`, money as :class:`~decimal.Decimal` with
two places) rendered by :class:`RecordWriter`, a small YAML emitter that writes keys in schema
order and quotes every string the strict loader could read as something else.
:func:`iter_records` returns the records in chronological order (by the date each reaches its
final state) and :func:`iter_files` renders them as ``(relpath, text, date)``, so a history
builder can commit them in batches.

Modules: ``terms`` (what a contract asks for; regions; the generic contract), ``builder`` (one
region's records, composed of ``institutions``, ``staff``, ``inspections``, ``cases`` and
``trainings``), ``calendars``, ``ids``, ``writer`` (the YAML emitter), ``phrases`` (all wording).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from random import Random
from typing import Iterator

from ..core.schemas import SchemaSet
from .builder import RegionBuilder, build_region
from .calendars import CALENDARS, SUPPORTED_YEARS, Workdays, calendar_record
from .common import (AGENCY, DAY, DEFAULT_YEAR, DEMO_CONTRACT, DEMO_KINDS, DEMO_SEED, DOCTOR, HOSPITAL, INSTITUTION_TYPES,
                     INSURED, KIND_ORDER, MIX, PHARMACY, REGION_SIZE, GeneratedRecord, GenerateError)
from .ids import Ids
from .terms import MAX_REGIONS, Region, Terms, contract_terms, generic_contract, plan_regions
from .writer import RecordWriter, yaml_scalar

__all__ = [
    "AGENCY", "CALENDARS", "DEFAULT_YEAR", "DEMO_CONTRACT", "DEMO_KINDS", "DEMO_SEED", "DOCTOR", "HOSPITAL", "INSURED",
    "PHARMACY", "REGION_SIZE", "SUPPORTED_YEARS", "GeneratedRecord", "GenerateError", "Ids", "RecordWriter", "Region",
    "RegionBuilder", "Terms", "Workdays", "build_region", "calendar_record", "contract_terms", "default_schemas_dir",
    "demo_files", "demo_records", "generate_demo", "generate_repository", "generic_contract", "iter_files",
    "iter_records", "plan_regions", "stale_demo_files", "write_records", "yaml_scalar",
]


# -- whole repositories -------------------------------------------------------------------------------
MAX_INSTITUTIONS = MAX_REGIONS * REGION_SIZE

def _check_request(institutions: int, year: int, contract_id: str | None, schemas: SchemaSet) -> None:
    if institutions > MAX_INSTITUTIONS:
        raise GenerateError(f"机构数最多为 {MAX_INSTITUTIONS}（行政区划代码不够分配），现在是 {institutions}")
    if institutions < 3:
        raise GenerateError(f"机构数至少为 3（每个地区 1 家经办机构、至少 1 家医疗机构和 1 家药店），现在是 {institutions}")
    if year not in CALENDARS:
        raise GenerateError(f"暂无 {year} 年的节假日安排数据；可用年份：{'、'.join(map(str, SUPPORTED_YEARS))}")
    pattern = schemas.vocab("contract_id").get("pattern")
    if contract_id is not None and pattern and not re.match(pattern, contract_id):
        raise GenerateError(f"项目编号 {contract_id} 格式不对，应形如 HT-{year}-KLMY（{pattern}）")


def iter_records(institutions: int, seed: int, schemas: SchemaSet, *, year: int = DEFAULT_YEAR,
                 contract_id: str | None = None) -> list[GeneratedRecord]:
    """Every record of a generated repository, in chronological order (final state date, kind, path).

    The first region's contract is ``contract_id`` when given; the others are ``HT-<year>-<region>``.
    """
    _check_request(institutions, year, contract_id, schemas)
    ids, workdays = Ids(seed), Workdays()
    out: list[GeneratedRecord] = []
    for region in plan_regions(institutions):
        rng = Random(f"{seed}/{region.index}")
        cid = contract_id if (contract_id and region.index == 0) else f"HT-{year}-{region.code}"
        contract = generic_contract(region, year, cid, rng)
        terms = contract_terms(contract, schemas)
        firm_abbr = contract["contractor"][:2]
        builder = build_region(region, terms, schemas, ids, workdays, rng, firm_abbr)
        day = terms.start - 14 * DAY
        out.append(GeneratedRecord("contract", f"records/contract/{cid}.yaml", day, day, contract))
        out.extend(builder.records())
    years = sorted({r.date.year for r in out} | {r.created.year for r in out})
    years.append(years[-1] + 1)  # the law's procedure deadlines of the last cases run into the next year
    first = min(r.created for r in out)
    for year_used in years:
        if year_used in CALENDARS:
            out.append(GeneratedRecord("calendar", f"records/calendar/RL-{year_used}.yaml", first, first, calendar_record(year_used)))
    out.extend(law_records(default_schemas_dir().parent, first))
    return _chronological(out)


def law_records(source_root: Path, day) -> list[GeneratedRecord]:
    """The source repository's :data:`LAW_KINDS` records (hand-written: the provisions and reward
    policies the generated decisions cite), as records of the generated repository from ``day``."""
    from ..load.strict_yaml import load_bytes

    out = []
    for kind in LAW_KINDS:
        for path in sorted((Path(source_root) / "records" / kind).glob("*.yaml")):
            data, problems, _ = load_bytes(path.read_bytes())
            if data is not None and not problems:
                out.append(GeneratedRecord(kind, f"records/{kind}/{path.name}", day, day, data))
    return out


def _chronological(records: list[GeneratedRecord]) -> list[GeneratedRecord]:
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(records, key=lambda r: (r.date, rank[r.kind], r.relpath))


def iter_files(records: list[GeneratedRecord], schemas: SchemaSet) -> Iterator[tuple[str, str, dt.date]]:
    """``(relpath, text, date)`` of each record, in the order given (chronological from :func:`iter_records`)."""
    writer = RecordWriter(schemas)
    for record in records:
        yield record.relpath, writer.text(record.kind, record.relpath, record.data), record.date


def default_schemas_dir() -> Path:
    """The schemas of the repository this package lives in (``<repo>/schemas``)."""
    return Path(__file__).resolve().parents[3] / "schemas"


#: record kinds copied from the source repository into a generated one (hand-written, not generated)
LAW_KINDS = ("provision", "reward_policy")


def _prepare_output(output: Path, schemas_dir: Path) -> dict[str, int]:
    """Make the output folder with a copy of the schemas and of :data:`LAW_KINDS` records; returns
    the number of records copied by kind."""
    records = output / "records"
    if records.is_dir() and any(records.iterdir()):
        raise GenerateError(f"{records} 已有内容；请指定一个新的空目录，生成器不覆盖已有记录")
    output.mkdir(parents=True, exist_ok=True)
    if (output / "schemas").resolve() != schemas_dir.resolve():
        (output / "schemas").mkdir(exist_ok=True)
        for path in sorted(schemas_dir.glob("*.json")):
            shutil.copyfile(path, output / "schemas" / path.name)
    copied: dict[str, int] = {}
    for kind in LAW_KINDS:  # the law the generated decisions apply: provisions and reward policies
        source = schemas_dir.parent / "records" / kind
        if source.resolve() != (output / "records" / kind).resolve():
            for path in sorted(source.glob("*.yaml")):
                (output / "records" / kind).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, output / "records" / kind / path.name)
                copied[kind] = copied.get(kind, 0) + 1
    return copied


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def write_records(output: Path, records: list[GeneratedRecord], schemas: SchemaSet) -> dict[str, int]:
    """Write the records under ``output``; returns the number of records by kind."""
    made: set[str] = set()
    counts: dict[str, int] = {}
    for relpath, text, _ in iter_files(records, schemas):
        folder = relpath.rpartition("/")[0]
        if folder not in made:
            os.makedirs(output / folder, exist_ok=True)
            made.add(folder)
        handle = os.open(output / relpath, _WRITE_FLAGS, 0o644)  # plain os calls: ~2x faster for 100k files
        try:
            os.write(handle, text.encode("utf-8"))
        finally:
            os.close(handle)
        kind = relpath.split("/", 2)[1]
        counts[kind] = counts.get(kind, 0) + 1
    return {kind: counts[kind] for kind in KIND_ORDER if kind in counts}


def generate_repository(output: Path, institutions: int, seed: int, *, year: int = DEFAULT_YEAR,
                        contract_id: str | None = None, schemas_dir: Path | None = None) -> dict[str, int]:
    """Write a complete records repository (schemas copied) at ``output``; returns counts by kind."""
    schemas_dir = Path(schemas_dir or default_schemas_dir())
    schemas = SchemaSet.load(schemas_dir)
    records = iter_records(institutions, seed, schemas, year=year, contract_id=contract_id)
    copied = _prepare_output(Path(output), schemas_dir)
    return {**write_records(Path(output), records, schemas), **copied}


# -- the demo ---------------------------------------------------------------------------------------------
DEMO_REGION = Region(0, "650203", "克拉玛依市", "克拉玛依区", {}, levels=("一级",))
#: Hand-written demo contracts whose institutions fall short of the counts the contract states
#: (``scope.expected_counts``): the generator adds the missing institutions (institution records
#: only), numbered from :data:`FILL_SEQUENCE` on; hand-written ones are numbered below it.
#: Contract -> (city, district) for the names. 澄江市 2024: “完成113家医药机构进行检查稽核”.
DEMO_FILLED = {"records/contract/HT-2024-CJ.yaml": ("澄江市", "澄江市")}
FILL_SEQUENCE = 101


def demo_records(source_root: Path, schemas: SchemaSet) -> list[GeneratedRecord]:
    """The demo dataset for ``records/contract/HT-2024-KLMY.yaml`` (read from ``source_root``).

    Counts come from the contract's ``expected_counts`` (17 / 143 / 1); the agency keeps its local
    code ``J65020300001``. The contract and calendar records are hand-written and not generated.
    """
    from ..load.strict_yaml import load_bytes

    path = Path(source_root) / DEMO_CONTRACT
    try:
        contract, problems, _ = load_bytes(path.read_bytes())
    except OSError as exc:
        raise GenerateError(f"找不到演示项目合同 {DEMO_CONTRACT}（{exc.strerror}）") from None
    if problems or contract is None:
        raise GenerateError(f"{DEMO_CONTRACT} 无法读取；请先运行 yibao validate")
    terms = contract_terms(contract, schemas)
    region = Region(DEMO_REGION.index, terms.region_code, DEMO_REGION.city, DEMO_REGION.district,
                    {t: terms.expected.get(t, 0) for t in INSTITUTION_TYPES}, levels=DEMO_REGION.levels)
    builder = build_region(region, terms, schemas, Ids(DEMO_SEED), Workdays(), Random(f"{DEMO_SEED}/demo"), terms.contractor[:2])
    records = _with_documents(list(builder.records()), schemas)
    for relpath, (city, district) in DEMO_FILLED.items():
        records.extend(_filled_institutions(Path(source_root), relpath, city, district, schemas))
    return _chronological(records)


def _with_documents(records: list[GeneratedRecord], schemas: SchemaSet) -> list[GeneratedRecord]:
    """The demo's inspections and cases with their case-file documents (checksums of synthetic
    files that ``yibao archive demo-store`` writes outside git)."""
    from dataclasses import replace

    from .archive_store import with_documents

    vocabulary = schemas.vocab("document_type")
    return [replace(r, data=with_documents(r.kind, r.data, vocabulary)) if r.kind in ("inspection", "case") else r
            for r in records]


def _load(path: Path) -> dict | None:
    from ..load.strict_yaml import load_bytes

    data, problems, _ = load_bytes(path.read_bytes())
    return data if isinstance(data, dict) and not problems else None


def _filled_institutions(source_root: Path, relpath: str, city: str, district: str, schemas: SchemaSet) -> list[GeneratedRecord]:
    """The institutions a hand-written demo contract lacks: its ``expected_counts`` less the
    hand-written institutions in its scope (numbered below :data:`FILL_SEQUENCE`), per type where
    the contract states one, the rest of its total in the 克拉玛依区 mix of hospitals and pharmacies."""
    from ..core.scope import matches_scope
    from ..core.record import Record

    contract = _load(source_root / relpath)
    if contract is None:
        raise GenerateError(f"{relpath} 无法读取；请先运行 yibao validate")
    scope = contract.get("scope") or {}
    expected = scope.get("expected_counts") or {}
    in_scope = (scope.get("rule") or {}).get("institution_types") or list(INSTITUTION_TYPES)
    withdrawn = set(schemas.vocab("record_status").get("x-withdrawn", []))
    bound = Record("contract", relpath, contract)
    have: Counter = Counter()
    for path in sorted((source_root / "records" / "institution").glob("*.yaml")):
        number = path.stem[-5:]
        if number.isdigit() and int(number) >= FILL_SEQUENCE:
            continue  # generated: not hand-written
        data = _load(path)
        if data is not None and data.get("status") not in withdrawn and matches_scope(bound, Record("institution", "", data)):
            have[data.get("type")] += 1
    counts = {t: max(0, expected[t] - have[t]) for t in INSTITUTION_TYPES if t in expected}
    total = next((n for key, n in expected.items() if key not in INSTITUTION_TYPES), None)
    rest = max(0, total - sum(have.values()) - sum(counts.values())) if total is not None else 0
    open_types = [t for t in MIX if t in in_scope and t not in counts]
    for k, itype in enumerate(open_types):
        share = rest - sum(counts.get(t, 0) for t in open_types[:k]) if k == len(open_types) - 1 else \
            round(rest * MIX[itype] / sum(MIX[t] for t in open_types))
        counts[itype] = share
    terms = contract_terms(contract, schemas)
    region = Region(0, terms.region_code, city, district, counts, levels=("一级", "未定级"), townships=True)
    builder = RegionBuilder(region, terms, schemas, Ids(DEMO_SEED), Workdays(), Random(f"{DEMO_SEED}/fill/{terms.id}"),
                            terms.contractor[:2])
    builder.build_institutions(first_sequence=FILL_SEQUENCE)
    return list(builder.records())


def _filled_region_codes(root: Path) -> set[str]:
    codes = set()
    for relpath in DEMO_FILLED:
        contract = _load(root / relpath) if (root / relpath).is_file() else None
        if contract is not None and isinstance(contract.get("region_code"), str):
            codes.add(contract["region_code"])
    return codes


def demo_files(root: Path) -> list[str]:
    """Record files under ``root`` that belong to the demo contract (of the generated kinds).

    Institutions of the contract's region, staff on the contract, inspections, cases and trainings
    of the contract, and the institutions generated for :data:`DEMO_FILLED` contracts (numbered from
    :data:`FILL_SEQUENCE`). Used to find stale demo files and to compare a regenerated demo.
    """
    from ..load.repository import record_files
    from ..load.strict_yaml import load_bytes

    root = Path(root)
    contract, _, _ = load_bytes((root / DEMO_CONTRACT).read_bytes())
    cid, region = contract["id"], contract["region_code"]
    filled = _filled_region_codes(root)
    owned = []
    for relpath in record_files(root)[0]:
        kind = relpath.split("/")[1]
        if kind not in DEMO_KINDS:
            continue
        data, _, _ = load_bytes((root / relpath).read_bytes())
        if data is None:
            continue
        number = relpath[-len(".yaml") - 5:-len(".yaml")]
        if (kind == "institution" and data.get("region_code") == region) or \
                (kind == "institution" and data.get("region_code") in filled and number.isdigit() and int(number) >= FILL_SEQUENCE) or \
                (kind == "staff" and cid in (data.get("contracts") or ())) or data.get("contract") == cid:
            owned.append(relpath)
    return owned


def generate_demo(output: Path, source_root: Path) -> dict[str, int]:
    """Write the demo records into ``output`` (the repository itself, or a copy for comparison).

    When ``output`` is not ``source_root`` the schemas, the demo contract and the calendars are
    copied first, so the output is a complete repository.
    """
    output, source_root = Path(output), Path(source_root)
    schemas = SchemaSet.load(source_root / "schemas")
    records = demo_records(source_root, schemas)
    if output.resolve() != source_root.resolve():
        _prepare_output(output, source_root / "schemas")
        calendars = sorted((source_root / "records" / "calendar").glob("RL-*.yaml"))
        for path in [source_root / DEMO_CONTRACT, *calendars]:
            target = output / path.relative_to(source_root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return write_records(output, records, schemas)


def stale_demo_files(output: Path, source_root: Path) -> list[str]:
    """Demo files in ``output`` that the generator no longer produces (left by an older version)."""
    schemas = SchemaSet.load(Path(source_root) / "schemas")
    produced = {r.relpath for r in demo_records(source_root, schemas)}
    return [path for path in demo_files(output) if path not in produced]
