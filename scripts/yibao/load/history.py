"""The audit trail: every version of every record, read from git in one pass.

One ``git log`` over the whole history (``--raw -z --no-abbrev -M -c``) names, for each commit,
the record files it added, changed, renamed or deleted together with the blob ids before and
after. The blobs are then read in one batch, one ``git cat-file --batch`` process started through
gitpython's command runner, and parsed with the strict loader as they come. Nothing here calls git
once per file.

A version belongs to the commit that produced it (author, date, message). Its pull request is
read from the commit's own subject (``… (#12)`` for squash merges) or from the merge commit that
brought it into the main line (``Merge pull request #12 from …``, ``See merge request g/p!12``);
each commit is assigned to its merge by one walk over the first-parent chain.

Field-level changes compare a version with the blob its commit replaced (the raw line's "before"
blob), so they are exact even when branches interleave.

Nothing read here has been judged by ``yibao validate``: old versions, commit messages and names
may hold personal data that was committed and removed again. A caller that publishes hands in a
``gate`` (see :class:`yibao.check.publishable.Gate`): every commit's names and message and every
version read from git pass through it before anything else sees them.

A shallow clone lacks the old commits: it is refused with ``error[shallow-clone]`` rather than
showing a history that silently starts in the middle.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from . import strict_yaml
from .git_tree import GitError, GitUnavailable, Repository, log_markers, printable, raw_entries
from ..core.record import EXTENSION, RECORDS

ZERO = "0" * 40


def _log_format(rs: str, us: str, gs: str) -> str:
    return f"--format={rs}%H{us}%P{us}%an{us}%aI{us}%cn{us}%cI{us}%B{gs}"
_PR_PATTERNS = (
    re.compile(r"^Merge pull request #(\d+)"),  # GitHub merge commit
    re.compile(r"^Merge pull request '.*' \(#(\d+)\)"),  # Gitea / Forgejo
    re.compile(r"\(#(\d+)\)\s*$"),  # squash merge: "Subject (#12)"
)
_MR_PATTERN = re.compile(r"See merge request \S*!(\d+)")  # GitLab merge commit body


class HistoryError(Exception):
    """The git history cannot be read as an audit trail (code + Chinese message)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"error[{code}] {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str
    date: str  # author date, ISO 8601 with offset
    committer: str
    committed: str
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Who approved, as the message's trailers say (``Reviewed-by:``, ``Approved-by:``), names only."""
        found = (m.split("<", 1)[0].strip() for m in _REVIEW_TRAILER.findall(self.message))
        return tuple(dict.fromkeys(name for name in found if name))


