"""Checking a repository fast: the public entry :func:`check_repository`.

What is checked is decided in :mod:`yibao.check` (pure functions: one file's text to its findings,
records to cross-record findings); this module decides only how little work gives the same
answer:

- a whole run whose inputs are unchanged (the same *run key*: every record file's path and
  content, and the stray files) is answered from the cache without reading a record;
- a file whose content is known (git blob id, or ``stat`` matching the cache's manifest) reuses
  its cached verdict (:mod:`.cache`);
- after a small change only what it can affect is checked again (:mod:`.incremental`);
- what remains is checked on every core (:mod:`.pool`).
"""
from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..check.references import Index, referenced_ids
from ..check.runner import cross_check
from ..core import clock
from ..core.diagnostics import ERROR, Diagnostic, sort_key
from ..core.record import EXTENSION, RECORDS, Record, stem
from ..core.schemas import SchemaSet
from ..core.textsafe import visible
from . import files as file_layout
from . import incremental
from .cache import Cache, Summary, content_key, key_of
from .gc import gc_paused
from .pool import Job, Outcome, check_many


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


def check_repository(root: Path, schemas: SchemaSet, paths: Iterable[str] | None = None, *,
                     cache: Cache | None = None, jobs: int | None = None, want_data: bool = True) -> RunResult:
    """Check the whole repository, or the given record files together with what they reference.

    With ``want_data`` the result's records carry their full data (for reports and the portal);
    without it they carry only the view cross-record rules need, and a run answered from the cache
    (nothing changed, or a small change re-checked incrementally) carries none: ``validate`` uses
    only the diagnostics and counts.
    """
    with gc_paused():  # records hold no reference cycles; collections over 100k records only cost time
        run = _Run(root, schemas, cache, jobs, want_data)
        if paths is None:
            return run.whole()
        return run.some(list(dict.fromkeys(paths)))


class _Keys:
    """Each file's content as far as it is known without checking it: its *token* (the git blob
    id, else the content key from the cache's ``stat`` manifest, else None) and its cache key."""

    def __init__(self, layout: file_layout.Layout, cache: Cache) -> None:
        self.layout, self.cache = layout, cache
        self.read: dict[str, str] = {}  # content keys of the files read and hashed in this run

    def tokens(self, root: Path) -> dict[str, str | None]:
        """Every file's token; a file git lists as changed (neither blob nor stat) is read and hashed now."""
        blobs, stats, cache = self.layout.blobs, self.layout.stats, self.cache
        tokens: dict[str, str | None] = {}
        for relpath, _ in self.layout.files:
            blob = blobs.get(relpath)
            if blob is not None:
                tokens[relpath] = blob
                continue
            stat = stats.get(relpath)
            if stat is not None:
                tokens[relpath] = cache.key_from_stat(relpath, stat)
            else:
                tokens[relpath] = self.read[relpath] = _content_key_of(root, relpath)
        return tokens

    def key(self, relpath: str) -> str | None:
        """A file's cache key without reading it; None when only reading it will tell."""
        blob = self.layout.blobs.get(relpath)
        if blob is not None:
            return key_of(relpath, blob)
        stat = self.layout.stats.get(relpath)
        if stat is not None:
            return self.cache.key_from_stat(relpath, stat)
        return self.read.get(relpath)


def _content_key_of(root: Path, relpath: str) -> str:
    try:
        return content_key(relpath, file_layout.read(os.path.join(root, relpath)))
    except OSError:
        return "unreadable"


def run_key(pairs: Iterable[tuple[str, str]], problems: list[Diagnostic]) -> str:
    """What a whole run depends on: every record's path and content, and the stray files."""
    digest = hashlib.sha1()
    for relpath, key in pairs:
        digest.update(f"{relpath}\0{key}\n".encode())
    for problem in problems:
        digest.update(f"{problem.path}\0{problem.code}\n".encode())
    return digest.hexdigest()


def dated_run_key(key: str, dated: bool) -> str:
    """The key a run's result is kept under: a result that read today's date holds for today only."""
    return f"{key}@{clock.date_key()}" if dated else key


@dataclass
class _Cross:
    """Cross-record findings and what they were found over."""

    records: list[Record]  # every loaded record (views or full data, as asked)
    diagnostics: list[Diagnostic]  # the file-level and cross-record findings, sorted
    cross: list[Diagnostic]  # the cross-record findings alone
    counts: dict[str, int]


