"""The demo repository with the history a real one has: records arriving as pull requests.

``yibao generate --demo-history DIR`` writes a new git repository holding this repository's
schemas, portal pages and records, with a history made the way a bureau's repository grows: the
maintainer sets it up; the bureau's account enters the contract and the base data; then, day by
day, the contractor's account opens a pull request with the records of that day's work (an
inspection when it starts, again when it ends and when its report is submitted; a case at each
step of its procedure) and the bureau's reviewer approves and merges it the next morning
(``Merge pull request #N from …`` with a ``Reviewed-by:`` trailer). Each version of a record is
the record as it stood on that day (:mod:`yibao.compute.as_of`), and the last version is the
record file itself, byte for byte, so the final tree is this repository's records.

The history is written in one ``git fast-import`` stream (:func:`yibao.load.git_tree.import_history`).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ..compute.as_of import EXISTS_FROM, rules_for
from ..core.record import Record, as_date
from ..core.schemas import SchemaSet
from ..load import git_tree
from ..speed.run import check_repository

TZ = _dt.timezone(_dt.timedelta(hours=8))
MAINTAINER = "yibao-maintainer"
EMAIL_DOMAIN = "users.noreply.yibao.example"
#: what the first commit holds besides the records: the rules and the portal's own pages
BASE_PATHS = ("schemas", "site", "mkdocs.yml", ".github")
OPENED_AT = _dt.time(17, 30)
MERGED_AT = _dt.time(10, 0)


class HistoryError(Exception):
    pass


@dataclass
class PullRequest:
    day: _dt.date
    author: str
    reviewer: str
    title: str
    files: dict[str, bytes] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


@dataclass
class Replayed:
    pull_requests: int
    versions: int
    records: int


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def _dates(value: Any) -> set[_dt.date]:
    if isinstance(value, dict):
        return set().union(*(_dates(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_dates(v) for v in value)) if value else set()
    day = as_date(value) if isinstance(value, (_dt.date, str)) and not isinstance(value, _dt.datetime) else None
    return {day} if isinstance(day, _dt.date) else set()


def _text(record: Record, data: dict, original: bytes) -> bytes:
    head = original.split(b"\n", 1)[0]
    prefix = head + b"\n" if head.startswith(b"#") else b""
    return prefix + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False).encode("utf-8")


def versions_of(record: Record, original: bytes, rules) -> list[tuple[_dt.date, bytes]]:
    """The record as it stood at each date it holds, from the day it exists; the last is the file itself."""
    start_field = EXISTS_FROM.get(record.kind)
    start = as_date(record.get(start_field)) if start_field else None
    days = sorted(d for d in _dates(record.data) if start is None or d >= start)
    if not days:
        return []
    if start is None:  # always exists: one version, at its earliest date
        return [(days[0], original)]
    out: list[tuple[_dt.date, bytes]] = []
    previous: dict | None = None
    for day in days:
        state = rules.state(record, day)
        if not state.exists or state.record.data == previous:
            continue
        previous = state.record.data
        out.append((day, original if state.record.data == record.data else _text(record, state.record.data, original)))
    if not out or out[-1][1] != original:
        out.append((days[-1], original))
    return out


def _contract_of(record: Record) -> str | None:
    for key in ("contract", "contracts"):
        value = record.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]
    return None


def plan(source: Path, schemas: SchemaSet) -> tuple[list[PullRequest], dict[str, bytes], int, int]:
    """The pull requests that build the repository, in the order they are merged."""
    result = check_repository(source, schemas, want_data=True)
    if result.errors:
        raise HistoryError(f"仓库中的记录没有通过检查（{len(result.errors)} 个错误），请先运行 yibao validate")
    records = result.records
    rules = rules_for(schemas)
    contracts = {r.id: r for r in records if r.kind == "contract"}
    first = min((as_date(c.get("period.start")) for c in contracts.values() if as_date(c.get("period.start"))),
                default=_dt.date.today())
    bureau_of = {cid: (c.get("reviewers") or [MAINTAINER])[0] for cid, c in contracts.items()}
    contractor_of = {cid: (c.get("submitters") or [MAINTAINER])[0] for cid, c in contracts.items()}
    prs: dict[tuple[_dt.date, str], PullRequest] = {}
    versions = 0
    for record in records:
        original = (source / record.path).read_bytes()
        cid = record.id if record.kind == "contract" else _contract_of(record)
        if record.kind == "contract":
            start = as_date(record.get("period.start")) or first
            found = [(start - _dt.timedelta(days=14), original)]
            author = bureau_of.get(cid, MAINTAINER)
        elif cid in contracts and EXISTS_FROM.get(record.kind):
            found = versions_of(record, original, rules)
            author = contractor_of[cid]
        else:  # base data (institutions, calendars, rules …): entered by the bureau before the work starts
            found = [(first - _dt.timedelta(days=30), original)]
            author = bureau_of.get(cid, MAINTAINER) if cid else MAINTAINER
        for number, (day, text) in enumerate(found):
            key = (day, author)
            pr = prs.get(key)
            if pr is None:
                reviewer = bureau_of.get(cid) if cid in bureau_of else next(iter(bureau_of.values()), MAINTAINER)
                if author == reviewer:
                    reviewer = MAINTAINER
                pr = prs[key] = PullRequest(day, author, reviewer, "")
            pr.files[record.path] = text
            (pr.added if number == 0 else pr.updated).append(record.id or record.path)
            versions += 1
    ordered = sorted(prs.values(), key=lambda p: (p.day, p.author))
    for pr in ordered:
        parts = [f"{verb} {_listed(ids)}" for verb, ids in (("新增", pr.added), ("更新", pr.updated)) if ids]
        pr.title = f"{pr.day.isoformat()} 工作记录：{'；'.join(parts)}"
    base = {}
    for name in BASE_PATHS:
        path = source / name
        for file in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []):
            if "__pycache__" not in file.parts:
                base[file.relative_to(source).as_posix()] = file.read_bytes()
    return ordered, base, versions, len(records)


def _listed(ids: list[str]) -> str:
    return "、".join(ids) if len(ids) <= 3 else f"{'、'.join(ids[:3])} 等 {len(ids)} 条"


def _who(account: str) -> bytes:
    return f"{account} <{account}@{EMAIL_DOMAIN}>".encode("utf-8")


def _when(day: _dt.date, at: _dt.time) -> bytes:
    moment = _dt.datetime.combine(day, at, TZ)
    return f"{int(moment.timestamp())} +0800".encode("ascii")


def _data(text: bytes) -> bytes:
    return b"data %d\n" % len(text) + text + b"\n"


def stream(prs: list[PullRequest], base: dict[str, bytes]) -> bytes:
    """The whole history as a ``git fast-import`` stream (marks: one per commit)."""
    out: list[bytes] = []
    mark = 0

    def commit(ref: str, who: str, day: _dt.date, at: _dt.time, message: str, files: dict[str, bytes],
               parent: int | None, merge: int | None = None) -> int:
        nonlocal mark
        mark += 1
        out.append(b"commit " + ref.encode() + b"\nmark :%d\n" % mark)
        out.append(b"author " + _who(who) + b" " + _when(day, at) + b"\n")
        out.append(b"committer " + _who(who) + b" " + _when(day, at) + b"\n")
        out.append(_data(message.encode("utf-8")))
        if parent is not None:
            out.append(b"from :%d\n" % parent)
        if merge is not None:
            out.append(b"merge :%d\n" % merge)
        for path in sorted(files):
            out.append(b"M 100644 inline " + path.encode("utf-8") + b"\n" + _data(files[path]))
        return mark

    start = (prs[0].day if prs else _dt.date.today()) - _dt.timedelta(days=1)
    main = commit("refs/heads/main", MAINTAINER, start, _dt.time(9, 0), "初始化记录库：schema、门户页面和配置", base, None)
    for number, pr in enumerate(prs, start=1):
        branch = commit(f"refs/pull/{number}/head", pr.author, pr.day, OPENED_AT, pr.title, pr.files, main)
        merged = pr.day + _dt.timedelta(days=1)
        message = (f"Merge pull request #{number} from {pr.author}/records-{pr.day.isoformat()}\n\n{pr.title}\n\n"
                   f"Reviewed-by: {pr.reviewer}\n")
        main = commit("refs/heads/main", pr.reviewer, merged, MERGED_AT, message, pr.files, main, branch)
    out.append(b"done\n")
    return b"".join(out)


def replay(source: Path, target: Path, schemas: SchemaSet) -> Replayed:
    """Write the demo repository with its history into ``target`` (a new, empty folder)."""
    if target.exists() and any(target.iterdir()):
        raise HistoryError(f"{target} 不是空目录；请指定一个新目录")
    prs, base, versions, records = plan(source, schemas)
    git_tree.import_history(target, stream(prs, base))
    return Replayed(len(prs), versions, records)
