"""The one git layer: every git call yibao makes, and records as they were at a commit.

All of it goes through gitpython (the package the design names), in two ways only:

* commands whose output is parsed run through gitpython's command runner (``Git.execute``); the
  output is taken as bytes, NUL-separated wherever git offers it (``-z``), and decoded with
  ``surrogateescape`` (:func:`printable` shows bytes that are not UTF-8 as U+FFFD);
* blobs are read through gitpython's persistent ``git cat-file --batch`` process
  (``Git.get_object_data``): one process per repository, fed one id at a time, so a blob costs
  a pipe round trip, never a process.

Nothing is read one file per git call: one ``git diff --raw -M`` for the changes, one ``git
ls-tree -r`` per commit and folder for the files (written out from the blobs, never through
``git archive``, whose output the commit's own ``.gitattributes`` can change), one ``git log --raw -z`` for every commit of a range (the
gates) or of the whole history (the audit trail, started in the background with :meth:`Repository.start`).
A blob is parsed once, however many commits share it. :func:`blob_id` is git's id of a content,
to recognise a work-tree file among the blobs without asking git.

gitpython is imported on first use: importing it costs tens of milliseconds, and it refuses to
import at all when there is no git executable (reported as ``git-missing``, not a traceback).
"""
from __future__ import annotations

import hashlib
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from . import strict_yaml
from ..core.record import EXTENSION, RECORDS, Record, kind_of


def blob_id(data: bytes) -> str:
    """The id git gives this content (``blob <size>\\0`` and the content, SHA-1)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def printable(value: str) -> str:
    """Bytes git could not decode as UTF-8 (kept as surrogates) shown as U+FFFD, never as raw bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def log_markers() -> tuple[str, str, str]:
    """Record, field and end-of-header markers for one ``git log --format`` call.

    A commit message may hold any byte but NUL, control characters included, so a fixed marker
    could be forged by a message (and a message that held one would make the log unreadable).
    Each call gets markers with a random token no message can know in advance.
    """
    token = secrets.token_hex(12)
    return f"\x1e{token}R", f"\x1e{token}U", f"\x1e{token}G"


def raw_entries(tail: str) -> Iterable[tuple[str, str, str, str, str | None, str]]:
    """(mode, status, before_blob, after_blob, before_path, path) from ``--raw -z`` output, one per
    file of a commit; ``mode`` is the file's mode after the commit (``000000`` when deleted).
    Used by the audit trail (``-c``, merges combined) and by the gates' commit scan."""
    tokens = tail.lstrip("\n").split("\0")
    i = 0
    while i < len(tokens):
        token = tokens[i].lstrip("\n")
        i += 1
        if not token.startswith(":"):
            continue
        colons = len(token) - len(token.lstrip(":"))
        fields = token[colons:].split()
        parents = colons  # one column of modes and blobs per parent
        blobs = fields[parents + 1: parents + 1 + parents + 1]
        status = fields[-1]
        before, after = blobs[0], blobs[-1]
        if status[0] in "RC" and colons == 1:
            before_path, path = tokens[i], tokens[i + 1]
            i += 2
        else:
            before_path = path = tokens[i]
            i += 1
        yield fields[parents], status[0] if colons == 1 else _combined_status(status), before, after, before_path, path


def _combined_status(status: str) -> str:
    if all(s == "A" for s in status):
        return "A"
    if all(s == "D" for s in status):
        return "D"
    return "M"


# -- running git -----------------------------------------------------------------------------------

class GitError(Exception):
    """A commit, ref or repository that git cannot find or read (a usage error for the CLI)."""


class GitUnavailable(GitError):
    """No repository to read: ``not-a-git-repo`` or ``git-missing`` (code + Chinese message)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class GitFailed(GitError):
    """A git command that exited with an unexpected status; the message quotes git's last words."""

    def __init__(self, args: tuple[str, ...], status: int, stderr: str):
        said = printable(stderr).strip().splitlines()
        super().__init__(f"git {args[0] if args else ''} 失败（退出码 {status}）" + (f"：{said[-1]}" if said else ""))
        self.status = status


