"""Re-checking only what a small change can affect.

A whole-repository run leaves in the cache, beside its result, a picture of the repository for
the cross-record rules (:func:`state_of`): each file's content token (git blob id or content
key), the IDs that differ from file names, each record's view for cross-record rules (the same
view a whole run hands them, :func:`~yibao.check.references.cross_view`: whatever field a rule
reads of a record it looks up, the state has it, with no list of such fields to keep), which IDs
each file refers to (its fields that refer to other kinds, from the schemas' ``$ref``s:
:attr:`~yibao.core.schemas.SchemaSet.relations`), and which files had cross-record findings. When some files changed since, :func:`recheck` checks again only:

- the changed and added files (every file-level check);
- the files that refer to an ID that was changed, added or removed, since their cross-record
  rules read that record (or its absence);
- the files that had cross-record findings last time (an unresolved reference's hint depends on
  every ID of its kind);
- the files whose rules read every record of a kind (:data:`~yibao.check.references.READS_EVERY`:
  a contract counts the institutions in its scope) when an old or new version of a changed file
  of that kind can matter to them;
- the files whose verdict compared with another day's date (``check.clock``);

keeps every other file's diagnostics from the last run, and finds duplicate IDs again over all
files. The result equals a whole run's; ``tests/test_incremental.py`` compares the two on random
edits. Anything unexpected (no state, a damaged state, many changes) falls back to a whole run.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from itertools import groupby
from typing import Any, Callable

from ..check.references import READS_EVERY, referenced_ids
from ..core.diagnostics import Diagnostic, sort_key
from ..core.record import EXTENSION, Record, stem
from ..core.schemas import SchemaSet

LIMIT = 1000  # more files to check again than this: a whole run costs about the same
DUPLICATE = "duplicate-id"
VERSION = 4  # of the state's layout; another version is not read


def state_of(outcomes: list, tokens: dict[str, str | None], cross: list[Diagnostic], payload: tuple,
             schemas: SchemaSet) -> dict[str, Any]:
    """The picture of the repository a later run starts from (plain data, for marshal)."""
    ids: dict[str, str | None] = {}
    unloaded: list[str] = []
    views: dict[str, dict] = {}
    refs: dict[str, tuple[str, ...]] = {}
    cut = -len(EXTENSION)
    for outcome in outcomes:  # ~100k after a whole run: kept tight
        view, relpath = outcome.view, outcome.path
        if view is None:
            unloaded.append(relpath)
            ids[relpath] = None
            continue
        ident = view.get("id")
        if type(ident) is not str:
            ident = None
        if ident != relpath[relpath.rfind("/") + 1:cut]:
            ids[relpath] = ident
        views[relpath] = view
        found = referenced_ids(Record(outcome.kind, relpath, view), schemas)
        if found:
            refs[relpath] = tuple(found)
    had_cross = sorted({d.path for d in cross if d.code != DUPLICATE})
    dated = {o.path: o.verdict.dated for o in outcomes if o.verdict.dated}  # verdicts that hold for that day only
    return {"version": VERSION, "tokens": {o.path: tokens.get(o.path) or o.key for o in outcomes}, "ids": ids,
            "unloaded": unloaded, "views": views, "refs": refs, "cross": had_cross, "dated": dated, "payload": payload}


class StateIndex:
    """The :class:`~yibao.check.references.Index` interface over the last run's picture plus the
    files checked now: the same answers a whole run's index gives."""

    complete = True

    def __init__(self, files: list[tuple[str, str]], state: dict, fresh: dict[str, Record | None]) -> None:
        self.state, self.fresh = state, fresh
        self.memo: dict = {}
        # ~100k files: built with list and dict operations that run in C, not a Python loop per file
        paths = [relpath for relpath, _ in files]
        kinds = [kind for _, kind in files]
        cut = -len(EXTENSION)
        names = [relpath[relpath.rfind("/") + 1:cut] for relpath in paths]
        ids: list[str | None] = list(names)  # an ID equals its file name, except where noted
        position = dict(zip(paths, range(len(paths))))
        for relpath, ident in state["ids"].items():
            if relpath in position and relpath not in fresh:
                ids[position[relpath]] = ident
        for relpath, record in fresh.items():
            if relpath in position:
                ids[position[relpath]] = record.id if record is not None else None
        self.kind_of: dict[str, str] = dict(zip(paths, kinds))
        first = dict(zip(reversed(ids), reversed(paths)))  # the earliest file wins
        first.pop(None, None)
        self.first: dict[str, str] = first
        self.duplicates: list[tuple[Record, Record]] = []
        if len(first) < sum(ident is not None for ident in ids):
            for relpath, kind, ident in zip(paths, kinds, ids):
                if ident is not None and first[ident] != relpath:
                    earlier = first[ident]
                    self.duplicates.append((Record(kind, relpath, {"id": ident}),
                                            Record(self.kind_of[earlier], earlier, {"id": ident})))
        # a record that exists but does not load is not "missing": file names count as known IDs
        self.known_ids: dict[str, set[str]] = defaultdict(set)
        start = 0
        for kind, block in groupby(kinds):
            size = sum(1 for _ in block)
            self.known_ids[kind].update(names[start:start + size])
            start += size
        for index in {position[p] for p in (*state["ids"], *fresh) if p in position}:
            ident = ids[index]
            if ident is not None and first.get(ident) == paths[index]:
                self.known_ids[kinds[index]].add(ident)

    def get(self, kind: str, ident: str) -> Record | None:
        if not isinstance(ident, str):
            return None
        relpath = self.first.get(ident)
        if relpath is None or self.kind_of[relpath] != kind:
            return None
        record = self.fresh.get(relpath)
        if record is not None:
            return record
        return Record(kind, relpath, self.state["views"].get(relpath, {"id": ident}))

    def exists(self, kind: str, ident: str) -> bool:
        return ident in self.known_ids.get(kind, ())

    def records_of(self, kind: str) -> list[Record]:
        """Every loaded record of a kind, the first of records with the same ID (as ``Index``)."""
        unloaded = set(self.state["unloaded"])
        views, fresh, kind_of = self.state["views"], self.fresh, self.kind_of
        out = []
        for ident, relpath in self.first.items():
            if kind_of[relpath] != kind or relpath in unloaded:
                continue
            record = fresh[relpath] if relpath in fresh else Record(kind, relpath, views.get(relpath, {"id": ident}))
            if record is not None and record.id is not None:
                out.append(record)
        return out


