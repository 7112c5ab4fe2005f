"""Which record files the work tree holds, and which of them git already knows by content.

In a git work tree three git calls list every file under ``records/`` with the blob id of its
content: ``ls-files -s`` (the index), ``diff-files`` (files whose work-tree content may differ
from the index: git compares the stat information it keeps, in C) and ``ls-files --others``
(new files). A file git vouches for needs no reading or hashing to be recognised by the check
cache; the others are read and hashed. Outside a git work tree the caller falls back to
``repository.scan_records`` and its own stat manifest.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from .repository import EXTENSION, RECORDS


def blob_id(data: bytes) -> str:
    """The id git gives this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


_HIDDEN = re.compile(r"/\.|/[Rr][Ee][Aa][Dd][Mm][Ee][^/]*$")
_INDEX_ENTRY = re.compile(rb"[0-7]+ ([0-9a-f]{40}) ([0-3])\t([^\0]*)\0")


def _visible(relpath: str) -> bool:
    """Hidden files and folders and READMEs are not records (as in ``scan_records``)."""
    return _HIDDEN.search(relpath) is None


def git_listing(root: Path) -> tuple[dict[str, str | None], bytes] | None:
    """``{relpath: blob id, or None when the work tree may differ}`` and a digest of the listing.

    Paths are relative to ``root`` (which may be a folder inside the work tree). None when
    ``root`` is not in a git work tree or git is missing.
    """
    try:
        index = _git(root, "ls-files", "-s", "-z", "--", RECORDS)
        if index.returncode != 0:
            return None
        changed = _git(root, "diff-files", "--relative", "--name-only", "-z", "--", RECORDS)
        new = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", RECORDS)
    except OSError:
        return None
    if changed.returncode != 0 or new.returncode != 0:
        return None
    dirty = set(changed.stdout.split(b"\0"))
    listing: dict[str, str | None] = {}
    for blob, stage, raw in _INDEX_ENTRY.findall(index.stdout):
        path = raw.decode("utf-8", "surrogateescape")
        if not _visible(path):
            continue
        if stage != b"0" or raw in dirty:
            if os.path.lexists(os.path.join(root, path)):  # deleted in the work tree: not there
                listing[path] = None
        else:
            listing[path] = blob.decode()
    for raw in new.stdout.split(b"\0"):
        if raw:
            path = raw.decode("utf-8", "surrogateescape")
            if _visible(path):
                listing[path] = None
    digest = hashlib.sha1(index.stdout + b"\1" + changed.stdout + b"\1" + new.stdout).digest()
    return listing, digest


def split_listing(listing: dict[str, str | None]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Record files (sorted, with blob ids) and the other files found under ``records/``."""
    files: list[tuple[str, str | None]] = []
    others: list[str] = []
    for path in sorted(listing):
        if path.endswith(EXTENSION):
            files.append((path, listing[path]))
        else:
            others.append(path)
    return files, others