def _gitpython():
    """The gitpython package; it refuses to import when no git executable is found."""
    try:
        import git
    except ImportError as exc:
        if exc.name == "git":
            raise GitUnavailable("git-missing", "缺少 gitpython；请重新安装 yibao（pip install -e .）") from None
        raise GitUnavailable("git-missing", "没有找到 git 命令；请先安装 git") from None
    return git


def _execute(runner, args: tuple[str, ...], codes: tuple[int, ...]) -> tuple[int, bytes]:
    """``git <args>`` through gitpython's command runner: (status, stdout bytes as git wrote them)."""
    git = _gitpython()
    try:
        status, out, err = runner.execute([git.Git.GIT_PYTHON_GIT_EXECUTABLE, *args], with_extended_output=True,
                                          with_exceptions=False, stdout_as_string=False, strip_newline_in_stdout=False)
    except git.GitCommandNotFound:
        raise GitUnavailable("git-missing", "没有找到 git 命令；请先安装 git") from None
    if status not in codes:
        raise GitFailed(args, status, err if isinstance(err, str) else err.decode("utf-8", "replace"))
    return status, out


class Running:
    """A git command under way in a thread (git works while the caller does something else)."""

    def __init__(self, runner, args: tuple[str, ...]):
        self._out: bytes | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(runner, args), daemon=True)
        self._thread.start()

    def _work(self, runner, args: tuple[str, ...]) -> None:
        try:
            self._out = _execute(runner, args, (0,))[1]
        except BaseException as error:  # handed to whoever waits for the result
            self._error = error

    def result(self) -> bytes:
        """git's output; raises :class:`GitError` if it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._out or b""


def run_side_by_side(folder: Path, calls: Iterable[tuple[str, ...]]) -> list[bytes] | None:
    """The output of each ``git <call>`` run in ``folder``, all at the same time (each walks the
    index or the work tree on its own); None when one of them fails (not a git work tree) or git
    is missing."""
    try:
        git = _gitpython()
        runner = git.Git(folder)
        running = [Running(runner, tuple(call)) for call in calls]
        return [process.result() for process in running]
    except GitError:
        return None


class Repository:
    """The git repository that holds a records repository (``root`` may be a folder inside it)."""

    def __init__(self, root: Path):
        git = _gitpython()
        try:
            repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise GitUnavailable("not-a-git-repo", f"{root} 不是 git 仓库") from None
        except git.GitCommandNotFound:
            raise GitUnavailable("git-missing", "没有找到 git 命令；请先安装 git") from None
        if repo.working_tree_dir is None:
            raise GitUnavailable("not-a-git-repo", f"{root} 是没有工作区的 git 仓库（bare）") from None
        self.top = Path(repo.working_tree_dir).resolve()
        rel = Path(root).resolve().relative_to(self.top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"  # the records repository inside the work tree
        self.git_dir = Path(repo.git_dir)
        self._runner = repo.git  # runs in the work tree's top folder; holds the persistent cat-file

    def run(self, *args: str, codes: tuple[int, ...] = (0,)) -> bytes:
        """``git <args>``'s output as bytes; an exit status outside ``codes`` raises :class:`GitFailed`."""
        return _execute(self._runner, args, codes)[1]

    def text(self, *args: str, codes: tuple[int, ...] = (0,)) -> str:
        """``git <args>``'s output as text (bytes that are not UTF-8 kept as surrogates)."""
        return self.run(*args, codes=codes).decode("utf-8", "surrogateescape")

    def status(self, *args: str) -> tuple[int, str]:
        """``git <args>``'s exit status and output, whatever the status."""
        status, out = _execute(self._runner, args, tuple(range(256)))
        return status, out.decode("utf-8", "surrogateescape")

    def start(self, *args: str) -> Running:
        """Start ``git <args>`` in the background; :meth:`Running.result` waits for its output."""
        return Running(self._runner, args)

    def blob(self, sha: str) -> bytes | None:
        """A blob's content through the persistent ``cat-file --batch`` process; None when missing."""
        if not (len(sha) == 40 and set(sha) <= _FULL_SHA):
            return None
        try:
            _, kind, _, data = self._runner.get_object_data(sha)
        except ValueError:  # "<sha> missing"
            return None
        return data if kind in (b"blob", "blob") else None  # gitpython gives the type as bytes

    def blobs(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """(id, content or None when missing) for many blobs, in order, from one ``cat-file --batch``.

        The ids are handed over at once and git answers into a pipe while the caller parses what
        came before (a pipe round trip per blob costs more than reading them on a busy machine).
        """
        wanted = [sha for sha in shas if len(sha) == 40 and set(sha) <= _FULL_SHA]
        if not wanted:
            return
        git = _gitpython()
        with tempfile.TemporaryFile() as ids:
            ids.write(("\n".join(wanted) + "\n").encode("ascii"))
            ids.seek(0)
            process = self._runner.execute([git.Git.GIT_PYTHON_GIT_EXECUTABLE, "cat-file", "--batch", "--buffer"],
                                           istream=ids, as_process=True)
            out = process.stdout
            for sha in wanted:
                header = out.readline().split()
                if len(header) != 3 or header[0] != sha.encode("ascii"):  # "<id> missing"
                    yield sha, None
                    continue
                data = out.read(int(header[2]))
                out.read(1)  # the newline after the content
                yield sha, data if header[1] == b"blob" else None
            try:
                process.wait()
            except git.GitCommandError as error:
                raise GitFailed(("cat-file",), error.status, str(error.stderr)) from None

    def head(self) -> str | None:
        """The commit HEAD names, None before the first commit."""
        status, out = self.status("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        return out.strip() if status == 0 and out.strip() else None

    def is_shallow(self) -> bool:
        if (self.git_dir / "shallow").is_file():
            return True
        return self.text("rev-parse", "--is-shallow-repository").strip() == "true"


# -- records at a commit ---------------------------------------------------------------------------

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
            self.git = Repository(root)
        except GitUnavailable as error:
            if error.code == "not-a-git-repo":
                raise GitError(f"{root} 不是 git 仓库；比较两次提交需要在 git 仓库中运行") from None
            raise
        self.prefix = self.git.prefix
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
        status, out = self.git.status("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        if status != 0 or not out.strip():
            raise GitError(f"找不到提交 {ref}；请确认分支名或提交号（CI 中检出时需要 fetch-depth: 0）")
        return out.strip()

    def refs_named(self, name: str) -> list[str]:
        """The refs a short name can mean, in git's order (``git help revisions``)."""
        if name.startswith("refs/") or name in ("HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD"):
            return []
        wanted = [f"refs/{name}", f"refs/tags/{name}", f"refs/heads/{name}", f"refs/remotes/{name}", f"refs/remotes/{name}/HEAD"]
        present = set(self.git.text("for-each-ref", "--format=%(refname)%00", "--", *wanted).replace("\n", "").split("\0"))
        return [w for w in wanted if w in present]

    def merge_base(self, base: str, head: str) -> str:
        status, out = self.git.status("merge-base", base, head)
        if status != 0 or not out.strip():
            raise GitError(f"{base} 与 {head} 没有共同的历史；请检出完整历史（fetch-depth: 0）")
        return out.strip()

    def is_checked_out(self, commit: str, paths: tuple[str, ...]) -> bool:
        """Whether the work tree shows exactly ``commit`` for these paths (so it can be read directly)."""
        if self.git.head() != commit:
            return False
        status = self.git.run("status", "--porcelain", "-z", "--untracked-files=all", "--", *[self.prefix + p for p in paths])
        return not status.strip(b"\0")

    # -- changes -----------------------------------------------------------------------------
    def changes(self, base: str, head: str) -> list[Change]:
        """Every file that differs, renames detected, with head's file mode (``git diff --raw -M``)."""
        out = self.git.text("diff", "--raw", "-M", "-z", "--no-abbrev", "--no-color", "--no-ext-diff", base, head,
                            "--", self.prefix or ".")
        changes: list[Change] = []
        for mode, status, _, _, old, new in raw_entries(out):
            if status in "RC":
                changes.append(Change(status, self._local(new), self._local(old), mode))
            else:
                path = self._local(new)
                changes.append(Change(status, path, None if status == "A" else path, mode))
        return changes

    def commits(self, base: str, head: str) -> list[CommitText]:
        """Every commit in ``base..head`` (oldest first) with the regular files it wrote (one ``git log``)."""
        rs, us, gs = log_markers()
        text = self.git.text("log", f"{base}..{head}", "--reverse", "--raw", "-z", "--no-abbrev", "--diff-merges=first-parent",
                             f"--format={rs}%H{us}%an <%ae>{us}%cn <%ce>{us}%B{gs}")
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
        return {path: sha for path, (_, sha) in self._tree(commit, under).items()}

    def _tree(self, commit: str, under: str) -> dict[str, tuple[str, str]]:
        """``{path: (mode, blob sha)}`` of the blobs (files and symlinks) under a folder at a commit."""
        out = self.git.text("ls-tree", "-r", "-z", "--full-tree", commit, "--", self.prefix + under)
        found: dict[str, tuple[str, str]] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob":
                found[self._local(path)] = (mode, sha)
        return found

    def read(self, sha: str) -> bytes:
        """A blob's bytes (through the persistent ``cat-file --batch``); a missing blob is a :class:`GitError`."""
        data = self.git.blob(sha)
        if data is None:
            raise GitError(f"git 对象 {sha[:10]} 缺失；请检出完整历史（fetch-depth: 0）")
        return data

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
        args = ["-l", "-z", "-F", "-I", "--no-textconv"]
        for needle in needles:
            args += ["-e", needle]
        out = self.git.text("grep", *args, commit, "--", self.prefix + under, codes=(0, 1))  # 1: nothing found
        prefix = f"{commit}:"
        return sorted(self._local(name[len(prefix):] if name.startswith(prefix) else name) for name in out.split("\0") if name)

    def materialise(self, commit: str, dest: Path, paths: tuple[str, ...]) -> Path:
        """Write the regular files of the given folders at a commit into ``dest`` and return the
        records repository's folder there.

        The bytes are the blobs themselves (one ``ls-tree`` per folder, one ``cat-file`` batch):
        unlike ``git archive``, nothing the commit's own ``.gitattributes`` says (``export-ignore``,
        ``export-subst``, filters, line endings) changes what the gates read. Symlinks and paths
        that would leave ``dest`` are not written.
        """
        base = dest / self.prefix if self.prefix else dest
        base.mkdir(parents=True, exist_ok=True)
        top = dest.resolve()
        targets: dict[str, list[Path]] = {}  # blob -> where it goes (identical files share a blob)
        for folder in paths:
            for path, (mode, sha) in self._tree(commit, folder).items():
                parts = PurePosixPath(path).parts
                if mode not in REGULAR_MODES or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
                    continue
                target = base.joinpath(*parts)
                if top in target.resolve().parents:
                    targets.setdefault(sha, []).append(target)
        for sha, data in self.git.blobs(targets):
            if data is None:
                raise GitError(f"git 对象 {sha[:10]} 缺失；请检出完整历史（fetch-depth: 0）")
            for target in targets[sha]:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        return base


# -- writing a repository (the demo's history) --------------------------------------------------------

def import_history(folder: Path, stream: bytes, branch: str = "main") -> None:
    """A new git repository in ``folder`` made from a ``git fast-import`` stream, with ``branch``
    checked out in its work tree. ``folder`` must not be a repository yet."""
    git = _gitpython()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        repo = git.Repo.init(folder, initial_branch=branch)
    except git.GitCommandNotFound:
        raise GitUnavailable("git-missing", "没有找到 git 命令；请先安装 git") from None
    with tempfile.TemporaryFile() as data:
        data.write(stream)
        data.seek(0)
        try:
            repo.git.execute([git.Git.GIT_PYTHON_GIT_EXECUTABLE, "fast-import", "--quiet", "--done"], istream=data)
        except git.GitCommandError as error:
            raise GitFailed(("fast-import",), error.status, str(error.stderr)) from None
    _execute(repo.git, ("checkout", "-q", "-f", branch), (0,))