_REVIEW_TRAILER = re.compile(r"^(?:Reviewed-by|Approved-by):[ \t]*(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)


def pr_reference(message: str) -> str | None:
    """``#12`` (GitHub/Gitea pull request) or ``!12`` (GitLab merge request), if the message names one."""
    subject = message.split("\n", 1)[0].strip()
    for pattern in _PR_PATTERNS:
        found = pattern.search(subject)
        if found:
            return f"#{found[1]}"
    found = _MR_PATTERN.search(message)
    return f"!{found[1]}" if found else None


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs between two versions. ``MISSING`` marks an absent field."""

    path: tuple
    old: Any
    new: Any


class _Missing:
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def flatten(value: Any, prefix: tuple = ()) -> dict[tuple, Any]:
    """Leaf values by path; lists of mappings are indexed, lists of plain values stay whole."""
    out: dict[tuple, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, prefix + (key,)))
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            out.update(flatten(item, prefix + (index,)))
    else:
        out[prefix] = value
    return out


def field_changes(old: dict | None, new: dict | None) -> list[Change]:
    """What changed from ``old`` to ``new``, field by field, in the new version's order."""
    before = flatten(old or {})
    after = flatten(new or {})
    changes = [Change(path, before.get(path, MISSING), value) for path, value in after.items()
               if path not in before or not _same(before[path], value)]
    changes += [Change(path, value, MISSING) for path, value in before.items() if path not in after]
    return changes


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@dataclass(frozen=True, slots=True)
class Parsed:
    data: dict | None
    problems: tuple[str, ...] = ()


@dataclass(slots=True)
class Version:
    """One version of one record file: what a commit made of it."""

    commit: Commit
    path: str  # the file's path in this version (repository-root relative)
    status: str  # A added, M modified, R renamed, D deleted
    blob: str
    before_blob: str  # the blob this commit replaced (ZERO when added)
    before_path: str
    merge: Commit | None = None  # the merge commit that brought this commit into the main line
    history: "History | None" = field(default=None, repr=False)

    @property
    def pr(self) -> str | None:
        own = pr_reference(self.commit.message)
        if own:
            return own
        return pr_reference(self.merge.message) if self.merge else None

    @property
    def parsed(self) -> Parsed:
        return self.history.parsed(self.blob) if self.history else Parsed(None)

    @property
    def before(self) -> Parsed:
        return self.history.parsed(self.before_blob) if self.history else Parsed(None)

    def changes(self, redact: Callable[[dict], dict] | None = None) -> list[Change]:
        """Field-level changes against the replaced version; ``redact`` drops what must not show."""
        old, new = self.before.data, self.parsed.data
        if redact is not None:
            old = redact(old) if old is not None else None
            new = redact(new) if new is not None else None
        return field_changes(old, new)


@dataclass
class History:
    """All versions of all record files, oldest first, keyed by the file's current path."""

    root_prefix: str  # the records repository's path inside the git work tree ('' or 'sub/dir/')
    commits: list[Commit]  # newest first, every commit reachable from HEAD
    versions: dict[str, list[Version]]
    blobs: dict[str, Parsed] = field(default_factory=dict)
    touched: dict[str, list[Version]] = field(default_factory=dict)  # commit sha -> its versions
    head: str | None = None

    def of(self, relpath: str) -> list[Version]:
        return self.versions.get(relpath, [])

    def parsed(self, blob: str) -> Parsed:
        if blob == ZERO:
            return Parsed(None)
        return self.blobs.get(blob, Parsed(None, ("无法读取该版本",)))

    def changed_by(self, sha: str) -> list[Version]:
        return self.touched.get(sha, [])

    def record_commits(self) -> list[Commit]:
        """Commits that changed at least one record, newest first."""
        return [c for c in self.commits if c.sha in self.touched]


# -- reading git -----------------------------------------------------------------------------------

def _open(root: Path) -> Repository:
    try:
        return Repository(root)
    except GitUnavailable as error:
        if error.code == "not-a-git-repo":
            raise HistoryError(error.code, f"{root} 不是 git 仓库，无法从 git 历史生成审计记录；请在记录仓库的克隆中运行") from None
        raise HistoryError(error.code, error.message) from None


class HistoryGate(Protocol):
    """What a publishing caller lets through of text that was never validated."""

    def text(self, value: str) -> str: ...

    def version(self, text: str | None, data: dict | None, problems: tuple[str, ...]) -> tuple[dict | None, tuple[str, ...]]: ...


def read_history(root: Path, records_dir: str = RECORDS, known: dict[str, dict] | None = None,
                 gate: HistoryGate | None = None) -> History:
    """Read the whole history of ``records/`` with one ``git log`` and one blob batch.

    ``known`` maps blob ids to data the caller already loaded from identical bytes (the work tree's
    files, checked just before): those blobs are neither read nor parsed again. ``gate`` filters
    every commit's text and every version read from git (see the module's docstring).
    """
    return start_history(root, records_dir).finish(known, gate)


def start_history(root: Path, records_dir: str = RECORDS) -> "PendingHistory":
    """Start the one ``git log`` now; :meth:`PendingHistory.finish` reads it (git works meanwhile).

    On a large repository git spends seconds comparing trees; a caller with other work to do (the
    portal checks records and computes the report) lets it run in the background.
    """
    return PendingHistory(root, records_dir)


class PendingHistory:
    """A ``git log`` under way (git's runner waits for it in a thread), then the history made from it.

    A repository that cannot give a history (not git, shallow) is reported by :meth:`finish`, so
    that starting early changes nothing in what a caller reports first.
    """

    def __init__(self, root: Path, records_dir: str = RECORDS):
        self.error: HistoryError | None = None
        self.head: str | None = None
        try:
            self._start(root, records_dir)
        except HistoryError as error:
            self.error = error
        except GitError as error:  # a git command that failed (a broken repository)
            self.error = HistoryError("git-failed", f"无法读取 git 历史：{error}")

    def _start(self, root: Path, records_dir: str) -> None:
        self.repo = repo = _open(root)
        if repo.is_shallow():
            raise HistoryError(
                "shallow-clone",
                "这是浅克隆（shallow clone），缺少早期提交，审计记录会不完整；请先运行 git fetch --unshallow 取回完整历史"
                "（GitHub Actions 的 actions/checkout 请设置 fetch-depth: 0）",
            )
        self.prefix = repo.prefix
        self.wanted = self.prefix + records_dir + "/"
        self.head = repo.head()
        if self.head is None:  # no commit yet
            return
        # the whole history, not a pathspec: path limiting would rewrite parents and hide merges
        self.markers = log_markers()
        self.log = repo.start("log", self.head, "--topo-order", "--reverse", "-z", "--raw", "--no-abbrev", "-M", "-c",
                              "--no-ext-diff", _log_format(*self.markers))

    def finish(self, known: dict[str, dict] | None = None, gate: HistoryGate | None = None) -> History:
        if self.error is not None:
            raise self.error
        if self.head is None:
            return History(self.prefix, [], {}, head=None)
        try:
            out = self.log.result()
        except GitError as error:
            raise HistoryError("git-failed", f"无法读取 git 历史：{error}") from None
        commits, entries = _parse_log(out.decode("utf-8", "surrogateescape"), self.wanted, gate, self.markers)
        merges = _merge_of(commits, self.head)
        history = _assemble(commits, entries, merges, self.prefix)
        history.head = self.head
        _read_blobs(self.repo, history, known or {}, gate)
        return history


def _parse_log(raw: str, wanted: str, gate: HistoryGate | None,
               markers: tuple[str, str, str]) -> tuple[list[Commit], dict[str, list[tuple]]]:
    """Commits (oldest first) and, per commit, its raw entries for record files."""
    _RS, _US, _GS = markers
    shown = gate.text if gate is not None else _as_is
    commits: list[Commit] = []
    entries: dict[str, list[tuple]] = {}
    for chunk in raw.split(_RS):
        if not chunk.strip("\0\n"):
            continue
        header, _, tail = chunk.partition(_GS)
        sha, parents, author, date, committer, committed, message = header.split(_US, 6)
        commit = Commit(sha, tuple(parents.split()), shown(printable(author)), date, shown(printable(committer)), committed,
                        shown(printable(message.strip())))
        commits.append(commit)
        found = [e[1:] for e in raw_entries(tail) if _is_record(e[-1], wanted) or _is_record(e[-2], wanted)]
        if found:
            entries[sha] = found
    return commits, entries


def _as_is(value: str) -> str:
    return value


def _is_record(path: str | None, wanted: str) -> bool:
    return bool(path) and path.startswith(wanted) and path.endswith(EXTENSION)


def _merge_of(commits: list[Commit], head: str) -> dict[str, Commit]:
    """For each commit that reached the main line through a merge, that merge commit."""
    by_sha = {c.sha: c for c in commits}
    chain = []
    sha: str | None = head
    while sha in by_sha:
        chain.append(by_sha[sha])
        parents = by_sha[sha].parents
        sha = parents[0] if parents else None
    merges: dict[str, Commit] = {}
    seen: set[str] = set()
    for main in reversed(chain):  # oldest first: everything behind the previous main commit is seen
        if main.is_merge:
            stack = [p for p in main.parents[1:] if p not in seen]
            while stack:
                sha = stack.pop()
                if sha in seen or sha not in by_sha:
                    continue
                seen.add(sha)
                merges[sha] = main
                stack.extend(p for p in by_sha[sha].parents if p not in seen)
        seen.add(main.sha)
    return merges


def _assemble(commits: list[Commit], entries: dict[str, list[tuple]], merges: dict[str, Commit], prefix: str) -> History:
    """Follow each file through renames, oldest commit first, keyed by its latest path."""
    history = History(prefix, list(reversed(commits)), {})
    lines: dict[str, list[Version]] = {}
    strip = len(prefix)
    for commit in commits:
        for status, before, after, before_path, path in entries.get(commit.sha, ()):
            path, before_path = path[strip:], before_path[strip:]
            version = Version(commit, path, status, after if status != "D" else ZERO, before, before_path,
                              merges.get(commit.sha), history)
            if status == "R" and before_path in lines:
                lines[path] = lines.pop(before_path) + [version]
            else:
                lines.setdefault(path, []).append(version)
            history.touched.setdefault(commit.sha, []).append(version)
    history.versions = lines
    return history


def _read_blobs(repo: Repository, history: History, known: dict[str, dict], gate: HistoryGate | None = None) -> None:
    """Read every distinct blob once — one ``git cat-file --batch`` fed all ids — and parse it as it comes."""
    wanted: dict[str, None] = {}
    for versions in history.versions.values():
        for v in versions:
            for blob in (v.blob, v.before_blob):
                if blob in known:
                    history.blobs[blob] = Parsed(known[blob])
                elif blob != ZERO:
                    wanted[blob] = None
    if not wanted:
        return
    for blob, data in repo.blobs(wanted):
        if data is None:
            history.blobs[blob] = Parsed(None, ("无法读取该版本（git 对象缺失）",))
            continue
        value, found, text = strict_yaml.load_bytes(data)  # refuses with reasons, never raises
        problems = tuple(p.message for p in found)
        if gate is not None:
            value, problems = gate.version(text, value, problems)
        history.blobs[blob] = Parsed(value, problems)