class _Run:
    """One ``check_repository`` call: the repository's layout, the cache and how to check files."""

    def __init__(self, root: Path, schemas: SchemaSet, cache: Cache | None, jobs: int | None, want_data: bool) -> None:
        self.root, self.schemas, self.cache, self.jobs, self.want_data = root, schemas, cache, jobs, want_data
        self.job = Job(root, schemas, want_data)
        self.layout = file_layout.layout(root, schemas.kinds)
        self.keys = _Keys(self.layout, cache) if cache is not None else None

    # -- files ----------------------------------------------------------------------------------
    def check(self, items: list[tuple[str, str]], want_data: bool) -> list[Outcome]:
        """Check files now, and remember their verdicts (and data) in the cache."""
        job = self.job if want_data == self.want_data else Job(self.root, self.schemas, want_data)
        if self.cache is not None and items:
            self.cache.rule_fields()  # what views hold, kept from an earlier run (before workers start)
        outcomes = check_many(job, items, self.jobs)
        if self.cache is not None:
            for outcome in outcomes:
                if outcome.key:
                    self.cache.remember(outcome.path, self.layout.stat_of(outcome.path), outcome.key, outcome.verdict,
                                        outcome.data)
        return outcomes

    def outcomes(self, targets: list[tuple[str, str]]) -> list[Outcome]:
        """Outcomes in target order: from the cache where the content is known, else checked now."""
        found: dict[str, Outcome] = {}
        pending: list[tuple[str, str]] = []
        cache, keys = self.cache, self.keys
        data_store = cache.data() if (cache is not None and self.want_data) else None
        today = clock.date_key()
        for relpath, kind in targets:
            if cache is not None:
                key = keys.key(relpath)
                verdict = cache.verdict(key)
                # a verdict that read the date holds for its day; full data must be at hand when asked for
                if verdict is not None and (verdict.dated is None or verdict.dated == today) and \
                        (data_store is None or key in data_store or verdict.view is None):
                    found[relpath] = Outcome(relpath, key, verdict, data_store.get(key) if data_store is not None else None)
                    continue
            pending.append((relpath, kind))
        for outcome in self.check(pending, self.want_data):
            found[outcome.path] = outcome
        return [found[relpath] for relpath, _ in targets]

    def cross(self, loaded: list[Outcome], checked: list[Outcome], some: bool) -> _Cross:
        """Cross-record rules over the loaded records, reported for the checked ones."""
        views = [Record(o.kind, o.path, o.view, o.verdict.valid) for o in loaded if o.view is not None]
        diagnostics = list(self.layout.problems)
        for outcome in loaded:
            diagnostics.extend(outcome.diagnostics)
        index = Index.build(views, self.layout.ids_from_names())
        if some:
            index.duplicates = []  # reported from file names
            index.complete = False  # some files and what they refer to: not every record is loaded
        checked_paths = {o.path for o in checked}
        cross = cross_check(self.root, [v for v in views if v.path in checked_paths], index, self.schemas)
        diagnostics.extend(cross)
        diagnostics.sort(key=sort_key)
        if self.want_data:
            records = [Record(o.kind, o.path, o.data, o.verdict.valid) for o in loaded if o.data is not None]
        else:
            records = views
        counts = dict(Counter(o.kind for o in loaded if o.view is not None))
        return _Cross(records, diagnostics, cross, counts)

    # -- the whole repository ---------------------------------------------------------------------
    def whole(self) -> RunResult:
        cache = self.cache
        if cache is None:
            outcomes = self.outcomes(self.layout.files)
            return _result(self.cross(outcomes, outcomes, some=False), len(outcomes))
        reads = clock.reads
        tokens = self.keys.tokens(self.root)
        key = None
        if self.layout.listing_digest is not None:
            # git vouches for most files: the listing identifies them; the rest were read and hashed
            key = run_key(self.keys.read.items(), self.layout.problems) + self.layout.listing_digest.hex()
        elif all(tokens.values()):
            key = run_key(tokens.items(), self.layout.problems)
        if key is not None:
            answered = self.from_last_run(key)
            if answered is not None:
                return answered
        if not self.want_data:
            answered = self.recheck(tokens, key)
            if answered is not None:
                return answered
        outcomes = self.outcomes(self.layout.files)
        found = self.cross(outcomes, outcomes, some=False)
        result = _result(found, len(outcomes))
        cache.keep_only({o.key for o in outcomes if o.key})
        if self.layout.listing_digest is None:
            cache.forget_missing({relpath for relpath, _ in self.layout.files})
        if key is None:
            key = run_key(((outcome.path, outcome.key) for outcome in outcomes), self.layout.problems)
        summary = _summary(result)
        dated = clock.reads != reads or any(outcome.verdict.dated for outcome in outcomes)
        cache.set_last_run(dated_run_key(key, dated), summary)
        cache.set_state(incremental.state_of(outcomes, tokens, found.cross, summary.plain(), self.schemas))
        cache.save()
        return result

    def from_last_run(self, key: str) -> RunResult | None:
        """The last whole run's result, when it ran on the same inputs (and, when it read the date, today)."""
        summary = self.cache.last_run(key, dated_run_key(key, True))
        if summary is None:
            return None
        internal = sum(d.code == "internal-error" for d in summary.diagnostics)
        if not self.want_data:
            return RunResult([], summary.diagnostics, summary.files, internal, summary.counts)
        records = self.cached_records()
        if records is None:
            return None
        return RunResult(records, summary.diagnostics, summary.files, internal, summary.counts)

    def cached_records(self) -> list[Record] | None:
        """Every record with its data from the cache, or None when something is missing (or was
        checked against another day's date)."""
        cache, keys = self.cache, self.keys
        data = cache.data()
        today = clock.date_key()
        records = []
        for relpath, _ in self.layout.files:
            key = keys.key(relpath)
            verdict = cache.verdict(key)
            if verdict is None or (verdict.dated is not None and verdict.dated != today):
                return None
            if verdict.view is None:
                continue
            value = data.get(key)
            if value is None:
                return None
            records.append(Record(verdict.kind, relpath, value, verdict.valid))
        return records

    def recheck(self, tokens: dict[str, str | None], key: str | None) -> RunResult | None:
        """After a small change: check again only what it can affect (see :mod:`.incremental`)."""
        cache = self.cache
        reads = clock.reads
        done = incremental.recheck(
            self.layout.files, tokens, self.layout.problems, cache.state(),
            lambda items: self.check(items, False),
            lambda records, index: cross_check(self.root, records, index, self.schemas),
            self.schemas, clock.date_key())
        if done is None:
            return None
        diagnostics, counts, outcomes, state = done
        result = RunResult([], diagnostics, len(self.layout.files), sum(d.code == "internal-error" for d in diagnostics), counts)
        summary = _summary(result)
        state["payload"] = summary.plain()
        if key is None:
            key = run_key(((relpath, tokens.get(relpath) or outcomes[relpath].key) for relpath, _ in self.layout.files),
                          self.layout.problems)
        cache.set_last_run(dated_run_key(key, clock.reads != reads or bool(state["dated"])), summary)
        cache.set_state(state)
        cache.save()
        return result

    # -- some files -------------------------------------------------------------------------------
    def some(self, wanted: list[str]) -> RunResult:
        """The given files, with the records they refer to loaded (and checked) too."""
        kinds = dict(self.layout.files)
        problems = self.layout.problems
        refused = {d.path for d in problems}  # stray, special or undecodable files: reported already
        for relpath in wanted:
            if relpath not in kinds and relpath not in refused and visible(relpath) not in refused:
                shown = visible(relpath)
                problems.append(Diagnostic(shown, 1, 1, "not-a-record-file", f"{shown} 不是仓库中的记录文件（应在 {RECORDS}/<种类>/ 下，扩展名 {EXTENSION}）"))
        targets = [(p, kinds[p]) for p in wanted if p in kinds]
        outcomes = self.outcomes(targets)
        by_stem: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for entry in self.layout.files:
            by_stem[stem(entry[0])].append(entry)
        done = {relpath for relpath, _ in targets}
        referenced = []
        for outcome in outcomes:
            if outcome.view is not None:
                for ident in referenced_ids(Record(outcome.kind, outcome.path, outcome.view), self.schemas):
                    for entry in by_stem.get(ident, ()):
                        if entry[0] not in done:
                            done.add(entry[0])
                            referenced.append(entry)
        more = self.outcomes(referenced)
        targets_set = {relpath for relpath, _ in targets}
        for ident, places in by_stem.items():
            if len(places) > 1 and any(p[0] in targets_set for p in places):
                first = places[0][0]
                for entry in places[1:]:
                    problems.append(Diagnostic(entry[0], 1, 1, "duplicate-id", f"编号 {ident} 重复：{first} 已使用这个编号；请用 yibao new 生成新编号"))
        result = _result(self.cross(outcomes + more, outcomes, some=True), len(outcomes))
        if self.cache is not None:
            self.cache.save()
        return result


def _result(found: _Cross, files: int) -> RunResult:
    internal = sum(d.code == "internal-error" for d in found.diagnostics)
    return RunResult(found.records, found.diagnostics, files, internal, found.counts)


def _summary(result: RunResult) -> Summary:
    return Summary(result.diagnostics, result.files, result.counts)
