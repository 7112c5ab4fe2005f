"""Records as they were at a commit: the trees of two commits and what changed between them.

Everything is read in a few git calls, never one per file: one ``git diff --name-status -M`` for
the changes, one ``git ls-tree -r`` per commit for the files, and blob contents through
GitPython's persistent ``git cat-file --batch`` process. A blob is parsed once, however many
commits share it.
"""
from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

import git

from . import strict_yaml
from .history import log_markers, printable, raw_entries
from ..core.record import EXTENSION, RECORDS, Record, kind_of


REGULAR = "100644"
REGULAR_MODES = frozenset({"100644", "100755"})
_FULL_SHA = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class CommitText:
    """One commit of a range as text to scan: who made it, what it says, the blobs it wrote."""

    sha: str
    author: str
    committer: str
    message: str
    blobs: tuple[tuple[str, str], ...]  # (path, blob id) of every regular file it added or changed

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()


class GitError(Exception):
    """A commit, ref or repository that git cannot find (a usage error for the CLI)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One file that differs between two commits (paths relative to the records repository)."""

    status: str  # "A" added, "M" modified, "D" deleted, "R" renamed, "T" type changed, "C" copied
    path: str  # the path in head (for a deletion: the path in base)
    old_path: str | None = None  # the path in base, when there was one
    new_mode: str = REGULAR  # git's file mode in head ("000000" when deleted)

    @property
    def is_regular_file(self) -> bool:
        """Whether head holds a plain file here (not a symlink, a submodule or nothing)."""
        return self.new_mode in REGULAR_MODES

    @property
    def is_record(self) -> bool:
        return any(p.startswith(RECORDS + "/") and p.endswith(EXTENSION) for p in (self.path, self.old_path) if p)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A file read at a commit: its text and, when it parses, its record."""

    path: str
    text: str | None
    record: Record | None


class GitTrees:
    """Read-only access to the commits of the git repository that holds a records repository."""

    def __init__(self, root: Path):
        try:
            self.repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitError(f"{root} 不是 git 仓库；比较两次提交需要在 git 仓库中运行") from None
        top = Path(self.repo.working_tree_dir).resolve()
        rel = Path(root).resolve().relative_to(top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"
        self._parsed: dict[str, tuple[str | None, dict | None]] = {}

    # -- refs --------------------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """The commit a ref names; a name that several refs share is refused, never guessed.

        git would prefer a tag ``origin/main`` over the remote branch of that name, so whoever can
        push a tag could choose the base a change is judged against. A full commit id is taken as
        it is; a ref name must name exactly one ref.
        """
        if not (len(ref) in (40, 64) and set(ref) <= _FULL_SHA):
            candidates = self.refs_named(ref)
            if len(candidates) > 1:
                raise GitError(f"引用名 {ref} 有歧义，同时指向 {'、'.join(candidates)}；请写完整的引用名（如 refs/remotes/{ref}）或提交号")
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
        except git.GitCommandError:
            raise GitError(f"找不到提交 {ref}；请确认分支名或提交号（CI 中检出时需要 fetch-depth: 0）") from None

    def refs_named(self, name: str) -> list[str]:
        """The refs a short name can mean, in git's order (``git help revisions``)."""
        if name.startswith("refs/") or name in ("HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD"):
            return []
        wanted = [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}", f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"]
        out = self.repo.git.for_each_ref("--format=%(refname)", *wanted)
        present = set(out.split())
        return [w for w in wanted if w in present]

    def merge_base(self, base: str, head: str) -> str:
        try:
            return self.repo.git.merge_base(base, head).strip()
        except git.GitCommandError:
            raise GitError(f"{base} 与 {head} 没有共同的历史；请检出完整历史（fetch-depth: 0）") from None

    def is_checked_out(self, commit: str, paths: tuple[str, ...]) -> bool:
        """Whether the work tree shows exactly ``commit`` for these paths (so it can be read directly)."""
        if self.repo.head.is_valid() and self.repo.head.commit.hexsha == commit:
            status = self.repo.git.status("--porcelain", "--untracked-files=all", "--", *[self.prefix + p for p in paths])
            return not status.strip()
        return False

    # -- changes -----------------------------------------------------------------------------
    def changes(self, base: str, head: str) -> list[Change]:
        """Every file that differs, renames detected, with head's file mode (``git diff --raw -M``)."""
        out = self.repo.git.diff("--raw", "-M", "-z", "--no-abbrev", "--no-color", base, head, "--", self.prefix or ".")
        fields = out.split("\0")
        changes: list[Change] = []
        i = 0
        while i < len(fields) and fields[i]:
            meta = fields[i].lstrip(":").split()
            new_mode, status = meta[1], meta[4][0]
            if status in "RC":
                old, new = self._local(fields[i + 1]), self._local(fields[i + 2])
                changes.append(Change(status, new, old, new_mode))
                i += 3
            else:
                path = self._local(fields[i + 1])
                changes.append(Change(status, path, None if status == "A" else path, new_mode))
                i += 2
        return changes

    def commits(self, base: str, head: str) -> list[CommitText]:
        """Every commit in ``base..head`` (oldest first) with the regular files it wrote (one ``git log``)."""
        rs, us, gs = log_markers()
        out = self.repo.git.log(f"{base}..{head}", "--reverse", "--raw", "-z", "--no-abbrev", "--diff-merges=first-parent",
                                f"--format={rs}%H{us}%an <%ae>{us}%cn <%ce>{us}%B{gs}", stdout_as_string=False)
        text = out.decode("utf-8", "surrogateescape")
        found: list[CommitText] = []
        for chunk in text.split(rs):
            if not chunk.strip("\0\n"):
                continue
            header, _, tail = chunk.partition(gs)
            sha, author, committer, message = header.split(us, 3)
            blobs = {(self._local(printable(path)), blob): None for mode, status, _, blob, _, path in raw_entries(tail)
                     if status != "D" and mode in REGULAR_MODES}
            found.append(CommitText(sha, printable(author), printable(committer), printable(message).strip(), tuple(blobs)))
        return found

    def _local(self, path: str) -> str:
        return path[len(self.prefix):] if self.prefix and path.startswith(self.prefix) else path

    # -- trees and blobs ---------------------------------------------------------------------
    def files(self, commit: str, under: str = RECORDS) -> dict[str, str]:
        """``{path: blob sha}`` of the files under a folder at a commit (one ``git ls-tree``)."""
        out = self.repo.git.ls_tree("-r", "-z", "--full-tree", commit, "--", self.prefix + under)
        found: dict[str, str] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob":
                found[self._local(path)] = sha
        return found

    def read(self, sha: str) -> bytes:
        return self.repo.odb.stream(bytes.fromhex(sha)).read()

    def load(self, path: str, sha: str, kinds: list[str]) -> Loaded:
        """The record in a blob, parsed once per blob (records that fail to parse have no record)."""
        if sha not in self._parsed:
            data, problems, text = strict_yaml.load_bytes(self.read(sha))
            self._parsed[sha] = (text, data if not problems else None)
        text, data = self._parsed[sha]
        kind = kind_of(path, kinds)
        record = Record(kind, path, data) if kind and data is not None else None
        return Loaded(path, text, record)

    def records(self, commit: str, kinds: list[str], under: str = RECORDS) -> list[Record]:
        """Every parseable record file under a folder at a commit."""
        loaded = (self.load(p, sha, kinds) for p, sha in sorted(self.files(commit, under).items()) if p.endswith(EXTENSION))
        return [item.record for item in loaded if item.record is not None]

    def grep(self, commit: str, needles: list[str], under: str = RECORDS) -> list[str]:
        """Files under a folder at a commit whose text contains any of the needles (one ``git grep``)."""
        if not needles:
            return []
        args = ["-l", "-F", "-I"]
        for needle in needles:
            args += ["-e", needle]
        try:
            out = self.repo.git.grep(*args, commit, "--", self.prefix + under)
        except git.GitCommandError as exc:  # exit 1: nothing found
            if exc.status == 1:
                return []
            raise
        prefix = f"{commit}:"
        return sorted(self._local(line[len(prefix):] if line.startswith(prefix) else line) for line in out.splitlines() if line)

    def materialise(self, commit: str, dest: Path, paths: tuple[str, ...]) -> Path:
        """Write the given folders of a commit into ``dest`` (one ``git archive``) and return it."""
        present = [p for p in paths if self.files(commit, p)]
        if present:
            data = self.repo.git.archive("--format=tar", commit, "--", *[self.prefix + p for p in present], stdout_as_string=False)
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(dest, filter="data")
        base = dest / self.prefix if self.prefix else dest
        base.mkdir(parents=True, exist_ok=True)
        return base