def recheck(files: list[tuple[str, str]], tokens: dict[str, str | None], layout: list[Diagnostic],
            state: Any, check: Callable, cross_check: Callable, schemas: SchemaSet, today: str = ""):
    """(diagnostics, counts, outcomes of the files checked again, next state): the whole run's
    result from the last state and the files checked again, or None (do a whole run).
    ``check(items)`` checks files (as ``speed.pool.check_many``); ``cross_check(records, index)`` runs
    the cross-record rules on the given records; a file whose verdict read a date other than
    ``today`` (``clock.date_key()``) counts as changed."""
    if not isinstance(state, dict) or state.get("version") != VERSION:
        return None
    try:
        old_tokens: dict = state["tokens"]
        old_ids: dict = state["ids"]
        refs: dict = state["refs"]
        had_cross: list = state["cross"]
        dated: dict = state["dated"]
        old_diags, _, _ = state["payload"]
    except (KeyError, TypeError, ValueError):
        return None
    shapes = ((old_tokens, dict), (old_ids, dict), (refs, dict), (had_cross, list), (state.get("views"), dict),
              (state.get("unloaded"), list), (old_diags, tuple), (dated, dict))
    if not all(isinstance(value, kind) for value, kind in shapes) or not all(len(d) == 7 for d in old_diags):
        return None  # written by us atomically, so only a damaged or foreign file gets here
    kinds: dict[str, str] = {}
    changed: list[str] = []
    stale: list[str] = []  # same content, but its verdict compared with another day's date
    for relpath, kind in files:  # ~100k files: one pass
        kinds[relpath] = kind
        token = tokens.get(relpath)
        if token is None or old_tokens.get(relpath) != token:
            changed.append(relpath)
        elif dated and dated.get(relpath, today) != today:
            stale.append(relpath)
    removed = [relpath for relpath in old_tokens if relpath not in kinds]
    if len(changed) + len(removed) + len(stale) > LIMIT:
        return None
    outcomes = {o.path: o for o in check([(relpath, kinds[relpath]) for relpath in changed + stale])}
    touched: set[str] = set()
    for relpath in (*changed, *removed):
        touched.add(stem(relpath))
        old = old_ids.get(relpath, stem(relpath)) if relpath in old_tokens else None
        if old is not None:
            touched.add(old)
        view = outcomes[relpath].view if relpath in outcomes else None
        if view is not None and isinstance(view.get("id"), str):
            touched.add(view["id"])
    again = set(changed) | set(stale)  # a stale file's ID and fields are as before: no one else to recheck
    again.update(p for p, ids in refs.items() if p in kinds and not touched.isdisjoint(ids))
    again.update(p for p in had_cross if p in kinds)
    again.update(_readers_of_every(kinds, changed, removed, touched, outcomes, state))
    if len(again) > LIMIT:
        return None
    outcomes.update((o.path, o) for o in check([(p, kinds[p]) for p in sorted(again) if p not in outcomes]))
    fresh = {p: (Record(o.kind, p, o.view, o.verdict.valid) if o.view is not None else None) for p, o in outcomes.items()}
    index = StateIndex(files, state, fresh)
    ordered = [outcomes[p] for p in sorted(outcomes)]  # the order of ``files``: sorted by path
    cross = cross_check([fresh[o.path] for o in ordered if fresh[o.path] is not None], index)
    diagnostics = [Diagnostic(*d) for d in old_diags if d[0] in kinds and d[0] not in again and d[3] != DUPLICATE]
    for outcome in ordered:
        diagnostics.extend(outcome.diagnostics)
    diagnostics.extend(cross)
    diagnostics.extend(layout)
    diagnostics.sort(key=sort_key)
    state = _next_state(state, tokens, outcomes, cross, removed, schemas)
    unloaded = set(state["unloaded"])
    counts = Counter(kinds.values())
    counts.subtract(kinds[p] for p in unloaded)
    return diagnostics, {k: n for k, n in counts.items() if n > 0}, outcomes, state


