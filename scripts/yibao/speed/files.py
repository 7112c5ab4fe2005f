"""Which record files a repository holds, how their content is known without reading them, and
reading them.

In a git work tree the listing comes from git (``load.worktree``): the files git vouches for carry
their blob id and are not read to be recognised. Elsewhere each file carries its ``stat``, compared
with the cache's manifest. A file with neither (changed since the last commit) is read to be known.
"""
from __future__ import annotations

import os
import stat as _stat
from dataclasses import dataclass, field
from pathlib import Path

from ..core.diagnostics import Diagnostic
from ..core.record import EXTENSION, kind_of, stem
from ..core.textsafe import has_undecodable, visible
from ..load.repository import scan_records
from ..load.worktree import git_listing, split_listing

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


@dataclass
class Layout:
    """The record files (sorted by path, with their kind) and what is known of their content."""

    files: list[tuple[str, str]] = field(default_factory=list)
    #: files git vouches for: path -> blob id
    blobs: dict[str, str] = field(default_factory=dict)
    #: files outside git: path -> ``stat``, to compare with the cache's manifest
    stats: dict[str, os.stat_result] = field(default_factory=dict)
    #: files under ``records/`` that are not records (strays, special files, undecodable names)
    problems: list[Diagnostic] = field(default_factory=list)
    #: in a git work tree, a digest of the whole listing (it identifies the files git vouches for)
    listing_digest: bytes | None = None

    def stat_of(self, relpath: str) -> os.stat_result | None:
        return self.stats.get(relpath)

    def ids_from_names(self) -> dict[str, set[str]]:
        """IDs by kind from file names: a record that exists but does not load is not "missing"."""
        ids: dict[str, set[str]] = {}
        for relpath, kind in self.files:
            ids.setdefault(kind, set()).add(stem(relpath))
        return ids


def layout(root: Path, kinds: list[str]) -> Layout:
    """The repository's record files, and the problems with the other files under ``records/``."""
    snapshot = git_listing(root)
    if snapshot is not None:
        listed, others = split_listing(snapshot[0])
        digest = snapshot[1]
    else:
        found, strays = scan_records(root)
        listed, others, digest = found, [p for p, _ in strays], None
    out = Layout(listing_digest=digest)
    problems = out.problems
    if has_undecodable("\0".join(others)) or has_undecodable("\0".join(relpath for relpath, _ in listed)):
        problems += [_non_utf8_name(p) for p in (*others, *(relpath for relpath, _ in listed)) if has_undecodable(p)]
        others = [p for p in others if not has_undecodable(p)]
        listed = [(relpath, hint) for relpath, hint in listed if not has_undecodable(relpath)]
    for relpath in others:
        problems.append(Diagnostic(relpath, 1, 1, "not-a-record-file", f"records/ 下只能放 {EXTENSION} 记录文件；请改名为 {stem(relpath)}{EXTENSION} 或移出 records/"))
    by_folder: dict[str, str | None] = {}  # the kind of each folder, worked out once
    files, blobs, stats = out.files, out.blobs, out.stats
    for relpath, hint in listed:  # hint: a git blob id, a stat result (outside git), or None
        if type(hint) is str:
            blobs[relpath] = hint
        elif hint is None or not _stat.S_ISREG(hint.st_mode):
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
        if hint is not None and type(hint) is not str:
            stats[relpath] = hint
        files.append((relpath, kind))
    return out


def _non_utf8_name(relpath: str) -> Diagnostic:
    shown = visible(relpath)  # the bytes that are not UTF-8 as \xNN
    return Diagnostic(shown, 1, 1, "non-utf8-filename",
                      f"文件名 {shown} 不是 UTF-8 编码，无法作为记录读取；请把它改名为“记录编号{EXTENSION}”（如 H65020300001{EXTENSION}）")


_SPECIAL = ((_stat.S_ISFIFO, "命名管道"), (_stat.S_ISCHR, "字符设备"), (_stat.S_ISBLK, "块设备"),
            (_stat.S_ISSOCK, "套接字"), (_stat.S_ISDIR, "目录"))


def _special_file(root: Path, relpath: str, known: os.stat_result | None) -> Diagnostic | None:
    """``error[not-a-regular-file]`` for a named pipe, device or socket (reading one would hang or
    act), itself or behind a symlink; found with ``stat``, never by opening it. None for a plain
    file, and for a path that cannot be stat'ed (reading it reports why)."""
    try:
        mode = known.st_mode if known is not None else os.lstat(os.path.join(root, relpath)).st_mode
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


def read(path: str) -> bytes:
    """A whole file, with plain os calls (measurably cheaper than pathlib for 100k small files).

    Special files are refused before (:func:`layout`); should one appear in between, opening it
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


def read_or_error(path: str) -> bytes | OSError:
    try:
        return read(path)
    except OSError as exc:
        return exc
