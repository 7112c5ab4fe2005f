"""Pseudonyms for personal identifiers: HMAC-SHA-256 with a key the bureau keeps outside the
repository.

The same person number under the same key always gives the same code, so leads of different
runs and rules can be joined; without the key the code cannot be traced back (nor recomputed
from a guessed number). The key comes from a key file (``--key-file``) or the environment
variable ``YIBAO_PSEUDONYM_KEY``; a key file inside the repository is refused.

* ``person_code`` — ``CB-`` + 8 Crockford base-32 characters (40 bits): the schema's
  pseudonymous person code, what a case record may carry;
* ``person_key`` — 32 hexadecimal characters (128 bits): unique at any scale, for joining leads.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

ENV = "YIBAO_PSEUDONYM_KEY"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MIN_KEY_BYTES = 16


class KeyError_(Exception):
    """No usable key (a usage error: exit 2)."""


def load_key(key_file: str | None, repo_root: Path | None = None) -> bytes:
    if key_file:
        path = Path(key_file).expanduser().resolve()
        if repo_root is not None and path.is_relative_to(repo_root.resolve()):
            raise KeyError_(f"化名密钥文件 {key_file} 在仓库内；密钥必须保存在仓库之外（由医保局保管）")
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise KeyError_(f"无法读取化名密钥文件 {key_file}：{exc.strerror}") from None
    else:
        key = os.environ.get(ENV, "").strip().encode("utf-8")
        if not key:
            raise KeyError_(f"缺少化名密钥：请用 --key-file 指定密钥文件，或设置环境变量 {ENV}（密钥由医保局保管，不放入仓库）")
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(f"化名密钥太短（{len(key)} 字节）；至少 {MIN_KEY_BYTES} 字节，建议用 openssl rand -hex 32 生成")
    return key


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._memo: dict[str, tuple[str, str]] = {}

    def __call__(self, value: str) -> tuple[str, str]:
        """(person_code, person_key) for one personal identifier."""
        found = self._memo.get(value)
        if found is None:
            digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).digest()
            number = int.from_bytes(digest[:5], "big")
            code = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
            found = self._memo[value] = (f"CB-{code}", digest[:16].hex())
        return found
