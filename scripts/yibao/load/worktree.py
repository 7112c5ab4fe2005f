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
from pathlib import Path

from .git_tree import blob_id, run_side_by_side
from ..core.record import EXTENSION, RECORDS

__all__ = ["blob_id", "git_listing", "split_listing"]  # blob_id: git's id of a content, for the check cache

_HIDDEN = re.compile(r"/\.|/[Rr][Ee][Aa][Dd][Mm][Ee][^/]*$")
_INDEX_TEXT = re.compile(r"([0-7]+) ([0-9a-f]{40}) ([0-3])\t([^\0]*)\0")
_SYMLINK = "120000"


def _visible(relpath: str) -> bool:
    """Hidden files and folders and READMEs are not records (as in ``scan_records``)."""
    return _HIDDEN.search(relpath) is None


def git_listing(root: Path) -> tuple[dict[str, str | None], bytes] | None:
    """``{relpath: blob id, or None when the work tree may differ or the file is a symlink}`` and a
    digest of the listing.

    Paths are relative to ``root`` (which may be a folder inside the work tree). None when
    ``root`` is not in a git work tree or git is missing.
    """
    calls = (("ls-files", "-s", "-z", "--", RECORDS),
             ("diff-files", "--relative", "--name-only", "-z", "--", RECORDS),
             ("ls-files", "--others", "--exclude-standard", "-z", "--", RECORDS))
    outputs = run_side_by_side(root, calls)  # each walks the index or the work tree on its own
    if outputs is None:
        return None
    index, changed, new = outputs
    text = index.decode("utf-8", "surrogateescape")
    dirty = set(changed.decode("utf-8", "surrogateescape").split("\0"))
    hidden = "/." in text or "readme" in text.lower()  # else no path needs the per-path test
    listing: dict[str, str | None] = {}
    for mode, blob, stage, path in _INDEX_TEXT.findall(text):  # ~100k entries at province scale
        if hidden and not _visible(path):
            continue
        # a symlink's blob is the link, not what the check reads: stat'ed and read like a changed file
        if stage != "0" or path in dirty or mode == _SYMLINK:
            if os.path.lexists(os.path.join(root, path)):  # deleted in the work tree: not there
                listing[path] = None
        else:
            listing[path] = blob
    for path in new.decode("utf-8", "surrogateescape").split("\0"):
        if path and _visible(path):
            listing[path] = None
    digest = hashlib.sha1(index + b"\1" + changed + b"\1" + new).digest()
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