def _readers_of_every(kinds: dict[str, str], changed: list[str], removed: list[str], touched: set[str],
                      outcomes: dict, state: dict) -> set[str]:
    """Files whose rules read every record of a kind (``READS_EVERY``) that a change can matter to:
    about the old and new versions of the changed and removed files of that kind, and the
    current version of any other file of that kind with a touched ID (one of records with the same
    ID may count now instead of another)."""
    views: dict = state["views"]
    old_ids: dict = state["ids"]
    out: set[str] = set()
    for reader_kind, read_kind, matters in ((r, k, m) for r, pairs in READS_EVERY.items() for k, m in pairs):
        versions: list[Record] = []
        for relpath in (*changed, *removed):
            if kinds.get(relpath, relpath.split("/")[1] if relpath.count("/") >= 2 else None) != read_kind:
                continue
            if relpath in views:
                versions.append(Record(read_kind, relpath, views[relpath]))
            outcome = outcomes.get(relpath)
            if outcome is not None and outcome.view is not None:
                versions.append(Record(read_kind, relpath, outcome.view))
        if not versions:
            continue
        readers = []
        cut = -len(EXTENSION)
        for relpath, kind in kinds.items():  # ~100k files: one tight pass
            if kind == reader_kind:
                readers.append(relpath)
            elif kind == read_kind and relpath not in outcomes and relpath in views \
                    and old_ids.get(relpath, relpath[relpath.rfind("/") + 1:cut]) in touched:
                versions.append(Record(kind, relpath, views[relpath]))
        for relpath in readers:
            if relpath not in outcomes and matters(Record(reader_kind, relpath, views.get(relpath) or {}), versions):
                out.add(relpath)
    return out


def _next_state(state: dict, tokens, outcomes: dict, cross: list[Diagnostic], removed: list[str], schemas: SchemaSet) -> dict:
    """The last state, brought up to date in place with the files checked again and the files
    removed; its ``payload`` is filled in by the caller."""
    fresh = state_of(list(outcomes.values()), tokens, cross, (), schemas)
    gone = set(removed) | set(outcomes)
    for relpath in removed:
        state["tokens"].pop(relpath, None)
    state["tokens"].update(fresh["tokens"])
    for name in ("ids", "views", "refs", "dated"):
        table = state[name]
        for relpath in gone:
            table.pop(relpath, None)
        table.update(fresh[name])
    for name in ("unloaded", "cross"):  # only the files checked again can have new cross findings
        state[name] = [p for p in state[name] if p not in gone] + fresh[name]
    return state
