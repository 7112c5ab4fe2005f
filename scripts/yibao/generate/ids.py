"""Unique, random-looking record IDs from a keyed permutation of counters."""
from __future__ import annotations

import hashlib

from .common import CROCKFORD


class Ids:
    """Unique, random-looking IDs: a keyed bijection of a per-namespace counter.

    ``next("JC-2024")`` gives ``JC-2024-XXXXXX``; the 6 (or 8) Crockford base-32 characters are
    30 (40) bits obtained by permuting the counter, so IDs never repeat within a namespace.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counters: dict[str, int] = {}
        self.keys: dict[str, tuple[int, ...]] = {}

    def next(self, namespace: str, chars: int = 6) -> str:
        count = self.counters.get(namespace, 0)
        self.counters[namespace] = count + 1
        keys = self.keys.get(namespace)
        if keys is None:
            digest = hashlib.sha256(f"{self.seed}/{namespace}".encode()).digest()
            keys = self.keys[namespace] = tuple(int.from_bytes(digest[i:i + 5], "big") | 1 for i in range(0, 30, 5))
        value = _permute(count, chars * 5, keys)
        return namespace + "-" + "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(chars)))


def _permute(value: int, bits: int, keys: tuple[int, ...]) -> int:
    """A bijection on ``bits``-bit integers (add, multiply by an odd number, xor-shift; 3 rounds)."""
    mask = (1 << bits) - 1
    for r in range(3):
        value = (value + keys[2 * r]) & mask
        value = (value * keys[2 * r + 1]) & mask
        value ^= value >> (bits // 2 - r)
    return value
