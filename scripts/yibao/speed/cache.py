"""A content-addressed cache of file-level check results (speed only: deleting it changes no result).

An unchanged record is neither parsed nor checked again. The cache lives outside the repository
(``$YIBAO_CACHE_DIR``, else ``$XDG_CACHE_HOME/yibao``, else ``~/.cache/yibao``), one folder per
repository and per *rule set*: the schemas' fingerprint plus a digest of the checking code, so a
changed schema or a changed rule never reuses an old verdict. It is safe to delete at any time.

Keys are the SHA-1 of a file's repository path and its git blob id (the path matters: an ID must
equal its file name). In a git work tree the blob ids come from git itself (``load.worktree``):
files git vouches for are not read at all. Elsewhere file contents are only hashed when their
``stat`` (size, mtime, inode) differs from the last run, as git's index does; entries written
within two seconds of their file's mtime are never trusted by ``stat`` alone ("racy" entries), so
an edit in the same clock tick is still seen.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..check import references
from ..core.diagnostics import Diagnostic
from ..load.worktree import blob_id

_RACY_NS = 2_000_000_000
#: the layout of what this module stores (facts, manifest, last run); another layout is not read
FORMAT = "2"
# file facts are plain data (views made plain on purpose): marshal writes them ten times faster
# than pickle; record data holds Decimal amounts, which only pickle keeps
_SUFFIX = {"facts": ".marshal", "data": ".pickle"}
_CODE_DIGEST: str | None = None


def code_digest() -> str:
    """Digest of every module the checks can run — ``check`` and whatever it imports from the
    package (``core``, ``load``, ...), followed import by import — and the version.

    The set is derived from the code itself, not kept by hand: a check that starts using a helper
    elsewhere in the package (a compute function, say) brings that module into the digest, so a
    change there can never leave a stale verdict in the cache.
    """
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        package = Path(__file__).resolve().parent.parent
        digest = hashlib.sha1(__version__.encode())
        for path in checking_modules(package):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
        _CODE_DIGEST = digest.hexdigest()
    return _CODE_DIGEST


_IMPORT = re.compile(r"^\s*(?:from\s+(\.+)([\w.]*)\s+import\s+([\w, ()]+)|from\s+yibao((?:\.\w+)*)\s+import\s+([\w, ()]+)"
                     r"|import\s+yibao((?:\.\w+)+))", re.M)


def checking_modules(package: Path) -> list[Path]:
    """The package's modules reachable by imports (module level or inside functions) from the checks.

    The caching and planning code (``speed``) is not among them: the checks never import it, and
    what it stores carries its own :data:`FORMAT`."""
    start = list(package.glob("check/*.py"))
    seen: set[Path] = set()
    todo = [p for p in start if p.is_file()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        here = path.relative_to(package).with_suffix("").parts
        folder = here[:-1] if path.name != "__init__.py" else here[:-1]
        for m in _IMPORT.finditer(path.read_text(encoding="utf-8")):
            if m[1] is not None:  # relative: from ..x.y import a, b
                base = list(folder[: len(folder) - (len(m[1]) - 1)]) if len(m[1]) > 1 else list(folder)
                parts, names = base + [p for p in m[2].split(".") if p], m[3]
            elif m[5] is not None:  # from yibao.x import a
                parts, names = [p for p in m[4].split(".") if p], m[5]
            else:  # import yibao.x.y
                parts, names = [p for p in m[6].split(".") if p], ""
            named = [n.split(" as ")[0].strip() for n in names.replace("(", "").replace(")", "").split(",")]
            candidates = [parts] + [parts + [n] for n in named if n]
            for candidate in candidates:
                for found in (package.joinpath(*candidate).with_suffix(".py"), package.joinpath(*candidate, "__init__.py")):
                    if candidate and found.is_file():
                        todo.append(found)
    return sorted(seen)


@dataclass(slots=True)
class Verdict:
    """What checking one file's content said: what the cache keeps by content key."""

    kind: str
    diagnostics: list[Diagnostic]
    view: dict | None  # what cross-record rules read (``check.references.cross_view``); None: did not load
    valid: bool
    dated: str | None = None  # the day the verdict holds for, when a check compared with today

    def plain(self) -> tuple:
        """Plain data, for marshal."""
        return (self.kind, tuple(plain_diagnostic(d) for d in self.diagnostics), self.view, self.valid, self.dated)

    @classmethod
    def from_plain(cls, value: Any) -> "Verdict | None":
        """The verdict stored as :meth:`plain`, or None for a damaged entry (it is simply recomputed)."""
        try:
            kind, diagnostics, view, valid, dated = value
            return cls(kind, [Diagnostic(*d) for d in diagnostics], view, valid, dated)
        except (TypeError, ValueError):
            return None


