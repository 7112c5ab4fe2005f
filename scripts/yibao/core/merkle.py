"""A Merkle hash tree over lines of text (RFC 9162 / RFC 6962 layout, SHA-256): one root for a whole
handover manifest, and a short proof that one line is in it.

A leaf is ``SHA-256(0x00 || line)``, an inner node ``SHA-256(0x01 || left || right)``; a tree of n
leaves splits at the largest power of two below n. These are the rules of Certificate Transparency,
so the proof of one record version can be checked with any implementation of them, or by hand
with ``sha256sum`` and ``xxd``.
"""
from __future__ import annotations

import hashlib

ALGORITHM = "sha256-merkle-rfc9162"


def leaf_hash(line: str) -> bytes:
    return hashlib.sha256(b"\x00" + line.encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: list[bytes]) -> bytes:
    """The tree's root over leaf hashes (the hash of nothing for an empty tree), bottom-up."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # bottom-up pairing with a lone last node carried up unchanged gives the same root as the
    # recursive split at the largest power of two (RFC 9162, section 2.1.1)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaves: list[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 9162, section 2.1.3.1), leaf side first."""
    if not 0 <= index < len(leaves):
        raise IndexError(index)
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    stack = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            stack.append(root(leaves[lo + k:hi]))
            hi = lo + k
        else:
            stack.append(root(leaves[lo:lo + k]))
            lo, m = lo + k, m - k
    path.extend(reversed(stack))
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """The root a leaf and its audit path lead to (RFC 9162, section 2.1.3.2); None when the
    path cannot belong to a tree of ``size`` leaves."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None
