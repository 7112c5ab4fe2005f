"""Run every check: file by file (load, schema, personal data, record rules), then across records.

``check_text`` is a pure function of one file's path, bytes and the schemas, so it runs in worker
processes (both cores on a cold run) and its result is cached by content (see ``cache``).
Cross-record rules always run, on a small view of every record (``references.cross_view``), so a
cached record and a freshly checked one are treated the same.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat as _stat
import traceback
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..core.diagnostics import ERROR, Diagnostic, sort_key
from ..gc_pause import gc_paused
from ..load import strict_yaml
from ..core.record import EXTENSION, RECORDS, Record, kind_of, stem
from ..load.repository import scan_records
from ..load.worktree import git_listing, split_listing
from ..core.schemas import SchemaSet
from ..core.textsafe import has_undecodable, visible
from ..core import clock
from . import incremental
from .cache import Cache, content_key, key_of
from .findings import Findings, redact
from .personal_data import (
    PERSON_NAME,
    PII_COMMENT_MESSAGES,
    PII_MESSAGES,
    find_person_names,
    find_personal_data,
    format_path,
    iter_comments,
    mask,
    mask_name,
    might_contain_person_name,
    might_contain_personal_data,
    person_name_message,
    scan_person_names,
    scan_record,
)
from .record_rules import check_record_rules
from .references import Index, check_references, cross_view, referenced_ids
from .schema import check_schema

PARALLEL_THRESHOLD = 2000  # below this many files to check, worker start-up costs more than it saves
CHUNK = 250


@dataclass
class FileResult:
    path: str
    record: Record | None
    diagnostics: list[Diagnostic]


@dataclass
class Outcome:
    """What checking one file produced; what the cache stores (data apart)."""

    path: str
    kind: str
    key: str
    diagnostics: list[Diagnostic]
    view: dict | None
    valid: bool
    data: dict | None = None
    dated: str | None = None  # the day the verdict holds for, when a check compared with today

    def facts(self) -> tuple:
        return (self.kind, tuple(_diag_tuple(d) for d in self.diagnostics), self.view, self.valid, self.dated)


def _diag_tuple(d: Diagnostic) -> tuple:
    return (d.path, d.line, d.col, d.code, d.message, d.severity, d.field)


@dataclass
class RunResult:
    records: list[Record]
    diagnostics: list[Diagnostic]
    files: int
    internal_errors: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def valid_records(self) -> list[Record]:
        return [r for r in self.records if r.valid]


# -- one file ------------------------------------------------------------------------------------
def _internal(findings: Findings, where: str) -> None:
    last = traceback.format_exc(limit=-1).strip().splitlines()[-1]
    findings.error("internal-error", f"检查程序内部错误（{where}：{last}）；请把这条信息报告给仓库维护人员", pos=(1, 1))


def check_personal_data(record: Record, schemas: SchemaSet, findings: Findings) -> None:
    """Numbers that look like personal data in values and comments (errors), likely names (warnings).

    Both quick pre-checks run on the file's text, so most files skip the walk.
    """
    text = findings.text
    numbers = text is None or might_contain_personal_data(text)
    names = text is None or might_contain_person_name(text)
    if not (numbers or names):
        return
    skip = frozenset(schemas.format_paths(record.kind, "uscc"))
    if numbers:
        for path, code, masked in scan_record(record.data, skip):
            findings.error(code, PII_MESSAGES[code].format(field=format_path(path), masked=masked), path)
    if names:
        for path, trigger, masked in scan_person_names(record.data, skip):
            findings.warning(PERSON_NAME, person_name_message(format_path(path), trigger, masked), path)
    if text is None or "#" not in text:
        return
    for line, col, comment in iter_comments(text):  # comments go into git too
        if numbers:
            for code, matched, offset in find_personal_data(comment):
                findings.error(code, PII_COMMENT_MESSAGES[code].format(masked=mask(matched)), pos=(line, col + offset))
        if names:
            for trigger, name, offset in find_person_names(comment):
                findings.warning(PERSON_NAME, person_name_message("", trigger, mask_name(name)), pos=(line, col + offset))


FILE_CHECKS = (check_schema, check_personal_data, check_record_rules)


def check_text(relpath: str, kind: str, data: bytes, schemas: SchemaSet) -> FileResult:
    """Load one file's bytes strictly and run every file-level check on it."""
    value, problems, text = strict_yaml.load_bytes(data)
    if problems:
        return FileResult(relpath, None, [Diagnostic(relpath, p.line, p.col, p.code, redact(p.message)) for p in problems])
    record = Record(kind, relpath, value)
    findings = Findings(relpath, text)
    for check in FILE_CHECKS:
        try:
            check(record, schemas, findings)
        except Exception:  # noqa: BLE001 - a bug must not hide the other findings
            _internal(findings, check.__name__)
    record.valid = not findings.has_errors
    return FileResult(relpath, record, findings.diagnostics())


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _read(path: str) -> bytes:
    """A whole file, with plain os calls (measurably cheaper than pathlib for 100k small files).

    Special files are refused before (``_layout``); should one appear in between, opening it
    without blocking means a named pipe cannot hang the run."""
    handle = os.open(path, os.O_RDONLY | _NONBLOCK)
    try:
        chunks = []
        while True:
            chunk = os.read(handle, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(handle)


def _read_or_error(path: str) -> bytes | OSError:
    try:
        return _read(path)
    except OSError as exc:
        return exc


def _check_one(root: Path, relpath: str, kind: str, schemas: SchemaSet, want_data: bool,
               data: bytes | OSError | None = None) -> Outcome:
    """Check one file (its bytes read here, unless ``data`` holds them or the error reading them)."""
    if data is None:
        data = _read_or_error(os.path.join(root, relpath))
    if isinstance(data, OSError):
        diag = Diagnostic(relpath, 1, 1, "unreadable", f"无法读取文件：{data.strerror}")
        return Outcome(relpath, kind, "", [diag], None, False)
    reads = clock.reads
    result = check_text(relpath, kind, data, schemas)
    record = result.record
    return Outcome(
        relpath, kind, content_key(relpath, data), result.diagnostics,
        cross_view(record.data) if record else None,
        bool(record and record.valid),
        record.data if (record and want_data) else None,
        clock.date_key() if clock.reads != reads else None,
    )


# -- many files: serial or on every core -----------------------------------------------------------
_WORKER: tuple | None = None


READERS = 2  # threads per worker that read files ahead of the checking


def _work(chunk: list[tuple[str, str]]) -> list[Outcome]:
    """A worker's share. A few threads read the chunk's files ahead while this one checks: when the
    files are not in the page cache, reading waits on the disk, and the waits overlap the work
    (measured on 40k records with 2 workers: 25% faster after dropping the page cache, 3% slower
    with every file already cached; 4 readers gained no more and cost more)."""
    root, schemas, want_data = _WORKER
    with gc_paused(), ThreadPoolExecutor(max_workers=READERS) as readers:
        contents = readers.map(_read_or_error, [os.path.join(root, relpath) for relpath, _ in chunk])
        return [_check_one(root, relpath, kind, schemas, want_data, data) for (relpath, kind), data in zip(chunk, contents)]


def _check_serial(root: Path, items: list[tuple[str, str]], schemas: SchemaSet, want_data: bool) -> list[Outcome]:
    """Check files one after the other. The cyclic garbage collector is paused meanwhile: loading
    creates many small objects and no cycles, and its passes cost 10-20% of the time."""
    with gc_paused():
        return [_check_one(root, relpath, kind, schemas, want_data) for relpath, kind in items]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_many(root: Path, items: list[tuple[str, str]], schemas: SchemaSet, want_data: bool, jobs: int | None = None) -> list[Outcome]:
    """Check files; on a fork-capable system with enough files, in ``jobs`` worker processes.

    Results come back in input order whatever the number of workers, so the serial and parallel
    paths give the same output.
    """
    global _WORKER
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or len(items) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return _check_serial(root, items, schemas, want_data)
    _WORKER = (root, schemas, want_data)  # inherited by the forked workers
    try:
        # receiving ~100k results would otherwise trigger collections over a growing heap
        with gc_paused():
            chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
            with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                return [outcome for part in pool.map(_work, chunks) for outcome in part]
    finally:
        _WORKER = None


def _known_key(cache: Cache, relpath: str, hint: object, read: dict[str, str] | None = None) -> str | None:
    """A file's cache key without reading it: from its git blob id (``hint`` a ``str``), from the
    cache's stat manifest (``hint`` a ``stat`` result), or from ``read``, the keys of the files
    already read and hashed in this run. None when only reading it will tell."""
    if isinstance(hint, str):
        return key_of(relpath, hint)
    if hint is not None:
        return cache.key_from_stat(relpath, hint)
    return read.get(relpath) if read else None


def _remember(cache: Cache, outcome: Outcome, hint: object) -> None:
    if outcome.key:
        cache.remember(outcome.path, hint if isinstance(hint, os.stat_result) else None, outcome.key, outcome.facts(),
                       outcome.data)


def _outcomes(root: Path, targets: list[tuple[str, str, object]], schemas: SchemaSet,
              cache: Cache | None, want_data: bool, jobs: int | None, read: dict[str, str] | None = None) -> list[Outcome]:
    """Outcomes in target order: from the cache where the content is known, else checked now.

    A target's third item tells the content: a git blob id (``str``), a ``stat`` result to compare
    with the cache's manifest, or None (see ``read``, else read and check).
    """
    found: dict[str, Outcome] = {}
    pending: list[tuple[str, str]] = []
    hints = {relpath: hint for relpath, _, hint in targets}
    data_store = cache.data() if (cache is not None and want_data) else None
    today = clock.date_key()
    for relpath, kind, hint in targets:
        key = _known_key(cache, relpath, hint, read) if cache is not None else None
        facts = cache.facts.get(key) if key else None
        if facts is not None and (data_store is None or key in data_store or facts[2] is None):
            try:
                cached_kind, diags, view, valid, dated = facts
                if dated is None or dated == today:  # a verdict that read the date holds for its day
                    found[relpath] = Outcome(relpath, cached_kind, key, [Diagnostic(*d) for d in diags] if diags else [],
                                             view, valid, data_store.get(key) if data_store is not None else None, dated)
                    continue
            except (TypeError, ValueError):
                pass  # a damaged entry is simply recomputed
        pending.append((relpath, kind))
    for outcome in check_many(root, pending, schemas, want_data, jobs):
        found[outcome.path] = outcome
        if cache is not None:
            _remember(cache, outcome, hints.get(outcome.path))
    return [found[relpath] for relpath, _, _ in targets]


# -- the repository ------------------------------------------------------------------------------
def _layout(root: Path, kinds: list[str]) -> tuple[list[tuple[str, str, object]], list[Diagnostic], bytes | None]:
    """Record files with their kind and content hint, the stray files, and (in git) a listing digest."""
    snapshot = git_listing(root)
    if snapshot is not None:
        files, others = split_listing(snapshot[0])
        digest = snapshot[1]
    else:
        found, strays = scan_records(root)
        files, others, digest = found, [p for p, _ in strays], None
    typed: list[tuple[str, str, object]] = []
    problems: list[Diagnostic] = []
    if has_undecodable("\0".join(others)) or has_undecodable("\0".join(relpath for relpath, _ in files)):
        problems += [_non_utf8_name(p) for p in (*others, *(relpath for relpath, _ in files)) if has_undecodable(p)]
        others = [p for p in others if not has_undecodable(p)]
        files = [(relpath, hint) for relpath, hint in files if not has_undecodable(relpath)]
    for relpath in others:
        problems.append(Diagnostic(relpath, 1, 1, "not-a-record-file", f"records/ 下只能放 {EXTENSION} 记录文件；请改名为 {stem(relpath)}{EXTENSION} 或移出 records/"))
    by_folder: dict[str, str | None] = {}  # the kind of each folder, worked out once
    for relpath, hint in files:
        if type(hint) is not str and (hint is None or not _stat.S_ISREG(hint.st_mode)):
            special = _special_file(root, relpath, hint)  # not vouched for by git, or not a plain file
            if special is not None:
                problems.append(special)
                continue
        folder = relpath[:relpath.rfind("/")]
        kind = by_folder.get(folder, "")
        if kind == "":
            kind = by_folder[folder] = kind_of(relpath, kinds)
        if kind is None:
            problems.append(Diagnostic(relpath, 1, 1, "unknown-kind", f"不认识的记录目录；记录应放在 records/<种类>/ 下，种类为：{'、'.join(kinds)}"))
            continue
        typed.append((relpath, kind, hint))
    return typed, problems, digest


def _non_utf8_name(relpath: str) -> Diagnostic:
    shown = visible(relpath)  # the bytes that are not UTF-8 as \xNN
    return Diagnostic(shown, 1, 1, "non-utf8-filename",
                      f"文件名 {shown} 不是 UTF-8 编码，无法作为记录读取；请把它改名为“记录编号{EXTENSION}”（如 H65020300001{EXTENSION}）")


_SPECIAL = ((_stat.S_ISFIFO, "命名管道"), (_stat.S_ISCHR, "字符设备"), (_stat.S_ISBLK, "块设备"),
            (_stat.S_ISSOCK, "套接字"), (_stat.S_ISDIR, "目录"))


def _special_file(root: Path, relpath: str, hint: object) -> Diagnostic | None:
    """``error[not-a-regular-file]`` for a named pipe, device or socket (reading one would hang or
    act), itself or behind a symlink; found with ``stat``, never by opening it. None for a plain
    file, and for a path that cannot be stat'ed (reading it reports why)."""
    try:
        mode = hint.st_mode if type(hint) is os.stat_result else os.lstat(os.path.join(root, relpath)).st_mode
        link = _stat.S_ISLNK(mode)
        if link:
            mode = os.stat(os.path.join(root, relpath)).st_mode
    except OSError:
        return None
    if _stat.S_ISREG(mode):
        return None
    what = next((name for test, name in _SPECIAL if test(mode)), "特殊文件")
    where = "符号链接指向的" if link else ""
    return Diagnostic(relpath, 1, 1, "not-a-regular-file",
                      f"{where}不是普通文件，而是{what}，没有读取；records/ 下只能放记录文件，请删除它或移出 records/")


def check_repository(root: Path, schemas: SchemaSet, paths: Iterable[str] | None = None, *,
                     cache: Cache | None = None, jobs: int | None = None, want_data: bool = True) -> RunResult:
    """Check the whole repository, or the given record files together with what they reference.

    With ``want_data`` the result's records carry their full data (for reports and the portal);
    without it they carry only the view cross-record rules need, and a run answered from the cache
    (nothing changed, or a small change re-checked incrementally) carries none: ``validate`` uses
    only the diagnostics and counts.
    """
    with gc_paused():  # records hold no reference cycles; collections over 100k records only cost time
        typed, diagnostics, listing_digest = _layout(root, schemas.kinds)
        if paths is None:
            return _check_all(root, schemas, typed, diagnostics, cache, jobs, want_data, listing_digest)
        return _check_some(root, schemas, typed, diagnostics, list(dict.fromkeys(paths)), cache, jobs, want_data)


def _run_key(pairs: Iterable[tuple[str, str]], layout: list[Diagnostic]) -> str:
    """What a whole run depends on: every record's path and content, and the stray files."""
    digest = hashlib.sha1()
    for relpath, key in pairs:
        digest.update(f"{relpath}\0{key}\n".encode())
    for problem in layout:
        digest.update(f"{problem.path}\0{problem.code}\n".encode())
    return digest.hexdigest()


def _content_key_of(root: Path, relpath: str) -> str:
    try:
        return content_key(relpath, _read(os.path.join(root, relpath)))
    except OSError:
        return "unreadable"


def _tokens(root: Path, typed: list[tuple[str, str, object]], cache: Cache) -> tuple[dict[str, str | None], list[tuple[str, str]]]:
    """Each file's content token as far as it is known without checking: the git blob id, else the
    content key from the stat manifest, else (when git lists the file as changed) the content key
    of its bytes; None when only checking it will tell. Also the (path, key) pairs read now."""
    tokens: dict[str, str | None] = {}
    read: list[tuple[str, str]] = []
    for relpath, _, hint in typed:
        if isinstance(hint, str):
            tokens[relpath] = hint
        elif hint is not None:
            tokens[relpath] = cache.key_from_stat(relpath, hint)
        else:
            key = tokens[relpath] = _content_key_of(root, relpath)
            read.append((relpath, key))
    return tokens, read


def _cached_records(typed: list[tuple[str, str, object]], read: dict[str, str], cache: Cache) -> list[Record] | None:
    """Every record with its data from the cache, or None when something is missing (or was
    checked against another day's date)."""
    facts, data = cache.facts, cache.data()
    today = clock.date_key()
    records = []
    for relpath, _, hint in typed:
        key = _known_key(cache, relpath, hint, read)
        entry = facts.get(key) if key else None
        if entry is None:
            return None
        kind, _, view, valid, dated = entry
        if dated is not None and dated != today:
            return None
        if view is None:
            continue
        value = data.get(key)
        if value is None:
            return None
        records.append(Record(kind, relpath, value, valid))
    return records


def _dated_run_key(run_key: str, dated: bool) -> str:
    """The key a run's result is kept under: a result that read today's date holds for today only."""
    return f"{run_key}@{clock.date_key()}" if dated else run_key


def _check_all(root, schemas, typed, diagnostics, cache, jobs, want_data, listing_digest=None) -> RunResult:
    run_key = None
    layout = list(diagnostics)  # files under records/ that are not records: part of the result too
    tokens: dict[str, str | None] = {}
    read: list[tuple[str, str]] = []
    reads = clock.reads
    if cache is not None:
        tokens, read = _tokens(root, typed, cache)
        if listing_digest is not None:
            # git vouches for most files: the listing identifies them; the rest were read and hashed
            run_key = _run_key(read, layout) + listing_digest.hex()
        elif all(tokens.values()):
            run_key = _run_key(tokens.items(), layout)
        last = cache.last_run() if run_key is not None else None
        if last and last[0] in (run_key, _dated_run_key(run_key, True)):
            try:
                diags, files, counts = last[1]
                found = [Diagnostic(*d) for d in diags]
                internal = sum(d.code == "internal-error" for d in found)
            except (TypeError, ValueError):
                found = None
            if found is not None and not want_data:
                return RunResult([], found, files, internal, dict(counts))
            records = _cached_records(typed, dict(read), cache) if found is not None else None
            if records is not None:
                return RunResult(records, found, files, internal, dict(counts))
        if not want_data:
            result = _recheck(root, schemas, typed, tokens, layout, cache, jobs, run_key)
            if result is not None:
                return result
    outcomes = _outcomes(root, typed, schemas, cache, want_data, jobs, dict(read))
    cross: list[Diagnostic] = []
    result = _finish(root, schemas, outcomes, outcomes, diagnostics, _ids_from_names(typed), want_data, names_checked=False,
                     cross_out=cross)
    if cache is not None:
        cache.keep_only({o.key for o in outcomes if o.key})
        if listing_digest is None:
            cache.forget_missing({relpath for relpath, _, _ in typed})
        if run_key is None:
            run_key = _run_key(((outcome.path, outcome.key) for outcome in outcomes), layout)
        payload = _payload(result)
        dated = clock.reads != reads or any(outcome.dated for outcome in outcomes)
        cache.set_last_run(_dated_run_key(run_key, dated), payload)
        cache.set_state(incremental.state_of(outcomes, tokens, cross, payload))
        cache.save()
    return result


def _payload(result: RunResult) -> tuple:
    return (tuple(_diag_tuple(d) for d in result.diagnostics), result.files, result.counts)


def _recheck(root, schemas, typed, tokens, layout, cache, jobs, run_key) -> RunResult | None:
    """After a small change: check again only what it can affect (see ``check.incremental``)."""
    hints = {relpath: hint for relpath, _, hint in typed}

    def check(items: list[tuple[str, str]]) -> list[Outcome]:
        outcomes = check_many(root, items, schemas, False, jobs)
        for outcome in outcomes:
            _remember(cache, outcome, hints.get(outcome.path))
        return outcomes

    def cross(records: list[Record], index) -> list[Diagnostic]:
        return cross_check(root, records, index, schemas)

    reads = clock.reads
    done = incremental.recheck(typed, tokens, layout, cache.state(), check, cross, clock.date_key())
    if done is None:
        return None
    diagnostics, counts, outcomes, state = done
    result = RunResult([], diagnostics, len(typed), sum(d.code == "internal-error" for d in diagnostics), counts)
    payload = _payload(result)
    state["payload"] = payload
    if run_key is None:
        run_key = _run_key(((relpath, tokens.get(relpath) or outcomes[relpath].key) for relpath, _, _ in typed), layout)
    cache.set_last_run(_dated_run_key(run_key, clock.reads != reads or bool(state["dated"])), payload)
    cache.set_state(state)
    cache.save()
    return result


def _check_some(root, schemas, typed, diagnostics, wanted, cache, jobs, want_data) -> RunResult:
    by_path = {relpath: (relpath, kind, stat) for relpath, kind, stat in typed}
    refused = {d.path for d in diagnostics}  # stray, special or undecodable files: reported already
    for relpath in wanted:
        if relpath not in by_path and relpath not in refused and visible(relpath) not in refused:
            shown = visible(relpath)
            diagnostics.append(Diagnostic(shown, 1, 1, "not-a-record-file", f"{shown} 不是仓库中的记录文件（应在 {RECORDS}/<种类>/ 下，扩展名 {EXTENSION}）"))
    targets = [by_path[p] for p in wanted if p in by_path]
    outcomes = _outcomes(root, targets, schemas, cache, want_data, jobs)
    # what the given records refer to is loaded and checked too
    by_stem: dict[str, list[tuple]] = defaultdict(list)
    for entry in typed:
        by_stem[stem(entry[0])].append(entry)
    done = {t[0] for t in targets}
    referenced = []
    for outcome in outcomes:
        if outcome.view is not None:
            for ident in referenced_ids(Record(outcome.kind, outcome.path, outcome.view)):
                for entry in by_stem.get(ident, ()):
                    if entry[0] not in done:
                        done.add(entry[0])
                        referenced.append(entry)
    more = _outcomes(root, referenced, schemas, cache, want_data, jobs)
    extra_ids = _ids_from_names(typed)
    targets_set = {t[0] for t in targets}
    for ident, places in by_stem.items():
        if len(places) > 1 and any(p[0] in targets_set for p in places):
            first = places[0][0]
            for entry in places[1:]:
                diagnostics.append(Diagnostic(entry[0], 1, 1, "duplicate-id", f"编号 {ident} 重复：{first} 已使用这个编号；请用 yibao new 生成新编号"))
    result = _finish(root, schemas, outcomes + more, outcomes, diagnostics, extra_ids, want_data, names_checked=True)
    if cache is not None:
        cache.save()
    return result


def _ids_from_names(typed) -> dict[str, set[str]]:
    """IDs by kind from file names: a record that exists but does not load is not "missing"."""
    ids: dict[str, set[str]] = defaultdict(set)
    for relpath, kind, _ in typed:
        ids[kind].add(stem(relpath))
    return ids


def _finish(root, schemas, loaded: list[Outcome], checked: list[Outcome], diagnostics: list[Diagnostic],
            extra_ids: dict[str, set[str]] | None, want_data: bool, names_checked: bool,
            cross_out: list[Diagnostic] | None = None) -> RunResult:
    views = [Record(o.kind, o.path, o.view, o.valid) for o in loaded if o.view is not None]
    for outcome in loaded:
        diagnostics.extend(outcome.diagnostics)
    index = Index.build(views, extra_ids)
    if names_checked:
        index.duplicates = []  # reported from file names
        index.complete = False  # some files and what they refer to: not every record is loaded
    checked_paths = {o.path for o in checked}
    cross = cross_check(root, [v for v in views if v.path in checked_paths], index, schemas)
    if cross_out is not None:
        cross_out.extend(cross)
    diagnostics.extend(cross)
    diagnostics.sort(key=sort_key)
    if want_data:
        records = [Record(o.kind, o.path, o.data, o.valid) for o in loaded if o.data is not None]
    else:
        records = views
    counts = dict(Counter(o.kind for o in loaded if o.view is not None))
    internal = sum(d.code == "internal-error" for d in diagnostics)
    return RunResult(records, diagnostics, len(checked), internal, counts)


def cross_check(root: Path, records: list[Record], index: Index, schemas: SchemaSet) -> list[Diagnostic]:
    by_path: dict[str, Findings] = {}

    def report(record: Record, code: str, message: str, at: tuple, warning: bool = False) -> None:
        findings = by_path.get(record.path)
        if findings is None:
            findings = by_path[record.path] = Findings(record.path, None)
        (findings.warning if warning else findings.error)(code, message, at)

    try:
        check_references(records, index, schemas, report)
    except Exception:  # noqa: BLE001
        holder = Findings(RECORDS, None)
        _internal(holder, "check_references")
        return holder.diagnostics()
    out: list[Diagnostic] = []
    for relpath, findings in by_path.items():
        try:
            findings.text = strict_yaml.decode((root / relpath).read_bytes())[0]
        except OSError:
            findings.text = None
        out.extend(findings.diagnostics())
    return out