def plain_diagnostic(d: Diagnostic) -> tuple:
    return (d.path, d.line, d.col, d.code, d.message, d.severity, d.field)


@dataclass(slots=True)
class Summary:
    """A whole run's result as the cache keeps it, under the key of what the run depended on."""

    diagnostics: list[Diagnostic]
    files: int
    counts: dict[str, int]

    def plain(self) -> tuple:
        return (tuple(plain_diagnostic(d) for d in self.diagnostics), self.files, self.counts)

    @classmethod
    def from_plain(cls, value: Any) -> "Summary | None":
        try:
            diagnostics, files, counts = value
            return cls([Diagnostic(*d) for d in diagnostics], files, dict(counts))
        except (TypeError, ValueError):
            return None


def default_dir() -> Path:
    if os.environ.get("YIBAO_CACHE_DIR"):
        return Path(os.environ["YIBAO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yibao"


def key_of(relpath: str, blob: str) -> str:
    """Cache key of a file: its repository path (an ID must equal its file name) and git blob id."""
    return hashlib.sha1(f"{relpath}\0{blob}".encode()).hexdigest()


def content_key(relpath: str, data: bytes) -> str:
    return key_of(relpath, blob_id(data))


class Cache:
    """Per rule set: the stat manifest, file facts and full record data (each a base file plus a
    journal of recent additions), and the last whole run's result."""

    def __init__(self, repo_root: Path, fingerprint: str, base: Path | None = None) -> None:
        base = base or default_dir()
        repo_key = hashlib.sha1(str(repo_root.resolve()).encode()).hexdigest()[:16]
        # the fields cross-record rules read decide what a stored view holds (check.references.view_spec):
        # they follow from the rules registered and their code, both in the key
        rule_set = fingerprint + code_digest() + FORMAT + references.rule_set_digest()
        self.dir = base / repo_key / hashlib.sha1(rule_set.encode()).hexdigest()[:16]
        self.manifest: dict[str, tuple[int, int, int, int, str]] = self._read_marshal("manifest")
        self._facts: dict[str, tuple] | None = None
        self._data: dict[str, Any] | None = None
        self._added: dict[str, dict[str, Any]] = {"facts": {}, "data": {}}
        self._keep: set[str] | None = None
        self._last: dict | None = None
        self._state: dict | None = None
        self.dirty = False

    def rule_fields(self) -> None:
        """Work out the fields cross-record rules read once per rule set and keep them with the cache."""
        stored = self._read_marshal("fields").get("fields")
        if isinstance(stored, (list, tuple)) and all(isinstance(f, str) for f in stored):
            references.remember_rule_fields(frozenset(stored))
            return
        fields = references.rule_fields()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._write("fields.marshal", marshal.dumps({"fields": sorted(fields)}))
        except OSError:
            pass  # a read-only cache only costs the work again next time

    # -- reading ------------------------------------------------------------------------------
    def _read_marshal(self, name: str) -> dict:
        try:
            with open(self.dir / f"{name}.marshal", "rb") as handle:
                value = marshal.loads(handle.read())  # load(file) reads object by object: far slower
            return value if isinstance(value, dict) else {}
        except (OSError, EOFError, ValueError, TypeError):
            return {}

    @property
    def facts(self) -> dict[str, tuple]:
        """File facts by content key, read on first use (a run where nothing changed never needs them)."""
        if self._facts is None:
            self._facts = self._read_store("facts")
        return self._facts

    def verdict(self, key: str | None) -> Verdict | None:
        """The verdict kept for a content key (None: unknown, or a damaged entry)."""
        if key is None:
            return None
        value = self.facts.get(key)
        return Verdict.from_plain(value) if value is not None else None

    def key_from_stat(self, relpath: str, stat: os.stat_result) -> str | None:
        entry = self.manifest.get(relpath)
        if (entry and len(entry) == 5 and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns
                and entry[2] == stat.st_ctime_ns and entry[3] == stat.st_ino):
            return entry[4]
        return None

    def _read_file(self, name: str) -> dict:
        """One store file (``facts*``: marshal, plain data only; ``data*``: pickle, it holds Decimals)."""
        suffix = _SUFFIX[name.split("-")[0]]
        try:
            with open(self.dir / f"{name}{suffix}", "rb") as handle:
                raw = handle.read()
            value = marshal.loads(raw) if suffix == ".marshal" else pickle.loads(raw)
            return value if isinstance(value, dict) else {}
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError, ImportError, IndexError):
            return {}

    def _read_store(self, name: str) -> dict:
        """A store is a base file plus a small journal of what later runs added."""
        store = self._read_file(name)
        store.update(self._read_file(f"{name}-new"))
        return store

    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._read_store("data")
        return self._data

    # -- writing ------------------------------------------------------------------------------
    def remember(self, relpath: str, stat: os.stat_result | None, key: str, verdict: Verdict, data: Any = None) -> None:
        """Keep a file's verdict (and data) by content key; with its ``stat``, the manifest entry too."""
        facts = verdict.plain()
        now = time.time_ns()
        if stat is not None:
            racy = now - max(stat.st_mtime_ns, stat.st_ctime_ns) < _RACY_NS
            self.manifest[relpath] = (-1 if racy else stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, key)
        if self._facts is not None:  # a store not read yet is not read for this: the journal takes it
            self._facts[key] = facts
        self._added["facts"][key] = facts
        if data is not None:
            if self._data is not None:
                self._data[key] = data
            self._added["data"][key] = data
        self.dirty = True

    def forget_missing(self, present: set[str]) -> None:
        stale = [p for p in self.manifest if p not in present]
        for relpath in stale:
            del self.manifest[relpath]
        if stale:
            self.dirty = True

    def last_run(self, *run_keys: str) -> Summary | None:
        """The last whole run's result, when it was kept under one of these run keys."""
        value = self._read_marshal("last").get("run")
        if not (isinstance(value, tuple) and len(value) == 2 and value[0] in run_keys):
            return None
        return Summary.from_plain(value[1])

    def set_last_run(self, run_key: str, summary: Summary) -> None:
        self._last = {"run": (run_key, summary.plain())}
        self.dirty = True

    def state(self) -> Any:
        """The last whole run's picture of the repository, as plain data (see ``speed.incremental``), or None."""
        return self._read_marshal("state").get("state")

    def set_state(self, state: dict) -> None:
        self._state = {"state": state}
        self.dirty = True

    def keep_only(self, keys: set[str]) -> None:
        """After a run over the whole repository: entries for other contents may go (at compaction)."""
        self._keep = keys
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._write("manifest.marshal", marshal.dumps(self.manifest))
            self._save_store("facts", self._facts)
            self._save_store("data", self._data)
            if self._last is not None:
                self._write("last.marshal", marshal.dumps(self._last))
            if self._state is not None:
                self._write("state.marshal", marshal.dumps(self._state))
        except (OSError, ValueError):
            pass  # a cache that cannot be written only costs time
        self.dirty = False

    def _save_store(self, name: str, store: dict | None) -> None:
        """A few new entries go to the journal; the base is rewritten (and pruned) only when the
        journal has grown to a tenth of it, so a run after a small change writes little."""
        added = self._added[name]
        if store is None:  # not read in this run: what it added goes to the journal
            if added:
                journal = self._read_file(f"{name}-new")
                journal.update(added)
                self._write_store(f"{name}-new", journal)
                added.clear()
            return
        journal = self._read_file(f"{name}-new") if added else {}
        journal.update(added)
        base_size = len(store) - len(journal)
        if journal and len(journal) * 10 < base_size:
            self._write_store(f"{name}-new", journal)
        elif added or self._keep is not None and len(store) > len(self._keep) * 1.1:
            if self._keep is not None:
                store = {k: v for k, v in store.items() if k in self._keep}
            self._write_store(name, store)
            try:
                os.unlink(self.dir / f"{name}-new{_SUFFIX[name]}")
            except FileNotFoundError:
                pass
        added.clear()

    def _write_store(self, name: str, store: dict) -> None:
        suffix = _SUFFIX[name.split("-")[0]]
        payload = marshal.dumps(store) if suffix == ".marshal" else pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL)
        self._write(f"{name}{suffix}", payload)

    def _write(self, name: str, payload: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, self.dir / name)
